"""Two threads in one job, or two jobs of one thread each? The micro model on this machine's cores.

Usage: python benchmarks/parallel_jobs.py [--out benchmarks/results/parallel_jobs.json]

Measures, for the micro model's shape (Qwen2, 128 wide, 4 layers, vocabulary 1024, random
weights), sampling 32 sequences x 96 new tokens (a GRPO step's rollouts) and one forward +
backward over 32 x 136 tokens, with 1 and with 2 torch threads; then two sampling jobs one
after the other with 2 threads against the same two jobs side by side in two processes of one
thread (``r1lib.engine.parallel.run_jobs``). Run it alone: a neighbouring job on the same cores
distorts every figure.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from r1lib.engine.parallel import Job, run_jobs

B, PROMPT, NEW = 32, 40, 96


def _model():
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    cfg = Qwen2Config(vocab_size=1024, hidden_size=128, num_hidden_layers=4, num_attention_heads=4,
                      num_key_value_heads=4, intermediate_size=320, max_position_embeddings=512,
                      tie_word_embeddings=True)
    return Qwen2ForCausalLM(cfg).eval()


def sample_seconds(reps: int = 2) -> float:
    """Seconds to sample B x NEW tokens (best of ``reps``), with the static cache as r1lib does."""
    m = _model()
    ids = torch.randint(5, 1000, (B, PROMPT))
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        with torch.no_grad():
            m.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=NEW, min_new_tokens=NEW,
                       do_sample=True, top_k=0, pad_token_id=0, cache_implementation="static")
        best = min(best, time.perf_counter() - t)
    return best


def train_step_seconds(reps: int = 3) -> float:
    """Seconds of one forward + backward over B x (PROMPT + NEW) tokens (mean of ``reps``)."""
    m = _model().train()
    x = torch.randint(5, 1000, (B, PROMPT + NEW))
    m(input_ids=x, labels=x).loss.backward()
    t = time.perf_counter()
    for _ in range(reps):
        m(input_ids=x, labels=x).loss.backward()
    return (time.perf_counter() - t) / reps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    out = {"shape": {"batch": B, "prompt_tokens": PROMPT, "new_tokens": NEW}, "cores": torch.get_num_threads()}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        out[f"sample_s_{threads}_threads"] = round(sample_seconds(), 3)
        out[f"train_step_s_{threads}_threads"] = round(train_step_seconds(), 3)
    torch.set_num_threads(2)
    t = time.perf_counter()
    sample_seconds(1), sample_seconds(1)
    out["two_samplings_sequential_2_threads_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    run_jobs([Job(sample_seconds, (1,)), Job(sample_seconds, (1,))])
    out["two_samplings_parallel_1_thread_each_s"] = round(time.perf_counter() - t, 2)  # incl. ~5 s start-up
    print(json.dumps(out, indent=2))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(out, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
