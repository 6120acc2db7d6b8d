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

import re

from r1lib.rewards import completion_text, register_reward

# The summary states the result in one short sentence. (Restating the whole chain, "So 1+9-2 =
# \boxed{8}.", made the micro model copy the chain from far back and then add it up hastily.)
SUMMARY = "So the answer is \\boxed{{{answer}}}."
SUMMARY_ZH = "所以答案是 \\boxed{{{answer}}}。"
_TAGS = ("<think>", "</think>", "<answer>", "</answer>")
_BOXED = re.compile(r"\\boxed\s*\{")


def readable(reasoning: str, summary: str) -> str:
    """Assemble a completion in the readable pattern: `` <think> reasoning </think> summary``."""
    return f" <think> {reasoning.strip()} </think> {summary.strip()}"


def split_readable(completion: str) -> tuple[str, str] | None:
    """(reasoning, summary) of a completion with exactly one think block, or None."""
    if completion.count("<think>") != 1 or completion.count("</think>") != 1:
        return None
    head, _, rest = completion.partition("<think>")
    reasoning, _, summary = rest.partition("</think>")
    if head.strip():
        return None
    return reasoning.strip(), summary.strip()


def readable_ok(completion: str) -> bool:
    """Whether ``completion`` follows the readable pattern exactly.

    One think block first (only whitespace before it), non-empty reasoning, then a non-empty
    summary with no think/answer tags and exactly one ``\\boxed{…}``.

    Source: DeepSeek-R1 §2.3.1 (readable pattern: reasoning, then a summary).
    """
    parts = split_readable(completion)
    if parts is None:
        return False
    reasoning, summary = parts
    if not reasoning or not summary or any(t in reasoning or t in summary for t in _TAGS):
        return False
    return len(_BOXED.findall(summary)) == 1


@register_reward("readable_format")
def readable_format_reward(completions: list, **kwargs) -> list[float]:
    """Format reward of the readable pattern: 1.0 iff :func:`readable_ok`, else 0.0.

    Args:
        completions: strings or conversational message lists (TRL signature).

    Returns:
        ``list[float]`` of ``len(completions)``.

    Source: DeepSeek-R1 §2.3.1-2.3.2 (cold-start pattern, kept by the format reward in RL).
    """
    return [1.0 if readable_ok(completion_text(c)) else 0.0 for c in completions]


def _answer_block(completion: str) -> str | None:
    m = re.search(r"<answer>(.*?)</answer>", completion, flags=re.S)
    return m.group(1).strip() if m else None


def rewrite_r1_zero(completion: str, expression: str) -> str | None:
    """Rule-based post-processing of an R1-Zero output into the readable pattern.

    Keeps the reasoning of the think block and replaces the bare ``<answer>`` block with a
    summary that restates the problem and boxes the answer. Returns None when the output has
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
    if not reasoning.strip() or not answer or any(t in reasoning for t in _TAGS):
        return None
    return readable(reasoning, SUMMARY.format(expression=expression, answer=answer))


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


def example_completion(problem) -> str:
    """A hand-written long-CoT example in the readable pattern for a micro ``Problem``: a first
    answer, "Wait, let me check step by step.", the step-by-step verification, and the summary
    (the few-shot examples of source 1, written from the task's rules), all in the problem's
    language."""
    from r1lib.world import CONNECTIVES, _fmt_steps

    opener, confirm, _ = CONNECTIVES[problem.language]
    reasoning = (f"{problem.expression}={problem.answer}. {opener} {_fmt_steps(problem.steps())} "
                 f"{confirm.format(c=problem.answer)}")
    summary = SUMMARY_ZH if problem.language == "zh" else SUMMARY
    return readable(reasoning, summary.format(expression=problem.expression, answer=problem.answer))


def few_shot_prompt(examples: list[tuple[str, str]], problem: str, separator: str) -> str:
    """Source 1 (few-shot prompting with long-CoT examples): ``k`` solved examples, each a
    prompt in the R1-Zero template followed by its readable completion, then the problem.

    Args:
        examples: ``(problem text, completion)`` pairs.
        problem: the problem to solve.
        separator: put between documents (the tokenizer's EOS, as in pretraining).
    """
    from r1lib.templates import make_prompt

    return few_shot_prefix(examples, separator) + make_prompt(problem)


def few_shot_prefix(examples: list[tuple[str, str]], separator: str) -> str:
    """The solved examples of :func:`few_shot_prompt` without the final problem: each
    ``(problem, completion)`` as an R1-Zero-template prompt followed by its completion and
    ``separator``. Put before a prompt for few-shot prompting (e.g. the paper's prompt
    sensitivity check, §5: few-shot prompting degrades R1)."""
    from r1lib.templates import make_prompt

    return "".join(make_prompt(p) + c + separator for p, c in examples)


def grade(records: list[dict], verifier=None) -> list[dict]:
    """Add ``correct`` (bool) to records with ``completion`` and ``answer``, in one batch."""
    from r1lib.verify import batch_answers_correct

    scores = batch_answers_correct([r["completion"] for r in records], [r["answer"] for r in records],
                                   verifier)
    return [{**r, "correct": bool(s)} for r, s in zip(records, scores)]


def cold_start_filters(target_language: str = "en") -> dict:
    """The paper's cold-start filters, in order: the readable pattern (a summary with one boxed
    answer), no language mixing, a correct answer. Each is ``f(record) -> bool`` on graded
    records (see :func:`grade`), for :func:`apply_filters`.

    Source: DeepSeek-R1 §2.3.1 ("filter out results that are not reader-friendly"), §2.3.3
    ("filtered out chain-of-thought with mixed languages … wrong answers").
    """
    from r1lib.language import is_mixed

    return {
        "no_summary": lambda r: readable_ok(r["completion"]),
        "language_mixing": lambda r: not is_mixed(r["completion"])
        and _lang_ok(r["completion"], target_language),
        "wrong_answer": lambda r: r["correct"],
    }


def _lang_ok(text: str, target: str) -> bool:
    from r1lib.language import target_language_share

    return target_language_share(text, target) == 1.0


def sample_source(model, tok, name: str, prompts: list[str], problems: list[dict], n: int,
                  max_new_tokens: int, seed: int, rewrite: bool, temperature: float = 0.6,
                  top_p: float = 0.95, max_prompt_tokens: int = 480) -> list[dict]:
    """Sample ``n`` completions per prompt and return graded cold-start candidates.

    Args:
        model, tok: the model that is prompted (e.g. the R1-Zero policy).
        name: the source's name, stored in each record's ``source``.
        prompts: one full prompt per problem.
        problems: ``{"id", "problem", "answer"}`` aligned with ``prompts``; micro problems are
            ``Compute <expression>``.
        rewrite: post-process each output with :func:`rewrite_r1_zero` (outputs that cannot be
            rewritten are kept unchanged, so the filters count them).

    Returns:
        Records ``{"id", "problem", "answer", "completion", "source", "correct"}``.
    """
    from r1lib.generation import sample

    gen = sample(model, tok, prompts, n=n, temperature=temperature, top_p=top_p,
                 max_new_tokens=max_new_tokens, max_prompt_tokens=max_prompt_tokens, seed=seed)
    out = []
    for p, texts in zip(problems, gen.texts):
        expression = _expression(p["problem"])
        for t in texts:
            c = (rewrite_r1_zero(t, expression) or t) if rewrite else t
            out.append({"id": p["id"], "problem": p["problem"], "answer": p["answer"],
                        "completion": c, "source": name})
    return grade(out)


def _expression(problem: str) -> str:
    """The chain of a micro problem text, in either language ("Compute 1+2" / "计算 1+2")."""
    from r1lib.world import PROBLEM_PREFIX

    for prefix in PROBLEM_PREFIX.values():
        problem = problem.removeprefix(prefix)
    return problem.strip()


def rollouts_source(rollouts, problems_by_id: dict[str, dict], name: str = "r1_zero_rollouts") -> list[dict]:
    """Source 3: the R1-Zero RL rollouts (``completions.parquet`` rows with ``prompt_id`` and
    ``completion``) rewritten into the readable pattern and graded."""
    out = []
    for pid, text in zip(rollouts["prompt_id"], rollouts["completion"]):
        p = problems_by_id.get(pid)
        if p is None:
            continue
        expression = _expression(p["problem"])
        out.append({"id": pid, "problem": p["problem"], "answer": p["answer"], "source": name,
                    "completion": rewrite_r1_zero(text, expression) or text})
    return grade(out)
