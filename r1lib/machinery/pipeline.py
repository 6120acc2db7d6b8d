"""Run a profile's notebooks in order with papermill: ``python -m r1lib.machinery.pipeline --profile micro``.

Each stage's executed notebook lands in ``results/<run>/<stage>/<stage>.ipynb``. A stage whose
``stage.json`` is complete with the same config hash (and whose artifacts exist) is skipped;
a stage below one that ran is re-run, since its inputs changed. Training inside a stage resumes
from its last checkpoint when the stage was interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from r1lib.core.paths import REPO_ROOT
from r1lib.machinery.config import STAGES, ConfigError, load_profile, stage_hash
from r1lib.machinery.rundir import default_run_dir, stage_is_complete, write_manifest

NOTEBOOKS = REPO_ROOT / "notebooks"


def plan(profile: str, run_dir: Path, stages: list[str] | None = None, force: bool = False,
         overrides: dict | None = None) -> list[tuple[str, bool]]:
    """Which stages run and which are skipped, in order: ``[(stage, will_run), …]``."""
    cfg = load_profile(profile, overrides)
    chosen = stages or list(STAGES)
    out, ran = [], set()
    for st in STAGES:
        if st not in chosen:
            continue
        upstream_ran = any(u in ran for u in STAGES[st]["upstream"] + STAGES[st].get("optional", []))
        run = force or upstream_ran or not stage_is_complete(run_dir, st, stage_hash(cfg, st))
        if run:
            ran.add(st)
        out.append((st, run))
    return out


def run(profile: str = "micro", run_dir: str | None = None, stages: list[str] | None = None,
        force: bool = False, overrides: dict | None = None, kernel: str = "python3") -> dict:
    """Execute the planned stages with papermill; returns ``{stage: seconds or "skipped"}``.

    Raises:
        ConfigError: invalid profile (before anything runs).
        papermill.PapermillExecutionError: a notebook failed; its partial output is saved in
            the stage folder for inspection, and the next run resumes from there.
    """
    import papermill as pm

    cfg = load_profile(profile, overrides)
    rd = Path(run_dir) if run_dir else default_run_dir(cfg.name)
    rd.mkdir(parents=True, exist_ok=True)
    write_manifest(rd, cfg)
    steps = plan(profile, rd, stages, force, overrides)
    report: dict = {}
    total = len(steps)
    for i, (st, will_run) in enumerate(steps, 1):
        if not will_run:
            print(f"[{i}/{total}] {st}: complete with the same config, skipped", flush=True)
            report[st] = "skipped"
            continue
        print(f"[{i}/{total}] {st}: running …", flush=True)
        t0 = time.perf_counter()
        (rd / st).mkdir(parents=True, exist_ok=True)
        pm.execute_notebook(
            str(NOTEBOOKS / f"{st}.ipynb"), str(rd / st / f"{st}.ipynb"),
            parameters={"profile": profile, "run_dir": str(rd),
                        "overrides": json.dumps(overrides or {})},
            kernel_name=kernel, progress_bar=False, cwd=str(NOTEBOOKS),
        )
        report[st] = round(time.perf_counter() - t0, 1)
        print(f"[{i}/{total}] {st}: done in {report[st]} s", flush=True)
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="micro", help="params/<profile>.yaml (default: micro)")
    ap.add_argument("--run-dir", default=None, help="default: results/<profile>")
    ap.add_argument("--stages", default=None,
                    help=f"comma-separated subset of {','.join(STAGES)} (default: all)")
    ap.add_argument("--force", action="store_true", help="re-run even complete stages")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="override a profile value, e.g. --set grpo.steps=20 (YAML value)")
    ap.add_argument("--dry-run", action="store_true", help="print the plan and exit")
    a = ap.parse_args(argv)
    overrides: dict = {}
    import yaml

    for item in a.set:
        key, _, val = item.partition("=")
        node = overrides
        parts = key.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = yaml.safe_load(val)
    stages = a.stages.split(",") if a.stages else None
    if stages:
        bad = [s for s in stages if s not in STAGES]
        if bad:
            print(f"error: unknown stage(s) {bad}; known: {list(STAGES)}", file=sys.stderr)
            return 2
    try:
        rd = Path(a.run_dir) if a.run_dir else default_run_dir(load_profile(a.profile).name)
        if a.dry_run:
            for st, will in plan(a.profile, rd, stages, a.force, overrides):
                print(f"{st}: {'run' if will else 'skip'}")
            return 0
        t0 = time.perf_counter()
        report = run(a.profile, a.run_dir, stages, a.force, overrides)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"pipeline finished in {time.perf_counter() - t0:.1f} s: {report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
