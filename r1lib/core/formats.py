"""The text formats every layer agrees on: the tags of a completion and the readable pattern.

* R1-Zero completions (paper Table 1): ``<think> reasoning </think> <answer> answer </answer>``.
* The readable pattern of R1's cold-start data (§2.3.1, ``|special_token|<reasoning_process>|
  special_token|<summary>``): here `` <think> reasoning </think> summary``, the summary stating
  the final answer in ``\\boxed{}``.

These are plain string functions with no r1lib imports, so that data sources can write records in
the pattern the recipe trains on and checks.
"""

from __future__ import annotations

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"
TAGS = (THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE)

# The summary states the result in one short sentence. (Restating the whole chain, "So 1+9-2 =
# \boxed{8}.", made the micro model copy the chain from far back and then add it up hastily.)
SUMMARY = {"en": "So the answer is \\boxed{{{answer}}}.", "zh": "所以答案是 \\boxed{{{answer}}}。"}
"""The summary sentence of a readable reasoning completion, per language (``.format(answer=)``)."""


def readable(reasoning: str, summary: str) -> str:
    """Assemble a completion in the readable pattern: `` <think> reasoning </think> summary``.

    Source: DeepSeek-R1 §2.3.1 (reasoning process, then a summary).
    """
    return f" {THINK_OPEN} {reasoning.strip()} {THINK_CLOSE} {summary.strip()}"


def split_readable(completion: str) -> tuple[str, str] | None:
    """``(reasoning, summary)`` of a completion with exactly one think block and nothing before
    it, both stripped; None otherwise."""
    if completion.count(THINK_OPEN) != 1 or completion.count(THINK_CLOSE) != 1:
        return None
    head, _, rest = completion.partition(THINK_OPEN)
    reasoning, _, summary = rest.partition(THINK_CLOSE)
    if head.strip():
        return None
    return reasoning.strip(), summary.strip()


def summary_of(completion: str) -> str:
    """The summary of a completion: the text after the last ``</think>``, stripped.

    A completion without ``</think>`` is all summary (the whole text, stripped).
    """
    return completion.rsplit(THINK_CLOSE, 1)[-1].strip()


def reasoning_text(completion: str) -> str:
    """The text inside the first ``<think>…</think>`` (everything after ``<think>`` if
    unclosed; the whole completion if there is no think tag)."""
    start = completion.find(THINK_OPEN)
    if start < 0:
        return completion
    end = completion.find(THINK_CLOSE, start)
    return completion[start + len(THINK_OPEN): end if end >= 0 else None]
