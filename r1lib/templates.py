"""Prompt templates of the DeepSeek-R1 paper.

The R1-Zero template is Table 1 of the paper (arXiv 2501.12948, §2.2.3 "Training Template"),
word for word, with the user's question in place of ``prompt``. The prompt ends with
``Assistant:``; the completion the policy writes is ``<think> … </think> <answer> … </answer>``.
"""

from __future__ import annotations

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
