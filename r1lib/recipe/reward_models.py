"""Preference reward models for the last RL stage (DeepSeek-R1 §2.3.4), trained with TRL.

For general (non-reasoning) prompts the paper "resort[s] to reward models to capture human
preferences": a **helpfulness** RM that judges only the final summary, and a **harmlessness**
RM that judges the entire response, reasoning and summary. Here both are sequence-
classification models with one logit, initialised from our causal-LM checkpoint and trained on
chosen/rejected pairs (``r1lib.sources.micro.general.preference_pairs``) with TRL's ``RewardTrainer``, whose
loss is the Bradley-Terry pairwise loss ``-log sigmoid(r(x, y_chosen) - r(x, y_rejected))``.

What the RM sees: ``prompt + part_of(completion, part) + eos``. TRL's ``RewardTrainer``
appends the tokenizer's EOS to every chosen/rejected text (non-conversational data) and pads
on the right, and the classification head reads the hidden state of the last non-pad token.
``score`` does the same (EOS appended, right padding with positions from 0), so training and
scoring see identical inputs. Train with the same ``part`` that ``make_rm_reward`` will use:
``"summary"`` for helpfulness, ``"whole"`` for harmlessness.

Public API: ``part_of``, ``train_reward_model``, ``load_reward_model``, ``score``,
``pairwise_accuracy``, ``make_rm_reward``.
"""

from __future__ import annotations

import contextlib
import random
from pathlib import Path

import numpy as np
import torch

from r1lib.core.formats import summary_of
from r1lib.core.profile import RewardModelConfig
from r1lib.core.timing import timed
from r1lib.recipe import finished
from r1lib.recipe.models import align_bos, load_tokenizer
from r1lib.recipe.rewards import completion_text, get_reward_funcs, only_for
from r1lib.recipe.templates import make_prompt, rl_records
from r1lib.recipe.training import _common_args, _jsonl_callback, train_and_save

__all__ = ["load_reward_model", "make_rm_reward", "pairwise_accuracy", "part_of", "score",
           "train_reward_model"]

PARTS = ("summary", "whole")


def part_of(completion: str, part: str) -> str:
    """The part of a completion a reward model judges.

    Args:
        completion: `` <think> reasoning </think> summary``.
        part: ``"whole"``: the completion unchanged (harmlessness, §2.3.4: "the entire
            response ..., including both the reasoning process and the summary");
            ``"summary"``: the text after the last ``</think>`` with one leading space
            (helpfulness: "focus exclusively on the final summary"). A completion without
            ``</think>`` is all summary.

    Raises:
        ValueError: unknown ``part``.
    """
    if part == "whole":
        return completion
    if part == "summary":

        return " " + summary_of(completion)
    raise ValueError(f"unknown part {part!r}; known: {list(PARTS)}")


def _seqcls_quiet():
    """TRL's context that silences the expected "score.weight newly initialised" and
    "lm_head unexpected" load warnings (a no-op if TRL moves it)."""
    try:
        from trl.trainer.reward_trainer import suppress_seqcls_warning
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return suppress_seqcls_warning()


def _freeze_lowest(model, n_layers: int) -> None:
    """Keep the embeddings and the lowest ``n_layers`` decoder layers of ``model`` frozen.

    Raises:
        ValueError: ``n_layers`` exceeds the model's number of layers.
    """
    if n_layers <= 0:
        return
    body = model.base_model
    if n_layers > len(body.layers):
        raise ValueError(f"reward_model.freeze_layers={n_layers} but the model has {len(body.layers)} layers")
    for module in [body.embed_tokens, *body.layers[:n_layers]]:
        module.requires_grad_(False)


def train_reward_model(base_path, pairs: list[dict], cfg: RewardModelConfig, out_dir: Path, seed: int,
                       metrics_path: Path, part: str = "whole") -> dict:
    """Train a one-logit reward model on preference pairs with TRL's ``RewardTrainer``.

    The model is ``AutoModelForSequenceClassification.from_pretrained(base_path, num_labels=1)``:
    our causal LM's body with a fresh linear ``score`` head (seeded by ``seed``), the LM head
    dropped, ``config.pad_token_id`` set to the tokenizer's pad token (the head locates the last
    non-pad token with it). Pairs go to TRL in its explicit-prompt preference format
    (``prompt``/``chosen``/``rejected``; TRL concatenates ``prompt + chosen``, appends EOS and
    drops pairs where either side exceeds ``cfg.max_length`` tokens).

    Args:
        base_path: causal-LM checkpoint folder (model + tokenizer saved by this project).
        pairs: dicts with ``prompt``, ``chosen``, ``rejected`` strings (other keys ignored).
        cfg: steps, batch size (pairs per step), lr (linear decay, no warmup), max_length
            (tokens), save_steps.
        out_dir: final model and tokenizer; trainer checkpoints in ``out_dir/_trainer`` (an
            interrupted run resumes from the newest one; removed at the end). A training that
            finished here with the same base weights, pairs, settings and seed is not redone
            (:mod:`r1lib.recipe.finished`): its stored summary is returned.
        seed: head initialisation and data order.
        metrics_path: ``metrics.jsonl`` to append per-step loss, accuracy, margin to.
        part: ``"whole"`` or ``"summary"`` (see ``part_of``): what of each completion the RM
            is trained on; use the ``part`` that ``make_rm_reward`` will score.

    Returns:
        ``{"rm_steps", "train_s", "final_loss", "rm_pairs"}``: steps, wall seconds, the last
        logged training loss (nats), and the number of pairs left after length filtering.

    Raises:
        ValueError: no pairs, unknown ``part``, or every pair longer than ``cfg.max_length``.

    Source: DeepSeek-R1 §2.3.4; TRL ``RewardTrainer`` (Bradley-Terry loss, Ouyang et al. 2022).
    """
    import datasets
    from transformers import AutoModelForSequenceClassification
    from trl import RewardConfig, RewardTrainer


    if not pairs:
        raise ValueError("train_reward_model needs at least one preference pair")
    out_dir, base_path = Path(out_dir), str(base_path)
    rows = [{"prompt": p["prompt"], "chosen": part_of(p["chosen"], part),
             "rejected": part_of(p["rejected"], part)} for p in pairs]
    key = finished.training_key("train_reward_model", model=finished.fingerprint_path(base_path),
                                rows=finished.digest(rows), cfg=cfg.model_dump(mode="json"), seed=seed)
    if (done := finished.load_finished(out_dir, key)) is not None:
        return done
    tok = load_tokenizer(base_path)
    torch.manual_seed(seed)
    with _seqcls_quiet():
        model = AutoModelForSequenceClassification.from_pretrained(base_path, num_labels=1,
                                                                   dtype=torch.float32)
    model.config.pad_token_id = tok.pad_token_id
    _freeze_lowest(model, cfg.freeze_layers)
    align_bos(model, tok)  # else Trainer aligns it, with a warning
    trainer_dir = out_dir / "_trainer"
    args = RewardConfig(
        **_common_args(cfg.steps, cfg.lr, trainer_dir, seed, cfg.save_steps),
        per_device_train_batch_size=cfg.batch_size, max_length=cfg.max_length,
        gradient_checkpointing=False,  # RewardConfig defaults to True: pure overhead here
        lr_scheduler_type="linear", warmup_steps=0, dataset_num_proc=None,
    )
    bars = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()  # TRL's dataset.map passes (EOS, tokenize, filter) each print a bar
    try:
        trainer = RewardTrainer(model=model, args=args, train_dataset=datasets.Dataset.from_list(rows),
                                processing_class=tok, callbacks=[_jsonl_callback(metrics_path, None)])
    finally:
        if bars:
            datasets.enable_progress_bars()
    n_pairs = len(trainer.train_dataset)
    if n_pairs == 0:
        raise ValueError(f"every pair is longer than max_length={cfg.max_length} tokens")
    train_s, final_loss = train_and_save(trainer, tok, out_dir, desc=f"reward model {Path(out_dir).name}")
    return finished.record_finished(out_dir, key, {
        "rm_steps": cfg.steps, "train_s": round(train_s, 1), "final_loss": final_loss, "rm_pairs": n_pairs})


def load_reward_model(path, device: str | None = None):
    """Load a reward model saved by ``train_reward_model``.

    Returns:
        ``(model, tok)``: the sequence-classification model in eval mode on ``device``
        (default: cuda when available) in float32, and its tokenizer.

    Raises:
        FileNotFoundError: ``path`` does not exist.
    """
    from transformers import AutoModelForSequenceClassification


    if not Path(path).exists():
        raise FileNotFoundError(f"reward model {path} does not exist (has its stage run?)")
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model = AutoModelForSequenceClassification.from_pretrained(str(path), dtype=torch.float32).to(device)
    model.eval()
    tok = load_tokenizer(path)
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tok.pad_token_id
    return model, tok


@timed("reward_model")
@torch.no_grad()
def score(model, tok, texts: list[str], batch_size: int = 64, max_length: int | None = None) -> np.ndarray:
    """Reward of each text: the RM's single logit at the text's last token.

    Each text gets the tokenizer's EOS appended (as TRL's ``RewardTrainer`` does in training)
    unless it already ends with it, and batches are padded on the right by hand, whatever
    ``tok.padding_side`` says: ``Qwen2ForSequenceClassification`` pools the rightmost token that
    is not ``config.pad_token_id`` (right or left padding both find it), but with left padding
    the position ids would not start at 0 as in training, shifting the scores slightly.

    Args:
        model, tok: from ``load_reward_model``.
        texts: full texts, ``prompt + completion`` (or its part).
        batch_size: texts per forward pass.
        max_length: if set, a longer text keeps its last ``max_length`` tokens (the end is what
            the head reads).

    Returns:
        ``np.ndarray`` of float32, shape ``(len(texts),)``: unbounded logits (higher: preferred).
    """
    if not texts:
        return np.zeros(0, dtype=np.float32)
    eos = tok.eos_token
    texts = [t if t.endswith(eos) else t + eos for t in texts]
    ids = tok(texts, add_special_tokens=False)["input_ids"]
    if max_length is not None:
        ids = [x[-max_length:] for x in ids]
    pad_id = model.config.pad_token_id if model.config.pad_token_id is not None else tok.pad_token_id
    device = next(model.parameters()).device
    out = np.empty(len(ids), dtype=np.float32)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # similar lengths share a batch
    for s in range(0, len(order), batch_size):
        idx = order[s:s + batch_size]
        width = max(len(ids[i]) for i in idx)
        input_ids = torch.full((len(idx), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(idx), width), dtype=torch.long)
        for r, i in enumerate(idx):
            input_ids[r, :len(ids[i])] = torch.tensor(ids[i])
            mask[r, :len(ids[i])] = 1
        logits = model(input_ids=input_ids.to(device), attention_mask=mask.to(device), use_cache=False).logits
        out[idx] = logits[:, 0].float().cpu().numpy()
    return out


def pairwise_accuracy(model, tok, pairs: list[dict], part: str = "whole", batch_size: int = 64,
                      max_length: int | None = None) -> float:
    """Share of pairs the RM orders right: ``score(prompt + chosen) > score(prompt + rejected)``
    (ties count as wrong), with completions cut to ``part`` as in ``part_of``. ``max_length``
    (the RM's training ``max_length``): a longer text keeps its last tokens, as :func:`score`
    (real DPO pairs run to thousands of tokens; training drops those, scoring them whole costs a
    CPU minutes a pair).

    Returns:
        A float in ``[0, 1]``.

    Raises:
        ValueError: ``pairs`` is empty.
    """
    if not pairs:
        raise ValueError("pairwise_accuracy needs at least one pair")
    chosen = score(model, tok, [p["prompt"] + part_of(p["chosen"], part) for p in pairs], batch_size, max_length)
    rejected = score(model, tok, [p["prompt"] + part_of(p["rejected"], part) for p in pairs], batch_size, max_length)
    return float(np.mean(chosen > rejected))


def make_rm_reward(path, name: str, part: str, batch_size: int = 64):
    """A reward function, in TRL's ``GRPOTrainer`` signature, that scores with a reward model.

    The returned ``f(prompts, completions, **kw) -> list[float | None]`` has ``__name__ ==
    name`` (TRL logs it as ``rewards/<name>``) and scores ``prompt + part_of(completion, part)``
    with the RM at ``path``, loaded lazily on the first call and then kept. Prompts and
    completions may be strings or conversational message lists (their text is used).

    If the batch carries a ``category`` column (a keyword argument aligned with
    ``completions``), rows whose category is ``"reasoning"`` get ``None``: rule rewards score
    those. TRL turns ``None`` into NaN and sums the reward functions with ``nansum``, so such a
    row's reward comes from the other functions only (a row where every function returns None
    is unscorable and gets zero advantage).

    Args:
        path: folder saved by ``train_reward_model``.
        name: the reward's name.
        part: ``"summary"`` (helpfulness, §2.3.4) or ``"whole"`` (harmlessness).
        batch_size: texts per RM forward pass.

    Raises:
        ValueError: unknown ``part`` (at creation).
        FileNotFoundError: ``path`` missing (on the first call).
    """

    if part not in PARTS:
        raise ValueError(f"unknown part {part!r}; known: {list(PARTS)}")
    cache: dict = {}

    def reward(prompts=None, completions=None, **kw) -> list[float | None]:
        if "model" not in cache:
            cache["model"], cache["tok"] = load_reward_model(path)
        cats = kw.get("category") or [None] * len(completions)
        keep = [i for i, c in enumerate(cats) if c != "reasoning"]
        out: list[float | None] = [None] * len(completions)
        texts = [completion_text(prompts[i]) + part_of(completion_text(completions[i]), part) for i in keep]
        for i, v in zip(keep, score(cache["model"], cache["tok"], texts, batch_size)):
            out[i] = float(v)
        return out

    reward.__name__ = name
    reward.rm_path, reward.part = str(path), part  # what a GRPO run's training key records
    return reward


def all_scenario_mix(source, train: list[dict], al, seed: int, rm_paths: dict[str, Path]) -> tuple[list, list, dict]:
    """RL prompts and rewards of stage 05 (all scenarios): reasoning prompts scored by the rule
    rewards, benign general prompts by the helpfulness RM (summary only), every prompt by the
    harmlessness RM (whole response; safety prompts by it alone: a refusal is not asked to be
    helpful).

    Args:
        source: the data source (general prompts, purpose ``general-rl``).
        train: train problems; ``al``: the ``all_scenario_rl`` section.
        seed: sampling seed.
        rm_paths: ``{"helpfulness": path, "harmlessness": path}`` of the trained reward models.

    Returns:
        ``(records, reward_funcs, counts)``: records with ``prompt``, ``answer``, ``id``,
        ``language``, ``category`` (``reasoning``/``benign``/``harmful``), shuffled; the reward
        functions for ``run_grpo``; ``{"reasoning", "general"}`` counts.

    Source: DeepSeek-R1 §2.3.4 (rule rewards for reasoning data, reward models for general data).
    """
    rng = random.Random(seed)
    reasoning = rl_records(rng.sample(train, min(al.reasoning_prompts, len(train))), category="reasoning")
    general = [{"prompt": make_prompt(r["prompt"]), "answer": "", "id": r["id"], "language": r["language"],
                "category": "harmful" if r["category"] == "harmful" else "benign"}
               for r in source.general_prompts(al.general_prompts, al.harmful_share, "general-rl")]
    records = reasoning + general
    rng.shuffle(records)
    funcs = ([only_for(f, "reasoning") for f in get_reward_funcs(al.grpo.reward_funcs, al.grpo)]
             + [only_for(make_rm_reward(rm_paths["helpfulness"], "helpfulness_rm", "summary"), "benign"),
                make_rm_reward(rm_paths["harmlessness"], "harmlessness_rm", "whole")])
    return records, funcs, {"reasoning": len(reasoning), "general": len(general)}


def wrap_pairs(pairs: list[dict]) -> list[dict]:
    """Preference pairs with their bare prompts put in the R1-Zero template (the form the policy
    and the reward models see)."""
    return [{**p, "prompt": make_prompt(p["prompt"])} for p in pairs]
