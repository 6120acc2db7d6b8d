"""Seconds to sample a benchmark at several ``evaluation.batch_size`` values, same checkpoint.

Usage:  python benchmarks/eval_batch.py CHECKPOINT PROBLEMS.jsonl [--sizes 256,512,1024,3200]
                                        [--k 16] [--max-new-tokens 96]

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("problems")
    ap.add_argument("--sizes", default="256,512,1024,3200")
    ap.add_argument("--k", type=int, default=16)
    ap.add_argument("--max-new-tokens", type=int, default=96)
    a = ap.parse_args()
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
