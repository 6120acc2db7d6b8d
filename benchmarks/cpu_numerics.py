"""Does this machine compute what the reference run computed? The first pretraining steps of
stage 00, compared loss by loss with a committed run's ``00_base_model/metrics.jsonl``.

Usage: python benchmarks/cpu_numerics.py [--steps 100] [--reference results/micro]
                                         [--env ATEN_CPU_CAPABILITY=avx2 --env MKL_CBWR=AVX2 ...]

The same seed and code give different micro studies on different CPU types (README, "Measured":
an Intel Xeon and an AMD EPYC agree to the last printed digit of the loss for 30 steps, differ in
the 7th digit at step 40, and end in different R1-Zero policies). This runs the real stage 00
(``python -m r1lib --profile micro --stages 00_base_model``, in a scratch run directory, with the
given environment variables: torch's ``ATEN_CPU_CAPABILITY``, MKL's ``MKL_CBWR``, oneDNN's
``ONEDNN_MAX_CPU_ISA`` choose which vector kernels run), stops it after ``--steps`` optimizer
steps, and prints the first logged step whose loss differs from the reference, with the CPU
and the vector kernels the stage's torch used (its manifest's ``hardware.cpu_capability``).
Two machines whose lines agree on every step under the same variables compute the same study.
Seconds per step come from the run's own log (compare them on one machine only).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from r1lib.engine.backends import cpu_info

ROOT = Path(__file__).resolve().parent.parent


def _losses(path: Path) -> dict[int, float]:
    out = {}
    if path.exists():
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            if "loss" in rec and "step" in rec:
                out[int(rec["step"])] = float(rec["loss"])
    return out


def probe(steps: int, reference: Path, env: dict[str, str], timeout_s: float = 1800) -> dict:
    """Run stage 00 until ``steps`` logged steps, then compare with ``reference``.

    Returns:
        ``{"cpu", "capability", "env", "steps", "first_diff", "max_rel_diff", "s_per_step"}``;
        ``first_diff`` is None when every compared loss is identical (all printed digits).

    Raises:
        FileNotFoundError: the reference has no ``00_base_model/metrics.jsonl``.
        TimeoutError: the stage did not reach ``steps`` within ``timeout_s`` seconds.
    """
    ref = _losses(reference / "00_base_model" / "metrics.jsonl")
    if not ref:
        raise FileNotFoundError(f"{reference / '00_base_model' / 'metrics.jsonl'}: no losses to compare with")
    run_dir = Path(tempfile.mkdtemp(prefix="cpu_numerics_"))
    metrics = run_dir / "00_base_model" / "metrics.jsonl"
    cmd = [sys.executable, "-m", "r1lib", "--profile", "micro", "--run-dir", str(run_dir), "--stages", "00_base_model"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    t0 = time.time()
    try:
        while max(_losses(metrics), default=0) < steps:
            if proc.poll() is not None:
                break
            if time.time() - t0 > timeout_s:
                raise TimeoutError(f"stage 00 did not reach step {steps} in {timeout_s:.0f} s")
            time.sleep(2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    got = _losses(metrics)
    rows = [json.loads(x) for x in metrics.read_text().splitlines()] if metrics.exists() else []
    manifest = run_dir / "manifest.json"  # written by the stage's process, under ``env``
    hw = json.loads(manifest.read_text())["hardware"] if manifest.exists() else {}
    shutil.rmtree(run_dir, ignore_errors=True)
    common = sorted(s for s in got if s in ref and s <= steps)
    first = next((s for s in common if got[s] != ref[s]), None)
    rel = max((abs(got[s] - ref[s]) / abs(ref[s]) for s in common), default=0.0)
    el = [r["elapsed_s"] for r in rows if "elapsed_s" in r and r.get("step", 0) <= steps]
    s_per_step = None
    if len(el) > 1 and len(common) > 1:
        s_per_step = round((el[-1] - el[0]) / (common[-1] - common[0]), 4)
    return {"cpu": cpu_info()["model"], "capability": hw.get("cpu_capability"),  # the stage's, under env
            "env": env, "steps": common[-1] if common else 0, "first_diff": first, "max_rel_diff": rel,
            "s_per_step": s_per_step, "losses": {s: got[s] for s in common}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--reference", type=Path, default=ROOT / "results" / "micro")
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE for the stage's process")
    a = ap.parse_args()
    env = dict(e.split("=", 1) for e in a.env)
    out = probe(a.steps, a.reference, env)
    losses = out.pop("losses")
    print(json.dumps(out))
    print("step  loss here          loss reference")
    ref = _losses(a.reference / "00_base_model" / "metrics.jsonl")
    for s, v in losses.items():
        print(f"{s:4d}  {v!r:18s} {ref[s]!r}{'' if v == ref[s] else '   <- differs'}")


if __name__ == "__main__":
    main()
