"""Where a run's reward models err: held-out pairwise accuracy of stage 05's two RMs by the kind
of prompt (``source``) and of rejected answer (``rejected_kind``) of each pair (micro source).

Usage: python benchmarks/rm_heldout_by_kind.py RUN_DIR [--profile micro]

Rebuilds the held-out pairs exactly as 05 does (``source.preference_pairs``, split by prompt),
loads ``05_all_scenario_rl/rm_{helpfulness,harmlessness}`` from RUN_DIR (the checkpoints are
not committed: a run directory of your own) and scores each pair as 05 does (the part each RM
reads, cut at its ``max_length``).
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from r1lib.engine import backends
from r1lib.machinery.config import load_profile
from r1lib.recipe import reward_models
from r1lib.sources.registry import open_source

PARTS = {"helpfulness": "summary", "harmlessness": "whole"}  # what each RM reads (§2.3.4)


def by_kind(run_dir: Path, profile: str = "micro") -> dict[str, dict[tuple[str, str], tuple[int, float]]]:
    """``{rm: {(source, rejected_kind): (pairs, accuracy)}}`` plus ``("all", "all")`` per RM.

    Raises:
        FileNotFoundError: the run has no trained reward model.
    """
    cfg = load_profile(profile)
    backends.use(cfg)
    src, al = open_source(cfg), cfg.all_scenario_rl
    out = {}
    for kind, part in PARTS.items():
        path = run_dir / "05_all_scenario_rl" / f"rm_{kind}"
        if not path.exists():
            raise FileNotFoundError(f"{path} does not exist: run stage 05 into {run_dir} first")
        _, heldout = src.preference_pairs(kind, al.test_frac)
        model, tok = reward_models.load_reward_model(path)
        cut = al.reward_model_config(kind).max_length
        hits = defaultdict(list)
        for pair in reward_models.wrap_pairs(heldout):
            acc = reward_models.pairwise_accuracy(model, tok, [pair], part=part, max_length=cut)
            hits[(pair["source"], pair.get("rejected_kind", "?"))].append(acc)
            hits[("all", "all")].append(acc)
        out[kind] = {k: (len(v), sum(v) / len(v)) for k, v in sorted(hits.items())}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--profile", default="micro")
    a = ap.parse_args()
    print("| reward model | prompt | rejected answer | held-out pairs | pairwise accuracy |")
    print("|---|---|---|---|---|")
    for rm, rows in by_kind(a.run_dir, a.profile).items():
        for (source, rejected), (n, acc) in rows.items():
            print(f"| {rm} | {source} | {rejected} | {n} | {acc:.3f} |")


if __name__ == "__main__":
    main()
