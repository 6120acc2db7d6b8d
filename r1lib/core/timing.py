"""Where a stage's time goes: exclusive phase timers (generation, training, verification, …).

``with phase("generation"): …`` adds the block's wall time to that phase, minus the time of any
phase opened inside it, so the phases of one process never count a second twice and their sum
is at most the process's wall time. ``Stage.complete`` writes :func:`phase_totals` into
``stage.json → timings.phases``; the pipeline adds the stage's whole wall time (kernel start-up
included) as ``timings.wall``.

The phases the library opens:
    ``training``      optimizer steps of every trainer (forward, backward, update, logging);
    ``generation``    sampling: evaluation, rejection sampling, probes and GRPO's rollouts;
    ``verification``  answer checking (rule rewards, math-verify in the worker pool);
    ``reward_model``  scoring completions with a reward model (05);
    ``loading``       reading models from disk.
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from contextlib import contextmanager

PHASES = ("training", "generation", "verification", "reward_model", "loading")  # those above

_totals: defaultdict[str, float] = defaultdict(float)
_stack: list[list] = []  # [name, start, time spent in inner phases]


@contextmanager
def phase(name: str):
    """Count the ``with`` block's wall time (seconds, ``time.perf_counter``) to phase ``name``,
    exclusive of phases opened inside it. Re-entering the phase already open is a no-op."""
    if _stack and _stack[-1][0] == name:
        yield
        return
    frame = [name, time.perf_counter(), 0.0]
    _stack.append(frame)
    try:
        yield
    finally:
        _stack.pop()
        spent = time.perf_counter() - frame[1]
        _totals[name] += spent - frame[2]
        if _stack:
            _stack[-1][2] += spent


def timed(name: str):
    """Decorator form of :func:`phase` (wraps a function or a bound method)."""
    def wrap(f):
        @functools.wraps(f)
        def inner(*a, **kw):
            with phase(name):
                return f(*a, **kw)
        return inner
    return wrap


def phase_totals() -> dict[str, float]:
    """Seconds per phase so far in this process, rounded to 0.01 s, largest first."""
    return {k: round(v, 2) for k, v in sorted(_totals.items(), key=lambda kv: -kv[1])}


def add(phases: dict[str, float]) -> None:
    """Add seconds per phase measured elsewhere (a worker process's :func:`phase_totals`)."""
    for k, v in phases.items():
        _totals[k] += v


def reset() -> None:
    """Forget the totals (a stage opened twice in one interactive kernel starts afresh)."""
    _totals.clear()
