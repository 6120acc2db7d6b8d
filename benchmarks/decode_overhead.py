"""How much of a micro decoding step is the model, and whether torch.compile speeds its training.

Usage:  python benchmarks/decode_overhead.py CHECKPOINT [--batches 32,128,256] [--new 96]
                                              [--compile] [--out PATH]

For each batch of ``B`` prompts (22 tokens, the micro R1-Zero prompt's length), three times per
new token, in milliseconds:

* ``generate_ms``: ``model.generate`` as :func:`r1lib.recipe.generation.sample` calls it
  (``do_sample``, temperature 1, ``top_p`` 0.95, ``top_k`` 0, dynamic KV cache, early stop off);
* ``forward_ms``: the model's own forward of one token per sequence over the KV cache;
* ``forward_sample_ms``: that forward plus nucleus sampling of the next token (softmax, sort,
  cumulative-sum cut at 0.95, ``multinomial``), the least a sampling loop must do.

``generate_ms - forward_sample_ms`` is what transformers' generation loop adds per step (logits
processors, stopping criteria, mask and cache bookkeeping).

With ``--compile`` it also times one pretraining step (16 x 256 tokens, forward, backward, AdamW),
eager and under ``torch.compile`` (the Trainer's ``torch_compile=True``), median of 15 after 5.

Writes JSON (default ``benchmarks/results/decode_overhead.json``).
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from r1lib.recipe.models import load_policy  # noqa: E402

PROMPT_TOKENS = 22  # "Compute 7+5-3+8-2+1" in the R1-Zero template, micro tokenizer


def _per_step_ms(fn, steps: int) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) / steps * 1e3


def nucleus_sample(logits: torch.Tensor, top_p: float = 0.95) -> torch.Tensor:
    """One token per row of ``logits`` ``[B, V]`` by nucleus sampling (temperature 1); ``[B, 1]``."""
    probs = torch.softmax(logits, dim=-1)
    sorted_p, idx = probs.sort(dim=-1, descending=True)
    keep = sorted_p.cumsum(-1) - sorted_p < top_p
    sorted_p = sorted_p * keep
    choice = torch.multinomial(sorted_p, 1)
    return idx.gather(-1, choice)


def decode(model, batch: int, new: int) -> dict:
    """The three per-token times above for ``batch`` sequences and ``new`` tokens."""
    vocab = model.config.vocab_size
    x = torch.randint(2, vocab, (batch, PROMPT_TOKENS))
    kw = dict(do_sample=True, temperature=1.0, top_p=0.95, top_k=0, max_new_tokens=new,
              min_new_tokens=new, pad_token_id=0, eos_token_id=model.config.eos_token_id)

    def loop(sample: bool):
        out = model(x, use_cache=True)
        pkv, nxt = out.past_key_values, x[:, -1:]
        for _ in range(new):
            out = model(nxt, past_key_values=pkv, use_cache=True)
            pkv = out.past_key_values
            nxt = nucleus_sample(out.logits[:, -1]) if sample else nxt

    with torch.no_grad():
        model.generate(x, **kw)  # warm-up
        row = {"batch": batch,
               "generate_ms": _per_step_ms(lambda: model.generate(x, **kw), new),
               "forward_ms": _per_step_ms(lambda: loop(False), new),
               "forward_sample_ms": _per_step_ms(lambda: loop(True), new)}
    row = {k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}
    row["generation_loop_share"] = round(1 - row["forward_sample_ms"] / row["generate_ms"], 3)
    return row


def train_step_ms(model, compiled: bool, steps: int = 20) -> float:
    """Median ms of a pretraining step (16 x 256 tokens, AdamW), eager or ``torch.compile``d."""
    m = torch.compile(model) if compiled else model
    m.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
    x = torch.randint(2, model.config.vocab_size, (16, 256))
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        m(input_ids=x, labels=x).loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t)
    model.eval()
    return round(statistics.median(times[5:]) * 1e3, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--batches", default="32,128,256")
    ap.add_argument("--new", type=int, default=96)
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "decode_overhead.json"))
    args = ap.parse_args()
    torch.manual_seed(0)
    model, _ = load_policy(args.checkpoint, backend="hf", device="cpu", dtype="float32")
    model.eval()
    rows = []
    for b in map(int, args.batches.split(",")):
        rows.append(decode(model, b, args.new))
        print(json.dumps(rows[-1]), flush=True)
    out = {"checkpoint": args.checkpoint, "machine": platform.processor() or platform.machine(),
           "cpus": os.cpu_count(), "threads": torch.get_num_threads(), "torch": torch.__version__,
           "decode": rows}
    if args.compile:
        out["train_step_ms"] = {"eager": train_step_ms(model, False), "compiled": train_step_ms(model, True)}
        print(json.dumps(out["train_step_ms"]), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
