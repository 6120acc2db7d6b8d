"""Sampling completions: transformers ``generate`` (the ``hf`` generation backend) or vLLM
(``runtime.generation: vllm``, through :mod:`r1lib.engine.backends`), with the same arguments.

Prompts longer than ``max_prompt_tokens`` keep their last tokens (the end of the template and
of the question, where ``Assistant:`` stands) and are counted, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from r1lib.core.progress import Progress
from r1lib.core.timing import timed
from r1lib.engine import backends


STATIC_CACHE_MAX_PARAMS = 20_000_000
"""The largest model for which :func:`cpu_cache` picks the static KV cache on the CPU: measured,
it saves 37 % of a micro model's (~1M parameters) decoding step, and costs SmolLM2-135M 20 % at
128 new tokens (74.7 s dynamic against 90.7 s static, benchmarks/results/smollm2_2026-12-02),
where the matrix multiplies, not the cache copies, dominate a step."""


def cpu_cache(device, n_params: int | None = None, autocast: bool = False) -> str | None:
    """The KV cache for ``generate`` on ``device`` for a model of ``n_params`` parameters:
    transformers' preallocated ``"static"`` cache for a small model on the CPU (the growing
    default cache copies itself at every token; greedy outputs are identical), the default cache
    for larger ones (over :data:`STATIC_CACHE_MAX_PARAMS`) and on a GPU (where a static cache
    invites transformers to compile the forward). ``n_params`` None: a small model. Under bf16
    ``autocast`` (``runtime.cpu_autocast``) always the default cache: the static one is allocated
    in the weights' fp32 and refuses bf16 keys and values."""
    small = n_params is None or n_params <= STATIC_CACHE_MAX_PARAMS
    return "static" if torch.device(device).type == "cpu" and small and not autocast else None


@dataclass
class Generations:
    """Output of ``sample``: ``texts[i][j]`` is sample j of prompt i, ``lengths`` likewise in
    tokens; ``n_truncated`` prompts were cut to fit."""

    texts: list[list[str]]
    lengths: list[list[int]]
    n_truncated: int


def encode_prompts(tok, prompts: list[str], max_prompt_tokens: int) -> tuple[list[list[int]], int]:
    """Token ids of each prompt, left-truncated to ``max_prompt_tokens``.

    Returns:
        (ids per prompt, number of prompts that were truncated).
    """
    ids, n_trunc = [], 0
    for x in tok(prompts, add_special_tokens=False).input_ids:
        if len(x) > max_prompt_tokens:
            x, n_trunc = x[-max_prompt_tokens:], n_trunc + 1
        ids.append(x)
    return ids, n_trunc


@timed("generation")
@torch.no_grad()
def sample(model, tok, prompts: list[str], n: int = 1, temperature: float = 0.6,
           top_p: float = 0.95, max_new_tokens: int = 96, batch_size: int = 256,
           max_prompt_tokens: int = 384, seed: int = 0, greedy: bool = False) -> Generations:
    """Sample ``n`` completions per prompt.

    Args:
        model, tok: policy and tokenizer (left padding).
        prompts: full prompt strings (already templated).
        n: samples per prompt (``num_return_sequences``); forced to 1 when ``greedy``.
        temperature, top_p: nucleus sampling (paper §3: 0.6 and 0.95).
        max_new_tokens: generation budget per sample.
        batch_size: sequences per ``generate`` call (prompts per call = batch_size // n).
        max_prompt_tokens: longer prompts are left-truncated and counted.
        seed: torch seed, set once before the first batch (same seed, same samples on CPU).
        greedy: decode greedily instead of sampling.

    With ``runtime.cpu_autocast`` on a CPU, ``generate`` runs under bf16 autocast.

    Returns:
        ``Generations`` in prompt order.

    Source: transformers ``GenerationMixin.generate``; with ``runtime.generation: vllm``,
    vLLM ``LLM.generate`` with ``SamplingParams(n=n)`` (:func:`r1lib.engine.backends.vllm_sample`).
    """
    n = 1 if greedy else n
    ids, n_trunc = encode_prompts(tok, prompts, max_prompt_tokens)

    if backends.current().runtime.generation == "vllm":
        params = backends.vllm_sampling_params(n, temperature, top_p, max_new_tokens, seed, greedy)
        outs = backends.vllm_sample(model, tok, ids, params)
        return Generations([o[0] for o in outs], [o[1] for o in outs], n_trunc)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # similar lengths batch together
    per_call = max(1, batch_size // n)
    texts: list[list[str]] = [[] for _ in prompts]
    lengths: list[list[int]] = [[] for _ in prompts]
    device = next(model.parameters()).device
    # runtime.cpu_autocast: bf16 matmuls over the fp32 weights (SmolLM2-135M: prefill 3.3x, decoding
    # 1.3x faster on an avx512_bf16 CPU, benchmarks/results/smollm2_2026-12-02); samples differ from fp32's
    autocast = device.type == "cpu" and backends.cpu_autocast()  # only on a CPU with native bf16
    torch.manual_seed(seed)
    eos = [tok.eos_token_id]
    bar = Progress(len(prompts) * n, "sampling", unit="sample") if len(order) > per_call else None
    for s in range(0, len(order), per_call):
        chunk = order[s:s + per_call]
        width = max(len(ids[i]) for i in chunk)
        input_ids = torch.full((len(chunk), width), tok.pad_token_id, dtype=torch.long)
        attn = torch.zeros((len(chunk), width), dtype=torch.long)
        for r, i in enumerate(chunk):
            input_ids[r, width - len(ids[i]):] = torch.tensor(ids[i])
            attn[r, width - len(ids[i]):] = 1
        kw = dict(do_sample=False) if greedy else dict(do_sample=True, temperature=temperature,
                                                        top_p=top_p, top_k=0)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            out = model.generate(input_ids=input_ids.to(device), attention_mask=attn.to(device),
                                 max_new_tokens=max_new_tokens, num_return_sequences=n,
                                 pad_token_id=tok.pad_token_id, eos_token_id=eos,
                                 cache_implementation=cpu_cache(device, model.num_parameters(), autocast), **kw)
        gen = out[:, width:].cpu()
        for r in range(gen.shape[0]):
            i = chunk[r // n]
            row = gen[r]
            stop = (row == tok.eos_token_id) | (row == tok.pad_token_id)
            length = int(stop.int().argmax()) if stop.any() else row.shape[0]
            texts[i].append(tok.decode(row[:length], skip_special_tokens=True))
            lengths[i].append(length)
        if bar is not None:
            bar.update(gen.shape[0])
    if bar is not None:
        bar.close()
    return Generations(texts, lengths, n_trunc)
