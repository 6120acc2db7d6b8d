"""The ``r1`` command: ``r1 report RUN_DIR``, ``r1 claims RUN_DIR`` and ``r1 preflight --profile P [--stage S]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from r1lib.core.records import read_jsonl
from r1lib.engine import backends
from r1lib.machinery.config import load_profile
from r1lib.machinery.pipeline import parse_sets
from r1lib.machinery.report import write_report
from r1lib.machinery.rundir import complete_metrics, default_run_dir, read_stage
from r1lib.recipe import claims, preflight, templates
from r1lib.recipe.models import use_prompt_format

PREFLIGHT_STAGES = {  # RL stage -> (the stage whose checkpoint it starts from, its GRPO section,
    # its RL records from the train problems: the same call the stage's notebook makes)
    "01_r1_zero_grpo": ("00_base_model", lambda cfg: cfg.grpo, lambda train, cfg: templates.rl_records(train)),
    "03_reasoning_rl": ("02_cold_start", lambda cfg: cfg.reasoning_rl.grpo,
                        lambda train, cfg: templates.reasoning_rl_records(train, cfg.reasoning_rl, cfg.seed)),
}
"""The RL stages ``r1 preflight`` can sample without running anything else first."""


def _artifact(run_dir: Path, stage: str, key: str) -> Path:
    rec = read_stage(run_dir, stage)
    if not rec or rec.get("status") != "complete" or key not in rec.get("artifacts", {}):
        raise FileNotFoundError(f"{run_dir / stage}: no complete stage with a {key!r}; run it first "
                                f"(python -m r1lib.machinery.pipeline --stages {stage})")
    return run_dir / rec["artifacts"][key]


def stage_preflight(profile_name: str, stage: str, run_dir: str | None = None,
                    overrides: dict | None = None, n_prompts: int | None = None) -> dict | None:
    """:func:`r1lib.recipe.preflight.before_training` of ``stage``'s starting policy on its own
    RL prompts (the same records the stage builds), from the upstream stages of ``run_dir``: the
    figures (None when there are no prompts to sample), with a ``PreflightWarning`` below the
    profile's ``preflight_min_signal``.

    Raises:
        ValueError: ``stage`` is not in :data:`PREFLIGHT_STAGES`.
        FileNotFoundError: an upstream stage is not complete (the message names it).
    """
    if stage not in PREFLIGHT_STAGES:
        raise ValueError(f"r1 preflight supports {list(PREFLIGHT_STAGES)}, not {stage!r}")
    cfg = load_profile(profile_name, overrides)
    rd = Path(run_dir) if run_dir else default_run_dir(cfg.name)
    start_stage, section, build = PREFLIGHT_STAGES[stage]
    backends.use(cfg)
    use_prompt_format(cfg, rd)
    records = build(read_jsonl(_artifact(rd, "00_base_model", "train_problems")), cfg)
    return preflight.before_training(_artifact(rd, start_stage, "checkpoint"), records, section(cfg), cfg.seed,
                                     stage, cfg.model.backend, n_prompts=n_prompts)


def main(argv: list[str] | None = None) -> int:
    """``r1 report RUN_DIR [--out FILE]`` | ``r1 claims RUN_DIR`` (the study's bars, exit 1 when
    one is not held: :mod:`r1lib.recipe.claims`) | ``r1 preflight [--profile P] [--stage S] [--run-dir D]
    [--prompts N] [--set K=V]`` (prints one JSON line per stage)."""
    ap = argparse.ArgumentParser(prog="r1", description="r1-repro commands")
    sub = ap.add_subparsers(dest="command", required=True)
    rp = sub.add_parser("report", help="write results/<run>/report.html from a run's files")
    rp.add_argument("run_dir")
    rp.add_argument("--out", default=None)
    cl = sub.add_parser("claims", help="check a micro run against the study's bars (exit 1 if one fails)")
    cl.add_argument("run_dir")
    pf = sub.add_parser("preflight", help="sample an RL stage's starting policy: is there a GRPO signal?")
    pf.add_argument("--profile", default="micro")
    pf.add_argument("--stage", action="append", default=None, choices=list(PREFLIGHT_STAGES),
                    help="repeatable; default: every stage whose upstream is complete")
    pf.add_argument("--run-dir", default=None, help="default: results/<profile>")
    pf.add_argument("--prompts", type=int, default=None, help="default: grpo.preflight_prompts")
    pf.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    a = ap.parse_args(argv)
    if a.command == "report":
        print(write_report(a.run_dir, a.out))
        return 0
    if a.command == "claims":
        try:
            results = claims.check(complete_metrics(a.run_dir))
        except FileNotFoundError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(claims.format_table(results))
        return 0 if all(r.held for r in results) else 1
    overrides = parse_sets(a.set)
    stages = a.stage or list(PREFLIGHT_STAGES)
    for st in stages:
        try:
            out = stage_preflight(a.profile, st, a.run_dir, overrides, a.prompts)
        except FileNotFoundError as e:
            if a.stage:
                print(f"error: {e}", file=sys.stderr)
                return 1
            print(f"{st}: skipped ({e})", file=sys.stderr)
            continue
        print(json.dumps({"stage": st, **(out or {"prompts": 0})}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
