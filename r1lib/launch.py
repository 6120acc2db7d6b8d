"""Multi-GPU training as a subprocess: ``accelerate launch -m r1lib.launch SPEC.json``.

When a profile sets ``runtime.num_processes`` > 1, :func:`r1lib.training.run_grpo` and
:func:`r1lib.sft.run_sft` called from a notebook do not train in the notebook's kernel: they
write a *spec* (the resolved profile, the call's arguments, the records as JSON lines) into the
output folder and run ``accelerate launch --config_file <runtime.accelerate_config>
--num_processes N -m r1lib.launch <spec>``. Each process re-selects the same backends
(:func:`r1lib.backends.use`) and calls the same function; TRL and accelerate/DeepSpeed do the
distribution (never a home-made engine). Rank 0 writes the result the notebook reads back.

Limits: reward functions cross as registry names only (the reward-model rewards of stage 05 are
callables: run that stage on one process), and held-out probes are off in launched runs
(generation under ZeRO-3 needs every rank).
"""

from __future__ import annotations

import importlib
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

LAUNCHED_ENV = "R1_LAUNCHED"
"""Set in launched processes, so that they train instead of launching again."""


def in_launched_process() -> bool:
    """True inside a process started by :func:`run_distributed`."""
    return os.environ.get(LAUNCHED_ENV) == "1"


def launch_command(spec_path: Path, num_processes: int, accelerate_config: str) -> list[str]:
    """The ``accelerate launch`` command line for a spec (also printed for the README).

    Returns:
        ``list[str]``: ``accelerate launch --config_file CFG --num_processes N -m r1lib.launch SPEC``.
    """
    from r1lib.config import REPO_ROOT

    cfg = Path(accelerate_config)
    if not cfg.is_absolute():
        cfg = REPO_ROOT / cfg
    return ["accelerate", "launch", "--config_file", str(cfg), "--num_processes", str(num_processes),
            "-m", "r1lib.launch", str(spec_path)]


def write_spec(kind: str, out_dir: Path, kwargs: dict, profile_dump: dict) -> Path:
    """Write a launch spec: ``kind`` (``grpo``/``sft``), JSON-able ``kwargs`` (paths as str,
    configs as dicts), ``records`` to ``records.jsonl``, and the resolved profile.

    Returns:
        The spec's path, ``<out_dir>/launch_spec.json``.
    """
    from r1lib.data import write_jsonl

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    records = kwargs.pop("records")
    write_jsonl(records, out_dir / "launch_records.jsonl")
    spec = {"kind": kind, "kwargs": kwargs, "records": str(out_dir / "launch_records.jsonl"),
            "profile": profile_dump, "result": str(out_dir / "launch_result.json")}
    path = out_dir / "launch_spec.json"
    path.write_text(json.dumps(spec, indent=2, default=str) + "\n")
    return path


def run_distributed(kind: str, out_dir: Path, kwargs: dict) -> dict:
    """Run ``kind`` (``grpo``/``sft``) under ``accelerate launch`` with the current profile.

    Args:
        kind: which trainer.
        out_dir: the call's output folder (the spec and result go there too).
        kwargs: the call's arguments; ``records`` included.

    Returns:
        The function's result dict, as rank 0 wrote it.

    Raises:
        ValueError: a non-serialisable argument (e.g. reward callables); the message says what to do.
        subprocess.CalledProcessError: the launched training failed (its output was streamed).
    """
    from r1lib import backends

    cur = backends.current()
    if cur.profile is None:
        raise ValueError("runtime.num_processes > 1 needs a profile: open the stage with Stage.open first")
    spec = write_spec(kind, out_dir, kwargs, cur.profile.model_dump(mode="json"))
    cmd = launch_command(spec, cur.runtime.num_processes, cur.runtime.accelerate_config)
    print("launching:", shlex.join(cmd), flush=True)
    subprocess.run(cmd, check=True, env={**os.environ, LAUNCHED_ENV: "1"})
    return json.loads(Path(json.loads(spec.read_text())["result"]).read_text())


def main(argv: list[str] | None = None) -> int:
    """Entry point of each launched process: ``python -m r1lib.launch SPEC.json``."""
    from r1lib import backends
    from r1lib.config import GRPOConfig, Profile, SFTConfig
    from r1lib.data import read_jsonl

    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: accelerate launch ... -m r1lib.launch SPEC.json", file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[0]).read_text())
    os.environ[LAUNCHED_ENV] = "1"
    profile = Profile.model_validate(spec["profile"])
    backends.use(profile)
    kinds = {"grpo": ("r1lib.training", "run_grpo", GRPOConfig), "sft": ("r1lib.sft", "run_sft", SFTConfig)}
    if spec["kind"] not in kinds:
        print(f"unknown kind {spec['kind']!r}; known: {sorted(kinds)}", file=sys.stderr)
        return 2
    module, func, cfg_cls = kinds[spec["kind"]]
    kw = {k: Path(v) if k.endswith(("_path", "_dir")) and v else v for k, v in spec["kwargs"].items()}
    kw["records"] = read_jsonl(spec["records"])
    kw["cfg"] = cfg_cls.model_validate(kw["cfg"])
    result = getattr(importlib.import_module(module), func)(**kw)
    if int(os.environ.get("RANK", "0")) == 0:
        Path(spec["result"]).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
