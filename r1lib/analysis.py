"""Analysis of RL logs: reflection words, response length and reward per step.

The reflection keywords follow those counted by SimpleRL-Zoo, oat-zero and understand-r1-zero
(English) plus the Chinese connectives of the micro world; a completion "reflects" when its
reasoning contains any of them (case-insensitive, whole words for the English ones).
"""

from __future__ import annotations

import re

import pandas as pd

REFLECTION_WORDS = [
    "wait", "recheck", "re-check", "rethink", "re-evaluate", "re-examine", "reconsider",
    "retry", "try again", "check again", "double-check", "double check", "verify",
    "let me check", "alternatively",
    "等等", "检查", "验证",
]
_EN = [w for w in REFLECTION_WORDS if w.isascii()]
_ZH = [w for w in REFLECTION_WORDS if not w.isascii()]
_PATTERN = re.compile(r"\b(" + "|".join(re.escape(w) for w in _EN) + r")\b"
                      + "|" + "|".join(re.escape(w) for w in _ZH), re.IGNORECASE)


def reasoning_text(completion: str) -> str:
    """The text inside the first ``<think>…</think>`` (everything after ``<think>`` if
    unclosed; the whole completion if there is no think tag)."""
    start = completion.find("<think>")
    if start < 0:
        return completion
    end = completion.find("</think>", start)
    return completion[start + 7: end if end >= 0 else None]


def count_reflection(completion: str) -> int:
    """Number of reflection-keyword occurrences in the completion's reasoning."""
    return len(_PATTERN.findall(reasoning_text(completion)))


def per_step(df: pd.DataFrame, reward_cols: list[str] | None = None) -> pd.DataFrame:
    """Aggregate a ``completions.parquet`` frame per RL step.

    Args:
        df: rows with ``step``, ``completion``, ``length`` and one column per reward.
        reward_cols: reward columns to average (default: every numeric column except step,
            length).

    Returns:
        One row per step: mean of each reward, ``reward`` (their sum), ``length`` (tokens),
        ``reflection_rate`` (share of completions with a reflection word).
    """
    df = df.copy()
    df["reflection"] = df["completion"].map(count_reflection) > 0
    if reward_cols is None:
        reward_cols = [c for c in df.select_dtypes("number").columns
                       if c not in ("step", "length", "prompt_id")]
    g = df.groupby("step")
    out = g[reward_cols].mean()
    out["reward"] = out[reward_cols].sum(axis=1)
    out["length"] = g["length"].mean()
    out["reflection_rate"] = g["reflection"].mean()
    return out.reset_index()


def smooth(s: pd.Series, window: int) -> pd.Series:
    """Centred rolling mean (for plotting noisy per-step curves)."""
    return s.rolling(window, min_periods=1, center=True).mean()


def mixing_per_step(df: pd.DataFrame, language_by_id: dict[str, str]) -> pd.DataFrame:
    """Language-mixing rate per RL step from a ``completions.parquet`` frame.

    Args:
        df: rows with ``step``, ``prompt_id`` and ``completion``.
        language_by_id: prompt id -> target language (``"en"``/``"zh"``; unknown ids: en).

    Returns:
        One row per step: ``step``, ``mixed_language_rate`` (share of rollouts whose reasoning
        holds a word outside the prompt's language, ``r1lib.evaluation.is_language_mixed``).
    """
    from r1lib.evaluation import is_language_mixed

    mixed = [is_language_mixed(c, language_by_id.get(pid, "en"))
             for c, pid in zip(df["completion"], df["prompt_id"])]
    out = pd.DataFrame({"step": df["step"].to_numpy(), "mixed": mixed})
    return out.groupby("step").mixed.mean().rename("mixed_language_rate").reset_index()


def first_step_reaching(probes: pd.DataFrame, target: float, column: str = "pass@1") -> int | None:
    """The first probed RL step at which ``probes[column] >= target`` (``probes.jsonl`` rows
    sorted by step), or None if no probe reaches it. Used for "steps needed to reach R1-Zero's
    final accuracy" (the cold-start comparison of paper §2.3.1)."""
    hit = probes.sort_values("step")
    hit = hit[hit[column] >= target]
    return int(hit.step.iloc[0]) if len(hit) else None
