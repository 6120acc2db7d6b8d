"""Cold-start data (DeepSeek-R1 §2.3.1): long chains of thought in a readable pattern.

The paper defines the readable output as ``|special_token|<reasoning_process>|special_token|
<summary>``: the reasoning, then a short summary for the reader. Here the reasoning sits in the
think block and the summary follows it, stating the final answer in ``\\boxed{}`` as R1 does:

    `` <think> 1+9=10, 10-2=8, …, 17-4=13. </think> So 1+9-2+7+5-3-4 = \\boxed{13}.``

The accuracy reward already counts a ``\\boxed{}`` outside the think block as the final answer,
so rule rewards carry over unchanged; ``readable_format`` is the format reward of this pattern.

Cold-start data comes from the three sources the paper names, each filtered for language
mixing, missing summaries and wrong answers, with counts per source and per filter:
1. few-shot prompting with long-CoT examples;
2. prompting for detailed answers with reflection and verification;
3. R1-Zero outputs rewritten into the readable format by rule-based post-processing.
"""

from __future__ import annotations

import random
import re
import zlib

from r1lib.core.formats import SUMMARY, TAGS, readable
from r1lib.recipe.analysis import count_reflection
from r1lib.recipe.equivalence import batch_answers_correct
from r1lib.recipe.generation import sample
from r1lib.recipe.language import SUPPORTED_TARGETS, is_mixed, target_language_share
from r1lib.recipe.templates import make_prompt, readable_ok


def _answer_block(completion: str) -> str | None:
    m = re.search(r"<answer>(.*?)</answer>", completion, flags=re.S)
    return m.group(1).strip() if m else None


def rewrite_r1_zero(completion: str, language: str = "en") -> str | None:
    """Rule-based post-processing of an R1-Zero output into the readable pattern.

    Keeps the reasoning of the think block and replaces the bare ``<answer>`` block with a
    one-sentence summary in ``language`` that boxes the answer. Returns None when the output has
    no single think block or no answer to summarise (nothing to rewrite). Language mixing is
    not repaired here: the cold-start filters drop it.

    Source: DeepSeek-R1 §2.3.1 ("gathering DeepSeek-R1-Zero outputs in a readable format,
    and refining the results through post-processing by human annotators"; here by rules).
    """
    head, sep, rest = completion.partition("<think>")
    if not sep or head.strip() or rest.count("</think>") != 1:
        return None
    reasoning, _, after = rest.partition("</think>")
    answer = _answer_block(after)
    if not reasoning.strip() or not answer or any(t in reasoning for t in TAGS):
        return None
    return readable(reasoning, SUMMARY["en" if language not in SUMMARY else language].format(answer=answer))


def apply_filters(records: list[dict], filters: dict) -> tuple[list[dict], dict[str, int]]:
    """Keep records that pass every filter, counting rejections by the first failing filter.

    Args:
        records: dicts with at least ``completion``.
        filters: ordered ``name -> f(record) -> bool`` (True keeps).

    Returns:
        (kept records, ``{"in": n, "rejected_by_<name>": …, "kept": n}``).
    """
    counts = {"in": len(records), **{f"rejected_by_{n}": 0 for n in filters}}
    kept = []
    for r in records:
        failed = next((n for n, f in filters.items() if not f(r)), None)
        if failed is None:
            kept.append(r)
        else:
            counts[f"rejected_by_{failed}"] += 1
    counts["kept"] = len(kept)
    return kept, counts


def few_shot_prompt(examples: list[tuple[str, str]], problem: str, separator: str) -> str:
    """Source 1 (few-shot prompting with long-CoT examples): ``k`` solved examples, each a
    prompt in the R1-Zero template followed by its readable completion, then the problem.

    Args:
        examples: ``(problem text, completion)`` pairs.
        problem: the problem to solve.
        separator: put between documents (the tokenizer's EOS, as in pretraining).
    """
    return few_shot_prefix(examples, separator) + make_prompt(problem)


def few_shot_prefix(examples: list[tuple[str, str]], separator: str) -> str:
    """The solved examples of :func:`few_shot_prompt` without the final problem: each
    ``(problem, completion)`` as an R1-Zero-template prompt followed by its completion and
    ``separator``. Put before a prompt for few-shot prompting (e.g. the paper's prompt
    sensitivity check, §5: few-shot prompting degrades R1)."""
    return "".join(make_prompt(p) + c + separator for p, c in examples)


def grade(records: list[dict], verifier=None) -> list[dict]:
    """Add ``correct`` (bool) to records with ``completion`` and ``answer``, in one batch."""
    scores = batch_answers_correct([r["completion"] for r in records], [r["answer"] for r in records],
                                   verifier)
    return [{**r, "correct": bool(s)} for r, s in zip(records, scores)]


def cold_start_filters(target_language: str = "problem", english_on_zh: float = 0.0) -> dict:
    """The paper's cold-start filters, in order: the readable pattern (a summary with one boxed
    answer), no language mixing, a correct answer. Each is ``f(record) -> bool`` on graded
    records (see :func:`grade`), for :func:`apply_filters`.

    "No language mixing" means one language in the whole completion, and that language is the
    target: with ``target_language="problem"``, each record's own problem's language
    (``record["language"]``, English when absent), so an English answer to a Chinese problem is
    rejected as mixed, as 07's mixed-language rate counts it; with ``"en"`` or ``"zh"``, that
    language for every problem (the micro profile collects English only, so that Chinese
    questions start out answered in English: the mixing 03's reward is for). ``english_on_zh``
    (with ``"problem"`` only) holds that share of Chinese problems to English instead (see
    :func:`target_of`).

    Raises:
        ValueError: ``target_language`` is not ``"problem"``, ``"en"`` or ``"zh"``, or
            ``english_on_zh`` is outside [0, 1] or set with a target other than ``"problem"``.
    """
    if target_language not in ("problem", *SUPPORTED_TARGETS):
        raise ValueError(f"cold_start.target_language must be 'problem', 'en' or 'zh', got {target_language!r}")
    _check_english_on_zh(target_language, english_on_zh)
    return {
        "no_summary": lambda r: readable_ok(r["completion"]),
        "language_mixing": lambda r: not is_mixed(r["completion"])
        and _lang_ok(r["completion"], target_of(r, target_language, english_on_zh)),
        "wrong_answer": lambda r: r["correct"],
    }


def target_of(problem: dict, target_language: str, english_on_zh: float = 0.0) -> str:
    """The language a cold-start answer to ``problem`` must be in: the problem's own
    (``problem["language"]``, default ``"en"``) when ``target_language == "problem"``, else
    ``target_language``. With ``"problem"``, a Chinese problem is held to English instead when
    the CRC-32 of its ``id`` falls in the first ``english_on_zh`` share of its range: the same
    problems in every source and run, about that share of them.

    Raises:
        ValueError: ``english_on_zh`` outside [0, 1], or non-zero with a target other than
            ``"problem"``.
    """
    _check_english_on_zh(target_language, english_on_zh)
    if target_language != "problem":
        return target_language
    lang = problem.get("language") or "en"
    if lang == "zh" and zlib.crc32(str(problem.get("id", "")).encode()) < english_on_zh * 2**32:
        return "en"
    return lang


def _check_english_on_zh(target_language: str, english_on_zh: float) -> None:
    if not 0.0 <= english_on_zh <= 1.0:
        raise ValueError(f"cold_start.english_on_zh must lie in [0, 1], got {english_on_zh!r}")
    if english_on_zh and target_language != "problem":
        raise ValueError("cold_start.english_on_zh needs cold_start.target_language: problem "
                         f"(got {target_language!r}, which already sets every problem's language)")


def _lang_ok(text: str, target: str) -> bool:
    return target_language_share(text, target) == 1.0


def sample_source(model, tok, name: str, prompts: list[str], problems: list[dict], n: int,
                  max_new_tokens: int, seed: int, rewrite: bool, temperature: float = 0.6,
                  top_p: float = 0.95, max_prompt_tokens: int = 480,
                  target_language: str = "problem", english_on_zh: float = 0.0) -> list[dict]:
    """Sample ``n`` completions per prompt and return graded cold-start candidates.

    Args:
        model, tok: the model that is prompted (e.g. the R1-Zero policy).
        name: the source's name, stored in each record's ``source``.
        prompts: one full prompt per problem.
        problems: ``{"id", "problem", "answer"}`` aligned with ``prompts``; micro problems are
            ``Compute <expression>``.
        rewrite: post-process each output with :func:`rewrite_r1_zero` (outputs that cannot be
            rewritten are kept unchanged, so the filters count them), the summary in
            :func:`target_of` the problem.
        target_language, english_on_zh: the answer's language (see :func:`target_of`).

    Returns:
        Records ``{"id", "problem", "answer", "language", "completion", "source", "correct"}``.
    """
    gen = sample(model, tok, prompts, n=n, temperature=temperature, top_p=top_p,
                 max_new_tokens=max_new_tokens, max_prompt_tokens=max_prompt_tokens, seed=seed)
    out = []
    for p, texts in zip(problems, gen.texts):
        for t in texts:
            c = (rewrite_r1_zero(t, target_of(p, target_language, english_on_zh)) or t) if rewrite else t
            out.append({"id": p["id"], "problem": p["problem"], "answer": p["answer"],
                        "language": p.get("language", "en"), "completion": c, "source": name})
    return grade(out)


def rollouts_source(rollouts, problems_by_id: dict[str, dict], name: str = "r1_zero_rollouts",
                    target_language: str = "problem", english_on_zh: float = 0.0) -> list[dict]:
    """Source 3: the R1-Zero RL rollouts (``completions.parquet`` rows with ``prompt_id`` and
    ``completion``) rewritten into the readable pattern, the summary in :func:`target_of` the
    problem, and graded."""
    out = []
    for pid, text in zip(rollouts["prompt_id"], rollouts["completion"]):
        p = problems_by_id.get(pid)
        if p is None:
            continue
        out.append({"id": pid, "problem": p["problem"], "answer": p["answer"], "source": name,
                    "language": p.get("language", "en"),
                    "completion": rewrite_r1_zero(text, target_of(p, target_language, english_on_zh)) or text})
    return grade(out)


def collect(model, tok, source, train: list[dict], rollouts, cs, rng: random.Random,
            seed: int) -> tuple[list[dict], list[dict], list[tuple[str, str]]]:
    """The cold-start data of stage 02: the three sources of §2.3.1, filtered, plus the
    hand-written examples, deduplicated.

    Args:
        model, tok: the R1-Zero policy, prompted for sources 1 and 2.
        source: the run's :class:`r1lib.sources.base.DataSource` (few-shot and hand-written
            examples: ``seed_examples``).
        train: train problems; ``rollouts``: R1-Zero's ``completions.parquet`` frame.
        cs: the ``cold_start`` section (:class:`r1lib.core.profile.ColdStartConfig`).
        rng: the stage's random generator (problems drawn, examples drawn, the final cap).
        seed: generation seed.

    Returns:
        ``(examples, counts, few_shot)``: records ``{"id", "problem", "answer", "language",
        "completion", "source"}``; one counts row per source (``in``, ``rejected_by_<filter>``,
        ``kept``); the few-shot ``(problem, completion)`` pairs used.

    Source: DeepSeek-R1 §2.3.1 (few-shot long CoT, prompting for reflection and verification,
    R1-Zero outputs post-processed; filtered for readability, language mixing and correctness).
    """
    prompted = rng.sample(train, min(cs.prompted_problems, len(train)))
    few_shot = [(r["problem"], r["completion"]) for r in source.seed_examples(train, cs.few_shot_k, rng)]
    prompts = [few_shot_prompt(few_shot, p["problem"], tok.eos_token) for p in prompted]
    candidates = {
        "few_shot": sample_source(model, tok, "few_shot", prompts, prompted, cs.samples_per_problem,
                                  cs.max_new_tokens, seed, rewrite=False),
        "prompted_reflection": sample_source(model, tok, "prompted_reflection",
                                             [make_prompt(p["problem"]) for p in prompted], prompted,
                                             cs.samples_per_problem, cs.max_new_tokens, seed + 1, rewrite=True,
                                             target_language=cs.target_language,
                                             english_on_zh=cs.english_on_zh),
        "r1_zero_rewritten": rollouts_source(rollouts, {r["id"]: r for r in train},
                                             target_language=cs.target_language,
                                             english_on_zh=cs.english_on_zh),
    }
    filters = cold_start_filters(cs.target_language, cs.english_on_zh)
    # source 2 asks for reflection and verification: keep only answers that check themselves
    reflects = {"no_reflection": lambda r: count_reflection(r["completion"]) > 0}
    kept, rows = [], []
    for name, recs in candidates.items():
        k, counts = apply_filters(recs, {**reflects, **filters} if name == "prompted_reflection" else filters)
        kept += k
        rows.append({"source": name, **counts})
    pool = [r for r in train if cs.authored_language in ("any", r.get("language", "en"))]
    authored = [{**r, "source": "authored"} for r in source.seed_examples(pool, cs.authored_examples, rng)]
    if authored:
        rows.append({"source": "authored", "in": len(authored), "kept": len(authored)})
    unique = list({r["completion"]: r for r in kept + authored}.values())
    if cs.max_examples:
        unique = rng.sample(unique, min(cs.max_examples, len(unique)))
    keys = ("id", "problem", "answer", "language", "completion", "source")
    return [{k: r[k] for k in keys} for r in unique], rows, few_shot
