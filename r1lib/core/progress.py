"""Progress of long loops (training steps, sampling batches), seen where the user is looking.

Run interactively, a loop shows a plain-text tqdm bar in its notebook cell (or terminal); with
its output going to a file, one summary line when it ends. Run by the pipeline
(``python -m r1lib``), the pipeline sets ``$R1_PROGRESS`` to a JSON-lines file: each loop then
appends events there (at most every ``min_interval`` seconds) and the pipeline draws them as
live bars in the terminal (:mod:`r1lib.machinery.pipeline`), while the executed notebook gets one
summary line per loop instead of bar redraws.

An event: ``{"id", "desc", "unit", "n", "total", "postfix", "elapsed", "done"}``.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid

from tqdm.std import tqdm

ENV = "R1_PROGRESS"  # the events file, set by the pipeline for the notebook's kernel


def _fmt(postfix: dict) -> str:
    return " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in postfix.items())


class Progress:
    """Progress of one loop of ``total`` ``unit``\\ s named ``desc``.

    ``update(n, **postfix)`` advances it by ``n`` and sets the shown figures (e.g. ``loss=``,
    ``reward=``); ``close()`` ends it (also on leaving a ``with`` block). ``initial`` is where a
    resumed loop starts. Rate and ETA come from tqdm (the terminal) or from the elapsed time (the
    summary line).
    """

    def __init__(self, total: int | None, desc: str, unit: str = "step", initial: int = 0,
                 min_interval: float = 0.5):
        self.total, self.desc, self.unit, self.n = total, desc, unit, initial
        self.postfix: dict = {}
        self.t0 = self._last = time.perf_counter()
        self.start = initial
        self.min_interval = min_interval
        self.events = os.environ.get(ENV)
        self.id = uuid.uuid4().hex[:8]
        # a bar only where someone watches it redraw: a terminal or a notebook cell; a log file
        # (a script's redirected output) gets the one summary line instead of \r-redraws
        self.summary = bool(self.events) or not (sys.stdout.isatty() or "ipykernel" in sys.modules)
        self.bar = None if self.summary else tqdm(
            total=total, desc=desc, unit=unit, initial=initial, file=sys.stdout, ascii=True,
            mininterval=min_interval, dynamic_ncols=False, ncols=100)
        self._emit(force=True)

    def update(self, n: int = 1, **postfix) -> None:
        """Advance by ``n`` units; ``postfix`` replaces the shown figures given again."""
        self.n += n
        self.postfix.update({k: v for k, v in postfix.items() if v is not None})
        if self.bar is not None:
            if postfix:
                self.bar.set_postfix_str(_fmt(self.postfix), refresh=False)
            self.bar.update(n)
        self._emit()

    def set(self, **postfix) -> None:
        """Change the shown figures without advancing."""
        self.update(0, **postfix)

    def close(self) -> None:
        """End the loop: the bar's last state, and (under the pipeline) one summary line."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        elif self.summary:
            self.summary = False
            self._emit(force=True, done=True)
            el = time.perf_counter() - self.t0
            done = self.n - self.start
            rate = f", {done / el:.3g} {self.unit}/s" if el > 0 and done else ""
            print(f"{self.desc}: {self.n}/{self.total if self.total is not None else '?'} "
                  f"{self.unit}s in {el:.1f} s{rate}{'; ' if self.postfix else ''}{_fmt(self.postfix)}",
                  flush=True)
            self.events = None

    def _emit(self, force: bool = False, done: bool = False) -> None:
        if not self.events:
            return
        now = time.perf_counter()
        if not force and now - self._last < self.min_interval:
            return
        self._last = now
        ev = {"id": self.id, "desc": self.desc, "unit": self.unit, "n": self.n, "total": self.total,
              "postfix": _fmt(self.postfix), "elapsed": round(now - self.t0, 2), "done": done}
        try:
            with open(self.events, "a") as f:
                f.write(json.dumps(ev) + "\n")
        except OSError:  # the terminal view is a convenience: never fail the loop for it
            self.events = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
