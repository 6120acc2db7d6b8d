"""Execution backends selected by the profile: model loading, generation, GRPO rollouts, GPUs.

* model: ``model.backend`` = ``hf`` (transformers ``AutoModelForCausalLM``, CPU or GPU) or
  ``unsloth`` (``FastLanguageModel.from_pretrained`` with Unsloth's kernels; LoRA or full
  fine-tuning, 4-bit optional, ``fast_inference`` with vLLM inside).
* generation (evaluation, rejection sampling, distillation): ``runtime.generation`` = ``hf``
  (``generate``) or ``vllm`` (``LLM.generate`` with ``SamplingParams(n=k)``).
* GRPO rollouts: ``runtime.grpo_vllm`` = ``off``, ``colocate`` (vLLM in the training process,
  one GPU) or ``server`` (``trl vllm-serve`` on its own GPU; several training GPUs).
* several GPUs: ``runtime.num_processes`` > 1 launches training with ``accelerate launch`` and
  the accelerate/DeepSpeed config named by ``runtime.accelerate_config`` (see
  :mod:`r1lib.engine.launcher`).

Nothing GPU-only is imported at module level: ``unsloth`` and ``vllm`` are imported when a
profile asks for them, and a missing package raises :class:`MissingBackendError`, which names the
extra to install. :func:`use` sets the backend of the current process (``Stage.open`` calls it
with the profile's settings), so notebooks never pass backends around.
"""

from __future__ import annotations

import functools
import importlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from r1lib.core.profile import Profile, RuntimeConfig

GPU_EXTRA = 'pip install -e ".[gpu]"'


class MissingBackendError(ImportError):
    """A backend's package is not installed; the message names the extra to install."""


def require(module: str, why: str):
    """Import ``module`` or raise :class:`MissingBackendError` naming the GPU extra.

    Args:
        module: e.g. ``"unsloth"``, ``"vllm"``.
        why: the profile setting that needs it, e.g. ``"model.backend: unsloth"``.

    Returns:
        The imported module.
    """
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingBackendError(
            f"{why} needs the `{module}` package, which is not installed ({e}); on a CUDA machine "
            f"install the GPU extra: {GPU_EXTRA} (unsloth, vllm), or use the hf backends") from e


@dataclass
class Backend:
    """The backends of the current process (set by :func:`use`)."""

    model: str = "hf"
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)
    seed: int = 0
    profile: Profile | None = None  # the resolved profile (handed to launched processes)


_CURRENT = Backend()


def use(profile: Profile) -> Backend:
    """Select the backends for this process from a profile's ``model`` and ``runtime`` sections.

    Returns:
        The new :class:`Backend`. ``vllm`` is imported when first needed; ``unsloth`` at once
        when the profile names it (its patches must precede transformers' and TRL's use).

    Raises:
        MissingBackendError: ``model.backend: unsloth`` without the package.
    """
    global _CURRENT
    _CURRENT = Backend(profile.model.backend, profile.runtime, profile.seed, profile)
    if profile.model.backend == "unsloth":
        # Unsloth patches transformers and TRL on import, so it must come before either is used
        require("unsloth", "model.backend: unsloth")
    return _CURRENT


def current() -> Backend:
    """The backends selected by :func:`use` (default: hf everywhere, CPU defaults)."""
    return _CURRENT


CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16")
"""CPU instruction-set flags (Linux ``/proc/cpuinfo``) with native bf16 matmuls."""


@functools.cache
def cpu_info(cpuinfo: str = "/proc/cpuinfo") -> dict:
    """This CPU's model name and instruction-set flags, from Linux's ``cpuinfo``: ``{"model":
    str or None, "flags": tuple of str}``; ``{"model": None, "flags": ()}`` where it cannot be
    read (not Linux). The CPU type decides a micro run's numbers (README, "Measured"), so the
    manifest records it."""
    try:
        lines = Path(cpuinfo).read_text().splitlines()
    except OSError:
        return {"model": None, "flags": ()}
    def field(name: str) -> str | None:  # the first processor's line ``name : value``
        return next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith(name)), None)

    return {"model": field("model name"), "flags": tuple((field("flags") or "").split())}


def cpu_has_bf16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether this CPU multiplies bf16 natively (one of :data:`CPU_BF16_FLAGS` in
    :func:`cpu_info`); False where ``cpuinfo`` cannot be read."""
    return any(f in cpu_info(cpuinfo)["flags"] for f in CPU_BF16_FLAGS)


class AutocastIgnoredWarning(UserWarning):
    """``runtime.cpu_autocast`` asked for on a CPU without native bf16: fp32 instead."""


@functools.cache
def _warn_no_bf16() -> None:
    warnings.warn("runtime.cpu_autocast is on, but this CPU has no bf16 instructions (none of "
                  f"{', '.join(CPU_BF16_FLAGS)}): bf16 autocast would be about 27x slower than fp32 here "
                  "(a 576x1536 linear layer, forward + backward, on an AVX2 AMD EPYC), so this process "
                  "runs in fp32 (its samples and losses differ from a bf16 machine's). Set "
                  "runtime.cpu_autocast: false for this machine to silence this",
                  AutocastIgnoredWarning, stacklevel=3)


def cpu_autocast(rt: RuntimeConfig | None = None) -> bool:
    """Whether CPU work runs under bf16 autocast: ``runtime.cpu_autocast`` (default: the
    current backend's), and only on a CPU with native bf16 (:func:`cpu_has_bf16`); asked for
    without it, an :class:`AutocastIgnoredWarning` once per process and False.

    Source: measured, ``benchmarks/results/smollm2_2026-12-02`` (avx512_bf16: training 1.8x,
    prefill 3.3x faster) against the 2026-12-03 AVX2 machine (27x slower).
    """
    rt = rt if rt is not None else _CURRENT.runtime
    if not rt.cpu_autocast:
        return False
    if cpu_has_bf16():
        return True
    _warn_no_bf16()
    return False


# ------------------------------------------------------------------------------- Unsloth


def fast_inference(rt: RuntimeConfig) -> bool:
    """Whether Unsloth should load vLLM inside the model (``fast_inference=True``): when the
    profile generates or rolls out with vLLM on this GPU."""
    return rt.generation == "vllm" or rt.grpo_vllm == "colocate"


def unsloth_load_kwargs(path: str, rt: RuntimeConfig) -> dict:
    """Arguments of ``unsloth.FastLanguageModel.from_pretrained`` for a checkpoint and runtime.

    Returns:
        ``dict`` with ``model_name``, ``max_seq_length``, ``load_in_4bit``, ``full_finetuning``
        (no LoRA), ``fast_inference`` and, with vLLM, ``gpu_memory_utilization`` and
        ``max_lora_rank``; ``dtype`` None lets Unsloth pick bf16 where supported.

    Source: Unsloth ``FastLanguageModel.from_pretrained`` (GRPO notebooks' settings).
    """
    kw = dict(model_name=path, max_seq_length=rt.max_seq_length, load_in_4bit=rt.load_in_4bit,
              full_finetuning=rt.lora is None, fast_inference=fast_inference(rt),
              dtype=None if rt.dtype == "auto" else rt.dtype)
    if kw["fast_inference"]:
        kw["gpu_memory_utilization"] = rt.gpu_memory_utilization
        if rt.lora is not None:
            kw["max_lora_rank"] = rt.lora.r
    return kw


def unsloth_peft_kwargs(rt: RuntimeConfig, seed: int) -> dict:
    """Arguments of ``FastLanguageModel.get_peft_model`` (LoRA adapters).

    Raises:
        ValueError: the runtime has no ``lora`` section (full fine-tuning needs no adapters).
    """
    if rt.lora is None:
        raise ValueError("runtime.lora is not set: full fine-tuning needs no adapters")
    return dict(r=rt.lora.r, lora_alpha=rt.lora.alpha, lora_dropout=rt.lora.dropout,
                target_modules=list(rt.lora.target_modules), bias="none", random_state=seed,
                use_gradient_checkpointing="unsloth" if rt.gradient_checkpointing else False)


def load_unsloth(path: str, rt: RuntimeConfig, seed: int = 0):
    """Load a policy with Unsloth's kernels (LoRA adapters attached when ``runtime.lora``).

    Returns:
        (model, tokenizer), the tokenizer left-padded.

    Raises:
        MissingBackendError: unsloth is not installed.
    """
    unsloth = require("unsloth", "model.backend: unsloth")
    model, tok = unsloth.FastLanguageModel.from_pretrained(**unsloth_load_kwargs(path, rt))
    if rt.lora is not None and not hasattr(model, "peft_config"):  # an adapter folder loads with its LoRA
        model = unsloth.FastLanguageModel.get_peft_model(model, **unsloth_peft_kwargs(rt, seed))
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return model, tok


def patch_trl_for_unsloth() -> None:
    """Apply Unsloth's GRPO/SFT patches to TRL (``PatchFastRL``) before building a trainer."""
    unsloth = require("unsloth", "model.backend: unsloth")
    if hasattr(unsloth, "PatchFastRL"):
        unsloth.PatchFastRL("GRPO", unsloth.FastLanguageModel)


# ------------------------------------------------------------------------------- TRL mapping


def grpo_runtime_args(rt: RuntimeConfig, cuda: bool) -> dict:
    """The runtime part of TRL's ``GRPOConfig``: vLLM rollouts, precision, checkpointing.

    Returns:
        ``dict`` of TRL ``GRPOConfig`` fields: ``use_vllm`` and, when on, ``vllm_mode``
        (``colocate``/``server``), ``vllm_gpu_memory_utilization`` (colocate) or
        ``vllm_server_host``/``vllm_server_port`` (server); ``bf16`` on CUDA (unless the
        runtime says float32/float16) and, with ``runtime.cpu_autocast`` on a CPU with native
        bf16 (:func:`cpu_autocast`), on the CPU (autocast over fp32 weights);
        ``gradient_checkpointing``.

    Source: TRL ``GRPOConfig`` (vLLM integration: colocate and server modes).
    """
    out: dict = {"use_vllm": rt.grpo_vllm != "off",
                 "bf16": (cuda and rt.dtype in ("auto", "bfloat16")) or (not cuda and cpu_autocast(rt)),
                 "fp16": cuda and rt.dtype == "float16",
                 "gradient_checkpointing": rt.gradient_checkpointing}
    if rt.grpo_vllm == "colocate":
        out.update(vllm_mode="colocate", vllm_gpu_memory_utilization=rt.gpu_memory_utilization)
    elif rt.grpo_vllm == "server":
        out.update(vllm_mode="server", vllm_server_host=rt.vllm_server_host,
                   vllm_server_port=rt.vllm_server_port)
    return out


# ------------------------------------------------------------------------------- vLLM generation


def vllm_sampling_params(n: int, temperature: float, top_p: float, max_new_tokens: int, seed: int,
                         greedy: bool = False) -> dict:
    """Arguments of ``vllm.SamplingParams`` matching :func:`r1lib.recipe.generation.sample`.

    Returns:
        ``dict``: ``n`` samples per prompt (1 when greedy), ``temperature`` (0 when greedy),
        ``top_p``, ``max_tokens``, ``seed``, ``detokenize=False``.
    """
    return dict(n=1 if greedy else n, temperature=0.0 if greedy else temperature,
                top_p=1.0 if greedy else top_p, max_tokens=max_new_tokens, seed=seed,
                detokenize=False)  # token ids come back and our tokenizer decodes them


_ENGINES: dict[str, object] = {}


def vllm_engine(model):
    """The vLLM engine for ``model``: Unsloth's own (``fast_inference``) when it has one, else a
    ``vllm.LLM`` on the checkpoint folder the model was loaded from (cached per folder).

    Raises:
        MissingBackendError: vllm is not installed.
    """
    inner = getattr(model, "vllm_engine", None)
    if inner is not None:
        return inner
    path = getattr(getattr(model, "config", None), "_name_or_path", None) or str(model)
    if path not in _ENGINES:
        vllm = require("vllm", "runtime.generation: vllm")
        rt = current().runtime
        _ENGINES[path] = vllm.LLM(model=path, gpu_memory_utilization=rt.gpu_memory_utilization,
                                  seed=current().seed, dtype="auto" if rt.dtype == "auto" else rt.dtype,
                                  skip_tokenizer_init=True)  # ids in, ids out: our tokenizer decodes
    return _ENGINES[path]


def vllm_sample(model, tok, prompt_ids: list[list[int]], params: dict) -> list[tuple[list[str], list[int]]]:
    """Generate with vLLM from token ids (the prompts are tokenized and truncated as for hf).

    The policy's own tokenizer decodes the samples (vLLM would load its own, which for the micro
    BPE differs). A LoRA policy of Unsloth (``fast_inference``) generates with its current
    adapters (saved and passed as ``lora_request``), not with the bare base weights.

    Args:
        model: a policy (its vLLM engine is found by :func:`vllm_engine`).
        tok: the policy's tokenizer.
        prompt_ids: token ids per prompt.
        params: :func:`vllm_sampling_params` output.

    Returns:
        Per prompt: (texts, lengths in tokens) of its ``n`` samples; a sample stops at EOS.

    Source: vLLM ``LLM.generate`` with ``SamplingParams``; Unsloth ``save_lora``/``load_lora``.
    """
    import tempfile

    vllm = require("vllm", "runtime.generation: vllm")
    engine = vllm_engine(model)
    prompts = [{"prompt_token_ids": ids} for ids in prompt_ids]
    with tempfile.TemporaryDirectory() as lora_dir:
        kw = {}
        if getattr(model, "peft_config", None) and hasattr(model, "load_lora"):
            model.save_lora(lora_dir)
            kw["lora_request"] = model.load_lora(lora_dir)
        outs = engine.generate(prompts, vllm.SamplingParams(**params), use_tqdm=False, **kw)
    result = []
    for o in outs:
        ids = [list(c.token_ids) for c in o.outputs]
        ids = [x[:x.index(tok.eos_token_id)] if tok.eos_token_id in x else x for x in ids]
        result.append(([tok.decode(x, skip_special_tokens=True) for x in ids], [len(x) for x in ids]))
    return result
