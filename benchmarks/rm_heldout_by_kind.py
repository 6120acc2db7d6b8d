"""Where a run's reward models err: held-out pairwise accuracy of stage 05's two RMs by the kind
of prompt (``source``) and of rejected answer (``rejected_kind``) of each pair (micro source).

Usage: python benchmarks/rm_heldout_by_kind.py RUN_DIR [--profile micro]
                                             [--train OUT [--seed S] [--kinds helpfulness,...]]

Rebuilds the held-out pairs exactly as 05 does (``source.preference_pairs``, split by prompt),
loads ``05_all_scenario_rl/rm_{helpfulness,harmlessness}`` from RUN_DIR (the checkpoints are
not committed: a run directory of your own) and scores each pair as 05 does (the part each RM
reads, cut at its ``max_length``). With ``--train OUT`` it first trains the reward models into
OUT from RUN_DIR's ``04_rejection_sampling_sft/checkpoint`` as 05 does, with training seed S
(head initialisation and data order; the split keeps the profile's seed): one RM's seed-to-seed
spread without re-running 05.
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


def by_kind(run_dir: Path, profile: str = "micro", train_to: Path | None = None, seed: int | None = None,
            kinds: tuple[str, ...] = tuple(PARTS)) -> dict[str, dict[tuple[str, str], tuple[int, float]]]:
    """``{rm: {(source, rejected_kind): (pairs, accuracy)}}`` plus ``("all", "all")`` per RM.

    ``train_to``: train the RMs there first (from RUN_DIR's 04 checkpoint, training seed ``seed``,
    default the profile's) instead of loading 05's.

    Raises:
        FileNotFoundError: the run has no trained reward model (or no 04 checkpoint to train from).
    """
    cfg = load_profile(profile)
    backends.use(cfg)
    src, al = open_source(cfg), cfg.all_scenario_rl
    out = {}
    for kind in kinds:
        part = PARTS[kind]
        train, heldout = src.preference_pairs(kind, al.test_frac)
        if train_to is None:
            path = run_dir / "05_all_scenario_rl" / f"rm_{kind}"
        else:
            base, path = run_dir / "04_rejection_sampling_sft" / "checkpoint", train_to / f"rm_{kind}"
            if not base.exists():
                raise FileNotFoundError(f"{base} does not exist: run stage 04 into {run_dir} first")
            reward_models.train_reward_model(base, reward_models.wrap_pairs(train), al.reward_model_config(kind), path,
                                             cfg.seed if seed is None else seed,
                                             train_to / f"metrics_rm_{kind}.jsonl", part=part)
        if not path.exists():
            raise FileNotFoundError(f"{path} does not exist: run stage 05 into {run_dir} first")
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
    ap.add_argument("--train", type=Path, help="train the RMs into this folder from RUN_DIR's 04 checkpoint")
    ap.add_argument("--seed", type=int, help="training seed with --train (default: the profile's)")
    ap.add_argument("--kinds", default=",".join(PARTS), help="comma-separated reward models")
    a = ap.parse_args()
    print("| reward model | prompt | rejected answer | held-out pairs | pairwise accuracy |")
    print("|---|---|---|---|---|")
    for rm, rows in by_kind(a.run_dir, a.profile, a.train, a.seed, tuple(a.kinds.split(","))).items():
        for (source, rejected), (n, acc) in rows.items():
            print(f"| {rm} | {source} | {rejected} | {n} | {acc:.3f} |")


if __name__ == "__main__":
    main()
