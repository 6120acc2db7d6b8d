"""Language mixing and readability of completions, by Unicode script (offline, no models).

DeepSeek-R1 (arXiv 2501.12948) observes that R1-Zero's chains of thought "often mix
languages" and lack readability. Two remedies are measured here:

* §2.3.2 **language consistency reward**: "calculated as the proportion of target language
  words in the CoT" (:func:`reasoning_language_share`, registered as the
  ``language_consistency`` reward in :mod:`r1lib.recipe.rewards`);
* §2.3.1 **readable output format** of the cold-start data: the reasoning is followed by a
  summary for the reader, and responses without readable language (mixing) are filtered out
  (:func:`readability`).

Words are counted per script, not per dictionary: a run of Latin letters is one English word,
each CJK ideograph is one Chinese word (Chinese is written without spaces), digits,
punctuation, whitespace, LaTeX commands (``\\frac``) and the R1 tags (``<think>``,
``</think>``, ``<answer>``, ``</answer>``) are not words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from r1lib.core.formats import reasoning_text

__all__ = [
    "LANGUAGES",
    "SUPPORTED_TARGETS",
    "is_mixed",
    "readability",
    "reasoning_language_share",
    "summary_text",
    "target_language_share",
    "words_by_language",
]

LANGUAGES = ("en", "zh", "other")
"""Keys of :func:`words_by_language` (``"other"``: letters of any other script)."""

SUPPORTED_TARGETS = ("en", "zh")
"""Target languages accepted by :func:`target_language_share` and the reward."""

# CJK Unified Ideographs: basic block, extension A, compatibility ideographs, and the
# supplementary-plane extensions B..H with the compatibility supplement (rare characters).
_CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0xF900, 0xFAFF),
    (0x20000, 0x323AF),
)

# Markup that is not prose: LaTeX control words (a backslash followed by letters) and the tags.
_MARKUP = re.compile(r"\\[A-Za-z]+|</?(?:think|answer)>")
_ANSWER_BLOCK = re.compile(r"<answer>.*?(?:</answer>|\Z)", re.DOTALL)


@lru_cache(maxsize=8192)
def _char_class(ch: str) -> str | None:
    """``"zh"``, ``"en"``, ``"other"`` for letters, ``"mark"`` for combining marks, else None."""
    cp = ord(ch)
    if ch.isascii():
        return "en" if ch.isalpha() else None
    for lo, hi in _CJK_RANGES:
        if lo <= cp <= hi:
            return "zh"
    if ch.isalpha():
        return "en" if "LATIN" in unicodedata.name(ch, "") else "other"
    if unicodedata.category(ch).startswith("M"):
        return "mark"
    return None


def words_by_language(text: str) -> dict[str, int]:
    """Number of words of each language in ``text``, by Unicode script.

    * ``"en"``: each maximal run of Latin-script letters (``[A-Za-z]``, plus accented Latin
      letters such as ``é``; combining marks continue a word) is one word, so ``"let's"`` is
      two words;
    * ``"zh"``: each CJK Unified Ideograph (U+4E00–U+9FFF, extension A U+3400–U+4DBF,
      compatibility U+F900–U+FAFF, and the rare supplementary-plane extensions) is one word;
    * ``"other"``: each maximal run of letters of any other script (Cyrillic, Greek, kana...).

    Digits, punctuation (ASCII and full-width), whitespace, LaTeX control words (``\\frac``,
    ``\\boxed``: a backslash followed by letters) and the tags ``<think>``, ``</think>``,
    ``<answer>``, ``</answer>`` are not words. The argument of ``\\text{...}`` is.

    Args:
        text: any string.

    Returns:
        ``{"en": int, "zh": int, "other": int}`` (always all three keys, counts >= 0).

    Raises:
        TypeError: ``text`` is not a ``str``.

    Source: word measure for DeepSeek-R1 §2.3.2 (language consistency reward).
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    counts = dict.fromkeys(LANGUAGES, 0)
    text = _MARKUP.sub(" ", unicodedata.normalize("NFC", text))
    current = None  # class of the word being read ("en"/"other"), None between words
    for ch in text:
        cls = _char_class(ch)
        if cls == "zh":
            counts["zh"] += 1
            current = None
        elif cls == "mark":
            continue
        elif cls is None:
            current = None
        elif cls != current:
            counts[cls] += 1
            current = cls
    return counts


def _check_target(target: str) -> None:
    if target not in SUPPORTED_TARGETS:
        raise ValueError(f"unsupported target language {target!r}; supported: {list(SUPPORTED_TARGETS)}")


def target_language_share(text: str, target: str = "en") -> float:
    """Share of the words of ``text`` that are in ``target`` (see :func:`words_by_language`).

    Args:
        text: any string.
        target: ``"en"`` or ``"zh"``.

    Returns:
        ``float`` in [0, 1]: target words / all words (``"other"`` words included in the
        denominator); 1.0 when ``text`` has no words at all (nothing to mix).

    Raises:
        ValueError: ``target`` is not a supported language (the message lists ``"en"``, ``"zh"``).
        TypeError: ``text`` is not a ``str``.

    Source: DeepSeek-R1 §2.3.2: the language consistency reward "is calculated as the
    proportion of target language words in the CoT".
    """
    _check_target(target)
    counts = words_by_language(text)
    total = sum(counts.values())
    return 1.0 if total == 0 else counts[target] / total


def is_mixed(text: str, min_words: int = 1) -> bool:
    """Whether ``text`` mixes languages: two or more of ``"en"``, ``"zh"``, ``"other"`` have
    at least ``min_words`` words each.

    Args:
        text: any string.
        min_words: words a language needs to count as present (>= 1); raise it to tolerate a
            stray foreign word or symbol.

    Returns:
        ``bool``.

    Raises:
        ValueError: ``min_words < 1``.
        TypeError: ``text`` is not a ``str``.

    Source: DeepSeek-R1 §2.3.1/§2.3.2 (language mixing in R1-Zero's CoT).
    """
    if min_words < 1:
        raise ValueError(f"min_words must be >= 1, got {min_words}")
    counts = words_by_language(text)
    return sum(1 for n in counts.values() if n >= min_words) >= 2


def reasoning_language_share(completion: str, target: str = "en") -> float:
    """Target-language share of the reasoning only (the text inside ``<think>…</think>``,
    :func:`r1lib.core.formats.reasoning_text`; the summary and ``<answer>`` are not counted).

    Args:
        completion: the completion text.
        target: ``"en"`` or ``"zh"``.

    Returns:
        ``float`` in [0, 1]; 1.0 when the reasoning has no words.

    Raises:
        ValueError: unsupported ``target``.
        TypeError: ``completion`` is not a ``str``.

    Source: DeepSeek-R1 §2.3.2 language consistency reward ("proportion of target language
    words in the CoT").
    """
    if not isinstance(completion, str):
        raise TypeError(f"completion must be a str, got {type(completion).__name__}")
    return target_language_share(reasoning_text(completion), target)


def summary_text(completion: str) -> str:
    """The summary of a readable completion: the text after the first ``</think>`` with every
    ``<answer>…</answer>`` block removed (an unclosed ``<answer>`` removes the rest), stripped.

    Args:
        completion: e.g. ``" <think> r </think> The sum is 8. <answer> 8 </answer>"``.

    Returns:
        ``str`` (``"The sum is 8."``); ``""`` when there is no ``</think>``.

    Raises:
        TypeError: ``completion`` is not a ``str``.

    Source: DeepSeek-R1 §2.3.1: the cold-start output format
    ``|special_token|<reasoning_process>|special_token|<summary>``.
    """
    if not isinstance(completion, str):
        raise TypeError(f"completion must be a str, got {type(completion).__name__}")
    end = completion.find("</think>")
    if end < 0:
        return ""
    return _ANSWER_BLOCK.sub(" ", completion[end + len("</think>"):]).strip()


def readability(completion: str, target: str = "en") -> dict:
    """The readability criteria of DeepSeek-R1 §2.3.1 for one completion.

    Args:
        completion: the completion text.
        target: the language the reader expects, ``"en"`` or ``"zh"``.

    Returns:
        ``dict`` with
        ``"has_summary"`` (bool: :func:`summary_text` contains at least one word),
        ``"single_language"`` (bool: not :func:`is_mixed` on the whole completion; tags ignored),
        ``"readable"`` (bool: ``has_summary and single_language``) and
        ``"target_share"`` (float in [0, 1]: :func:`target_language_share` of the whole
        completion; 0.0 for a single-language completion in the wrong language).

    Raises:
        ValueError: unsupported ``target``.
        TypeError: ``completion`` is not a ``str``.

    Source: DeepSeek-R1 §2.3.1 (readable pattern with a summary at the end; responses that
    are not reader-friendly or mix languages are filtered out).
    """
    _check_target(target)
    has_summary = sum(words_by_language(summary_text(completion)).values()) > 0
    single_language = not is_mixed(completion)
    return {
        "has_summary": has_summary,
        "single_language": single_language,
        "readable": has_summary and single_language,
        "target_share": target_language_share(completion, target),
    }


def is_language_mixed(completion: str, target: str = "en") -> bool:
    """Whether a completion's reasoning mixes languages with respect to its prompt: it holds a
    word that is not in ``target`` (the prompt's language), e.g. "Wait" in the reasoning for a
    Chinese question, or "等等" for an English one. Reasoning without words (only arithmetic)
    is not mixed.

    Source: DeepSeek-R1 §2.3.2 ("CoT often exhibits language mixing, particularly when RL
    prompts involve multiple languages"); words by Unicode script (``r1lib.recipe.language``).
    """
    return reasoning_language_share(completion, target) < 1.0


def mixed_language_rate(completions: Sequence[str], targets: Sequence[str]) -> float:
    """Share of ``completions`` for which :func:`is_language_mixed` holds (4 decimals; nan when
    empty), each against its own target language.

    Raises:
        ValueError: ``targets`` not aligned with ``completions``.
    """
    if len(targets) != len(completions):
        raise ValueError(f"{len(targets)} target languages for {len(completions)} completions")
    if not completions:
        return float("nan")
    flags = [is_language_mixed(c, t) for c, t in zip(completions, targets)]
    return round(sum(flags) / len(flags), 4)
