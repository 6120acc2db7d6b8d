"""Seconds per part of one stage-07 job: each benchmark of the profile, and micro_test's greedy pass.

Usage:  python benchmarks/eval_parts.py CHECKPOINT TEST_PROBLEMS.jsonl [--profile micro]

One checkpoint on one thread, as :func:`r1lib.recipe.evaluation.evaluate_checkpoint` runs it in
07's workers (``r1lib.engine.parallel``): ``TEST_PROBLEMS`` is 00's ``micro_test.jsonl``; the real
benchmarks are read from the profile's data root with the profile's limits. Prints one line per
part: problems, k, seconds, pass@1.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from r1lib.core.records import read_jsonl  # noqa: E402
from r1lib.machinery.config import load_profile  # noqa: E402
from r1lib.recipe.evaluation import evaluate_benchmark  # noqa: E402
from r1lib.recipe.models import load_policy  # noqa: E402
from r1lib.sources import benchmarks  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("test_problems")
    ap.add_argument("--profile", default="micro")
    a = ap.parse_args()
    torch.set_num_threads(1)  # as a 07 worker
    cfg = load_profile(a.profile)
    ev = cfg.evaluation
    model, tok = load_policy(a.checkpoint)
    for name, b in ev.benchmarks.items():
        if name in ("micro_test", "heldout"):
            recs = read_jsonl(a.test_problems)[: b.limit]
        else:
            lang = benchmarks.benchmark_language(name)
            recs = [{**r, "language": lang} for r in benchmarks.load_benchmark(name, cfg.data_root, limit=b.limit)]
        t = time.perf_counter()
        row, _ = evaluate_benchmark(model, tok, "x", name, recs, b.k, b.max_new_tokens, ev.temperature, ev.top_p,
                                    ev.batch_size, ev.max_prompt_tokens, seed=cfg.seed)
        print(f"{name:12s} n={len(recs):4d} k={b.k:3d} {time.perf_counter() - t:6.1f} s pass@1={row['pass@1']:.3f}",
              flush=True)
        if name in ("micro_test", "heldout") and ev.greedy:
            t = time.perf_counter()
            evaluate_benchmark(model, tok, "x", name, recs, 1, b.max_new_tokens, greedy=True,
                               batch_size=ev.batch_size, max_prompt_tokens=ev.max_prompt_tokens)
            print(f"{'greedy':12s} {time.perf_counter() - t:6.1f} s", flush=True)


if __name__ == "__main__":
    main()
