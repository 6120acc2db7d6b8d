"""Where a run's time went: each stage's wall time and its phases, from the run's stage.json files.

Usage: python benchmarks/stage_profile.py [RUN_DIR] [--out benchmarks/results/stage_profile.md]

``timings.wall`` is the stage's whole time as the pipeline measured it (kernel start-up and
notebook writing included); ``timings.phases`` the seconds the stage's processes spent training,
generating, verifying, scoring with reward models and loading models (r1lib.core.timing; with
parallel jobs these are summed over processes). "other" = wall − the notebook process's phases
(imports, data, plots, kernel start-up; negative when parallel workers overlap).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from r1lib.core.timing import PHASES


def profile(run_dir: Path) -> list[dict]:
    """One row per stage with ``wall``, each phase, and ``other`` (seconds)."""
    rows = []
    for path in sorted(run_dir.glob("[0-9][0-9]_*/stage.json")):
        t = json.loads(path.read_text()).get("timings", {})
        ph = t.get("phases", {})
        row = {"stage": path.parent.name, "wall": t.get("wall", float("nan"))}
        row.update({p: ph.get(p, 0.0) for p in PHASES})
        row["other"] = round(row["wall"] - sum(ph.values()), 1)
        rows.append(row)
    return rows


def to_markdown(rows: list[dict]) -> str:
    cols = ["stage", "wall", *PHASES, "other"]
    total = {"stage": "total", **{c: round(sum(r[c] for r in rows), 1) for c in cols[1:]}}
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in [*rows, total]:
        lines.append("| " + " | ".join(str(r[c]) if c == "stage" else f"{r[c]:.1f}" for c in cols) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", nargs="?", default="results/micro")
    ap.add_argument("--out", default=None, help="write the table here (markdown) as well")
    a = ap.parse_args()
    table = to_markdown(profile(Path(a.run_dir)))
    print(table)
    if a.out:
        Path(a.out).write_text(f"# Seconds per stage and phase: {a.run_dir}\n\n{table}")


if __name__ == "__main__":
    main()
