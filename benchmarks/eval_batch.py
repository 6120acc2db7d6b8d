"""Seconds to sample a benchmark at several ``evaluation.batch_size`` values, same checkpoint.

Usage:  python benchmarks/eval_batch.py CHECKPOINT PROBLEMS.jsonl [--sizes 256,512,1024,3200]
                                        [--k 16] [--max-new-tokens 96]
        python benchmarks/eval_batch.py CHECKPOINT PROBLEMS.jsonl --parts [--profile micro]

``--parts``: one stage-07 job instead (one checkpoint on one thread, as 07's workers run it):
seconds for each benchmark of the profile at its k, limit and batch size, and for micro_test's
greedy pass; the real benchmarks come from the profile's data root.

For the micro profile: ``results/<run>/04_rejection_sampling_sft/checkpoint`` and
``00_base_model/micro_test.jsonl`` (200 problems x k = 16 = 3,200 samples, as stage 07). Prints
one JSON line per size: seconds, pass@1 and mean length (the samples differ between sizes: the
sampling RNG is drawn per ``generate`` call, so pass@1 moves within its sampling noise).
"""

from __future__ import annotations

import argparse
import json
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


def parts(checkpoint: str, test_problems: str, profile: str) -> None:
    """Seconds per part of one 07 job (``--parts``), one line each."""
    torch.set_num_threads(1)  # as a 07 worker (r1lib.engine.parallel)
    cfg = load_profile(profile)
    ev = cfg.evaluation
    model, tok = load_policy(checkpoint)
    for name, b in ev.benchmarks.items():
        if name in ("micro_test", "heldout"):
            recs = read_jsonl(test_problems)[: b.limit]
        else:
            lang = benchmarks.benchmark_language(name)
            recs = [{**r, "language": lang} for r in benchmarks.load_benchmark(name, cfg.data_root, limit=b.limit)]
        t = time.perf_counter()
        row, _ = evaluate_benchmark(model, tok, "checkpoint", name, recs, b.k, b.max_new_tokens, ev.temperature,
                                    ev.top_p, ev.batch_size, ev.max_prompt_tokens, seed=cfg.seed)
        print(json.dumps({"part": name, "n": len(recs), "k": b.k, "s": round(time.perf_counter() - t, 2),
                          "pass@1": row["pass@1"]}), flush=True)
        if name in ("micro_test", "heldout") and ev.greedy:
            t = time.perf_counter()
            evaluate_benchmark(model, tok, "checkpoint", name, recs, 1, b.max_new_tokens, greedy=True,
                               batch_size=ev.batch_size, max_prompt_tokens=ev.max_prompt_tokens)
            print(json.dumps({"part": "greedy", "n": len(recs), "s": round(time.perf_counter() - t, 2)}), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("problems")
    ap.add_argument("--sizes", default="256,512,1024,3200")
    ap.add_argument("--k", type=int, default=16)
    ap.add_argument("--max-new-tokens", type=int, default=96)
    ap.add_argument("--parts", action="store_true", help="time each part of one stage-07 job instead")
    ap.add_argument("--profile", default="micro", help="with --parts: the profile whose evaluation to time")
    a = ap.parse_args()
    if a.parts:
        return parts(a.checkpoint, a.problems, a.profile)
    ev = load_profile("micro").evaluation  # stage 07's temperature, top-p and prompt budget
    model, tok = load_policy(a.checkpoint)
    recs = read_jsonl(a.problems)
    for bs in map(int, a.sizes.split(",")):
        t = time.perf_counter()
        row, _ = evaluate_benchmark(model, tok, "checkpoint", "micro_test", recs, a.k, a.max_new_tokens,
                                    ev.temperature, ev.top_p, bs, ev.max_prompt_tokens, seed=0)
        print(json.dumps({"batch_size": bs, "s": round(time.perf_counter() - t, 2), "threads": torch.get_num_threads(),
                          "pass@1": row["pass@1"], "mean_length": row["mean_length"]}), flush=True)


if __name__ == "__main__":
    main()
