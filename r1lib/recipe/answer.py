"""Finding the final answer of a completion, and telling a hedge from an answer.

The extraction half of the rule-based verifier behind the *accuracy reward* of DeepSeek-R1
(arXiv 2501.12948, §2.2.2: "the model is required to provide the final answer in a specified
format (e.g., within a box), enabling reliable rule-based verification"):

* :func:`extract_final_answers` finds the final-answer *statements* of a completion with a small
  scanner (never a big regex, never evaluating TeX): ``<answer>...</answer>`` blocks and
  ``\\boxed{...}`` groups outside the ``<think>`` reasoning.
* :func:`is_hedge` rejects statements that offer several options ("3 or 4", "3, 4").

Deciding whether a statement equals the gold is :mod:`r1lib.recipe.equivalence` (math-verify in
worker processes).
"""

from __future__ import annotations

import re

__all__ = ["extract_final_answers", "is_hedge"]

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"

# --------------------------------------------------------------------------------------------
# Scanning helpers
# --------------------------------------------------------------------------------------------

_BOX_COMMANDS = ("\\boxed", "\\fbox")


def _match_brace(text: str, open_pos: int) -> int:
    """Index of the ``}`` closing the ``{`` at ``open_pos``, or -1 when unbalanced.

    Backslash escapes are skipped, so ``\\{`` and ``\\}`` (literal set braces) do not count.
    """
    depth = 0
    i = open_pos
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _find_boxed(text: str) -> list[tuple[int, int, str]]:
    """All ``\\boxed{...}`` / ``\\boxed {...}`` / ``\\fbox{...}`` groups, brace-matched.

    Returns ``(start, end, content)`` triples in order; ``end`` is one past the closing brace.
    Unbalanced (e.g. truncated) groups are ignored.
    """
    out: list[tuple[int, int, str]] = []
    i = 0
    while True:
        best = -1
        cmd = ""
        for c in _BOX_COMMANDS:
            j = text.find(c, i)
            if j != -1 and (best == -1 or j < best):
                best, cmd = j, c
        if best == -1:
            return out
        k = best + len(cmd)
        while k < len(text) and text[k] in " \t\n\r":
            k += 1
        if k < len(text) and text[k] == "{":
            close = _match_brace(text, k)
            if close != -1:
                out.append((best, close + 1, text[k + 1:close]))
                i = close + 1
                continue
        i = best + len(cmd)


def _outside_think(completion: str) -> list[str]:
    """The segments of ``completion`` that are not reasoning.

    ``<think>``/``</think>`` nest (depth counter). A ``</think>`` before any ``<think>`` (a
    template that put ``<think>`` in the prompt) makes everything before it reasoning; a stray
    ``</think>`` after a closed block is ignored (kept as text). An unclosed ``<think>`` makes
    everything after it reasoning.
    """
    first_open = completion.find(THINK_OPEN)
    first_close = completion.find(THINK_CLOSE)
    pos = 0
    if first_close != -1 and (first_open == -1 or first_close < first_open):
        pos = first_close + len(THINK_CLOSE)
    segments: list[str] = []
    seg_start = pos
    depth = 0
    n = len(completion)
    while pos < n:
        if completion.startswith(THINK_OPEN, pos):
            if depth == 0:
                segments.append(completion[seg_start:pos])
            depth += 1
            pos += len(THINK_OPEN)
        elif completion.startswith(THINK_CLOSE, pos) and depth > 0:
            depth -= 1
            pos += len(THINK_CLOSE)
            if depth == 0:
                seg_start = pos
        else:
            nxt = completion.find("<", pos + 1)
            pos = n if nxt == -1 else nxt
    if depth == 0:
        segments.append(completion[seg_start:])
    return segments


def _statements_in(text: str) -> list[str]:
    """Final statements of one non-reasoning segment, in order of position."""
    found: list[tuple[int, str]] = []
    # answer blocks
    blocks: list[tuple[int, int]] = []
    i = 0
    while True:
        a = text.find(ANSWER_OPEN, i)
        if a == -1:
            break
        b = text.find(ANSWER_CLOSE, a + len(ANSWER_OPEN))
        if b == -1:
            break  # an unclosed <answer> is no block; its text stays ordinary text
        content = text[a + len(ANSWER_OPEN):b]
        boxed = _find_boxed(content)
        if boxed:
            found.extend((a, c) for _, _, c in boxed)
        else:
            found.append((a, content))
        end = b + len(ANSWER_CLOSE)
        blocks.append((a, end))
        i = end
    # boxed groups outside the answer blocks
    for start, _end, content in _find_boxed(text):
        if not any(s <= start < e for s, e in blocks):
            found.append((start, content))
    found.sort(key=lambda t: t[0])
    return [s for s in (c.strip() for _, c in found) if s]


def extract_final_answers(completion: str) -> list[str]:
    """Return the final-answer statements of a completion, in order of appearance.

    A statement is the content of an ``<answer>...</answer>`` block (or, when the block holds
    ``\\boxed{...}``, the boxed content(s) instead), and every ``\\boxed{...}`` /
    ``\\boxed {...}`` / ``\\fbox{...}`` outside both the reasoning and the answer blocks.
    Text inside ``<think>...</think>`` never counts; after an unclosed ``<think>`` everything is
    reasoning. Boxes are brace-matched (``\\boxed{\\frac{1}{2}}`` gives ``\\frac{1}{2}``).
    Statements are stripped and empty ones dropped; TeX is never evaluated.

    Args:
        completion: the model's completion text.

    Returns:
        ``list[str]``, possibly empty.

    Source: DeepSeek-R1 §2.2.2 (final answer "in a specified format (e.g., within a box)").
    """
    if not isinstance(completion, str):
        raise TypeError(f"completion must be str, got {type(completion).__name__}")
    out: list[str] = []
    for seg in _outside_think(completion):
        out.extend(_statements_in(seg))
    return out


# --------------------------------------------------------------------------------------------
# Hedge detection
# --------------------------------------------------------------------------------------------

_TEXT_CMD = re.compile(r"\\(?:text|textbf|textit|textrm|mathrm|mathbf|mbox|operatorname)\s*(?=\{)")
_SPACING = re.compile(r"\\(?:left|right|big|Big|bigg|Bigg)(?![A-Za-z])|\\[,;:! ]|\\quad|\\qquad|~")
_THOUSANDS = re.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?![\d])")
_HEDGE_WORDS = re.compile(r"(?<![\\A-Za-z])(?:or|either|and\s*/\s*or)(?![A-Za-z])|\\(?:lor|vee)(?![A-Za-z])",
                          re.IGNORECASE)
_OPTION_LABEL = re.compile(r"(?<![A-Za-z0-9_)\]}])\(\s*[A-E]\s*\)")
_ASSIGN = re.compile(r"^\s*([A-Za-z](?:_\{?\w+\}?)?)\s*=(?!=)")
_OPENERS = {"(", "[", "{"}
_CLOSERS = {")", "]", "}"}


def _unwrap_text(s: str) -> str:
    """Replace ``\\text{X}`` (and similar) by ``X``; brace-matched, repeated until stable."""
    while True:
        m = _TEXT_CMD.search(s)
        if not m:
            return s
        open_pos = m.end()
        close = _match_brace(s, open_pos)
        if close == -1:
            return s[:m.start()] + s[open_pos + 1:]
        s = s[:m.start()] + " " + s[open_pos + 1:close] + " " + s[close + 1:]


def top_level_split(s: str, seps: str) -> list[str]:
    """Split ``s`` at characters in ``seps`` that lie outside all brackets.

    Brackets of any kind count, mismatched pairs too (``[0, 1)``); backslash-escaped
    characters (``\\{``) are treated as brackets, other escapes are skipped.
    """
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    n = len(s)
    while i < n:
        ch = s[i]
        if ch == "\\" and i + 1 < n:
            nxt = s[i + 1]
            if nxt in _OPENERS:
                depth += 1
            elif nxt in _CLOSERS:
                depth = max(0, depth - 1)
            elif nxt == "l" and s.startswith("langle", i + 1):
                depth += 1
            elif nxt == "r" and s.startswith("rangle", i + 1):
                depth = max(0, depth - 1)
            i += 2
            continue
        if ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS:
            depth = max(0, depth - 1)
        elif ch in seps and depth == 0:
            parts.append(s[start:i])
            start = i + 1
        i += 1
    parts.append(s[start:])
    return parts


def _normalize_for_hedge(statement: str) -> str:
    s = statement.replace("$", " ")
    s = _unwrap_text(s)
    s = _SPACING.sub(" ", s)
    s = _THOUSANDS.sub(lambda m: m.group(0).replace(",", ""), s)
    return s


def is_hedge(statement: str) -> bool:
    """Return True when ``statement`` offers several alternative answers.

    Hedges: "3 or 4", "either 3 or 4", "3 and/or 4", ``\\text{A or B}``, ``3 \\lor 4``, top-level lists
    "3, 4" / "3; 4", and option lists with two or more labels like "(A) 3 (B) 4".
    Not hedges: one number with thousands separators ("1,080"), tuples and intervals
    ("(1, 2)", "[0, 1)", ``\\left( 3, \\frac{\\pi}{2} \\right)``), sets (``\\{1, 2\\}``),
    ``\\pm`` expressions, and a list of assignments to distinct variables ("x=3, y=4").

    Args:
        statement: one final-answer statement (from :func:`extract_final_answers`).

    Returns:
        ``bool``.

    Source: a conservative reading of DeepSeek-R1 §2.2.2's rule-based accuracy reward (a
    completion must state one answer; listing options must not pay).
    """
    s = _normalize_for_hedge(statement)
    if _HEDGE_WORDS.search(s):
        return True
    if len(_OPTION_LABEL.findall(s)) >= 2:
        return True
    parts = [p for p in top_level_split(s, ",;") if p.strip()]
    if len(parts) <= 1:
        return False
    if ";" not in "".join(top_level_split(s, ",")):
        # comma list: a system of assignments to distinct variables is one answer
        lhs = [_ASSIGN.match(p) for p in parts]
        if all(lhs):
            names = [m.group(1).replace("{", "").replace("}", "") for m in lhs if m]
            if len(set(names)) == len(names):
                return False
    return True


# --------------------------------------------------------------------------------------------
# Worker side (runs in the pool processes)
# --------------------------------------------------------------------------------------------

