"""Supervised fine-tuning, rejection sampling and the non-reasoning SFT data.

- ``run_sft``: TRL ``SFTTrainer`` on prompt-completion pairs, loss on completion tokens only
  (cold start §2.3.1, rejection-sampling SFT §2.3.3, distillation §2.4 of DeepSeek-R1,
  arXiv 2501.12948). Same conventions as ``r1lib.recipe.training``: ``metrics.jsonl``, checkpoints
  under ``<out_dir>/_trainer`` for resuming, final model + tokenizer in ``out_dir``.
- ``make_sft_trainer``: the configured ``SFTTrainer`` itself (used by ``run_sft``; handy for
  inspecting the prepared dataset and the collator's batches).
- ``rejection_sample``: sample ``n`` completions per problem, keep the correct ones that pass
  the caller's filters (§2.3.3: "we perform rejection sampling and ... retain only the correct
  responses"; mixed languages, long paragraphs and code blocks filtered out).

TRL 1.15 on CPU (DESIGN.md §5, library pitfalls): ``SFTTrainer`` always installs TRL's fused
log-prob LM head (``add_fused_lm_head``), whose kernel needs Triton, so it needs the same
``patch_trl_for_cpu`` as GRPO; ``SFTConfig`` defaults to ``bf16=True`` and
``gradient_checkpointing=True``, both switched off here. ``SFTTrainer`` appends the
tokenizer's EOS to each completion (text level, unless the completion already ends with it)
and builds ``labels`` with ``-100`` on prompt tokens while preparing the dataset.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import r1lib.recipe.equivalence as verify
import r1lib.recipe.generation as generation
from r1lib.core.profile import SFTConfig
from r1lib.engine import backends
from r1lib.engine import launcher as launch
from r1lib.recipe import finished
from r1lib.recipe.evaluation import judge
from r1lib.recipe.language import is_language_mixed
from r1lib.recipe.models import count_parameters, load_policy, weights_checksum
from r1lib.recipe.templates import make_prompt, readable_ok
from r1lib.recipe.training import _common_args, _jsonl_callback, patch_trl_for_cpu, sft_flops, train_and_save

__all__ = ["make_sft_trainer", "rejection_sample", "run_sft"]



# ----------------------------------------------------------------------------- training


def make_sft_trainer(model, tok, records: list[dict], cfg: SFTConfig, trainer_dir: Path,
                     seed: int, callbacks: list | None = None):
    """Build TRL's ``SFTTrainer`` for prompt-completion records with CPU-safe settings.

    Args:
        model: causal LM (put in train mode here).
        tok: its tokenizer; ``tok.eos_token`` is appended to every completion by TRL.
        records: ``[{"prompt": str, "completion": str, ...}]``; other keys are ignored. The
            prompt is used verbatim (already templated), the completion follows it directly.
        cfg: steps, batch size (sequences per step), lr (cosine schedule after
            ``warmup_steps`` linear warm-up steps), ``max_length`` (tokens of prompt +
            completion + EOS; longer examples keep their first ``max_length`` tokens and lose
            the EOS; examples whose completion is cut off entirely are dropped by TRL),
            ``save_steps`` (checkpoint period), ``group_by_length`` (each batch drawn from
            examples of similar length: transformers' ``LengthGroupedSampler``, which sorts
            mega-batches of up to 50 batches by length, so less compute goes to padding).
        trainer_dir: checkpoints go here (``checkpoint-N``, only the newest kept).
        seed: data order and dropout seed.
        callbacks: extra ``transformers.TrainerCallback`` objects.

    Returns:
        ``trl.SFTTrainer``; ``trainer.train_dataset`` holds the tokenized examples
        (``input_ids``, ``labels`` with ``-100`` on prompt tokens, each a list of ints).

    Raises:
        ValueError: ``records`` is empty or a record lacks a string ``prompt``/``completion``.

    Source: TRL ``SFTTrainer`` / ``SFTConfig`` (``completion_only_loss=True``, no packing).
    """
    import datasets
    from datasets import Dataset
    from trl import SFTConfig as TRLSFTConfig
    from trl import SFTTrainer


    if not records:
        raise ValueError("run_sft: no training records")
    for i, r in enumerate(records):
        if not isinstance(r.get("prompt"), str) or not isinstance(r.get("completion"), str):
            raise ValueError(f"run_sft: record {i} (id {r.get('id')!r}) needs string 'prompt' "
                             f"and 'completion', got keys {sorted(r)}")
    patch_trl_for_cpu()  # SFTTrainer's fused LM head uses the same Triton kernel as GRPO
    model.train()
    ds = Dataset.from_list([{"prompt": r["prompt"], "completion": r["completion"]}
                            for r in records])
    args = TRLSFTConfig(
        **_common_args(cfg.steps, cfg.lr, trainer_dir, seed, cfg.save_steps),
        per_device_train_batch_size=cfg.batch_size, max_length=cfg.max_length,
        lr_scheduler_type="cosine", warmup_steps=cfg.warmup_steps,
        gradient_checkpointing=False, packing=False, padding_free=False,
        completion_only_loss=True, dataset_num_proc=None,
        train_sampling_strategy="group_by_length" if cfg.group_by_length else "random",
    )
    bars = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()  # TRL's five dataset.map passes each print a bar
    try:
        return SFTTrainer(model=model, args=args, train_dataset=ds, processing_class=tok,
                          callbacks=callbacks or [])
    finally:
        if bars:
            datasets.enable_progress_bars()


def run_sft(model_path, records: list[dict], cfg: SFTConfig, out_dir: Path, seed: int,
            metrics_path: Path) -> dict:
    """Supervised fine-tuning of the model at ``model_path`` on prompt-completion records.

    The loss is the mean negative log-likelihood of the completion tokens and the EOS that
    TRL appends after each completion (prompt tokens are labelled ``-100``). Resumes from the
    newest checkpoint in ``<out_dir>/_trainer`` when one exists; at the end the model and the
    tokenizer (``r1lib.recipe.models.save_tokenizer``, so it reloads as ``PreTrainedTokenizerFast``)
    are saved in ``out_dir`` and ``_trainer`` is removed. A training that finished in ``out_dir``
    with the same starting weights, records, settings and seed is not redone: its stored
    summary is returned (:mod:`r1lib.recipe.finished`).

    Args:
        model_path: checkpoint folder or hub id, loaded with ``r1lib.recipe.models.load_policy``.
        records: ``[{"prompt": str, "completion": str, ...}]`` (see ``make_sft_trainer``).
        cfg: our ``SFTConfig`` (steps, batch_size, lr, warmup_steps, max_length, save_steps).
        out_dir: where the fine-tuned model and tokenizer go.
        seed: data order seed.
        metrics_path: ``metrics.jsonl`` to append per-step loss, lr, token accuracy to.

    Returns:
        ``{"sft_steps", "train_s", "final_loss", "examples", "truncated", "trained_tokens",
        "parameters", "train_flops", "weights_checksum"}``: optimisation steps, wall seconds of ``train()``, the
        last logged loss (nats per completion token), training examples after TRL's
        preparation, how many of them were cut at ``max_length`` (their EOS is not trained),
        the tokens TRL counted through the model (prompt and completion, no padding), and
        their compute (:func:`r1lib.recipe.training.sft_flops`, 6 N per token), and
        :func:`r1lib.recipe.models.weights_checksum` of the trained weights.

    Raises:
        FileNotFoundError: a local ``model_path`` that does not exist.
        ValueError: empty or malformed ``records``.

    Source: TRL ``SFTTrainer``; DeepSeek-R1 §2.3.1 (cold start) and §2.3.3 (SFT).
    """

    out_dir = Path(out_dir)
    key = finished.training_key("run_sft", model=finished.fingerprint_path(model_path),
                                records=finished.digest(records), cfg=cfg.model_dump(mode="json"),
                                seed=seed)
    if (done := finished.load_finished(out_dir, key)) is not None:
        return done
    if backends.current().runtime.num_processes > 1 and not launch.in_launched_process():
        return finished.record_finished(out_dir, key, launch.run_distributed("sft", out_dir, dict(
            model_path=str(model_path), records=records, cfg=cfg.model_dump(mode="json"),
            out_dir=str(out_dir), seed=seed, metrics_path=str(metrics_path))))
    model, tok = load_policy(str(model_path))
    trainer_dir = out_dir / "_trainer"
    trainer = make_sft_trainer(model, tok, records, cfg, trainer_dir, seed,
                               callbacks=[_jsonl_callback(Path(metrics_path), None)])
    ds = trainer.train_dataset
    truncated = sum(1 for lab in ds["labels"] if lab[-1] != tok.eos_token_id)
    train_s, final_loss = train_and_save(trainer, tok, out_dir, desc=f"SFT {Path(out_dir).name}")
    tokens = max((int(h["num_tokens"]) for h in trainer.state.log_history if "num_tokens" in h), default=0)
    n_params = count_parameters(model)
    return finished.record_finished(out_dir, key, {
        "sft_steps": cfg.steps, "train_s": round(train_s, 1), "final_loss": final_loss,
        "examples": len(ds), "truncated": truncated, "trained_tokens": tokens,
        "parameters": n_params, "train_flops": sft_flops(n_params, tokens),
        "weights_checksum": weights_checksum(model)})


# ----------------------------------------------------------------------------- rejection sampling


def rejection_sample(model, tok, problems: list[dict], n: int, temperature: float, top_p: float,
                     max_new_tokens: int, filters: dict[str, Callable[[str, int], bool]],
                     seed: int, batch_size: int = 256, *, keep_per_problem: int = 1,
                     template: str | None = None, max_prompt_tokens: int = 384
                     ) -> tuple[list[dict], dict]:
    """Rejection sampling: keep correct, filtered samples of the policy as SFT data.

    For each problem, ``n`` completions are sampled from ``make_prompt(problem, template)``;
    a sample is kept when ``r1lib.recipe.equivalence.batch_answers_correct`` scores it 1.0 (0.0 and None,
    i.e. an unparseable gold, are rejected) and every filter accepts it. Of the survivors of
    one problem at most ``keep_per_problem`` are kept: distinct completion texts first (in
    sample order), then repeats of them if there are not enough distinct ones.

    Args:
        model, tok: the policy (switched to eval mode while sampling, then restored) and its
            tokenizer (left padding).
        problems: ``[{"id", "problem", "answer"}]``.
        n: samples per problem.
        temperature, top_p: nucleus sampling.
        max_new_tokens: generation budget per sample (tokens).
        filters: ``name -> f(completion: str, length_tokens: int) -> bool`` (True keeps),
            applied in dict order after correctness, e.g. ``readable``, ``not_mixed``,
            ``not_overlong``. ``length_tokens`` is the completion length in tokens, EOS
            excluded.
        seed: sampling seed (``r1lib.recipe.generation.sample``).
        batch_size: sequences per ``generate`` call.
        keep_per_problem: at most this many kept samples per problem (>= 1).
        template: prompt template name in ``r1lib.recipe.templates.TEMPLATES``.
        max_prompt_tokens: longer prompts are left-truncated (and counted by the sampler).

    Returns:
        ``(kept, stats)``. ``kept``: ``[{"id", "prompt", "completion", "answer"}]`` in problem
        order, ready for ``run_sft``. ``stats``: ``sampled`` (= ``n * len(problems)``),
        ``correct``, ``rejected_by_<name>`` per filter (a correct sample is counted under the
        first filter that rejects it), ``passed`` (correct and accepted by all filters),
        ``kept`` (after the ``keep_per_problem`` cap), ``problems_kept`` (problems with at
        least one kept sample), ``acceptance_rate`` (= kept / sampled).

    Raises:
        ValueError: ``n < 1``, ``keep_per_problem < 1``, or a problem without
            ``id``/``problem``/``answer``.

    Source: DeepSeek-R1 §2.3.3 "Rejection Sampling and Supervised Fine-Tuning".
    """

    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if keep_per_problem < 1:
        raise ValueError(f"keep_per_problem must be >= 1, got {keep_per_problem}")
    for i, p in enumerate(problems):
        missing = [k for k in ("id", "problem", "answer") if k not in p]
        if missing:
            raise ValueError(f"problem {i} (id {p.get('id')!r}) lacks {missing}")
    prompts = [make_prompt(p["problem"], template) for p in problems]
    was_training = model.training
    model.eval()
    try:
        gens = generation.sample(model, tok, prompts, n=n, temperature=temperature, top_p=top_p,
                                 max_new_tokens=max_new_tokens, batch_size=batch_size,
                                 max_prompt_tokens=max_prompt_tokens, seed=seed)
    finally:
        model.train(was_training)
    flat = [(i, text, length) for i in range(len(problems))
            for text, length in zip(gens.texts[i], gens.lengths[i])]
    scores = verify.batch_answers_correct([t for _, t, _ in flat],
                                          [str(problems[i]["answer"]) for i, _, _ in flat])
    stats: dict = {"sampled": len(flat), "correct": 0}
    stats.update({f"rejected_by_{name}": 0 for name in filters})
    passing: list[list[str]] = [[] for _ in problems]
    for (i, text, length), score in zip(flat, scores):
        if score != 1.0:
            continue
        stats["correct"] += 1
        for name, f in filters.items():
            if not f(text, length):
                stats[f"rejected_by_{name}"] += 1
                break
        else:
            passing[i].append(text)
    kept: list[dict] = []
    for i, texts in enumerate(passing):
        distinct = list(dict.fromkeys(texts))
        repeats = list(texts)
        for t in distinct:
            repeats.remove(t)  # drops each first occurrence; repeats stay in sample order
        chosen = (distinct + repeats)[:keep_per_problem]
        p = problems[i]
        kept.extend({"id": p["id"], "prompt": prompts[i], "completion": t,
                     "answer": str(p["answer"])} for t in chosen)
    stats["passed"] = sum(len(t) for t in passing)
    stats["kept"] = len(kept)
    stats["problems_kept"] = len({r["id"] for r in kept})
    stats["acceptance_rate"] = round(len(kept) / len(flat), 4) if flat else 0.0
    return kept, stats


# ----------------------------------------------------------------------------- SFT data


def reasoning_filters(target_language: str, max_completion_tokens: int) -> dict:
    """The paper's rejection-sampling filters (§2.3.3), in order, as ``f(completion, length)``
    for :func:`rejection_sample`: ``unreadable`` (not the readable pattern: reasoning, then a
    summary with one boxed answer), ``mixed_language`` (a word outside ``target_language`` in
    the reasoning) and ``overlong`` (more than ``max_completion_tokens`` tokens)."""

    return {"unreadable": lambda c, n: readable_ok(c),
            "mixed_language": lambda c, n: not is_language_mixed(c, target_language),
            "overlong": lambda c, n: n <= max_completion_tokens}


def rejection_sample_by_language(model, tok, problems: list[dict], n: int, temperature: float,
                                 top_p: float, max_new_tokens: int, max_completion_tokens: int,
                                 seed: int, keep_per_problem: int = 1) -> tuple[list[dict], dict]:
    """:func:`rejection_sample` with :func:`reasoning_filters`, each problem judged against its
    own language (``problem["language"]``, default en).

    Returns:
        (kept records, stats): ``stats`` has the counts of :func:`rejection_sample` summed over
        languages, ``acceptance_rate`` recomputed, and ``by_language`` with each language's own.
    """
    langs = sorted({p.get("language") or "en" for p in problems})
    kept, by_lang = [], {}
    for j, lang in enumerate(langs):
        group = [p for p in problems if (p.get("language") or "en") == lang]
        k, st = rejection_sample(model, tok, group, n, temperature, top_p, max_new_tokens,
                                 reasoning_filters(lang, max_completion_tokens), seed + j,
                                 keep_per_problem=keep_per_problem)
        kept += [{**r, "language": lang} for r in k]
        by_lang[lang] = st
    total = {key: sum(st[key] for st in by_lang.values()) for key in next(iter(by_lang.values()))
             if key != "acceptance_rate"} if by_lang else {}
    total["acceptance_rate"] = round(total.get("kept", 0) / max(total.get("sampled", 0), 1), 4)
    return kept, {**total, "by_language": by_lang}


def sft_union(reasoning: list[dict], non_reasoning: list[dict], seed: int) -> list[dict]:
    """The SFT data of stage 04: rejection-sampled reasoning (prompts already in the template)
    and non-reasoning records (bare prompts, wrapped here), shuffled with ``seed``.

    Returns:
        ``[{"prompt", "completion"}]`` of ``len(reasoning) + len(non_reasoning)``.

    Source: DeepSeek-R1 §2.3.3 (about 600k reasoning + 200k non-reasoning samples).
    """
    records = ([{"prompt": r["prompt"], "completion": r["completion"]} for r in reasoning]
               + [{"prompt": make_prompt(r["prompt"]), "completion": r["completion"]} for r in non_reasoning])
    random.Random(seed).shuffle(records)
    return records


def distillation_data(model, tok, source, train: list[dict], d, rs, seed: int) -> tuple[list[dict], dict]:
    """The teacher's data for the student (stage 06): rejection-sampled reasoning on
    ``d.prompts`` train problems and answers to ``d.general`` general prompts that pass the rule
    judge (every sample when ``d.filter_teacher`` is off).

    Args:
        model, tok: the teacher (``r1``).
        source: the data source (general prompts, purpose ``distill-general``).
        train: train problems.
        d, rs: the ``distillation`` and ``rejection_sampling`` sections.
        seed: sampling seed.

    Returns:
        ``(records, stats)``: ``[{"prompt", "completion"}]`` shuffled with ``seed``; ``stats``
        holds the teacher's rejection-sampling counts and ``general_kept``/``general``.

    Source: DeepSeek-R1 §2.4 (the 800k samples of §2.3.3 used to fine-tune smaller models).
    """
    problems = random.Random(f"distill-{seed}").sample(train, min(d.prompts, len(train)))
    reasoning, stats = rejection_sample_by_language(
        model, tok, problems, d.n, rs.temperature, 0.95, rs.max_new_tokens, rs.max_completion_tokens, seed,
        keep_per_problem=rs.max_per_prompt)
    gen_prompts = source.general_prompts(d.general, 0.2, "distill-general")
    out = generation.sample(model, tok, [make_prompt(r["prompt"]) for r in gen_prompts], n=1, temperature=0.6,
                            top_p=0.95, max_new_tokens=64, seed=seed)
    general_kept = [{"prompt": make_prompt(r["prompt"]), "completion": t[0]}
                    for r, t in zip(gen_prompts, out.texts) if judge(r, t[0]) or not d.filter_teacher]
    if not d.filter_teacher:  # every teacher sample, unfiltered
        raw = generation.sample(model, tok, [make_prompt(p["problem"]) for p in problems], n=d.n,
                                temperature=rs.temperature, top_p=0.95, max_new_tokens=rs.max_new_tokens, seed=seed)
        reasoning = [{"prompt": make_prompt(p["problem"]), "completion": t} for p, ts in zip(problems, raw.texts)
                     for t in ts]
    records = [{"prompt": r["prompt"], "completion": r["completion"]} for r in reasoning] + general_kept
    random.Random(seed).shuffle(records)
    stats = {**{k: v for k, v in stats.items() if k != "by_language"}, "general_kept": len(general_kept),
             "general": len(gen_prompts), "reasoning_kept": len(reasoning)}
    return records, stats
