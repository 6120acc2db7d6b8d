"""Prompt templates of the DeepSeek-R1 paper, and the check of the readable pattern.

The R1-Zero template is Table 1 of the paper (arXiv 2501.12948, §2.2.3 "Training Template"),
word for word, with the user's question in place of ``prompt``. The prompt ends with
``Assistant:``; the completion the policy writes is ``<think> … </think> <answer> … </answer>``.
"""

from __future__ import annotations

import re

from r1lib.core.formats import TAGS, split_readable
from r1lib.core.profile import ReasoningRLConfig
from r1lib.sources.benchmarks import balance_by

R1_ZERO_TEMPLATE = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant "
    "solves it. The assistant first thinks about the reasoning process in the mind and then "
    "provides the user with the answer. The reasoning process and answer are enclosed within "
    "<think> </think> and <answer> </answer> tags, respectively, i.e., <think> reasoning process "
    "here </think> <answer> answer here </answer>. User: {prompt}. Assistant:"
)

TEMPLATES = {"r1_zero": R1_ZERO_TEMPLATE}


def make_prompt(problem: str, template: str = "r1_zero") -> str:
    """Wrap one problem statement in a named template.

    Args:
        problem: the question text, as in the benchmark file (a trailing period is dropped,
            since the template adds one).
        template: a key of ``TEMPLATES``.

    Returns:
        The full prompt string, ending with ``Assistant:``.

    Raises:
        KeyError: unknown template name (the message lists the known ones).

    Source: DeepSeek-R1 paper, Table 1.
    """
    if template not in TEMPLATES:
        raise KeyError(f"unknown template {template!r}; known: {sorted(TEMPLATES)}")
    return TEMPLATES[template].format(prompt=problem.strip().rstrip("."))


_BOXED = re.compile(r"\\boxed\s*\{")


def readable_ok(completion: str) -> bool:
    """Whether ``completion`` follows the readable pattern exactly.

    One think block first (only whitespace before it), non-empty reasoning, then a non-empty
    summary with no think/answer tags and exactly one ``\\boxed{…}``
    (:func:`r1lib.core.formats.readable` writes the pattern).

    Source: DeepSeek-R1 §2.3.1 (readable pattern: reasoning, then a summary).
    """
    parts = split_readable(completion)
    if parts is None:
        return False
    reasoning, summary = parts
    if not reasoning or not summary or any(t in reasoning or t in summary for t in TAGS):
        return False
    return len(_BOXED.findall(summary)) == 1


def rl_records(problems: list[dict], template: str = "r1_zero", category: str | None = None) -> list[dict]:
    """RL prompts from reasoning problems: ``{"prompt", "answer", "id", "language"}`` (+
    ``category`` when given), the prompt in ``template``; the columns reach the reward functions
    (TRL passes dataset columns as keyword arguments).

    Source: DeepSeek-R1 §2.2 (R1-Zero's RL prompts in the Table 1 template).
    """
    out = [{"prompt": make_prompt(r["problem"], template), "answer": r["answer"], "id": r["id"],
            "language": r.get("language", "en")} for r in problems]
    return [{**r, "category": category} for r in out] if category else out


def reasoning_rl_records(problems: list[dict], cfg: ReasoningRLConfig, seed: int) -> list[dict]:
    """Stage 03's RL prompts: :func:`rl_records` of ``problems``, subsampled to equal numbers
    per language when ``cfg.balance_languages`` (``balance_by``, seeded by ``seed``).

    Source: DeepSeek-R1 §2.3.2 (RL prompts in several languages, where mixing arises).
    """
    return rl_records(balance_by(problems, "language", seed) if cfg.balance_languages else problems)
