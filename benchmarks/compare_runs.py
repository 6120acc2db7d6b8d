"""Do two run directories hold the same study? Every metric of each stage's ``stage.json``, compared.

Usage: python benchmarks/compare_runs.py RUN_A RUN_B [--stages 05_all_scenario_rl,07_evaluation]
                                         [--show 10] [--out PATH]

Issue 15's identity check ("the same seed on two runs: every metric identical"). It flattens
each stage's ``metrics`` to dotted keys, leaves out wall-clock figures (keys ending in ``_s``
or ``_s_est``, and ``s_per_step``: they differ between any two runs), and counts the
metrics that are equal, differ, or exist in one run only. For each stage it prints the largest
differences, as ``key: A -> B``. Exit status 0 when every compared metric is equal, 1 otherwise.
Numbers compare exactly: the same seed on one machine reproduces to the last bit, so any
difference is a finding.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

WALL_CLOCK = re.compile(r"(_s|_s_est|s_per_step|s_per_step_est)$")  # train_s, tokens_per_s, stage_s_est, …


def flatten(obj, prefix: str = "") -> dict[str, object]:
    """``{"a": {"b": 1}, "c": [2, 3]}`` -> ``{"a.b": 1, "c.0": 2, "c.1": 3}``."""
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, list):
        items = enumerate(obj)
    else:
        return {prefix: obj}
    out: dict[str, object] = {}
    for k, v in items:
        out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    return out


def stage_metrics(run: Path, stage: str) -> dict[str, object]:
    """Flattened ``metrics`` of ``run/stage/stage.json``, wall-clock keys left out.

    Raises:
        FileNotFoundError: the stage has no ``stage.json`` in ``run`` (names the file).
    """
    path = run / stage / "stage.json"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no stage.json (did the stage run?)")
    flat = flatten(json.loads(path.read_text()).get("metrics", {}))
    return {k: v for k, v in flat.items() if not WALL_CLOCK.search(k.split(".")[-1])}


def _gap(a, b) -> float:
    try:
        return abs(float(a) - float(b))
    except (TypeError, ValueError):
        return float("inf")


def compare(run_a: Path, run_b: Path, stage: str) -> dict:
    """``{"stage", "metrics", "differ", "only_a", "only_b", "largest"}`` for one stage."""
    a, b = stage_metrics(run_a, stage), stage_metrics(run_b, stage)
    shared = sorted(set(a) & set(b))
    differ = [k for k in shared if a[k] != b[k]]
    largest = sorted(differ, key=lambda k: -_gap(a[k], b[k]))
    return {"stage": stage, "metrics": len(shared), "differ": len(differ),
            "only_a": sorted(set(a) - set(b)), "only_b": sorted(set(b) - set(a)),
            "largest": [(k, a[k], b[k]) for k in largest]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run_a", type=Path)
    ap.add_argument("run_b", type=Path)
    ap.add_argument("--stages", default="", help="comma-separated (default: every stage both runs hold)")
    ap.add_argument("--show", type=int, default=8, help="differences to print per stage")
    ap.add_argument("--out", type=Path, help="also write the report here")
    args = ap.parse_args(argv)
    stages = [s for s in args.stages.split(",") if s] or sorted(
        p.parent.name for p in args.run_a.glob("*/stage.json") if (args.run_b / p.parent.name / "stage.json").exists())
    lines = [f"# {args.run_a} against {args.run_b}: stage.json metrics, wall-clock ones left out"]
    total_differ = 0
    for stage in stages:
        r = compare(args.run_a, args.run_b, stage)
        total_differ += r["differ"] + len(r["only_a"]) + len(r["only_b"])
        lines.append(f"{stage}: {r['metrics']} metrics, {r['differ']} differ; "
                     f"only in A: {len(r['only_a'])}, only in B: {len(r['only_b'])}")
        lines += [f"    {k}: {va!r} -> {vb!r}" for k, va, vb in r["largest"][:args.show]]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.out:
        args.out.write_text(text)
    return 0 if total_differ == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
