"""Equivalence of answers: math-verify in worker processes, and the 0/1 accuracy it yields.

The deciding half of the rule-based verifier behind the *accuracy reward* of DeepSeek-R1
(arXiv 2501.12948, §2.2.2). Equivalence of two mathematical answers is decided by the
``math-verify`` library (Hugging Face), ``math_verify.parse`` + ``math_verify.verify``:

* :class:`Verifier` runs math-verify in worker processes (its timeouts use ``signal.alarm`` and
  only work on a process's main thread), with an outer timeout that kills hung workers, a
  cache, and counters.
* :func:`answer_is_correct` / :func:`batch_answers_correct` combine the final statements found
  by :mod:`r1lib.recipe.answer` (rewritten to the form of the gold) with the verifier into the 0/1
  accuracy signal, ``None`` when the gold answer itself cannot be parsed (skip the sample).
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import contextlib
import logging
import math
import multiprocessing
import multiprocessing.util
import os
import re
import threading
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from typing import Self

from r1lib.core.timing import timed
from r1lib.engine import parallel
from r1lib.recipe.answer import (
    COLLECTIONS,
    answer_shape,
    clean_tex,
    extract_answer_groups,
    extract_final_answers,
    is_hedge,
    normalize_answer,
    reference_answer,
    top_level_split,
)

__all__ = [
    "Verifier",
    "answer_is_correct",
    "batch_answers_correct",
    "default_counters",
    "first_answer",
    "get_verifier",
]

_INT_RE = re.compile(r"^\s*\$*\s*([+-]?)\s*(\d{1,3}(?:,\d{3})+|\d+)\s*\$*\s*$")
_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")
_NUMERAL = re.compile(r"^\s*\$*\s*([+-]?[0-9A-Z]+(?:\.[0-9A-Z]+)?)(?:_\{?(\d+)\}?)?\s*\$*\s*$")

# flags returned by workers
_OK, _GOLD_BAD, _CAND_BAD, _ERROR, _TIMEOUT = 0, 1, 2, 4, 8


class _InnerTimeouts(logging.Filter):
    """Counts (and silences) math-verify's "Timeout during parsing/comparison" warnings: with
    ``raise_on_error=False`` a timed-out check only logs and returns False/[]."""

    count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if "Timeout" in record.getMessage():
            _InnerTimeouts.count += 1
            return False
        return True


_INNER_TIMEOUTS = _InnerTimeouts()
for _name in ("math_verify.grader", "math_verify.parser"):
    logging.getLogger(_name).addFilter(_INNER_TIMEOUTS)


def _as_int(s: str) -> int | None:
    """``s`` as an integer when it is a plain integer (sign, ``1,080``, ``12,\\!345``, ``$..$`` allowed)."""
    m = _INT_RE.match(clean_tex(s))
    if not m:
        return None
    return int(m.group(1) + m.group(2).replace(",", ""))


def _numeral(s: str) -> tuple[str, str | None] | None:
    """``(digits, base)`` of a numeral such as ``40_9``, ``-221_3``, ``0.0011_{2}`` or ``40`` (base None),
    else None."""
    m = _NUMERAL.match(s)
    if not m:
        return None
    sign, digits = ("-", m.group(1)[1:]) if m.group(1).startswith("-") else ("", m.group(1).lstrip("+"))
    return sign + (digits.lstrip("0") or "0"), m.group(2)


def _numerals_agree(a: str, b: str, gold_side: bool) -> bool | None:
    """Numerals in a stated base (math-verify drops the subscript: it pays ``40_8`` for ``40_9``).

    When ``a`` (the gold, if ``gold_side``; either, otherwise) states a base and ``b`` is a numeral:
    the same digits, in the same base or with none written. None when the rule does not apply.
    """
    na, nb = _numeral(a), _numeral(b)
    if na is None or nb is None or (na[1] is None and (gold_side or nb[1] is None)):
        return None
    return na[0] == nb[0] and (na[1] is None or nb[1] is None or na[1] == nb[1])


def _wrap_math(s: str) -> str:
    """Give math-verify a LaTeX environment: ``$s$`` unless ``s`` already has one.

    Bare strings are parsed by math-verify's loose expression extractor, which keeps only part of
    ``\\pm 2021`` (-> 2021) or ``2\\sqrt{2}`` (-> 2); inside ``$...$`` they parse whole.
    """
    s = s.strip()
    if _UNESCAPED_DOLLAR.search(s) or "\\(" in s or "\\[" in s:
        return s
    return f"${s}$"


_TEX_FOR_MV = [
    (re.compile(r"\\bmod(?![A-Za-z])"), r"\\mod"),  # math-verify reads "17 \bmod 5" as 5, "17 \mod 5" as Mod(17, 5)
    (re.compile(r"\\(?:text|textrm|mathrm|rm)\s*\{\s*(lcm|gcd)\s*\}"), r"\\operatorname{\1}"),
    # the imaginary unit: latex2sympy reads "i" as a symbol, "{I}" as sympy's I (so e^{i\pi} = -1, i^2 = -1)
    (re.compile(r"\\(?:mathrm|text|textrm|rm)\s*\{\s*i\s*\}|\\imath(?![A-Za-z])"), "{I}"),
]
_IMAGINARY = re.compile(r"(?<![\\A-Za-z_])i(?![A-Za-z])")
"""A lone ``i`` (not in a word or command, not a subscript)."""
_INDEX_I = re.compile(r"(?<![\\A-Za-z])i\s*=")
"""``i`` used as an index (``\\sum_{i=1}``): then no ``i`` is read as the imaginary unit."""


def _tex_for_mv(s: str) -> str:
    """``s`` with TeX that math-verify misreads rewritten (:func:`r1lib.recipe.answer.clean_tex` for digit
    groups and ``\\$``; ``\\bmod`` -> ``\\mod``; ``\\text{lcm}`` -> ``\\operatorname{lcm}``; a lone ``i``
    -> ``{I}``, the imaginary unit). Applied alike to gold and candidate, so an ``i`` used as a name still
    matches itself."""
    s = clean_tex(s)
    if "\\" in s:
        for pattern, repl in _TEX_FOR_MV:
            s = pattern.sub(repl, s)
    return _IMAGINARY.sub("{I}", s) if "i" in s and not _INDEX_I.search(s) else s


@lru_cache(maxsize=8192)
def _parse(s: str, inner_timeout: int) -> tuple:
    """math-verify's parse of ``s`` (after :func:`_tex_for_mv` and :func:`_wrap_math`);
    ``()`` when nothing parses or parsing fails. Cached."""
    from math_verify import parse

    try:
        return tuple(parse(_wrap_math(_tex_for_mv(s)), parsing_timeout=inner_timeout))
    except BaseException:  # noqa: BLE001 - TimeoutException is a BaseException
        return ()


def _mv_verify(gold: tuple, target: tuple, inner_timeout: int) -> bool:
    from math_verify import verify

    try:
        return bool(verify(list(gold), list(target), timeout_seconds=inner_timeout))
    except BaseException:  # noqa: BLE001
        return False


_NAME_ATOM = r"(?:[A-Za-z]|\\[A-Za-z]+)(?:_\{?\w+\}?)?"
_NAME = re.compile(rf"^\s*(?:{_NAME_ATOM}(?:\([^()]*\))?|\(\s*{_NAME_ATOM}(?:\s*,\s*{_NAME_ATOM})+\s*\))\s*$")
"""A left-hand side that may name the answer: ``x``, ``a_1``, ``a_{10}``, ``\\theta``, ``f(2)``, ``(x, y)``
(:func:`_names_answer` then rules out those that are closed values, like ``\\gcd(12, 18)``)."""
_NAME_COMMANDS = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta kappa lambda mu nu xi rho sigma tau phi "
    "varphi chi psi omega Gamma Delta Theta Lambda Xi Sigma Phi Psi Omega ell".split())


def _names_answer(side: str) -> bool:
    """Whether the left-hand side of an equation names the answer rather than computes a value.

    ``x``, ``a_{10}``, ``\\theta``, ``f(2)``, ``(x, y)`` name it; ``\\gcd(12, 18)``, ``\\sin(0)``, ``\\pi``
    (a command that is no letter name) and anything else compute a value, which must then equal the
    gold too (so ``\\sin(0) = 3`` does not pay for 3).
    """
    return bool(_NAME.match(side)) and all(c in _NAME_COMMANDS for c in re.findall(r"\\([A-Za-z]+)", side))


_RELATIONS = ("<=", ">=", "!=", "==", ":=")


def _equation_sides(s: str) -> list[str]:
    """The sides of ``s`` split at top-level ``=`` (``"x = 2+1 = 3"`` -> ``["x", "2+1", "3"]``).

    ``<=``, ``>=``, ``!=``, ``==``, ``:=`` and ``=`` inside brackets (``f(a=1)``, ``\\{x=1\\}``) do
    not split; ``$`` signs are dropped. A statement without ``=`` gives one side.
    """
    t = s.replace("$", " ")
    for i, rel in enumerate(_RELATIONS):
        t = t.replace(rel, f"\x00{i}\x00")
    parts = top_level_split(t, "=")
    for i, rel in enumerate(_RELATIONS):
        parts = [p.replace(f"\x00{i}\x00", rel) for p in parts]
    return [p.strip() for p in parts]


def _check_one(kind: str, a: str, b: str, inner_timeout: int) -> tuple[bool | None, int]:
    """One task. ``kind``: "gold" (is ``a`` parseable), "eq" (gold ``a`` vs candidate ``b``),
    "same" (candidates ``a`` and ``b`` agree, math-verify both ways). A math-verify timeout
    inside the task adds the ``_TIMEOUT`` flag."""
    before = _InnerTimeouts.count
    value, flags = _check_one_inner(kind, a, b, inner_timeout)
    return value, flags | (_TIMEOUT if _InnerTimeouts.count > before else _OK)


def _check_one_inner(kind: str, a: str, b: str, inner_timeout: int) -> tuple[bool | None, int]:
    try:
        if kind == "gold":
            return (True, _OK) if _parse(a, inner_timeout) else (None, _GOLD_BAD)
        if kind == "eq":
            pg = _parse(a, inner_timeout)
            if not pg:
                return None, _GOLD_BAD
            sides = _equation_sides(b)
            if len(sides) > 1 and len(_equation_sides(a)) == 1:
                # a value gold, an equation answer: math-verify compares only the right-hand side
                # ("5=3" would pay for 3); every side but a leading name must equal the gold
                parts = sides[1:] if _names_answer(sides[0]) else sides
                parsed = [_parse(p, inner_timeout) for p in parts]
                if not all(parsed):
                    return False, _CAND_BAD
                return all(_mv_verify(pg, pc, inner_timeout) for pc in parsed), _OK
            pc = _parse(b, inner_timeout)
            if not pc:
                return False, _CAND_BAD
            return _mv_verify(pg, pc, inner_timeout), _OK
        if kind == "same":
            pa, pb = _parse(a, inner_timeout), _parse(b, inner_timeout)
            if not pa or not pb:
                return False, _CAND_BAD
            ok = _mv_verify(pa, pb, inner_timeout) and _mv_verify(pb, pa, inner_timeout)
            return ok, _OK
        raise ValueError(f"unknown task kind {kind!r}")
    except Exception:  # noqa: BLE001 - a bad sample must never crash a batch
        return False, _ERROR


def _check_chunk(items: list[tuple[str, str, str]], inner_timeout: int) -> list[tuple[bool | None, int]]:
    """Worker entry point: run :func:`_check_one` on every task of a chunk."""
    return [_check_one(k, a, b, inner_timeout) for k, a, b in items]


# --------------------------------------------------------------------------------------------
# Verifier
# --------------------------------------------------------------------------------------------

_Task = tuple[str, str, str]


def _norm_ws(s: str) -> str:
    return " ".join(s.split())


class Verifier:
    """Gold-vs-candidate equivalence with math-verify, run in worker processes.

    math-verify's own timeouts use ``signal.alarm`` (main thread only) and cannot interrupt
    long C-level sympy work, so every check runs in a ``ProcessPoolExecutor`` (``fork`` start
    method where available) with math-verify's inner timeouts *and* an outer
    ``future.result(timeout=...)``. When the outer timeout fires the workers are killed, the pool
    is recreated, the chunk's other tasks are retried one by one, and a task that still times
    out counts in ``counters["timeouts"]`` and is treated as not equivalent.

    Plain integers (sign, thousands separators ``1,080`` or ``12,\\!345``, surrounding
    ``$``/whitespace) and numerals in a stated base (``40_9``: same digits, same base) are compared
    in-process without math-verify. Before math-verify parses a string, TeX it misreads is rewritten
    (:func:`_tex_for_mv`). Results are cached by task.

    Args:
        n_workers: worker processes (>= 1).
        timeout_s: per-check time budget in seconds. math-verify's inner ``parsing_timeout`` and
            ``timeout_seconds`` get ``max(1, round(timeout_s))`` (``signal.alarm`` takes whole
            seconds); the outer timeout of a chunk of ``n`` tasks is ``timeout_s * (n + 2)``,
            and ``3 * timeout_s`` for a single retried task.
        max_cache: entries kept in the result cache (oldest evicted first).

    Attributes:
        counters: ``dict[str, int]`` with ``calls`` (checks requested), ``cache_hits`` (served
            from the cache or computed once for a duplicate in the same batch), ``timeouts``
            (checks that ran out of time: math-verify's inner timeouts and the outer ones),
            ``parse_failures`` (a candidate did not parse),
            ``gold_unparseable``, ``errors`` (exceptions inside a check) and
            ``pool_restarts``.

    Raises:
        ValueError: ``n_workers < 1`` or ``timeout_s <= 0``.

    Source: math-verify (``math_verify.parse``, ``math_verify.verify``); DeepSeek-R1 §2.2.2.
    """

    def __init__(self, n_workers: int = 1, timeout_s: float = 5.0, max_cache: int = 200_000):
        if n_workers < 1:
            raise ValueError(f"n_workers must be >= 1, got {n_workers}")
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        self.n_workers = int(n_workers)
        self.timeout_s = float(timeout_s)
        self.inner_timeout = max(1, round(self.timeout_s))
        self.max_cache = int(max_cache)
        self.counters: dict[str, int] = {
            "calls": 0,
            "cache_hits": 0,
            "timeouts": 0,
            "parse_failures": 0,
            "gold_unparseable": 0,
            "errors": 0,
            "pool_restarts": 0,
        }
        self._cache: dict[_Task, bool | None] = {}
        self._pool: cf.ProcessPoolExecutor | None = None
        self._lock = threading.RLock()

    # ---- pool management -------------------------------------------------------------------

    def _ensure_pool(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            import math_verify  # noqa: F401 - import once in the parent so forked workers inherit it

            ctx = None
            if "fork" in multiprocessing.get_all_start_methods():
                ctx = multiprocessing.get_context("fork")
            self._pool = cf.ProcessPoolExecutor(max_workers=self.n_workers, mp_context=ctx,
                                                initializer=parallel.die_with_parent)
        return self._pool

    def _kill_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        procs = list((getattr(pool, "_processes", None) or {}).values())
        if hasattr(pool, "kill_workers"):  # Python >= 3.14
            with contextlib.suppress(Exception):
                pool.kill_workers()
        for p in procs:
            with contextlib.suppress(Exception):
                p.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            with contextlib.suppress(Exception):
                p.join(timeout=1.0)

    def close(self) -> None:
        """Shut the worker pool down (it is recreated on the next check). Returns None."""
        with self._lock:
            pool, self._pool = self._pool, None
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- core ------------------------------------------------------------------------------

    def _fast(self, task: _Task) -> object:
        """A result without math-verify (plain integers, numerals in a base, identical text), else
        NotImplemented."""
        kind, a, b = task
        if kind == "gold":
            return True if _as_int(a) is not None else NotImplemented
        ia = _as_int(a)
        ib = _as_int(b)
        if ia is not None and ib is not None:
            return ia == ib
        based = _numerals_agree(a, b, gold_side=kind == "eq")
        if based is not None:
            return based
        if kind == "same" and _norm_ws(a) == _norm_ws(b):
            return True
        return NotImplemented

    def _store(self, task: _Task, value: bool | None) -> None:
        if len(self._cache) >= self.max_cache:
            for key in list(self._cache)[: max(1, self.max_cache // 10)]:
                del self._cache[key]
        self._cache[task] = value

    def _record_flags(self, flags: int) -> None:
        if flags & _GOLD_BAD:
            self.counters["gold_unparseable"] += 1
        if flags & _CAND_BAD:
            self.counters["parse_failures"] += 1
        if flags & _ERROR:
            self.counters["errors"] += 1
        if flags & _TIMEOUT:
            self.counters["timeouts"] += 1

    def _chunk_size(self, n: int) -> int:
        return max(1, min(32, math.ceil(n / (4 * self.n_workers))))

    @timed("verification")
    def _run_many(self, tasks: Sequence[_Task]) -> list[bool | None]:
        """Answer tasks in order: cache, fast path, then one batched round-trip to the pool."""
        with self._lock:
            results: list[bool | None] = [None] * len(tasks)
            todo: dict[_Task, list[int]] = {}
            for i, task in enumerate(tasks):
                self.counters["calls"] += 1
                if task in self._cache:
                    self.counters["cache_hits"] += 1
                    results[i] = self._cache[task]
                    continue
                if task in todo:  # a duplicate within the batch: computed once
                    self.counters["cache_hits"] += 1
                    todo[task].append(i)
                    continue
                fast = self._fast(task)
                if fast is not NotImplemented:
                    results[i] = fast
                    continue
                todo[task] = [i]
            if todo:
                computed = self._compute(list(todo))
                for task, value in computed.items():
                    self._store(task, value)
                    for i in todo[task]:
                        results[i] = value
            return results

    def _compute(self, unique: list[_Task]) -> dict[_Task, bool | None]:
        size = self._chunk_size(len(unique))
        pending: list[list[_Task]] = [unique[i:i + size] for i in range(0, len(unique), size)]
        out: dict[_Task, bool | None] = {}
        while pending:
            try:
                pool = self._ensure_pool()
                submitted = [(chunk, pool.submit(_check_chunk, chunk, self.inner_timeout)) for chunk in pending]
            except (BrokenProcessPool, RuntimeError):
                # the pool broke while idle (e.g. a worker was OOM-killed): start a fresh one
                self._kill_pool()
                self.counters["pool_restarts"] += 1
                pool = self._ensure_pool()
                submitted = [(chunk, pool.submit(_check_chunk, chunk, self.inner_timeout)) for chunk in pending]
            pending = []
            for idx, (chunk, fut) in enumerate(submitted):
                budget = self.timeout_s * (3 if len(chunk) == 1 else len(chunk) + 2)
                try:
                    chunk_res = fut.result(timeout=budget)
                except (cf.TimeoutError, BrokenProcessPool) as exc:
                    self._kill_pool()
                    self.counters["pool_restarts"] += 1
                    if len(chunk) == 1:
                        if isinstance(exc, cf.TimeoutError):
                            self.counters["timeouts"] += 1
                        else:
                            self.counters["errors"] += 1
                        out[chunk[0]] = None if chunk[0][0] == "gold" else False
                    else:
                        pending.extend([t] for t in chunk)
                    # everything not collected yet is resubmitted to the new pool
                    for later_chunk, later_fut in submitted[idx + 1:]:
                        if later_fut.done() and not later_fut.cancelled() and later_fut.exception() is None:
                            self._collect(later_chunk, later_fut.result(), out)
                        else:
                            pending.append(later_chunk)
                    break
                self._collect(chunk, chunk_res, out)
        return out

    def _collect(self, chunk: list[_Task], chunk_res: list, out: dict) -> None:
        for task, (value, flags) in zip(chunk, chunk_res):
            self._record_flags(flags)
            out[task] = value

    # ---- public API --------------------------------------------------------------------------

    def equivalent(self, gold: str, candidate: str) -> bool | None:
        """Whether ``candidate`` is mathematically equivalent to ``gold``.

        Calls ``math_verify.verify(parse(gold), parse(candidate))`` with the gold on the gold side
        (math-verify is asymmetric). Bare strings are wrapped as ``$...$`` before parsing.

        Returns:
            ``None`` when ``gold`` cannot be parsed into anything (skip the sample, never reward
            it); ``False`` when the candidate does not parse, differs, or the check timed out;
            else ``True``.
        """
        return self._run_many([("eq", gold, candidate)])[0]

    def equivalent_many(self, pairs: Sequence[tuple[str, str]]) -> list[bool | None]:
        """:meth:`equivalent` for many ``(gold, candidate)`` pairs at once.

        Uncached pairs are deduplicated, chunked and submitted to the pool together.

        Returns:
            ``list[bool | None]`` of ``len(pairs)``, in the order of ``pairs``.
        """
        return self._run_many([("eq", g, c) for g, c in pairs])

    def gold_parseable(self, gold: str) -> bool:
        """Whether math-verify parses ``gold`` into anything. Returns ``bool``."""
        return self._run_many([("gold", gold, "")])[0] is True

    def same_answer(self, a: str, b: str) -> bool:
        """Whether two candidate statements agree.

        Equal after whitespace normalisation, equal plain integers, or math-verify equivalent in
        *both* directions (``verify(a, b) and verify(b, a)``). Returns ``bool``.
        """
        return self._run_many([("same", a, b)])[0] is True


_DEFAULT: Verifier | None = None
_DEFAULT_LOCK = threading.Lock()


def get_verifier() -> Verifier:
    """Return the process-wide default :class:`Verifier`, created on first use.

    ``n_workers`` comes from the environment variable ``R1_VERIFY_WORKERS`` (default 1).

    Raises:
        ValueError: ``R1_VERIFY_WORKERS`` is not a positive integer.
    """
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            raw = os.environ.get("R1_VERIFY_WORKERS", "1")
            try:
                n = int(raw)
            except ValueError:
                raise ValueError(f"R1_VERIFY_WORKERS must be a positive integer, got {raw!r}") from None
            _DEFAULT = Verifier(n_workers=n)
            atexit.register(_DEFAULT.close)
            # in a multiprocessing worker (r1lib.engine.parallel) the pool must close before the
            # worker joins its children at exit, which comes before atexit (and a graceful shutdown
            # there waits forever): its workers are killed
            multiprocessing.util.Finalize(_DEFAULT, _DEFAULT._kill_pool, exitpriority=10)
        return _DEFAULT


def default_counters() -> dict[str, int] | None:
    """A copy of the default verifier's counters, or None when this process never verified.

    Stages log it as ``metrics["verifier"]`` (:meth:`r1lib.machinery.rundir.Stage.complete`).
    """
    with _DEFAULT_LOCK:
        return None if _DEFAULT is None else dict(_DEFAULT.counters)


def add_counters(counters: dict[str, int]) -> None:
    """Add counts made in another process (a parallel job's verifier) to the default verifier's."""
    v = get_verifier()
    with v._lock:
        for k, n in counters.items():
            v.counters[k] = v.counters.get(k, 0) + int(n)


parallel.register_state("verifier", default_counters, add_counters)


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------


def _distinct(statements: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for s in statements:
        seen.setdefault(_norm_ws(s), s)
    return list(seen.values())


@lru_cache(maxsize=4096)
def _gold_form(gold: str) -> tuple[str, str]:
    """``(gold as compared, its shape)``: the final boxed answer of a reference solution, rewritten to
    its own form (:func:`r1lib.recipe.answer.normalize_answer`). Cached: a GRPO group shares its gold."""
    gold = reference_answer(gold)
    shape = answer_shape(gold)
    return normalize_answer(gold, shape), shape


def _plan(completion: str, gold: str | None) -> tuple[bool, list[str], str | None]:
    """How one completion is graded: ``(admissible, distinct statements, gold to compare with)``.

    The gold is reduced to its final boxed answer (:func:`r1lib.recipe.answer.reference_answer`) and
    its shape decides the rest (:func:`r1lib.recipe.answer.answer_shape`): for a collection gold
    (a list, a set, ``a \\pm b``, a union) adjacent boxes form one statement
    (:func:`r1lib.recipe.answer.extract_answer_groups`), else every box is its own statement. Each
    statement and the gold are rewritten to the gold's form
    (:func:`r1lib.recipe.answer.normalize_answer`). Not admissible: no statement, or a hedge
    (:func:`r1lib.recipe.answer.is_hedge`) while the gold is not a collection (a multi-valued
    answer earns nothing for a single value).
    """
    gold, shape = (None, None) if gold is None else _gold_form(gold)
    collection = shape in COLLECTIONS
    raw = extract_answer_groups(completion) if collection else extract_final_answers(completion)
    statements = [normalize_answer(s, shape) for s in raw]
    if not statements or (not collection and any(is_hedge(s) for s in statements)):
        return False, [], gold
    return True, _distinct(statements), gold


def batch_answers_correct(
    completions: Sequence[str], golds: Sequence[str], verifier: Verifier | None = None
) -> list[float | None]:
    """Score many completions against their gold answers with one batched verifier round-trip.

    Same rule as :func:`answer_is_correct`, per completion.

    Args:
        completions: completion texts.
        golds: gold answers (or whole reference solutions, graded on their last ``\\boxed{}``),
            aligned with ``completions``; a ``None`` gold scores ``None``.
        verifier: defaults to :func:`get_verifier`.

    Returns:
        ``list[float | None]`` of ``len(completions)``: 1.0, 0.0, or None (gold unparseable).

    Raises:
        ValueError: the two lists differ in length.

    Source: DeepSeek-R1 §2.2.2 accuracy reward; math-verify for equivalence.
    """
    if len(completions) != len(golds):
        raise ValueError(f"{len(completions)} completions but {len(golds)} golds")
    v = verifier if verifier is not None else get_verifier()
    plans = []
    tasks: list[_Task] = []
    for comp, gold in zip(completions, golds):
        if gold is None:
            plans.append((None, False, []))
            continue
        ok, distinct, gold = _plan(comp, str(gold))
        plans.append((gold, ok, distinct))
        tasks.append(("gold", gold, ""))
        if ok:
            tasks.extend(("same", distinct[0], s) for s in distinct[1:])
            tasks.extend(("eq", gold, s) for s in distinct)
    res = iter(v._run_many(tasks))
    out: list[float | None] = []
    for gold, ok, distinct in plans:
        if gold is None:
            out.append(None)
            continue
        gold_ok = next(res)
        if not ok:
            out.append(None if gold_ok is None else 0.0)
            continue
        same = [next(res) for _ in distinct[1:]]
        eq = [next(res) for _ in distinct]
        if gold_ok is None or any(e is None for e in eq):
            out.append(None)
        else:
            out.append(1.0 if all(same) and all(eq) else 0.0)
    return out


def answer_is_correct(completion: str, gold: str, verifier: Verifier | None = None) -> float | None:
    """The rule-based accuracy of one completion.

    1.0 when the completion has at least one final statement (:func:`extract_final_answers`), no
    statement is a hedge (:func:`is_hedge`; lists are allowed when the gold itself is a collection
    such as "3, 4", ``2 \\pm \\sqrt{3}``, ``\\{1, 2\\}`` or a union, and then adjacent boxes form one
    list), all statements agree (:meth:`Verifier.same_answer`) and every distinct statement is
    equivalent to ``gold`` (:meth:`Verifier.equivalent`); 0.0 otherwise. Statements and gold are
    first rewritten to the gold's form (:func:`r1lib.recipe.answer.normalize_answer`: named
    components, inequalities for intervals, option labels, TeX digit groups); a gold holding a
    ``\\boxed{}`` (a whole reference solution) is graded on its last box.

    Args:
        completion: completion text.
        gold: the gold answer, or a reference solution with a ``\\boxed{}`` answer.
        verifier: defaults to :func:`get_verifier`.

    Returns:
        ``float | None``: None when ``gold`` cannot be parsed (skip the sample).

    Source: DeepSeek-R1 §2.2.2 accuracy reward; math-verify for equivalence.
    """
    return batch_answers_correct([completion], [gold], verifier)[0]


def first_answer(completion: str, verifier: Verifier | None = None, gold: str | None = None) -> str | None:
    """The completion's single final answer, for majority voting (cons@k).

    Args:
        completion: completion text.
        verifier: used only when there are several distinct statements; defaults to
            :func:`get_verifier`.
        gold: optional; when the gold itself is a collection ("3, 4"), list statements are not
            treated as hedges and adjacent boxes form one statement, and statements are rewritten
            to the gold's form (the same rule as :func:`answer_is_correct`).

    Returns:
        The first final statement (as rewritten by :func:`r1lib.recipe.answer.normalize_answer`)
        when the completion states at least one, none is a hedge, and all agree
        (:meth:`Verifier.same_answer`); otherwise ``None``.
    """
    ok, distinct, _ = _plan(completion, gold)
    if not ok:
        return None
    if len(distinct) > 1:
        v = verifier if verifier is not None else get_verifier()
        if not all(v._run_many([("same", distinct[0], s) for s in distinct[1:]])):
            return None
    return distinct[0]
