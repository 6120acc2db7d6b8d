"""Entry point of each process that ``accelerate launch`` starts for a multi-GPU training.

``accelerate launch --config_file CFG --num_processes N -m r1lib.machinery.launch SPEC.json``
(the command :func:`r1lib.engine.launcher.run_distributed` runs). Each process re-selects the
backends of the resolved profile in the spec and calls the same recipe function
(:func:`r1lib.recipe.training.run_grpo` or :func:`r1lib.recipe.sft.run_sft`); rank 0 writes the
result that the notebook reads back, and every rank its own ``launch_rank<R>.json`` beside it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from r1lib.core.profile import GRPOConfig, Profile, SFTConfig
from r1lib.core.records import read_jsonl
from r1lib.engine import backends
from r1lib.engine.launcher import LAUNCHED_ENV
from r1lib.recipe.sft import run_sft
from r1lib.recipe.training import run_grpo

KINDS = {"grpo": (run_grpo, GRPOConfig), "sft": (run_sft, SFTConfig)}


def main(argv: list[str] | None = None) -> int:
    """Entry point of each launched process: ``python -m r1lib.machinery.launch SPEC.json``.

    Returns:
        The exit code: 0, or 2 for a bad command line or an unknown ``kind`` in the spec.
    """
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: accelerate launch ... -m r1lib.machinery.launch SPEC.json", file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[0]).read_text())
    os.environ[LAUNCHED_ENV] = "1"
    profile = Profile.model_validate(spec["profile"])
    backends.use(profile)
    if spec["kind"] not in KINDS:
        print(f"unknown kind {spec['kind']!r}; known: {sorted(KINDS)}", file=sys.stderr)
        return 2
    func, cfg_cls = KINDS[spec["kind"]]
    kw = {k: Path(v) if k.endswith(("_path", "_dir")) and v else v for k, v in spec["kwargs"].items()}
    kw["records"] = read_jsonl(spec["records"])
    kw["cfg"] = cfg_cls.model_validate(kw["cfg"])
    result = func(**kw)
    rank = int(os.environ.get("RANK", "0"))
    # every rank leaves its own view (steps, weights checksum: equal on all ranks under DDP);
    # rank 0's is the result the notebook reads
    Path(spec["result"]).with_name(f"launch_rank{rank}.json").write_text(
        json.dumps({"rank": rank, "world_size": int(os.environ.get("WORLD_SIZE", "1")), **result}, indent=2) + "\n")
    if rank == 0:
        Path(spec["result"]).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
