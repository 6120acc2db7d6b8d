"""Decontamination: drop training texts that share a word 8-gram with a held-out benchmark problem.

The check of open-r1's ``scripts/decontaminate.py`` (huggingface/open-r1, after s1's
``data/decontaminate_util.py``, arXiv 2501.19393): texts are normalised, split into words, and a
training text is contaminated when any of its word n-grams (n = 8) is an n-gram of a held-out
problem. Two additions for this kit's data: normalisation also maps punctuation to spaces (so
``$x^2$,`` and ``x^2`` are the same words) and applies NFKC (full-width digits and punctuation of
Chinese text); and each CJK character counts as one word, since Chinese is written without spaces.
Texts with fewer than ``n`` words are compared as one whole normalised string.

The held-out side is stored as a set of n-gram hashes, so checking ~20k training texts against
~2.5k held-out problems takes a few seconds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["NGRAM", "Decontaminator", "normalize", "ngrams", "words"]

NGRAM = 8
"""The n-gram size of open-r1's decontamination (``--ngram_size 8``)."""

_PUNCT = re.compile(r"[^\w\s]|_", flags=re.UNICODE)
_CJK = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")


def normalize(text: str) -> str:
    """Lower-case, NFKC-normalise, turn punctuation into spaces and collapse whitespace.

    Args:
        text: any string.

    Returns:
        The normalised string (words separated by single spaces, no leading/trailing space).

    Source: open-r1 ``scripts/decontaminate.py`` ``normalize_string`` (lower-case, whitespace
    collapsed), plus NFKC and punctuation removal.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(_PUNCT.sub(" ", text).split())


def words(text: str) -> list[str]:
    """The words of ``normalize(text)``; every CJK character is a word of its own.

    Returns:
        The list of words, in order.
    """
    return _CJK.sub(r" \1 ", normalize(text)).split()


def ngrams(text: str, n: int = NGRAM) -> set[str]:
    """The word n-grams of a text (words joined by one space).

    Args:
        text: any string (normalised here).
        n: n-gram size, ``> 0``.

    Returns:
        The set of n-grams; a text with fewer than ``n`` words gives ``{whole normalised text}``
        (its words joined), and an empty text the empty set.

    Raises:
        ValueError: ``n < 1``.

    Source: open-r1 ``scripts/decontaminate.py`` ``word_ngrams``.
    """
    if n < 1:
        raise ValueError(f"n-gram size must be >= 1, got {n}")
    ws = words(text)
    if len(ws) < n:
        return {" ".join(ws)} if ws else set()
    return {" ".join(ws[i:i + n]) for i in range(len(ws) - n + 1)}


class Decontaminator:
    """An n-gram index of held-out texts, to test and filter training texts against.

    Args:
        texts: the held-out texts (benchmark problems).
        n: n-gram size (default 8, as open-r1).

    Attributes:
        n: the n-gram size.
        size: number of distinct held-out n-grams indexed.

    Source: open-r1 ``scripts/decontaminate.py`` (``build_ngram_lookup`` / ``find_contaminated``).
    """

    def __init__(self, texts: Iterable[str], n: int = NGRAM):
        self.n = n
        self._index: set[int] = {hash(g) for t in texts for g in ngrams(t, n)}
        self.size = len(self._index)

    def contaminated(self, text: str) -> bool:
        """Whether ``text`` shares an n-gram (or, when short, its whole normalised text) with a
        held-out text.

        Returns:
            True when contaminated.
        """
        return any(hash(g) in self._index for g in ngrams(text, self.n))

    def filter(self, records: list[dict], fields: tuple[str, ...]) -> tuple[list[dict], int]:
        """Keep the records none of whose ``fields`` (missing ones skipped) is contaminated.

        Args:
            records: any dicts.
            fields: the text fields to check (e.g. ``("problem",)`` or ``("prompt",)``).

        Returns:
            ``(kept, removed_count)``, ``kept`` in the input's order.
        """
        kept = [r for r in records if not any(self.contaminated(str(r[f])) for f in fields if r.get(f))]
        return kept, len(records) - len(kept)
