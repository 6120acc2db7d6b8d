"""Code accuracy reward (issue 5.3): the sandbox contains hostile programs, and the reward still
works afterwards. Each containment test has a positive control or a bound that fails when the
defence is missing."""

import json
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil
import pytest

from r1lib.recipe import code
from r1lib.recipe import rewards
from r1lib.recipe.code import (SandboxLimits, code_tasks, extract_code, load_code_benchmark, passes_tests,
                               run_sandboxed, sandbox_isolation)

FAST = SandboxLimits(cpu_s=1, wall_s=4, memory_mb=256, max_processes=16, max_output_kb=256)
PRINTS_OK = [{"input": "", "output": "ok"}]
ADD = [{"input": "2 3\n", "output": "5"}, {"input": "-4 4\n", "output": "0"}]
ADD_OK = "a, b = map(int, input().split())\nprint(a + b)\n"
ADD_WRONG = "a, b = map(int, input().split())\nprint(a - b)\n"


def fenced(src: str) -> str:
    return f"<think> Let me write it. </think><answer>\n```python\n{src}\n```\n</answer>"


def sandbox_procs() -> list:
    """Processes of a sandbox anywhere on the machine: a pool uid, or the boot marker in the command line."""
    out = []
    for p in psutil.process_iter(["uids", "cmdline"]):
        uid = p.info["uids"].real if p.info["uids"] else -1
        cmd = " ".join(p.info["cmdline"] or [])
        if code.UID_BASE <= uid < code.UID_BASE + code.UID_POOL or "r1lib-sandbox" in cmd:
            out.append(p)
    return out


_BEFORE: set[int] = set()


@pytest.fixture(autouse=True)
def _children_before():
    """Children of the test process that predate the test (e.g. a verifier pool in a full run)."""
    _BEFORE.clear()
    _BEFORE.update(p.pid for p in psutil.Process().children(recursive=True))
    yield


def assert_no_leftovers():
    assert [p for p in psutil.Process().children(recursive=True) if p.pid not in _BEFORE] == []
    assert sandbox_procs() == []


# ----------------------------------------------------------------------------------- basics


def test_correct_program_passes_wrong_fails():
    assert passes_tests(ADD_OK, ADD) == 1.0
    assert passes_tests(ADD_WRONG, ADD) == 0.0
    assert passes_tests(ADD_OK, json.dumps(ADD)) == 1.0  # the JSON form (Arrow-friendly column)
    assert passes_tests("def f(x):\n    return 2 * x", "assert f(2) == 4\nassert f(0) == 0") == 1.0
    assert passes_tests("def f(x):\n    return x + 2", "assert f(2) == 4\nassert f(0) == 0") == 0.0
    assert passes_tests("def f(x) return x", "assert f(1) == 1") == 0.0  # does not compile
    with pytest.raises(ValueError):
        passes_tests(ADD_OK, [])


def test_environment_scrubbed_and_workdir_removed(monkeypatch):
    monkeypatch.setenv("R1_SECRET_TOKEN", "hunter2")
    res = run_sandboxed("import os, json\nprint(json.dumps([dict(os.environ), os.getcwd()]))")
    env, cwd = json.loads(res.stdout)
    assert res.ok and "R1_SECRET_TOKEN" not in env and "hunter2" not in res.stdout
    assert env["HOME"] == env["TMPDIR"] == cwd and Path(cwd).name.startswith("r1-sandbox-")
    assert not Path(cwd).exists()


def test_isolation_reported():
    iso = sandbox_isolation()
    res = run_sandboxed("import os\nprint(os.getuid())")
    assert res.ok and res.isolation == iso and res.network_isolated == ("netns" in iso)
    if "setuid" in iso:  # root: dropped to a pool uid, so RLIMIT_NPROC applies and root's files are closed
        assert code.UID_BASE <= int(res.stdout) < code.UID_BASE + code.UID_POOL


# ----------------------------------------------------------------------------------- containment


@pytest.mark.skipif("nproc" not in sandbox_isolation(), reason="no enforceable process limit here (root without "
                    "a usable uid drop): a fork bomb would exhaust the machine's pids")
def test_process_limit_enforced():
    # bounded on purpose: without the limit it would create 200 processes, not run away
    prog = ("import os, time\nn = 0\nfor _ in range(200):\n    try:\n        pid = os.fork()\n"
            "    except OSError:\n        break\n    if pid == 0:\n        time.sleep(60)\n        os._exit(0)\n"
            "    n += 1\nprint(n)")
    res = run_sandboxed(prog, limits=FAST)
    assert res.ok and int(res.stdout) < FAST.max_processes, res
    assert_no_leftovers()  # the sleeping children died with the run


@pytest.mark.skipif("nproc" not in sandbox_isolation(), reason="no enforceable process limit here (root without "
                    "a usable uid drop): a fork bomb would exhaust the machine's pids")
def test_fork_bomb_contained():
    func = rewards.get_reward_funcs(["code"])[0]
    t0 = time.perf_counter()
    out = func([fenced("import os\nwhile True: os.fork()")], tests=[PRINTS_OK], limits=FAST)
    took = time.perf_counter() - t0
    assert out == [0.0]
    assert took < FAST.wall_s + 2, took
    assert_no_leftovers()


def test_infinite_loop_and_sleep_time_out():
    t0 = time.perf_counter()
    res = run_sandboxed("while True: pass", limits=FAST)
    assert res.timed_out and res.killed_reason == "cpu_limit", res
    assert time.perf_counter() - t0 < FAST.wall_s + 1
    t0 = time.perf_counter()
    res = run_sandboxed("import time\ntime.sleep(100)", limits=SandboxLimits(wall_s=1))
    assert res.timed_out and res.killed_reason == "wall_timeout", res
    assert time.perf_counter() - t0 < 3
    assert passes_tests("while True: pass", PRINTS_OK, FAST) == 0.0
    assert_no_leftovers()


@pytest.mark.parametrize("prog", ["x = bytearray(10**10)\nprint('ok')",
                                  "x = []\nwhile True:\n    x.append(' ' * 10**6)"])
def test_memory_hog_contained(prog):
    t0 = time.perf_counter()
    res = run_sandboxed(prog, limits=FAST)
    assert res.killed_reason == "memory" and "MemoryError" in res.stderr, res
    assert passes_tests(prog, PRINTS_OK, FAST) == 0.0
    assert time.perf_counter() - t0 < 2 * FAST.wall_s


def test_network_unreachable():
    if "netns" not in sandbox_isolation():
        pytest.skip("no network namespace on this machine (unshare unavailable or not permitted)")
    srv = socket.create_server(("127.0.0.1", 0))
    srv.settimeout(0.5)
    port = srv.getsockname()[1]
    prog = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)\nprint('ok')"
    try:
        # positive control: the same program outside the sandbox reaches our server
        assert subprocess.run([sys.executable, "-c", prog], capture_output=True, timeout=20).stdout.strip() == b"ok"
        srv.accept()[0].close()
        t0 = time.perf_counter()
        assert passes_tests(prog, PRINTS_OK, FAST) == 0.0
        with pytest.raises(socket.timeout):
            srv.accept()
        internet = "import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=2)\nprint('ok')"
        assert passes_tests(internet, PRINTS_OK, FAST) == 0.0
        assert time.perf_counter() - t0 < 2 * FAST.wall_s
    finally:
        srv.close()


def test_writes_outside_workdir_refused(tmp_path):
    targets = [tmp_path / "escape.txt", Path(tempfile.gettempdir()) / f"r1-escape-{uuid.uuid4().hex}.txt"]
    # positive control: unsandboxed, the program does write there
    subprocess.run([sys.executable, "-c", f"open({str(targets[0])!r}, 'w').write('x')"], check=True, timeout=20)
    assert targets[0].exists()
    targets[0].unlink()
    for t in targets:  # a root-owned 0700 dir (kernel: uid drop; and the hook), world-writable /tmp (the hook)
        for prog in [f"open({str(t)!r}, 'w').write('x')",
                     f"import pathlib\npathlib.Path({str(t)!r}).write_text('x')",
                     f"import shutil\nshutil.copy('main.py', {str(t)!r})",
                     f"import os\nos.system('touch {t}')",
                     f"import os\nfd = os.open({str(t.parent)!r}, os.O_RDONLY)\n"
                     f"os.close(os.open({t.name!r}, os.O_WRONLY | os.O_CREAT, dir_fd=fd))"]:
            assert passes_tests(prog + "\nprint('ok')", PRINTS_OK, FAST) == 0.0, prog
            assert not t.exists(), prog
    # the work dir itself is writable
    assert passes_tests("open('a.txt', 'w').write('ok')\nprint(open('a.txt').read())", PRINTS_OK, FAST) == 1.0


def test_output_flood_capped():
    proc = psutil.Process()
    rss0 = proc.memory_info().rss
    t0 = time.perf_counter()
    for prog in ["while True: print('x' * 10000)", "import sys\nwhile True: sys.stderr.write('y' * 10000)"]:
        res = run_sandboxed(prog, limits=FAST)
        assert res.killed_reason == "output_limit", res.killed_reason
        assert len(res.stdout) <= FAST.max_output_kb * 1024 and len(res.stderr) <= FAST.max_output_kb * 1024
        assert passes_tests(prog, PRINTS_OK, FAST) == 0.0
    assert time.perf_counter() - t0 < FAST.wall_s
    assert proc.memory_info().rss - rss0 < 64 << 20
    assert_no_leftovers()


# ----------------------------------------------------------------------------------- extraction, tasks, data


def test_extract_code():
    assert extract_code("<think>```python\nprint(1)\n```</think> ```python\nprint(2)\n```") == "print(2)\n"
    assert extract_code("```python\nprint(1)\n```\nbetter:\n```python\nprint(3)\n```") == "print(3)\n"
    assert extract_code("<think>```python\nprint(1)\n```</think> no code") is None
    assert extract_code("<think> unclosed ```python\nprint(1)\n```") is None
    assert extract_code("```\nprint(1)\n```") is None  # unlabelled
    assert extract_code("```py\nprint(4)\n```") == "print(4)\n"
    assert extract_code("```python\nprint(5)\n") is None  # unclosed fence
    with pytest.raises(TypeError):
        extract_code(None)


def test_code_tasks_deterministic_and_verified():
    tasks = code_tasks(8, seed=3)
    assert tasks == code_tasks(8, seed=3) and tasks != code_tasks(8, seed=4)
    assert len({t["id"] for t in tasks}) == 8 and all(t["language"] == "en" for t in tasks)
    for t in tasks:
        assert passes_tests(t["reference"], t["tests"]) == 1.0, t
        wrong = t["reference"].replace("print(", "print(1 + ").replace("return ", "return 1 + ")
        assert passes_tests(wrong, t["tests"]) == 0.0, t
        assert passes_tests("pass", t["tests"]) == 0.0
    import datasets

    assert len(datasets.Dataset.from_list(tasks)) == 8  # uniform column types: an Arrow table


HUMANEVAL_ROW = {"task_id": "HumanEval/0", "prompt": 'def add(a, b):\n    """Return a + b."""\n',
                 "canonical_solution": "    return a + b\n", "entry_point": "add",
                 "test": "METADATA = {}\n\n\ndef check(candidate):\n    assert candidate(1, 2) == 3\n"
                         "    assert candidate(-1, 1) == 0\n"}
MBPP_ROW = {"task_id": 2, "text": "Write a function to find the shared elements from the given two lists.",
            "code": "def similar_elements(a, b):\n    return tuple(sorted(set(a) & set(b)))",
            "test_list": ["assert similar_elements((3, 4, 5, 6), (5, 7, 4, 10)) == (4, 5)",
                          "assert similar_elements((1, 2, 3, 4), (5, 4, 3, 7)) == (3, 4)"],
            "test_setup_code": "", "challenge_test_list": []}


@pytest.mark.parametrize("name,row,call", [
    ("openai/openai_humaneval", HUMANEVAL_ROW, ("openai/openai_humaneval", None, "test")),
    ("google-research-datasets/mbpp", MBPP_ROW, ("google-research-datasets/mbpp", "full", "test")),
    ("mbpp", MBPP_ROW, ("google-research-datasets/mbpp", "full", "test"))])
def test_load_code_benchmark_hub_mapping(monkeypatch, name, row, call):
    import datasets

    calls = []

    def fake_load(path, name=None, split=None, **kw):
        calls.append((path, name, split))
        return datasets.Dataset.from_list([row, row])

    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    recs = load_code_benchmark(name, limit=1)
    assert calls == [call] and len(recs) == 1
    rec = recs[0]
    assert set(rec) == {"id", "problem", "tests", "reference", "language"} and rec["language"] == "en"
    assert str(row["task_id"]) in rec["id"]
    assert passes_tests(rec["reference"], rec["tests"]) == 1.0
    assert passes_tests(rec["reference"].replace("return ", "return 1 + "), rec["tests"]) == 0.0


def test_load_code_benchmark_local_and_errors(tmp_path):
    path = tmp_path / "mine.jsonl"
    rows = [{"id": "a", "problem": "p", "tests": ADD}, {"problem": "q", "tests": "assert True"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    recs = load_code_benchmark(path)
    assert [r["id"] for r in recs] == ["a", "mine-2"] and recs[0]["tests"] == ADD
    assert recs[1]["reference"] is None and recs[1]["language"] == "en"
    assert len(load_code_benchmark(str(path), limit=1)) == 1
    with pytest.raises(ValueError, match="no/such-benchmark"):
        load_code_benchmark("no/such-benchmark")
    with pytest.raises(FileNotFoundError):
        load_code_benchmark(tmp_path / "missing.jsonl")
    path.write_text(json.dumps({"problem": "p"}) + "\n")
    with pytest.raises(ValueError, match="tests"):
        load_code_benchmark(path)


# ----------------------------------------------------------------------------------- the registered reward


def test_code_reward_registered():
    func = rewards.get_reward_funcs(["code"])[0]
    assert func.__name__ == "code" and "code" in rewards.reward_names()
    good, bad = fenced(ADD_OK), fenced(ADD_WRONG)
    assert func([good, bad]) == [None, None]  # no tests column at all
    assert func([good, good], tests=[None, ADD]) == [None, 1.0]  # a math row in a mixed batch
    assert func([bad, "no code here", [{"role": "assistant", "content": good}]], tests=[ADD] * 3) == [0.0, 0.0, 1.0]
    assert func(["<think>```python\n" + ADD_OK + "```</think> done"], tests=[ADD]) == [0.0]  # code in reasoning only
    with pytest.raises(ValueError):
        func([good], tests=[ADD, ADD])


def test_run_goes_on_after_hostile_programs():
    """Last on purpose: after every containment test above, a correct program still scores 1.0,
    also next to hostile ones in one parallel batch."""
    func = rewards.get_reward_funcs(["code"])[0]
    hostile = ["while True: pass", "while True: print('x' * 10000)", "x = bytearray(10**10)"]
    if "nproc" in sandbox_isolation():
        hostile.append("import os\nwhile True: os.fork()")
    batch = [fenced(ADD_OK)] + [fenced(h) for h in hostile] + [fenced(ADD_OK)]
    t0 = time.perf_counter()
    assert func(batch, tests=[ADD] * len(batch), limits=FAST) == [1.0] + [0.0] * len(hostile) + [1.0]
    assert time.perf_counter() - t0 < 2 * FAST.wall_s
    assert passes_tests(ADD_OK, ADD) == 1.0
    assert_no_leftovers()
