"""Analysis of RL logs: reflection words, response length and reward per step, and the
"aha moment" measures that keep a keyword count honest.

The reflection keywords are one documented list, the union of those counted by SimpleRL-Zoo,
oat-zero, understand-r1-zero (Dr. GRPO) and Open-Reasoner-Zero (English), plus the Chinese
connectives of the micro world; a completion "reflects" when its reasoning contains any of them
(case-insensitive, whole words for the English ones). oat-zero and Dr. GRPO showed that base
models already say "wait" and that reflection often does not end in a correct answer, so the
keyword rate is read beside the base model's rate (:func:`reflection_per_step` on its samples)
and split by correctness (:func:`reflection_by_correctness`, superficial self-reflection).
"""

from __future__ import annotations

import re

import pandas as pd

from r1lib.recipe.answer import extract_final_answers
from r1lib.recipe.language import is_language_mixed

REFLECTION_WORDS = [
    "wait", "recheck", "re-check", "rethink", "re-evaluate", "re-examine", "reconsider",
    "retry", "try again", "check again", "double-check", "double check", "verify",
    "let me check", "alternatively", "however",
    "等等", "检查", "验证",
]
"""Reflection phrases: the union of SimpleRL-Zoo, oat-zero, understand-r1-zero and
Open-Reasoner-Zero's English lists, plus the micro world's Chinese connectives."""
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
        One row per step: mean of each reward, ``reward`` (their sum), ``accuracy`` when the
        rows have it (also for a run graded by ``accuracy_lenient``, not added to ``reward``),
        ``length`` (tokens), ``reflection_rate`` (share of completions with a reflection word).
    """
    df = df.copy()
    df["reflection"] = df["completion"].map(count_reflection) > 0
    if reward_cols is None:
        reward_cols = [c for c in df.select_dtypes("number").columns
                       if c not in ("step", "length", "prompt_id")]
    g = df.groupby("step")
    out = g[reward_cols].mean()
    out["reward"] = out[reward_cols].sum(axis=1)
    if "accuracy" in df and "accuracy" not in out:  # the lenient grader's alias (CompletionLog)
        out["accuracy"] = g["accuracy"].mean()
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
        holds a word outside the prompt's language, ``r1lib.recipe.evaluation.is_language_mixed``).
    """

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


def _flags(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with ``reflects`` (bool) and ``correct`` (bool, from ``correct`` or ``accuracy``)."""
    out = df.copy()
    out["reflects"] = out["completion"].map(count_reflection) > 0
    if "correct" in out:
        out["correct"] = out["correct"].astype(bool)
    elif "accuracy" in out:
        out["correct"] = out["accuracy"].fillna(0) > 0.5
    else:
        raise ValueError("need a 'correct' or an 'accuracy' column to split reflection by correctness")
    return out


def reflection_per_step(df: pd.DataFrame, prompt_col: str = "prompt_id") -> pd.DataFrame:
    """Reflection per RL step, counted per response and per question.

    Args:
        df: ``completions.parquet`` rows (``step``, ``prompt_id``, ``completion``); a frame of
            base-model samples works too (give every row the same ``step``).
        prompt_col: the column naming the question.

    Returns:
        One row per step: ``reflection_rate`` (share of responses with a reflection phrase),
        ``reflection_per_question`` (share of questions with at least one such response),
        ``reflection_words`` (mean number of phrases per response), ``responses``.

    Source: the keyword measures of SimpleRL-Zoo / oat-zero / understand-r1-zero.
    """
    d = df.assign(n=df["completion"].map(count_reflection))
    d["reflects"] = d.n > 0
    g = d.groupby("step")
    out = pd.DataFrame({"reflection_rate": g.reflects.mean(), "reflection_words": g.n.mean(),
                        "responses": g.size()})
    out["reflection_per_question"] = d.groupby(["step", prompt_col]).reflects.any().groupby("step").mean()
    return out.reset_index()


def reflection_by_correctness(df: pd.DataFrame) -> dict[str, float]:
    """Reflection split by correctness: how often reflection ends in a correct answer.

    Args:
        df: rows with ``completion`` and ``correct`` (bool) or ``accuracy`` (reward, 1 = right).

    Returns:
        ``{"responses", "reflective", "reflective_correct", "reflective_wrong",
        "plain_correct", "plain_wrong", "ssr_share", "acc_reflective", "acc_plain"}``:
        counts, then ``ssr_share`` = reflective_wrong / reflective (superficial
        self-reflection: reflection that does not end in a correct answer; nan without
        reflective responses) and the accuracy with and without reflection.

    Raises:
        ValueError: neither ``correct`` nor ``accuracy`` is given.

    Source: Liu et al. 2025 (oat-zero, "superficial self-reflection").
    """
    d = _flags(df)
    r, c = d.reflects, d.correct
    counts = {"responses": len(d), "reflective": int(r.sum()), "reflective_correct": int((r & c).sum()),
              "reflective_wrong": int((r & ~c).sum()), "plain_correct": int((~r & c).sum()),
              "plain_wrong": int((~r & ~c).sum())}
    nan = float("nan")
    counts["ssr_share"] = counts["reflective_wrong"] / counts["reflective"] if counts["reflective"] else nan
    counts["acc_reflective"] = counts["reflective_correct"] / counts["reflective"] if counts["reflective"] else nan
    plain = counts["plain_correct"] + counts["plain_wrong"]
    counts["acc_plain"] = counts["plain_correct"] / plain if plain else nan
    return counts


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def aha_episodes(df: pd.DataFrame, max_episodes: int | None = 20, context: int = 160) -> pd.DataFrame:
    """Completions with an "aha moment" (paper Table 3): a reflection phrase, after which the
    answer changes, and the final answer is correct.

    The answer before reflecting is the last number in the reasoning before the first
    reflection phrase; the final answer is the completion's final answer
    (``r1lib.recipe.equivalence.extract_final_answers``, the last one). A completion is an episode when it
    is correct, reflects, had a number before reflecting, and that number differs from the final
    answer (compared as text after stripping; no verifier, so ``0.5`` vs ``1/2`` counts as a
    change).

    Args:
        df: rows with ``completion`` and ``correct`` or ``accuracy``; ``step`` and
            ``prompt_id`` are kept when present.
        max_episodes: the first this many (in the frame's order); None: all.
        context: characters of the reasoning shown before and after the reflection phrase.

    Returns:
        One row per episode: ``step``, ``prompt_id`` (when given), ``before`` (answer before
        reflecting), ``after`` (final answer), ``phrase``, ``excerpt`` (readable text around the
        phrase, with ``…`` where cut). The frame's ``attrs["total"]`` holds the number of
        episodes found before the cut.

    Raises:
        ValueError: neither ``correct`` nor ``accuracy`` is given.

    Source: DeepSeek-R1 §2.2.4 (Table 3, "aha moment"); extraction rule of this project.
    """

    d = _flags(df)
    rows = []
    for _, r in d[d.reflects & d.correct].iterrows():
        text = reasoning_text(r["completion"])
        m = _PATTERN.search(text)
        if m is None:
            continue
        before = _NUMBER.findall(text[: m.start()])
        finals = extract_final_answers(r["completion"])
        if not before or not finals:
            continue
        after = finals[-1].strip()
        if before[-1].strip() == after:
            continue
        lo, hi = max(0, m.start() - context), min(len(text), m.end() + context)
        excerpt = ("…" if lo else "") + text[lo:hi].strip() + ("…" if hi < len(text) else "")
        rows.append({**{k: r[k] for k in ("step", "prompt_id") if k in r}, "before": before[-1], "after": after,
                     "phrase": m.group(0), "excerpt": excerpt})
    out = pd.DataFrame(rows, columns=[c for c in ("step", "prompt_id") if c in d]
                       + ["before", "after", "phrase", "excerpt"])
    total = len(out)
    if max_episodes is not None:
        out = out.head(max_episodes).reset_index(drop=True)
    out.attrs["total"] = total
    return out
