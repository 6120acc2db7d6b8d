"""Multi-GPU training as a subprocess: ``accelerate launch -m r1lib.machinery.launch SPEC.json``.

When a profile sets ``runtime.num_processes`` > 1, :func:`r1lib.recipe.training.run_grpo` and
:func:`r1lib.recipe.sft.run_sft` called from a notebook do not train in the notebook's kernel: they
write a *spec* (the resolved profile, the call's arguments, the records as JSON lines) into the
output folder and run ``accelerate launch --config_file <runtime.accelerate_config>
--num_processes N -m r1lib.machinery.launch <spec>``. Each process re-selects the same backends
(:func:`r1lib.engine.backends.use`) and calls the same function; TRL and accelerate/DeepSpeed do the
distribution (never a home-made engine). Rank 0 writes the result the notebook reads back.

Limits: reward functions cross as registry names only (the reward-model rewards of stage 05 are
callables: run that stage on one process), and held-out probes are off in launched runs
(generation under ZeRO-3 needs every rank).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

from r1lib.core.paths import REPO_ROOT
from r1lib.core.records import write_jsonl
from r1lib.engine import backends

LAUNCHED_ENV = "R1_LAUNCHED"
"""Set in launched processes, so that they train instead of launching again."""


def in_launched_process() -> bool:
    """True inside a process started by :func:`run_distributed`."""
    return os.environ.get(LAUNCHED_ENV) == "1"


def launch_command(spec_path: Path, num_processes: int, accelerate_config: str) -> list[str]:
    """The ``accelerate launch`` command line for a spec (also printed for the README).

    Returns:
        ``list[str]``: ``accelerate launch --config_file CFG --num_processes N -m r1lib.machinery.launch SPEC``.
    """

    cfg = Path(accelerate_config)
    if not cfg.is_absolute():
        cfg = REPO_ROOT / cfg
    return ["accelerate", "launch", "--config_file", str(cfg), "--num_processes", str(num_processes),
            "-m", "r1lib.machinery.launch", str(spec_path)]


def write_spec(kind: str, out_dir: Path, kwargs: dict, profile_dump: dict) -> Path:
    """Write a launch spec: ``kind`` (``grpo``/``sft``), JSON-able ``kwargs`` (paths as str,
    configs as dicts), ``records`` to ``records.jsonl``, and the resolved profile.

    Returns:
        The spec's path, ``<out_dir>/launch_spec.json``.
    """

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

    cur = backends.current()
    if cur.profile is None:
        raise ValueError("runtime.num_processes > 1 needs a profile: open the stage with Stage.open first")
    spec = write_spec(kind, out_dir, kwargs, cur.profile.model_dump(mode="json"))
    cmd = launch_command(spec, cur.runtime.num_processes, cur.runtime.accelerate_config)
    print("launching:", shlex.join(cmd), flush=True)
    subprocess.run(cmd, check=True, env={**os.environ, LAUNCHED_ENV: "1"})
    return json.loads(Path(json.loads(spec.read_text())["result"]).read_text())
