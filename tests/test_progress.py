"""Where the time goes and what the user sees: phase timers, progress events and the terminal
view, parallel jobs, compute budgets, the evaluation figure and the report's figure list."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from r1lib.core import progress, timing
from r1lib.engine.parallel import Job, run_jobs, workers_for
from r1lib.machinery.config import load_profile
from r1lib.machinery.pipeline import LiveView, headline, record_wall
from r1lib.recipe import equivalence, plots
from r1lib.recipe.training import grpo_flops, grpo_flops_per_token, sft_flops


class FakeClock:
    """A ``perf_counter`` that moves only when told: the timing tests assert exact sums instead
    of sleeping and allowing for a loaded CI machine's overshoot."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now

    def sleep(self, s):
        self.now += s


@pytest.fixture
def clock(monkeypatch):
    c = FakeClock()
    monkeypatch.setattr(timing.time, "perf_counter", c)
    timing.reset()
    yield c
    timing.reset()


def test_phases_are_exclusive_and_add_up(clock):
    with timing.phase("training"):
        clock.sleep(0.05)
        with timing.phase("generation"):
            clock.sleep(0.1)
            with timing.phase("generation"):  # re-entering the open phase counts once
                clock.sleep(0.02)
        clock.sleep(0.05)
    t = timing.phase_totals()
    assert t["generation"] == pytest.approx(0.12, abs=1e-9)
    assert t["training"] == pytest.approx(0.10, abs=1e-9)  # the inner 0.12 s is not counted twice
    assert list(t) == ["generation", "training"]  # largest first
    timing.add({"training": 1.0, "loading": 0.5})
    assert timing.phase_totals()["training"] == pytest.approx(1.10, abs=1e-9)
    timing.reset()
    assert timing.phase_totals() == {}


def test_timed_decorator_counts_calls(clock):
    f = timing.timed("verification")(lambda x: clock.sleep(x) or x)
    assert f(0.03) == 0.03 and f(0.04) == 0.04
    assert timing.phase_totals() == {"verification": pytest.approx(0.07, abs=1e-9)}


def test_phase_measures_real_time():
    timing.reset()
    with timing.phase("loading"):
        time.sleep(0.02)
    assert 0.02 <= timing.phase_totals()["loading"] < 5  # perf_counter, seconds; no upper race
    timing.reset()


def test_progress_under_the_pipeline_writes_events_and_one_summary(tmp_path, monkeypatch, capsys):
    events = tmp_path / "events.jsonl"
    monkeypatch.setenv(progress.ENV, str(events))
    with progress.Progress(10, "GRPO checkpoint", min_interval=0.0) as bar:
        for i in range(10):
            bar.update(1, loss=0.5 - i * 0.01, reward=float(i))
    evs = [json.loads(x) for x in events.read_text().splitlines()]
    assert evs[0]["n"] == 0 and evs[0]["total"] == 10 and not evs[0]["done"]
    assert evs[-1]["done"] and evs[-1]["n"] == 10 and "reward=9" in evs[-1]["postfix"]
    assert len({e["id"] for e in evs}) == 1
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("GRPO checkpoint: 10/10 steps in")  # no bar redraws


def test_progress_interactively_draws_a_text_bar(monkeypatch, capsys):
    monkeypatch.delenv(progress.ENV, raising=False)
    monkeypatch.setattr(progress.sys.stdout, "isatty", lambda: True)
    with progress.Progress(4, "sampling", unit="sample") as bar:
        bar.update(4, loss=0.25)
    out = capsys.readouterr().out
    assert "sampling" in out and "4/4" in out and "loss=0.25" in out and "IProgress" not in out


def test_progress_into_a_log_file_prints_one_summary_line(monkeypatch, capsys):
    monkeypatch.delenv(progress.ENV, raising=False)
    monkeypatch.delitem(progress.sys.modules, "ipykernel", raising=False)  # not a notebook
    with progress.Progress(50, "reward model rm_x") as bar:
        for _ in range(50):
            bar.update(1, loss=0.5)
    out = capsys.readouterr().out
    assert "\r" not in out and out.count("\n") == 1
    assert out.startswith("reward model rm_x: 50/50 steps in") and out.rstrip().endswith("loss=0.5")


def test_live_view_follows_the_kernels_events(tmp_path, capsys):
    with LiveView(live=False, poll_s=0.02) as view:
        path = progress.os.environ[progress.ENV]
        bar = progress.Progress(3, "SFT checkpoint", min_interval=0.0)
        bar.update(3, loss=0.1)
        bar.close()
        time.sleep(0.1)
    out = capsys.readouterr().out
    assert view.loops == 1 and "    SFT checkpoint: 3/3 steps in" in out and "loss=0.1" in out
    assert progress.ENV not in progress.os.environ and not tmp_path.joinpath(path).exists()


def test_record_wall_writes_stage_and_manifest(tmp_path):
    for st in ("00_base_model", "01_r1_zero_grpo"):
        (tmp_path / st).mkdir()
        (tmp_path / st / "stage.json").write_text(json.dumps({"status": "complete", "timings": {"x": 1}}))
    (tmp_path / "manifest.json").write_text(json.dumps({"profile": "micro"}))
    record_wall(tmp_path, "00_base_model", 12.5)
    rec = record_wall(tmp_path, "01_r1_zero_grpo", 7.0)
    assert rec["timings"] == {"x": 1, "wall": 7.0}
    man = json.loads((tmp_path / "manifest.json").read_text())
    assert man["profile"] == "micro"
    assert man["timings"] == {"wall": {"00_base_model": 12.5, "01_r1_zero_grpo": 7.0}, "total_wall": 19.5}


def test_headline_picks_the_stage_figures():
    m = {"pass@1": 0.3078, "greedy_acc": 0.445, "final_loss": 0.6181, "other": 1}
    assert headline("00_base_model", m) == "pass@1=0.3078 greedy_acc=0.445 final_loss=0.6181"
    assert headline("03_reasoning_rl", {"runs": {"reasoning_rl": {"final_accuracy": 0.75}}}) == \
        "reasoning_rl.final_accuracy=0.75"
    assert headline("06_distillation", {}) == ""


def test_parallel_jobs_return_in_order_with_the_workers_counts():
    before = equivalence.default_counters() or {"calls": 0}
    jobs = [Job(equivalence.batch_answers_correct, ([r"so \boxed{3}", r"\boxed{4}"], ["3", "3"])),
            Job(equivalence.batch_answers_correct, ([r"\boxed{\frac{1}{2}}"], ["0.5"]))]  # math-verify's pool
    assert workers_for(2) == 2 or workers_for(2) == 1  # one per core, at most one per job
    assert run_jobs(jobs) == [[1.0, 0.0], [1.0]]  # and the workers exit (their verifier pools close)
    after = equivalence.default_counters()
    assert after["calls"] >= before["calls"] + 3  # the workers' checks are counted here


def _children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid``."""
    out = []
    for d in Path("/proc").iterdir():
        try:
            stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(stat[1]) == pid and stat[0] != "Z":
            out.append(int(d.name))
    return out


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists() or workers_for(2) < 2,
                    reason="needs /proc (to find the workers) and two cores (spawned workers)")
def test_workers_die_with_the_process_that_spawned_them():
    """A killed kernel or pipeline (SIGKILL: no clean-up runs) leaves no workers running: neither
    the spawned job workers nor the verifier's forked pool."""
    script = ("import time\nfrom r1lib.engine.parallel import Job, run_jobs\n"
              "from r1lib.recipe import equivalence\n"
              "assert equivalence.batch_answers_correct([r'\\boxed{3}'], ['3']) == [1.0]\n"
              "run_jobs([Job(time.sleep, (120,)), Job(time.sleep, (120,))])\n")
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 90
        def spawned(pids):
            return [p for p in pids if b"spawn_main" in (Path("/proc") / str(p) / "cmdline").read_bytes()]

        while len(spawned(workers := _children(parent.pid))) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        # two job workers, the verifier's forked pool and (maybe) the resource tracker
        assert len(spawned(workers)) == 2 and len(workers) >= 3, workers
    finally:
        parent.kill()  # maybe before a worker has reached its initializer: it must end too
        parent.wait()
    deadline = time.monotonic() + 60  # a loaded machine: a worker may still be importing torch
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [w for w in workers if _alive(w)]


def test_one_worker_runs_in_process_with_one_thread():
    import torch

    cfg = load_profile("smoke", {"runtime": {"parallel_jobs": 1}})
    threads = torch.get_num_threads()
    assert workers_for(5, cfg) == 1
    assert run_jobs([Job(torch.get_num_threads)] * 2, cfg) == [1, 1]  # same numerics as a worker
    assert torch.get_num_threads() == threads


def test_compute_is_counted_in_model_flops():
    from r1lib.core.profile import GRPOConfig

    assert grpo_flops_per_token(GRPOConfig(beta=0.0)) == 8
    assert grpo_flops_per_token(GRPOConfig(beta=0.04)) == 10
    # μ = 2: two forward + backward passes and the old policy's forward for the ratio
    assert grpo_flops_per_token(GRPOConfig(beta=0.0, num_iterations=2)) == 2 + 12 + 2
    assert grpo_flops_per_token(GRPOConfig(beta=0.0, steps_per_generation=4, save_steps=40)) == 2 + 6 + 2
    assert sft_flops(1000, 50) == 6 * 1000 * 50
    assert grpo_flops(1000, 50, GRPOConfig(beta=0.001)) == 10 * 1000 * 50


def test_eval_figure_orders_checkpoints_and_keeps_their_colours():
    rows = []
    for ck, p in [("r1", 0.8), ("base", 0.3), ("student_rl", 0.2)]:
        rows.append({"checkpoint": ck, "benchmark": "micro_test", "n": 200, "k": 16, "pass@1": p,
                     "pass@1_ci95": [p - 0.02, p + 0.02], "cons@k": p + 0.05})
        rows.append({"checkpoint": ck, "benchmark": "gsm8k_test", "n": 100, "k": 1, "pass@1": 0.0,
                     "pass@1_ci95": [0.0, 0.0], "cons@k": 0.0})
    fig = plots.plot_eval(pd.DataFrame(rows))
    bars, grid = fig.axes[0], fig.axes[1]
    labels = [t.get_text() for t in bars.get_yticklabels()]
    assert labels == ["base", "r1", "student_rl"] and list(bars.get_yticks()) == [2, 1, 0]  # pipeline order, top down
    faces = [p.get_facecolor()[:3] for p in bars.patches]
    assert [tuple(round(c, 4) for c in f) for f in faces] == \
        [tuple(round(c, 4) for c in plots.checkpoint_color(ck)) for ck in ["base", "r1", "student_rl"]]
    assert "gsm8k_test (n=100)" in [t.get_text() for t in grid.get_xticklabels()]
    texts = [t.get_text() for t in bars.texts]
    assert "0.300 [0.28, 0.32]" in texts
    assert plots.checkpoint_color("r1") != plots.checkpoint_color("sft")
    assert plots.ordered_checkpoints(["x", "r1", "base", "r1"]) == ["base", "r1", "x"]


def test_report_shows_a_copied_figure_once(tmp_path):
    from r1lib.machinery.report import build_report

    (tmp_path / "manifest.json").write_text(json.dumps({"profile": "t", "packages": {}, "hardware": {}}))
    import matplotlib.pyplot as plt

    for st in ("01_r1_zero_grpo", "08_aha_moment"):
        (tmp_path / st / "figures").mkdir(parents=True)
        (tmp_path / st / "stage.json").write_text(json.dumps(
            {"status": "complete", "config_hash": "h", "timings": {"wall": 2.0, "phases": {"training": 1.0}},
             "metrics": {}}))
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    plots.save(fig, tmp_path / "01_r1_zero_grpo" / "figures", "heldout_accuracy")
    plots.copy(tmp_path / "01_r1_zero_grpo" / "figures", "heldout_accuracy",
               tmp_path / "08_aha_moment" / "figures", "accuracy_cons")
    page = build_report(tmp_path)
    assert page.count("<img ") == 1 and "01_r1_zero_grpo/figures/heldout_accuracy.png" in page
    assert "wall_s" in page and "training_s" in page and "total" in page
