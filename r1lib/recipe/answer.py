"""Finding the final answer of a completion, and telling a hedge from an answer.

The extraction half of the rule-based verifier behind the *accuracy reward* of DeepSeek-R1
(arXiv 2501.12948, §2.2.2: "the model is required to provide the final answer in a specified
format (e.g., within a box), enabling reliable rule-based verification"):

* :func:`extract_final_answers` finds the final-answer *statements* of a completion with a small
  scanner (never a big regex, never evaluating TeX): ``<answer>...</answer>`` blocks and
  ``\\boxed{...}`` groups outside the ``<think>`` reasoning.
* :func:`is_hedge` rejects statements that offer several options ("3 or 4", "3, 4").
* :func:`reference_answer`, :func:`answer_shape`, :func:`normalize_answer` and
  :func:`extract_answer_groups` read the form of the gold (one value, a tuple, an option letter, a
  list, a union; a whole reference solution is read as its last box) and rewrite statements that
  state that form another way (named components, inequalities, labelled options, TeX digit
  groups, ``\\pm`` written out, several boxes), so that every legitimate way of writing the right
  answer is compared as the gold is; a multi-valued answer stays a hedge for a single-valued gold.

Deciding whether a statement equals the gold is :mod:`r1lib.recipe.equivalence` (math-verify in
worker processes).
"""

from __future__ import annotations

import re

__all__ = [
    "COLLECTIONS",
    "LIST",
    "OPTION",
    "SINGLE",
    "TUPLE",
    "UNION",
    "answer_shape",
    "clean_tex",
    "extract_answer_groups",
    "extract_final_answers",
    "is_hedge",
    "last_number",
    "with_last_number_answer",
    "normalize_answer",
    "reference_answer",
    "top_level_split",
]

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


def _items_in(text: str) -> list[tuple[int, int, str, int]]:
    """Final statements of one non-reasoning segment as ``(start, end, content, block)``.

    ``block`` is the index of the ``<answer>`` block the statement comes from (its boxes, or its
    whole content when it holds none), -1 for a box outside every block. Sorted by position;
    contents are stripped, empty ones dropped.
    """
    found: list[tuple[int, int, str, int]] = []
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
        off = a + len(ANSWER_OPEN)
        if boxed:
            found.extend((off + st, off + en, c, len(blocks)) for st, en, c in boxed)
        else:
            found.append((a, b + len(ANSWER_CLOSE), content, len(blocks)))
        end = b + len(ANSWER_CLOSE)
        blocks.append((a, end))
        i = end
    for start, end, content in _find_boxed(text):
        if not any(s <= start < e for s, e in blocks):
            found.append((start, end, content, -1))
    found.sort(key=lambda t: t[0])
    return [(st, en, c.strip(), blk) for st, en, c, blk in found if c.strip()]


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

    Raises:
        TypeError: ``completion`` is not a str.

    Source: DeepSeek-R1 §2.2.2 (final answer "in a specified format (e.g., within a box)").
    """
    if not isinstance(completion, str):
        raise TypeError(f"completion must be str, got {type(completion).__name__}")
    return [c for seg in _outside_think(completion) for _, _, c, _ in _items_in(seg)]


_NUMBER = re.compile(r"(?<![\w.])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|(?<![\w.])-?\d+(?:\.\d+)?(?:/\d+)?(?!\d)")


def last_number(completion: str) -> str | None:
    """The last number written outside the ``<think>`` reasoning, or None.

    A number is an optionally negative integer, decimal or fraction ``a/b``; thousands
    separators are dropped (``1,200`` -> ``1200``); a trailing full stop is not part of it.

    Args:
        completion: the model's completion text.

    Returns:
        ``str`` or None (no number outside the reasoning).

    Raises:
        TypeError: ``completion`` is not a str.

    Source: the GSM8K convention of grading the final number (Cobbe et al. 2021), used by
    lenient answer matching in R1-Zero reproductions on weak bases.
    """
    if not isinstance(completion, str):
        raise TypeError(f"completion must be str, got {type(completion).__name__}")
    found = [m.group(0) for seg in _outside_think(completion) for m in _NUMBER.finditer(seg)]
    return found[-1].replace(",", "") if found else None


def with_last_number_answer(completion: str) -> str:
    """``completion`` itself when it states a final answer (:func:`extract_final_answers`);
    otherwise ``completion`` with its :func:`last_number` appended as ``\\boxed{…}``, so that the
    rule-based verifier grades the prose answer of a model that has not learned the format yet.
    A completion with neither is returned unchanged (and earns nothing).

    Raises:
        TypeError: ``completion`` is not a str."""
    if extract_final_answers(completion):
        return completion
    n = last_number(completion)
    return completion if n is None else f"{completion}\n\\boxed{{{n}}}"


def extract_answer_groups(completion: str) -> list[str]:
    """The final statements of a completion with adjacent boxes joined into one list.

    As :func:`extract_final_answers`, except that consecutive boxes of the same place (one
    ``<answer>`` block, or the text outside the blocks) separated only by connectives (commas,
    "and", "or", ``\\text{ and }``, ``$``, spacing, a repeated ``x =``) become one statement
    ``"a, b"``: ``\\boxed{(1, 2)} \\text{ and } \\boxed{(2, 1)}`` -> ``"(1, 2), (2, 1)"`` (a box that
    repeats an earlier one of its group word for word is dropped). Used
    when the gold is a collection (:func:`answer_shape`); boxes separated by other words
    ("\\boxed{3} or maybe \\boxed{4}") stay separate statements.

    Args:
        completion: the model's completion text.

    Returns:
        ``list[str]``, possibly empty.

    Raises:
        TypeError: ``completion`` is not a str.

    Source: MATH reference solutions (several boxes for a multi-solution answer).
    """
    if not isinstance(completion, str):
        raise TypeError(f"completion must be str, got {type(completion).__name__}")
    out: list[str] = []
    for seg in _outside_think(completion):
        groups: list[list[str]] = []
        prev: tuple[int, int, str, int] | None = None
        for item in _items_in(seg):
            if prev is not None and prev[3] == item[3] and _is_connective(seg[prev[1]:item[0]]) \
                    and _is_box_item(seg, prev) and _is_box_item(seg, item):
                if all(" ".join(item[2].split()) != " ".join(g.split()) for g in groups[-1]):
                    groups[-1].append(item[2])  # a box repeated word for word adds nothing
            else:
                groups.append([item[2]])
            prev = item
        out.extend(", ".join(g) for g in groups)
    return out


def _is_box_item(text: str, item: tuple[int, int, str, int]) -> bool:
    """Whether a statement item is a box (not a whole ``<answer>`` block)."""
    return not text.startswith(ANSWER_OPEN, item[0])


def reference_answer(gold: str) -> str:
    """The gold answer to compare with: the last ``\\boxed{}`` of a reference solution, else ``gold``.

    A gold given as a whole worked solution (a MATH ``solution`` field) is reduced to its final
    boxed answer, as MATH's ``answer`` field is; a plain answer is returned stripped.

    Args:
        gold: a gold answer or a reference solution.

    Returns:
        ``str``.

    Source: MATH (Hendrycks et al. 2021): the answer of a solution is its last ``\\boxed{}``.
    """
    boxed = _find_boxed(gold)
    return boxed[-1][2].strip() if boxed else gold.strip()


# --------------------------------------------------------------------------------------------
# Hedge detection
# --------------------------------------------------------------------------------------------

_TEXT_CMD = re.compile(r"\\(?:text|textbf|textit|textrm|mathrm|mathbf|mbox|operatorname)\s*(?=\{)")
_SPACING = re.compile(r"\\(?:left|right|big|Big|bigg|Bigg)(?![A-Za-z])|\\[,;:! ]|\\quad|\\qquad|~")
_THOUSANDS = re.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?![\d])")
_HEDGE_WORDS = re.compile(r"(?<![\\A-Za-z])(?:or|either|and\s*/\s*or)(?![A-Za-z])|\\(?:lor|vee)(?![A-Za-z])",
                          re.IGNORECASE)
_OPTION_LABEL = re.compile(r"(?<![A-Za-z0-9_)\]}])\(\s*[A-E]\s*\)|(?<![A-Za-z0-9_\\(])[A-E]\s*[.):](?=\s|$)")
_AND = re.compile(r"(?<![\\A-Za-z])and(?![A-Za-z])", re.IGNORECASE)
_ASSIGN = re.compile(r"^\s*((?:[A-Za-z]|\\[A-Za-z]+)(?:_\{?\w+\}?)?)\s*=(?!=)")
_OPENERS = {"(", "[", "{"}
_CLOSERS = {")", "]", "}"}


def _unwrap_text(s: str) -> str:
    """Replace ``\\text{X}`` (and similar) by `` X ``, nested ones too; brace-matched in one pass.

    An unclosed group loses its command and ``{``; escaped braces (``\\{``) do not count.
    """
    if _TEXT_CMD.search(s) is None:
        return s
    out: list[str] = []
    wraps: list[bool] = []  # per open brace: does it open a text command's group?
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if ch == "\\":
            m = _TEXT_CMD.match(s, i)
            if m:
                out.append(" ")
                wraps.append(True)
                i = m.end() + 1
                continue
            out.append(s[i:i + 2])
            i += 2
            continue
        if ch == "{":
            wraps.append(False)
        elif ch == "}" and wraps and wraps.pop():
            out.append(" ")
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


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
    """``statement`` with TeX typesetting, math delimiters and text wrappers removed, thousands
    separators dropped and top-level "and" turned into a comma (a list)."""
    s = clean_tex(statement).replace("$", " ")
    s = _unwrap_text(s)
    s = _SPACING.sub(" ", s)
    s = _THOUSANDS.sub(lambda m: m.group(0).replace(",", ""), s)
    return _AND.sub(",", s)


def is_hedge(statement: str) -> bool:
    """Return True when ``statement`` offers several alternative answers.

    Hedges: "3 or 4", "either 3 or 4", "3 and/or 4", ``\\text{A or B}``, ``3 \\lor 4``, top-level lists
    "3, 4" / "3; 4" / "3 and 4", and option lists with two or more labels like "(A) 3 (B) 4" or
    "A. 3 B. 4".
    Not hedges: one number with thousands separators ("1,080", ``12,\\!345``), tuples and intervals
    ("(1, 2)", "[0, 1)", ``\\left( 3, \\frac{\\pi}{2} \\right)``), sets (``\\{1, 2\\}``),
    ``\\pm`` expressions, and a list of assignments to distinct variables ("x=3, y=4",
    "x=3 and y=4").

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
# TeX that only typesets (shared with the verifier)
# --------------------------------------------------------------------------------------------

_DIGIT_GROUPS = re.compile(r"(?<![\d.])\d{1,3}(?:(?:,\\!|\{,\}|\\[,;: ]|~|\\thinspace)\s*\d{3})+(?!\d)")


def clean_tex(s: str) -> str:
    """Remove TeX that only typesets a number: digit groups and currency signs.

    ``12,\\!345``, ``12{,}345``, ``12\\,345``, ``12~345`` -> ``12345`` (groups of exactly three
    digits after a first group of one to three); every other ``\\!`` is dropped, ``{,}`` becomes
    ``,`` and ``\\$`` (a dollar sign) is dropped. Nothing else changes; TeX is never evaluated.

    Args:
        s: a statement or gold answer.

    Returns:
        ``str``.

    Source: MATH answer forms (``10,\\!080``, ``\\$15,\\!000``).
    """
    if "\\" not in s and "{" not in s and "~" not in s:
        return s
    s = _DIGIT_GROUPS.sub(lambda m: re.sub(r"\D", "", m.group(0)), s)
    return s.replace("\\!", "").replace("{,}", ",").replace("\\$", "")


# --------------------------------------------------------------------------------------------
# Answer forms: the shape of a gold answer, and candidates rewritten to it
# --------------------------------------------------------------------------------------------

SINGLE, TUPLE, OPTION, LIST, UNION = "single", "tuple", "option", "list", "union"
COLLECTIONS = frozenset({LIST, UNION})
"""Shapes whose answers are compared as collections (several values, or a union of sets)."""

_MATH_SPAN = re.compile(r"^(?:\$\$(?P<a>[^$]*)\$\$|\$(?P<b>[^$]*)\$|\\\((?P<c>.*)\\\)|\\\[(?P<d>.*)\\\])$", re.S)
_PM = re.compile(r"\\(?:pm|mp)(?![A-Za-z])")
_CUP = re.compile(r"\\cup(?![A-Za-z])")
_OR = re.compile(r"(?<![\\A-Za-z])(?:either\s+)?or(?![A-Za-z])|\\(?:lor|vee)(?![A-Za-z])", re.IGNORECASE)
_EITHER = re.compile(r"(?<![\\A-Za-z])either(?![A-Za-z])", re.IGNORECASE)
_REL = re.compile(r"<=|>=|!=|\\(?:leqslant|geqslant|leq|geq|le|ge|lt|gt|neq|ne)(?![A-Za-z])|[<>≤≥≠]")
_REL_KIND = {"<": "<", "\\lt": "<", "<=": "<=", "\\le": "<=", "\\leq": "<=", "\\leqslant": "<=", "≤": "<=",
             ">": ">", "\\gt": ">", ">=": ">=", "\\ge": ">=", "\\geq": ">=", "\\geqslant": ">=", "≥": ">=",
             "!=": "!=", "\\ne": "!=", "\\neq": "!=", "≠": "!="}
_GREEK = ("alpha|beta|gamma|delta|epsilon|varepsilon|zeta|eta|theta|vartheta|kappa|lambda|mu|nu|xi|rho|sigma|tau|"
          "phi|varphi|chi|psi|omega")
_VAR = re.compile(r"^(?:[a-df-hj-zA-Z]|\\(?:" + _GREEK + r"))(?:_\{?[A-Za-z0-9]+\}?)?$")
_NAMED = re.compile(r"^\s*((?:[A-Za-z]|\\(?:" + _GREEK + r"))(?:_\{?[A-Za-z0-9]+\}?)?)\s*=(?!=)(.*)$", re.S)
_IN = re.compile(r"^\s*(\S+?)\s*\\in(?![A-Za-z])(.*)$", re.S)
_OPTION_HEAD = re.compile(r"^(?:(?i:(?:the\s+)?(?:correct\s+)?(?:option|choice|answer)(?:\s+is)?)\s*:?\s*)?"
                          r"(?:\(\s*(?P<p>[A-Z])\s*\)(?P<ps>\s*[.:])?|(?P<l>[A-Z])\s*(?P<ls>[.):])(?!\d)|(?P<b>[A-Z])$)")
_OPERATOR_START = re.compile(r"^(?:[-+*/^=_<>!]|\\(?:cdot|times|div|pm|mp)(?![A-Za-z]))")
_OPTION_ANY = re.compile(r"\(\s*[A-Z]\s*\)|(?<![A-Za-z0-9\\])[A-Z]\s*[.):](?!\d)")
_SEP_OR, _SEP_AND = "\x01", "\x02"
_SPAN = re.compile(r"\$\$([^$]+)\$\$|\$([^$]+)\$")


def _flat(s: str) -> str:
    """``s`` without math delimiters, text wrappers and spacing commands (for reading its structure)."""
    return " ".join(_SPACING.sub(" ", _unwrap_text(s.replace("$", " "))).split())


def _strip_math(s: str) -> str:
    """The inside of ``s`` when ``s`` is exactly one math span (``$..$``, ``$$..$$``, ``\\(..\\)``, ``\\[..\\]``)."""
    m = _MATH_SPAN.match(s.strip())
    if not m:
        return s.strip()
    return next(g for g in m.groups() if g is not None).strip()


def _top_level_has(s: str, pattern: re.Pattern) -> bool:
    """Whether ``pattern`` occurs in ``s`` outside all brackets."""
    return len(top_level_split(pattern.sub("\x03", s), "\x03")) > 1


def _bracket_group(s: str) -> tuple[str, str, str] | None:
    """``(opener, inside, closer)`` when the whole of ``s`` is one bracket group, else None.

    Openers ``(``, ``[``, ``\\{``; closers ``)``, ``]``, ``\\}`` (mismatched pairs allowed, as in
    ``[0, 1)``); plain ``{}`` count for depth only.
    """
    s = s.strip()
    opener = next((t for t in ("\\{", "(", "[") if s.startswith(t)), None)
    if opener is None:
        return None
    depth, i, n = 0, 0, len(s)
    while i < n:
        if s.startswith(("\\{", "\\langle"), i) or s[i] in "([{":
            depth += 1
        elif s.startswith(("\\}", "\\rangle"), i) or s[i] in ")]}":
            depth -= 1
            if depth == 0:
                close = s[i:i + 2] if s[i] == "\\" else s[i]
                if i + len(close) != n or close == "}":
                    return None
                return opener, s[len(opener):i], close
        i += 2 if s[i] == "\\" else 1
    return None


def _is_interval_or_tuple(s: str) -> bool:
    """``(a, b)``, ``[a, b)``, ``(a, b, c)``: one round/square bracket group with a top-level comma."""
    g = _bracket_group(s)
    return g is not None and g[0] != "\\{" and g[2] != "\\}" and len(top_level_split(g[1], ",")) > 1


def _is_set(s: str) -> bool:
    """``\\{...\\}``: one set-brace group."""
    g = _bracket_group(s)
    return g is not None and g[0] == "\\{" and g[2] == "\\}"


def _option_letter(flat: str) -> tuple[str, str] | None:
    """``(letter, rest)`` when ``flat`` starts with an option label ("(B)", "B.", "B)", "B:", "B").

    None when what follows the label continues an expression (``(C)+1``, ``(C) \\cdot 2``; a
    leading minus only after an explicit "." / ":" / ")" separator, as in "B. -3").
    """
    m = _OPTION_HEAD.match(flat.strip())
    if not m:
        return None
    rest = flat.strip()[m.end():].strip()
    if _OPERATOR_START.match(rest) and not (rest.startswith("-") and (m.group("ps") or m.group("ls"))):
        return None
    return m.group("p") or m.group("l") or m.group("b"), rest


def answer_shape(answer: str) -> str:
    """The shape of a (gold) answer, which decides how candidates are compared with it.

    * ``OPTION``: an option letter alone (``B``, ``\\text{(B)}``, ``(\\text{E})``).
    * ``UNION``: a union of sets (``(-\\infty, 0] \\cup (5, \\infty)``).
    * ``LIST``: several values (a top-level list "3, 5, 7" or "19 and 43", a ``\\pm``, a set
      ``\\{1, 2\\}``, pairs "(1,2),(2,1)").
    * ``TUPLE``: one ordered tuple or interval (``(3, -1)``, ``[-1, 4)``).
    * ``SINGLE``: anything else (one value, expression, equation or word).

    Args:
        answer: the gold answer (a plain answer; see :func:`reference_answer` for solutions).

    Returns:
        one of ``SINGLE``, ``TUPLE``, ``OPTION``, ``LIST``, ``UNION``.

    Source: the answer forms of MATH (Hendrycks et al. 2021) / MATH-500.
    """
    flat = _flat(_strip_math(clean_tex(answer)))
    opt = _option_letter(flat)
    if opt is not None and not opt[1]:
        return OPTION
    if _top_level_has(flat, _CUP):
        return UNION
    if is_hedge(flat) or _PM.search(flat):
        return LIST
    group = _bracket_group(flat)
    if group is not None and group[0] == "\\{" and group[2] == "\\}" and (
            len(top_level_split(group[1], ",;")) > 1 or _PM.search(group[1])):
        return LIST  # a set of several values
    if _is_interval_or_tuple(flat):
        return TUPLE
    return SINGLE


def _pieces(flat: str, or_only: bool = False) -> tuple[list[str], set[str]]:
    """Top-level pieces of ``flat`` and the kinds of separator found (",", "or", "and").

    Separators: "or", ``\\lor``, ``\\vee`` and, unless ``or_only``, commas, semicolons and "and".
    A leading "either" is dropped. Empty pieces are dropped.
    """
    t = _OR.sub(_SEP_OR, flat)
    seps = _SEP_OR
    if not or_only:
        t, seps = _AND.sub(_SEP_AND, t), _SEP_OR + _SEP_AND + ",;"
    used = {name for ch, name in ((_SEP_OR, "or"), (_SEP_AND, "and"), (",", ","), (";", ","))
            if ch in seps and len(top_level_split(t, ch)) > 1}
    parts = [_EITHER.sub(" ", p).strip() for p in top_level_split(t, seps)]
    return [p for p in parts if p], used


def _relation_chain(piece: str) -> tuple[list[str], list[str]] | None:
    """``(sides, relation kinds)`` of an inequality chain at top level, or None without one."""
    kinds = [_REL_KIND[m.group(0)] for m in _REL.finditer(piece)]
    if not kinds:
        return None
    sides = [p.strip() for p in top_level_split(_REL.sub("\x04", piece), "\x04")]
    if len(sides) != len(kinds) + 1 or not all(sides):
        return None
    return sides, kinds


_Bounds = tuple[str, str | None, bool, str | None, bool]


def _chain_bounds(sides: list[str], kinds: list[str]) -> _Bounds | None:
    """``(variable, lower, lower closed, upper, upper closed)`` of ``x < a``, ``a \\le x`` or
    ``a < x \\le b`` (a missing bound is None: infinite); None for anything else (``x \\ne a`` too)."""
    var_at = [i for i, s in enumerate(sides) if _VAR.match(s)]
    if len(var_at) != 1 or "!=" in kinds or any(
            re.search(r"(?<![\\A-Za-z])" + re.escape(sides[var_at[0]]) + r"(?![A-Za-z])", s)
            for i, s in enumerate(sides) if i != var_at[0]):
        return None
    v, k = var_at[0], kinds
    less = [kind.startswith("<") for kind in k]
    if len(sides) == 2:
        a, closed = sides[1 - v], k[0].endswith("=")
        if less[0] == (v == 0):  # x < a or a > x: a bounds x from above
            return sides[v], None, False, a, closed
        return sides[v], a, closed, None, False
    if len(sides) == 3 and v == 1 and less[0] == less[1]:
        if less[0]:
            return sides[1], sides[0], k[0].endswith("="), sides[2], k[1].endswith("=")
        return sides[1], sides[2], k[1].endswith("="), sides[0], k[0].endswith("=")
    return None


_DECIMAL = re.compile(r"^-?\d+(?:\.\d+)?$")


def _bounds_interval(b: _Bounds) -> str | None:
    """The interval of :func:`_chain_bounds`'s bounds (``(-\\infty, a]``, ``[a, b)``, ...); None when
    both bounds are numbers and the lower exceeds the upper (an empty set, not an interval)."""
    _, lo, lo_closed, hi, hi_closed = b
    if lo is not None and hi is not None and _DECIMAL.match(lo) and _DECIMAL.match(hi) and float(lo) > float(hi):
        return None
    left = "(-\\infty" if lo is None else ("[" if lo_closed else "(") + lo
    right = "\\infty)" if hi is None else hi + ("]" if hi_closed else ")")
    return f"{left}, {right}"


def _chain_set(sides: list[str], kinds: list[str]) -> tuple[str, str] | None:
    """``(variable, interval)`` for ``x < a``, ``a \\le x``, ``a < x \\le b``, ``x \\ne a``; else None."""
    if len(sides) == 2 and kinds == ["!="]:
        v = 0 if _VAR.match(sides[0]) else 1
        if not _VAR.match(sides[v]) or _VAR.match(sides[1 - v]):
            return None
        a = sides[1 - v]
        return sides[v], f"(-\\infty, {a}) \\cup ({a}, \\infty)"
    b = _chain_bounds(sides, kinds)
    interval = None if b is None else _bounds_interval(b)
    return None if b is None or interval is None else (b[0], interval)


def _conjunction_form(flat: str) -> str | None:
    """A lower and an upper bound on one variable joined by "and" (``x \\ge -1 \\text{ and } x < 4``)
    as their interval (``[-1, 4)``); None otherwise."""
    pieces = [p.strip() for p in top_level_split(_AND.sub(_SEP_AND, flat), _SEP_AND)]
    chains = [_relation_chain(p) for p in pieces]
    if len(pieces) != 2 or not all(chains):
        return None
    bounds = [_chain_bounds(*c) for c in chains if c]
    if not all(bounds) or len({b[0] for b in bounds if b}) != 1:
        return None
    lows = [b for b in bounds if b and b[1] is not None and b[3] is None]
    highs = [b for b in bounds if b and b[3] is not None and b[1] is None]
    if len(lows) != 1 or len(highs) != 1:
        return None
    return _bounds_interval((lows[0][0], lows[0][1], lows[0][2], highs[0][3], highs[0][4]))


def _piece_set(piece: str) -> tuple[str, str, bool] | None:
    """``(variable, set, is_inequality)`` for one piece of a disjunction: an inequality (chain),
    ``x \\in S`` or ``x = a`` (the set ``\\{a\\}``); None otherwise."""
    chain = _relation_chain(piece)
    if chain is not None:
        got = _chain_set(*chain)
        return None if got is None else (got[0], got[1], True)
    m = _IN.match(piece)
    if m and _VAR.match(m.group(1)) and m.group(2).strip():
        return m.group(1), m.group(2).strip(), True
    m = _NAMED.match(piece)
    if m and m.group(2).strip() and len(top_level_split(m.group(2), "=")) == 1:
        return m.group(1), f"\\{{{m.group(2).strip()}\\}}", False
    return None


def _inequality_form(flat: str) -> str | None:
    """An inequality, a chain of them, their disjunction or a two-sided conjunction in one variable,
    as an interval or a union (``-1 \\le x < 4`` -> ``[-1, 4)``; ``x \\le 0 or x > 5`` ->
    ``(-\\infty, 0] \\cup (5, \\infty)``; ``x \\ge -1 and x < 4`` -> ``[-1, 4)``)."""
    pieces, used = _pieces(flat, or_only=True)
    if not pieces or len(top_level_split(flat, ",;")) > 1:
        return None
    if _AND.search(flat):
        return None if "or" in used else _conjunction_form(flat)
    sets = [_piece_set(p) for p in pieces]
    if not all(sets) or not any(s[2] for s in sets if s) or len({s[0] for s in sets if s}) != 1:
        return None
    return " \\cup ".join(s[1] for s in sets if s)


def _named_values(pieces: list[str], used: set[str], shape: str | None) -> str | None:
    """Values named by assignments ("x = 3, y = -1") as a tuple, or a list for a list gold.

    Distinct names (joined by commas or "and") give the tuple of values, ordered by name when all
    are single Latin letters, else as written; for a ``LIST`` gold the values are listed.
    The same name repeated ("x = 1 or x = 2") lists the values for a ``LIST`` gold only.
    """
    named = [_NAMED.match(p) for p in pieces]
    if len(pieces) < 2 or not all(named):
        return None
    pairs = [(m.group(1), m.group(2).strip()) for m in named if m]
    if any(not v or len(top_level_split(v, "=")) > 1 or _REL.search(v) for _, v in pairs):
        return None
    names = [n for n, _ in pairs]
    if len(set(names)) == len(names) and "or" not in used:
        if shape == LIST:
            return ", ".join(v for _, v in pairs)
        if all(len(n) == 1 for n in names):
            pairs.sort(key=lambda p: p[0].lower())
        return "(" + ", ".join(v for _, v in pairs) + ")"
    if len(set(names)) == 1 and shape == LIST:
        return ", ".join(v for _, v in pairs)
    return None


def _collection_form(pieces: list[str], used: set[str], shape: str) -> str | None:
    """A list joined by "and"/"or" as a comma list (``LIST``); intervals, sets and inequalities
    joined by "or"/"and"/commas as a union (``UNION``)."""
    if len(pieces) < 2:
        return None
    if shape == LIST:
        return ", ".join(pieces) if used & {"or", "and"} else None
    sets, names = [], set()
    for p in pieces:
        if _is_interval_or_tuple(p) or _is_set(p) or _top_level_has(p, _CUP):
            sets.append(p)
            continue
        got = _piece_set(p)
        if got is None or used - {"or"}:  # "x > 1 and x < 3" is an intersection, not a union
            return None
        sets.append(got[1])
        names.add(got[0])
    return " \\cup ".join(sets) if len(names) <= 1 else None


def normalize_answer(statement: str, shape: str | None = None) -> str:
    """Rewrite one statement into the form of its gold answer, when it states that form another way.

    Always: typesetting-only TeX is removed (:func:`clean_tex`: ``12,\\!345`` -> ``12345``); a single
    ``\\pm`` nested in a group is written out (``\\frac{1 \\pm \\sqrt{5}}{2}`` -> the list of both); an
    inequality, a chain of them or their disjunction in one variable becomes an interval or a
    union (``-1 \\le x < 4`` -> ``[-1, 4)``); assignments to distinct names become a tuple
    (``x = 3, y = -1`` -> ``(3, -1)``). By the gold's ``shape`` (:func:`answer_shape`):
    ``OPTION``: a labelled option (``(B) 12``, ``B. Parabola``, ``\\text{(B)}``) becomes its letter
    (not when another label follows); ``LIST``: values joined by "and"/"or" or named
    (``x = 1 or x = 2``, ``k = 45, n = 2``) become a comma list; ``UNION``: intervals, sets and
    inequalities joined by "or"/"and"/commas become a union. In prose ("The answer is $...$.") each
    math span is rewritten alone. Anything else is returned as it was (after :func:`clean_tex`, and
    without its delimiters when it is one math span).
    Pure string work, linear in the length; TeX is never evaluated.

    Args:
        statement: one final statement (:func:`extract_final_answers` / :func:`extract_answer_groups`).
        shape: the gold's shape, or None when there is no gold (only the shape-free rules apply).

    Returns:
        ``str``.

    Source: MATH / MATH-500 answer forms; the rule of issue 14 (a multi-valued answer is compared
    as a collection only when the gold is one).
    """
    s = clean_tex(statement.strip())
    if _SPAN.search(s) and _is_prose(s):  # "The answer is $x = 3, y = -1$.": rewrite each math span
        return _SPAN.sub(lambda m: f"${_normalize_math(m.group(1) or m.group(2), shape)}$", s)
    return _normalize_math(s, shape)


def _is_prose(s: str) -> bool:
    """Whether the text outside the math spans of ``s`` holds words other than "and" / "or"."""
    outside = _SPAN.sub(" ", s)
    return bool(re.search(r"[A-Za-z]", _OR.sub(" ", _AND.sub(" ", _unwrap_text(outside)))))


def _normalize_math(s: str, shape: str | None) -> str:
    """:func:`normalize_answer` for a statement that is all mathematics (no words around it)."""
    flat = _flat(_strip_math(s))
    expanded = _expand_pm(flat)
    if expanded is not None:
        s = flat = expanded
    if shape == OPTION:
        opt = _option_letter(flat)
        if opt is not None and not _OPTION_ANY.search(opt[1]) and not _HEDGE_WORDS.search(opt[1]):
            return opt[0]
    if _REL.search(flat):
        form = _inequality_form(flat)
        if form is not None:
            return form
    pieces, used = _pieces(flat)
    if "=" in flat:
        form = _named_values(pieces, used, shape)
        if form is not None:
            return form
    if shape in COLLECTIONS:
        form = _collection_form(pieces, used, shape)
        if form is not None:
            return form
    return _strip_math(s)  # "$$ 5.4 \\text{ cents} $$" is read as "5.4 \\text{ cents}"


def _expand_pm(flat: str) -> str | None:
    """A single ``\\pm`` / ``\\mp`` nested in a group (``\\frac{-3 \\pm \\sqrt{5}}{2}``, which
    math-verify cannot parse) written out as the list of its two values; None otherwise."""
    found = list(_PM.finditer(flat))
    if len(found) != 1 or "," in flat or _top_level_has(flat, _PM):
        return None  # top level: math-verify reads it; with commas: one element of a list or set
    m = found[0]
    first, second = ("+", "-") if m.group(0) == "\\pm" else ("-", "+")
    head, tail = flat[:m.start()], flat[m.end():]
    return f"{head}{first}{tail}, {head}{second}{tail}"


def _is_connective(between: str) -> bool:
    """Whether the text between two boxes only joins them (commas, "and", "or", ``$``, spacing,
    ``\\text{ and }``, line breaks, a repeated ``x =``)."""
    t = _flat(between.replace("\\\\", " "))
    t = _OR.sub(" ", _AND.sub(" ", t))
    t = re.sub(r"(?:[A-Za-z]|\\[A-Za-z]+)(?:_\{?\w+\}?)?\s*=", " ", t)
    return not t.strip(" ,;.&")
