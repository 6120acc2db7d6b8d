"""Independent jobs of one stage side by side on the CPU cores, one torch thread each.

On a small CPU a micro model's generation step is mostly per-operation overhead, which a
second thread barely shortens (measured on 2 cores: sampling 32 sequences 1.3× faster with 2
threads than with 1, a training step 1.8×). Two jobs in two processes of one thread each
(``benchmarks/parallel_jobs.py``) therefore finish sooner than the same jobs one after the
other with two threads: the two GRPO runs of 03, the two reward models of 05, the checkpoints
of 07. Every job runs with one thread whatever the number of workers, so its numbers do not
depend on how many cores the machine has. On a GPU, or with ``runtime.parallel_jobs: 1``, the
jobs run one after the other in this process.

Workers are started with ``spawn`` (a process forked after OpenMP has started can hang), select
the profile's backends, and send back their results with the seconds they spent per phase
(:mod:`r1lib.core.timing`), which are added to this process's phases (so with parallel jobs
the phases sum to more than the stage's wall time: they are CPU-side seconds per process).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from r1lib.core import timing
from r1lib.core.profile import Profile
from r1lib.engine import backends


@dataclass
class Job:
    """One call ``fn(*args, **kwargs)``; ``fn`` must be importable (a module-level function)
    and its arguments picklable (paths, records, configs: not models)."""

    fn: Callable
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    name: str = ""


# per-process state a worker hands back with its result: name -> (collect, merge into this process)
_STATE_HOOKS: dict[str, tuple[Callable[[], dict | None], Callable[[dict], None]]] = {}


def register_state(name: str, collect: Callable[[], dict | None], merge: Callable[[dict], None]) -> None:
    """Have workers send back ``collect()`` (e.g. the verifier's counters) after each job, and
    ``merge`` it into this process's state, so a stage's records count its workers' work too."""
    _STATE_HOOKS[name] = (collect, merge)


def workers_for(n_jobs: int, profile: Profile | None = None) -> int:
    """How many processes run ``n_jobs`` jobs: ``runtime.parallel_jobs`` when set, else one
    per CPU core up to ``n_jobs``; always 1 on a GPU (the jobs would share it)."""
    if torch.cuda.is_available():
        return 1
    setting = profile.runtime.parallel_jobs if profile is not None else None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(n_jobs, setting if setting is not None else cores))


def die_with_parent(poll_s: float = 1.0) -> None:
    """End this process (``os._exit(1)``) within ``poll_s`` seconds of the death of the process
    that started it, so that a killed notebook kernel or pipeline leaves no workers behind (they
    ran on, holding the cores). A daemon thread watches ``os.getppid()``: an orphan is adopted
    by another process. (Linux's ``PR_SET_PDEATHSIG`` would fire when the starting *thread*
    ends, which a pool started from a short-lived thread would not survive.) The initializer
    of this module's workers and of the verifier's pool (:mod:`r1lib.recipe.equivalence`).
    The parent is the one ``multiprocessing`` started this process from, so a worker whose
    parent died before this ran (while it was still importing) ends too."""
    started_by = multiprocessing.parent_process()
    parent = started_by.pid if started_by is not None else os.getppid()

    def watch() -> None:
        while True:
            time.sleep(poll_s)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="r1lib-die-with-parent", daemon=True).start()


def _init(profile_json: dict | None) -> None:
    die_with_parent()
    torch.set_num_threads(1)
    # a worker's prints would land in the terminal between the live bars; its loops report
    # through $R1_PROGRESS and its results come back to the notebook, which prints them
    sys.stdout = open(os.devnull, "w")
    if profile_json is not None:
        backends.use(Profile.model_validate(profile_json))


def _call(job: Job):
    timing.reset()
    before = {name: collect() for name, (collect, _) in _STATE_HOOKS.items()}
    out = job.fn(*job.args, **job.kwargs)
    state = {}
    for name, (collect, _) in _STATE_HOOKS.items():  # hooks registered by the job's imports too
        now, was = collect(), before.get(name)
        if now is not None:
            state[name] = {k: v - (was or {}).get(k, 0) for k, v in now.items()}
    return out, timing.phase_totals(), state


def run_jobs(jobs: list[Job], profile: Profile | None = None) -> list:
    """Run ``jobs`` and return their results in order.

    With more than one worker (:func:`workers_for`), each job runs in a spawned process with
    one torch thread; with one worker, in this process, also with one torch thread (restored
    afterwards), so a job's numbers are the same either way.

    Raises:
        Whatever a job raises (the first failure, after the other jobs have ended).
    """
    profile = profile or backends.current().profile
    n = workers_for(len(jobs), profile)
    if n == 1:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return [job.fn(*job.args, **job.kwargs) for job in jobs]
        finally:
            torch.set_num_threads(threads)
    payload = profile.model_dump(mode="json") if profile is not None else None
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(n, mp_context=ctx, initializer=_init, initargs=(payload,)) as pool:
        futures = [pool.submit(_call, job) for job in jobs]
        cf.wait(futures)
        results = []
        for fut in futures:
            out, phases, state = fut.result()
            timing.add(phases)
            for name, value in state.items():
                if name in _STATE_HOOKS:
                    _STATE_HOOKS[name][1](value)
            results.append(out)
    return results
