"""Code accuracy reward: run generated Python against tests in a sandboxed subprocess.

DeepSeek-R1 (arXiv 2501.12948) §2.2.2 "Reward Modeling", accuracy rewards: "for LeetCode
problems, a compiler can be used to generate feedback based on predefined test cases". Here the
"compiler" is a Python interpreter in a sandbox, and the reward is binary (all tests pass or 0).

Isolation of :func:`run_sandboxed`, strongest first (what a run got is in
``SandboxResult.isolation``; every layer is probed at runtime and dropped when unavailable):

* ``netns``/``pidns``: the child runs under ``unshare --net --pid --ipc --kill-child``. A fresh
  network namespace has only a down loopback, so it reaches neither the internet nor the host's
  ``127.0.0.1``. In the PID namespace the program is PID 1; when it exits or is killed the kernel
  kills every process it forked, even ones that left its process group. Not root, this needs
  ``unshare --map-root-user`` (unprivileged user namespaces; written and tested as root).
* ``setuid``: when we are root, ``RLIMIT_NPROC`` does not apply (the kernel exempts uid 0), so
  the child drops to an unprivileged uid from a small pool (``UID_BASE`` on, one per concurrent
  run) via ``unshare --setuid``. Then ``RLIMIT_NPROC`` bounds a fork bomb and the kernel refuses
  writes to root's files (the temp dir is chowned to that uid). An unprivileged uid cannot run an
  interpreter under ``/root``, so the sandbox may use the system's ``python3.X`` instead of
  ``sys.executable`` (stdlib only either way: the child runs with ``-S -s``). The pool is per
  Python process: two processes sandboxing at once may share a uid and so its process count.
* ``rlimits``: ``RLIMIT_CPU``, ``RLIMIT_AS``, ``RLIMIT_NPROC``, ``RLIMIT_FSIZE``,
  ``RLIMIT_CORE=0``, set by a preamble in the child before the program runs. Not root: the
  process count limit is counted over all our uid's tasks, so it is set to their current count
  plus ``max_processes`` (``nproc``); root without ``setuid``: no process limit.
* ``audit_hook``: a Python audit hook (PEP 578) refuses writes outside the temp dir (``open``
  for writing, remove, rename, mkdir, chmod, ...; ``dir_fd`` arguments, and ``os.open`` for
  writing by a relative path, since the hook cannot see a ``dir_fd``), spawning programs
  (``os.system``, ``exec*``, ``subprocess``) and ``ctypes``; sockets too when there is no
  network namespace. It is a Python-level guard, not a kernel boundary: a determined program
  can get around it (symlink races, C extensions). It is what keeps world-writable dirs
  (``/tmp``, ``/dev/shm``) out of reach of the sandbox uid.
* always: a fresh temp dir as cwd, HOME and TMPDIR (deleted afterwards), a scrubbed environment,
  a new session (the process group is SIGKILLed at the end), a wall-clock bound, and
  stdout/stderr read with a byte cap (flooding kills the run, the parent's memory stays bounded).

Limits not covered: no cgroup (the memory bound is address space per process), no mount
namespace (the sandbox uid may read world-readable files), no seccomp.
"""

from __future__ import annotations

import json
import math
import os
import queue
import random
import re
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from r1lib.core.records import read_jsonl
from r1lib.recipe.answer import _outside_think

__all__ = [
    "CODE_BENCHMARKS",
    "SandboxLimits",
    "SandboxResult",
    "code_tasks",
    "extract_code",
    "load_code_benchmark",
    "passes_tests",
    "run_sandboxed",
    "sandbox_isolation",
]

UID_BASE = 61_000
"""First uid of the pool the sandbox drops to when we are root (no such user needs to exist)."""
UID_POOL = 64
"""Pool size: the most concurrent sandboxed runs when we are root."""


# --------------------------------------------------------------------------------------------
# Sandbox
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one sandboxed run (units in the names)."""

    cpu_s: float = 5.0  # RLIMIT_CPU per process: judges allow 1-2 s per test, micro tasks need ms
    wall_s: float = 10.0  # whole run, ~0.1 s interpreter start included; also ends sleeping programs
    memory_mb: int = 512  # RLIMIT_AS per process: Python maps ~30 MB at start, LeetCode allows 256 MB
    max_processes: int = 32  # RLIMIT_NPROC (processes + threads of the uid): a solution needs 1
    max_file_mb: int = 16  # RLIMIT_FSIZE: the largest file a program may write in its temp dir
    max_output_kb: int = 1024  # stdout and stderr each captured up to this; more kills the run


@dataclass
class SandboxResult:
    """Outcome of :func:`run_sandboxed`.

    ``returncode`` is the exit status of the wrapper (``unshare`` reports a child killed by a
    signal as 1) or the negated signal; ``stdout``/``stderr`` are decoded UTF-8 (invalid bytes
    replaced), each truncated to ``max_output_kb``; ``killed_reason`` is ``"wall_timeout"``,
    ``"cpu_limit"``, ``"memory"``, ``"output_limit"`` or ``None`` (``cpu_limit`` and
    ``memory`` are read from CPU time used and a ``MemoryError`` in stderr); ``wall_s`` in
    seconds; ``isolation`` names the layers applied (see the module docstring).
    """

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool
    killed_reason: str | None
    wall_s: float
    network_isolated: bool
    isolation: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Exit status 0 and no limit hit."""
        return self.returncode == 0 and self.killed_reason is None


# Runs in the child before the program: rlimits, then the audit hook, then the program as __main__.
_BOOT = r"""# r1lib-sandbox
import os, resource, sys
def _setup(cpu, mem, nproc, fsize, guard_net):
    for res, v in ((resource.RLIMIT_CPU, cpu), (resource.RLIMIT_AS, mem), (resource.RLIMIT_FSIZE, fsize),
                   (resource.RLIMIT_CORE, 0), (resource.RLIMIT_NPROC, nproc)):
        if v >= 0:
            resource.setrlimit(res, (v, v))
    root, sep, realpath, isabs = os.path.realpath("."), os.sep, os.path.realpath, os.path.isabs
    fsdecode, fspath = os.fsdecode, os.fspath
    write = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    # event -> (leading path args, trailing dir_fd args); a dir_fd could point outside: refused
    paths = {"os.remove": (1, 1), "os.rmdir": (1, 1), "os.mkdir": (1, 1), "os.chmod": (1, 1), "os.chown": (1, 1),
             "os.utime": (1, 1), "shutil.rmtree": (1, 1), "os.truncate": (1, 0), "os.chflags": (1, 0),
             "os.setxattr": (1, 0), "os.removexattr": (1, 0), "sqlite3.connect": (1, 0), "os.rename": (2, 2),
             "os.link": (2, 2), "os.symlink": (2, 1)}
    denied = {"os.system", "os.exec", "os.posix_spawn", "os.spawn", "subprocess.Popen"}
    if guard_net:
        denied |= {"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"}

    def inside(p):
        if isinstance(p, int):
            return False  # a file descriptor may point anywhere
        p = realpath(fsdecode(fspath(p)))
        return p == root or p.startswith(root + sep)

    def guard(event, args):
        if event == "open":  # builtins.open: (path, mode, flags); os.open: (path, None, flags), maybe with a dir_fd
            if args[2] & write and not isinstance(args[0], int) and not (
                    inside(args[0]) and (args[1] is not None or isabs(fsdecode(fspath(args[0]))))):
                raise PermissionError(f"sandbox: no writes outside the work dir ({args[0]!r})")
        elif event in paths:
            n_path, n_fd = paths[event]
            if not all(inside(a) for a in args[:n_path]) or any(a not in (-1, None) for a in args[len(args) - n_fd:]):
                raise PermissionError(f"sandbox: {event} outside the work dir")
        elif event in denied or event.startswith("ctypes."):
            raise PermissionError(f"sandbox: {event} is not allowed")
        elif event == "object.__setattr__" and args[0] in (guard, inside):
            raise PermissionError("sandbox: the guard is read-only")
    sys.addaudithook(guard)
_args = [int(a) for a in sys.argv[1:6]]
with open("main.py", encoding="utf-8") as _f:
    _src = _f.read()
sys.argv = ["main.py"]
_setup(*_args)
del _setup, _args, _f
exec(compile(_src, "main.py", "exec"), {"__name__": "__main__", "__file__": "main.py", "__builtins__": __builtins__})
"""


@dataclass(frozen=True)
class _Setup:
    prefix: tuple[str, ...]  # wrapper command; "{uid}" is replaced by the run's uid
    interpreter: str
    isolation: tuple[str, ...]


def _world_usable(path: str) -> bool:
    """Whether every directory up to ``path`` is world-searchable and the file world-readable/executable."""
    p = Path(path)
    try:
        if p.stat().st_mode & (stat.S_IROTH | stat.S_IXOTH) != (stat.S_IROTH | stat.S_IXOTH):
            return False
        return all(d.stat().st_mode & stat.S_IXOTH for d in p.parents)
    except OSError:
        return False


def _interpreters() -> list[str]:
    """Candidate interpreters, ours first, then the system's of the same version, then any python3."""
    ver = f"python{sys.version_info.major}.{sys.version_info.minor}"
    cands = [sys.executable, getattr(sys, "_base_executable", sys.executable)]
    cands += [shutil.which(n, path="/usr/local/bin:/usr/bin:/bin") for n in (ver, "python3")]
    out = []
    for c in cands:
        if c and os.path.realpath(c) not in out:
            out.append(os.path.realpath(c))
    return out


@lru_cache(maxsize=1)
def _probe() -> _Setup:
    """Find the strongest wrapper that works here (runs once per process, ~50 ms per try)."""
    unshare = shutil.which("unshare")
    tries: list[_Setup] = []
    if unshare:
        ns = (unshare, "--net", "--pid", "--ipc", "--kill-child")
        if os.geteuid() == 0:
            drop = ("--setuid", "{uid}", "--setgid", "{uid}")
            tries += [_Setup(ns + drop, i, ("netns", "pidns", "setuid", "rlimits", "nproc", "audit_hook"))
                      for i in _interpreters() if _world_usable(i)]
            tries.append(_Setup(ns, sys.executable, ("netns", "pidns", "rlimits", "audit_hook")))
        else:
            tries.append(_Setup((unshare, "--map-root-user") + ns[1:], sys.executable,
                                ("netns", "pidns", "rlimits", "nproc", "audit_hook")))
    nproc = () if os.geteuid() == 0 else ("nproc",)
    tries.append(_Setup((), sys.executable, ("rlimits", *nproc, "audit_hook")))
    for setup in tries:
        cmd = [a.replace("{uid}", str(UID_BASE)) for a in setup.prefix]
        cmd += [setup.interpreter, "-S", "-s", "-c", "import resource"]
        try:
            if subprocess.run(cmd, capture_output=True, timeout=30, cwd="/", env=_env("/")).returncode == 0:
                return setup
        except (OSError, subprocess.SubprocessError):
            pass
    return tries[-1]


def sandbox_isolation() -> tuple[str, ...]:
    """The isolation layers :func:`run_sandboxed` applies on this machine (see the module docstring).

    Returns:
        ``tuple[str, ...]`` from ``"netns"``, ``"pidns"``, ``"setuid"``, ``"rlimits"``, ``"nproc"``,
        ``"audit_hook"``.
    """
    return _probe().isolation


_UIDS: queue.Queue[int] = queue.Queue()
for _u in range(UID_BASE, UID_BASE + UID_POOL):
    _UIDS.put(_u)


def _env(tmp: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": tmp, "TMPDIR": tmp,
            "PYTHONHASHSEED": "0", "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1"}


def _tasks_of_uid(uid: int) -> int:
    """Number of tasks (threads) the uid runs now, from /proc (what RLIMIT_NPROC counts)."""
    n = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/status") as fh:
                    fields = dict(line.split(":", 1) for line in fh if ":" in line)
                if int(fields["Uid"].split()[0]) == uid:
                    n += int(fields["Threads"])
            except (OSError, KeyError, ValueError):
                pass
    return n


def _kill(pid: int, group: bool = False) -> None:
    """SIGKILL ``pid`` (or the process group ``pid``); gone already is fine."""
    try:
        (os.killpg if group else os.kill)(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _children(pid: int) -> list[int]:
    """Pids of the direct children of ``pid`` (Linux /proc)."""
    try:
        return [int(c) for t in os.listdir(f"/proc/{pid}/task")
                for c in Path(f"/proc/{pid}/task/{t}/children").read_text().split()]
    except OSError:
        return []


def _exited(pid: int) -> bool:
    """Whether our child ``pid`` has exited, without reaping it (its process group stays valid)."""
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _pump(proc: subprocess.Popen, cap: int, deadline: float) -> tuple[bytes, bytes, str | None]:
    """Read stdout/stderr until both close, keeping at most ``cap`` bytes of each."""
    bufs = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
    with selectors.DefaultSelector() as sel:
        for fd in bufs:
            sel.register(fd, selectors.EVENT_READ)
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                return bytes(bufs[proc.stdout.fileno()]), bytes(bufs[proc.stderr.fileno()]), "wall_timeout"
            for key, _ in sel.select(left):
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    sel.unregister(key.fd)
                    continue
                buf = bufs[key.fd]
                buf += chunk[:cap - len(buf)]
                if len(buf) >= cap:
                    return bytes(bufs[proc.stdout.fileno()]), bytes(bufs[proc.stderr.fileno()]), "output_limit"
    return bytes(bufs[proc.stdout.fileno()]), bytes(bufs[proc.stderr.fileno()]), None


def run_sandboxed(program: str, stdin: str = "", limits: SandboxLimits | None = None) -> SandboxResult:
    """Run a Python program in a sandboxed subprocess and capture what it prints.

    The program is written to ``main.py`` in a fresh temp dir and run as ``__main__`` by a
    preamble (rlimits, audit hook) under the strongest isolation this machine allows; see the
    module docstring and :func:`sandbox_isolation`. The whole process group is SIGKILLed when
    the run ends, hits ``wall_s`` or prints more than ``max_output_kb``; the temp dir is removed.

    Args:
        program: Python source (stdlib only: the interpreter runs with ``-S -s``).
        stdin: text fed to the program's standard input (UTF-8).
        limits: :class:`SandboxLimits`; default ``SandboxLimits()``.

    Returns:
        :class:`SandboxResult`.

    Raises:
        TypeError: ``program`` or ``stdin`` is not a ``str``.

    Source: DeepSeek-R1 §2.2.2 (code accuracy reward); POSIX rlimits, Linux namespaces
    (``unshare(1)``), PEP 578 audit hooks.
    """
    if not isinstance(program, str) or not isinstance(stdin, str):
        raise TypeError("program and stdin must be str")
    limits = limits or SandboxLimits()
    setup = _probe()
    uid = _UIDS.get() if "setuid" in setup.isolation else None
    tmp = tempfile.mkdtemp(prefix="r1-sandbox-")
    proc = None
    t0 = time.monotonic()
    try:
        Path(tmp, "main.py").write_text(program, encoding="utf-8")
        Path(tmp, "stdin.txt").write_text(stdin, encoding="utf-8")
        if uid is not None:
            os.chown(tmp, uid, uid)
        if uid is not None or "nproc" not in setup.isolation:
            nproc = limits.max_processes
        else:
            nproc = _tasks_of_uid(os.getuid()) + limits.max_processes
        args = [math.ceil(limits.cpu_s), limits.memory_mb << 20, nproc, limits.max_file_mb << 20,
                int("netns" not in setup.isolation)]
        cmd = [a.replace("{uid}", str(uid)) for a in setup.prefix]
        cmd += [setup.interpreter, "-S", "-s", "-B", "-c", _BOOT, *map(str, args)]
        with open(Path(tmp, "stdin.txt"), "rb") as fin:
            proc = subprocess.Popen(cmd, stdin=fin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp,
                                    env=_env(tmp), start_new_session=True, close_fds=True)
        out, err, reason = _pump(proc, limits.max_output_kb << 10, t0 + limits.wall_s)
        proc.stdout.close()  # read no more: a writer blocked on a full pipe (unshare's last words) gets EPIPE
        proc.stderr.close()
        while reason is None and not _exited(proc.pid):  # the pipes closed; the program may still run
            if time.monotonic() >= t0 + limits.wall_s:
                reason = "wall_timeout"
            time.sleep(0.005)
        if reason is not None and setup.prefix:
            # kill the namespace's init (the kernel kills the rest) and let unshare reap it: SIGKILL
            # to unshare as well would leave it a zombie for the machine's init to reap
            for child in _children(proc.pid):
                _kill(child)
            stop = time.monotonic() + 2.0
            while not _exited(proc.pid) and time.monotonic() < stop:
                time.sleep(0.005)
        _kill(proc.pid, group=True)  # whatever is left in the group (all of it without a PID namespace)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = rc = os.waitstatus_to_exitcode(status)
    finally:
        if proc is not None:
            if proc.returncode is None:  # interrupted: never leave the group behind
                _kill(proc.pid, group=True)
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()
        shutil.rmtree(tmp, ignore_errors=True)
        if uid is not None:
            _UIDS.put(uid)
    wall = time.monotonic() - t0
    stdout, stderr = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    if reason is None and rc != 0:
        if "MemoryError" in stderr:
            reason = "memory"
        elif usage.ru_utime + usage.ru_stime >= 0.95 * math.ceil(limits.cpu_s):
            reason = "cpu_limit"
    return SandboxResult(rc, stdout, stderr, reason in ("wall_timeout", "cpu_limit"), reason, wall,
                         "netns" in setup.isolation, setup.isolation)


# --------------------------------------------------------------------------------------------
# Extraction and tests
# --------------------------------------------------------------------------------------------

_FENCE = re.compile(r"```[ \t]*(?:python3?|py)[ \t]*\r?\n(.*?)```", re.DOTALL | re.IGNORECASE)


def extract_code(completion_text: str) -> str | None:
    """The last non-empty ```` ```python ```` fenced block outside the reasoning.

    Text inside ``<think>…</think>`` never counts (:func:`r1lib.recipe.equivalence._outside_think`: after an
    unclosed ``<think>`` everything is reasoning); ``py`` and ``python3`` fences count too,
    unlabelled fences do not; an unclosed fence does not count.

    Args:
        completion_text: the completion's text (see :func:`r1lib.recipe.rewards.completion_text`).

    Returns:
        The block's source (``str``), or ``None`` when there is none.

    Raises:
        TypeError: ``completion_text`` is not a ``str``.

    Source: DeepSeek-R1 §2.2.2 (answers in a specified format, checked by rule).
    """
    if not isinstance(completion_text, str):
        raise TypeError(f"completion_text must be str, got {type(completion_text).__name__}")
    blocks = [m.group(1) for seg in _outside_think(completion_text) for m in _FENCE.finditer(seg)]
    blocks = [b for b in blocks if b.strip()]
    return blocks[-1] if blocks else None


def _io_cases(tests: list | str) -> list[dict] | None:
    """``tests`` as stdin/stdout pairs, or ``None`` when it is an assert program."""
    if isinstance(tests, str):
        if not tests.lstrip().startswith("["):
            return None
        try:
            tests = json.loads(tests)
        except json.JSONDecodeError:
            return None
    if not isinstance(tests, list) or not all(isinstance(t, dict) and {"input", "output"} <= t.keys()
                                              for t in tests):
        raise ValueError("tests must be a list of {'input', 'output'} dicts, its JSON, or a str of asserts")
    return tests


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip().splitlines()]


def passes_tests(code: str, tests: list[dict] | str, limits: SandboxLimits | None = None) -> float:
    """All-or-nothing test result of ``code`` in the sandbox.

    ``tests`` is either stdin/stdout pairs ``[{"input": str, "output": str}, ...]`` (or that list
    as a JSON string): each pair is one run of ``code`` with ``input`` on stdin, passing when it
    exits 0 and its stdout equals ``output`` after stripping (the whole text, and trailing
    whitespace of each line); or a string of assert statements: one run of ``code + "\\n" +
    tests``, passing when it exits 0. Stops at the first failure.

    Binary on purpose: the paper's compile-and-test reward is pass/fail, and a share of tests
    passed rewards special-casing the visible ones.

    Args:
        code: Python source.
        tests: as above.
        limits: :class:`SandboxLimits` for each run; default ``SandboxLimits()``.

    Returns:
        ``1.0`` when every test passes, else ``0.0``.

    Raises:
        ValueError: ``tests`` is empty or malformed.

    Source: DeepSeek-R1 §2.2.2 ("a compiler can be used to generate feedback based on predefined
    test cases").
    """
    if not tests or (isinstance(tests, str) and not tests.strip()):
        raise ValueError("no tests: a program cannot be verified against nothing")
    cases = _io_cases(tests)
    if cases is None:
        return 1.0 if run_sandboxed(code + "\n\n" + tests, limits=limits).ok else 0.0
    if not cases:
        raise ValueError("no tests: a program cannot be verified against nothing")
    for case in cases:
        res = run_sandboxed(code, stdin=str(case["input"]), limits=limits)
        if not res.ok or _lines(res.stdout) != _lines(str(case["output"])):
            return 0.0
    return 1.0


# --------------------------------------------------------------------------------------------
# Micro code tasks
# --------------------------------------------------------------------------------------------

_FENCE_NOTE = " Give the complete program in a ```python code block."


def _task_expr(rng: random.Random) -> tuple[str, str, str]:
    op1, op2, c = rng.choice("+-*"), rng.choice("+-"), rng.randint(1, 9)
    expr = f"a{op1}b{op2}{c}"  # left to right equals Python's precedence here (* only first)
    cases = []
    for _ in range(3):
        a, b = rng.randint(-20, 20), rng.randint(-20, 20)
        cases.append({"input": f"{a} {b}\n", "output": str(eval(expr, {"a": a, "b": b}))})
    problem = (f"Write a Python program that reads two integers a and b from one line of input "
               f"(separated by a space) and prints {expr}.")
    return problem, json.dumps(cases), f"a, b = map(int, input().split())\nprint({expr})\n"


def _task_sum_above(rng: random.Random) -> tuple[str, str, str]:
    k = rng.randint(-5, 5)
    lists = [[rng.randint(-9, 9) for _ in range(rng.randint(0, 6))] for _ in range(3)]
    tests = "".join(f"assert f({xs}) == {sum(x for x in xs if x > k)}\n" for xs in lists)
    problem = f"Write a Python function f(xs) that returns the sum of the elements of the list xs greater than {k}."
    return problem, tests, f"def f(xs):\n    return sum(x for x in xs if x > {k})\n"


def _task_multiples(rng: random.Random) -> tuple[str, str, str]:
    k = rng.randint(2, 7)
    cases = [{"input": f"{n}\n", "output": str(sum(i for i in range(1, n + 1) if i % k == 0))}
             for n in (rng.randint(1, 60) for _ in range(3))]
    problem = (f"Write a Python program that reads a positive integer n from input and prints the sum of "
               f"the integers from 1 to n that are divisible by {k}.")
    return problem, json.dumps(cases), f"n = int(input())\nprint(sum(i for i in range(1, n + 1) if i % {k} == 0))\n"


def _task_reverse(rng: random.Random) -> tuple[str, str, str]:
    k = rng.randint(1, 3)
    words = ["".join(rng.choice("abcdefgh") for _ in range(rng.randint(1, 5))) for _ in range(3)]
    tests = "".join(f"assert f({w!r}) == {w[::-1] * k!r}\n" for w in words)
    problem = f"Write a Python function f(s) that returns the string s reversed and repeated {k} times."
    return problem, tests, f"def f(s):\n    return s[::-1] * {k}\n"


_TEMPLATES = (_task_expr, _task_sum_above, _task_multiples, _task_reverse)


def code_tasks(n: int, seed: int) -> list[dict]:
    """``n`` seeded micro code tasks, cheap to test (each test run is a ~0.1 s subprocess).

    Four templates in turn (stdin arithmetic ``a op b op c``, sum of list elements above k, sum
    of multiples of k up to n, reverse-and-repeat a string), parameters drawn from
    ``random.Random(seed)``. ``tests`` is always a ``str`` so the records make an Arrow table
    (``datasets.Dataset.from_list``): a JSON list of stdin/stdout pairs for programs, assert
    statements for functions; :func:`passes_tests` reads both.

    Args:
        n: number of tasks (>= 0).
        seed: the same seed gives the same tasks.

    Returns:
        ``list[dict]`` of ``{"id", "problem", "tests", "reference", "language": "en"}``; each
        ``reference`` passes its ``tests``.

    Raises:
        ValueError: ``n`` is negative.

    Source: this repo's micro world (:mod:`r1lib.sources.micro.world`), a code analogue for DeepSeek-R1 §2.2.2.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = random.Random(seed)
    out = []
    for i in range(n):
        problem, tests, reference = _TEMPLATES[i % len(_TEMPLATES)](rng)
        out.append({"id": f"code-{seed}-{i}", "problem": problem + _FENCE_NOTE, "tests": tests,
                    "reference": reference, "language": "en"})
    return out


# --------------------------------------------------------------------------------------------
# Real benchmarks
# --------------------------------------------------------------------------------------------


def _humaneval(row: dict) -> dict:
    return {"id": row["task_id"],
            "problem": "Complete the following Python function." + _FENCE_NOTE
                       + f"\n\n```python\n{row['prompt']}```",
            "tests": f"{row['test']}\n\ncheck({row['entry_point']})\n",
            "reference": row["prompt"] + row["canonical_solution"], "language": "en"}


def _mbpp(row: dict) -> dict:
    asserts = "\n".join(row["test_list"])
    return {"id": f"mbpp/{row['task_id']}",
            "problem": f"{row['text']}{_FENCE_NOTE} Your code should pass these tests:\n\n{asserts}",
            "tests": f"{row.get('test_setup_code') or ''}\n{asserts}\n".lstrip("\n"),
            "reference": row["code"], "language": "en"}


CODE_BENCHMARKS = {
    "openai/openai_humaneval": ("openai/openai_humaneval", None, "test", _humaneval),
    "openai_humaneval": ("openai/openai_humaneval", None, "test", _humaneval),
    "google-research-datasets/mbpp": ("google-research-datasets/mbpp", "full", "test", _mbpp),
    "mbpp": ("google-research-datasets/mbpp", "full", "test", _mbpp),
}
"""Hub id (or alias) -> (hub id, config, split, row mapper)."""


def load_code_benchmark(name_or_path: str | os.PathLike, limit: int | None = None) -> list[dict]:
    """Code problems as records ``{"id", "problem", "tests", "reference", "language"}``.

    A hub id from :data:`CODE_BENCHMARKS` is loaded with ``datasets.load_dataset``: HumanEval
    (Chen et al. 2021; ``prompt``, ``test``, ``entry_point``, ``canonical_solution``) becomes the
    assert program ``test + "check(entry_point)"``; MBPP (Austin et al. 2021, config ``full``,
    split ``test``; ``text``, ``code``, ``test_list``, ``test_setup_code``) becomes its asserts.
    Any other argument naming an existing file or ending in ``.jsonl`` is read as JSONL in this
    schema (``problem`` and ``tests`` required; ``id`` defaults to ``<stem>-<line>``,
    ``reference`` to ``None``, ``language`` to ``"en"``).

    Args:
        name_or_path: hub id / alias, or a local JSONL path.
        limit: keep the first ``limit`` records (``None``: all).

    Returns:
        ``list[dict]``.

    Raises:
        ValueError: unknown id (the message names it and lists the known ones), or a JSONL
            record without ``problem``/``tests``.
        FileNotFoundError: a ``.jsonl`` path that does not exist.

    Source: DeepSeek-R1 §3.1 evaluates code on LiveCodeBench/Codeforces; HumanEval and MBPP are
    the small standard sets on the Hugging Face Hub.
    """
    key = str(name_or_path)
    if key in CODE_BENCHMARKS:
        import datasets

        hub_id, config, split, mapper = CODE_BENCHMARKS[key]
        rows = datasets.load_dataset(hub_id, config, split=split)
        n = len(rows) if limit is None else min(limit, len(rows))
        return [mapper(rows[i]) for i in range(n)]
    path = Path(key)
    if not (path.is_file() or key.endswith(".jsonl")):
        raise ValueError(f"unknown code benchmark {key!r}: not a local JSONL file nor one of {sorted(CODE_BENCHMARKS)}")

    out = []
    for i, row in enumerate(read_jsonl(path), start=1):
        if limit is not None and len(out) >= limit:
            break
        if not row.get("problem") or not row.get("tests"):
            raise ValueError(f"{path}: record {i}: 'problem' and 'tests' are required")
        out.append({"id": str(row.get("id", f"{path.stem}-{i}")), "problem": row["problem"], "tests": row["tests"],
                    "reference": row.get("reference"), "language": row.get("language", "en")})
    return out
