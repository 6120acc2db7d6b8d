"""End to end: papermill runs every stage 00 -> 09 on the smoke profile (the smallest micro world)."""

import contextlib
import json
import math
import shutil
import signal
import subprocess
import sys
import time

import pytest

from r1lib.machinery import pipeline
from r1lib.machinery.config import STAGES, load_profile
from r1lib.machinery.rundir import Stage, read_stage
from r1lib.sources.benchmarks import BENCHMARKS


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("smoke_run")
    report = pipeline.run("smoke", str(run_dir))
    return run_dir, report


def _finite(x):
    return isinstance(x, (int, float)) and math.isfinite(x)


def test_every_stage_completes_with_finite_metrics(smoke_run):
    run_dir, report = smoke_run
    assert list(report) == list(STAGES) and all(isinstance(v, float) for v in report.values())
    manifest = json.loads((run_dir / "manifest.json").read_text())  # re-read: the run adds timings
    assert manifest["profile"] == "smoke" and manifest["packages"]["trl"] == "1.15.0"
    for st in STAGES:
        rec = read_stage(run_dir, st)
        assert rec["status"] == "complete", st
        assert (run_dir / st / f"{st}.ipynb").exists()
        assert all((run_dir / p).exists() for p in rec["artifacts"].values())
    base = read_stage(run_dir, "00_base_model")["metrics"]
    assert _finite(base["pass@1"]) and _finite(base["greedy_acc"])
    grpo = read_stage(run_dir, "01_r1_zero_grpo")["metrics"]
    assert grpo["grpo_steps"] == 3 and _finite(grpo["final_accuracy"]) and _finite(grpo["s_per_step"])
    assert (run_dir / "01_r1_zero_grpo" / "figures" / "training_curves.png").exists()
    probes = (run_dir / "01_r1_zero_grpo" / "probes.jsonl").read_text().splitlines()
    assert [json.loads(p)["step"] for p in probes] == [0, 2, 3]  # start, every probe_every=2, end
    cold = read_stage(run_dir, "02_cold_start")["metrics"]
    assert cold["examples"] >= 16 and cold["sft_steps"] == 3
    assert set(cold["readability"]) == {"base", "r1_zero", "cold_start"}
    assert set(cold["counts"]) >= {"few_shot", "prompted_reflection", "r1_zero_rewritten", "authored"}
    rrl = read_stage(run_dir, "03_reasoning_rl")
    assert set(rrl["metrics"]["runs"]) == {"reasoning_rl", "reasoning_rl_no_lang"}
    assert {"checkpoint", "checkpoint_no_lang", "probes", "probes_no_lang"} <= set(rrl["artifacts"])
    assert all(r["grpo_steps"] == 2 for r in rrl["metrics"]["runs"].values())
    rs = read_stage(run_dir, "04_rejection_sampling_sft")["metrics"]
    assert rs["rejection_sampling"]["sampled"] == 4 * 2 and rs["non_reasoning_examples"] == 8 + 8 + 8 + 4
    assert rs["sft_steps"] == 2 and set(rs["compare"]) == {"reasoning_rl", "sft"}
    al = read_stage(run_dir, "05_all_scenario_rl")["metrics"]
    assert set(al["reward_models"]) == {"helpfulness", "harmlessness"}
    assert all(0 <= m["heldout_pairwise_acc"] <= 1 for m in al["reward_models"].values())
    assert al["grpo_steps"] == 2 and _finite(al["compare"]["r1"]["refusal_rate"])
    dist = read_stage(run_dir, "06_distillation")
    assert {"checkpoint", "checkpoint_student_rl", "checkpoint_student_base"} <= set(dist["artifacts"])
    assert set(dist["metrics"]["table6"]) == {"student_base", "student_distilled", "student_rl", "r1 (teacher)"}
    assert 1 <= dist["metrics"]["student_rl"]["grpo_steps"] <= 2
    dist_m = dist["metrics"]
    assert dist_m["compute"]["distillation_sft"] == dist_m["student_sft"]["train_flops"] > 0
    # the student's GRPO stops at the step that spends the SFT's FLOPs (or at its step limit)
    assert (dist_m["compute"]["student_rl"] >= dist_m["compute"]["student_rl_budget"]
            or dist_m["student_rl"]["grpo_steps"] == 2)
    walls = {st: read_stage(run_dir, st)["timings"]["wall"] for st in STAGES}
    assert all(walls[st] == pytest.approx(report[st], abs=0.05) for st in STAGES)
    assert manifest["timings"]["total_wall"] == pytest.approx(sum(walls.values()), abs=0.2)
    phases = read_stage(run_dir, "01_r1_zero_grpo")["timings"]["phases"]
    assert phases["training"] > 0 and phases["generation"] > 0 and "verification" in phases  # (tiny: ~0 s)
    assert sum(phases.values()) <= walls["01_r1_zero_grpo"]  # exclusive phases of one process
    # 03 trains its two runs in worker processes: their phases and verifier counts come back
    assert read_stage(run_dir, "03_reasoning_rl")["timings"]["phases"]["training"] > 0
    for st in STAGES:  # every stage that grades answers logs its verifier's counters
        counters = read_stage(run_dir, st)["metrics"].get("verifier")
        assert counters is not None and counters["calls"] > 0, st
        assert counters["timeouts"] == 0 and counters["errors"] == 0, (st, counters)


def test_rl_stages_record_the_configuration_that_ran(smoke_run):
    run_dir, _ = smoke_run
    grpo = read_stage(run_dir, "01_r1_zero_grpo")["metrics"]
    eff = grpo["effective_config"]
    assert eff["loss_type"] == "grpo" and eff["beta"] == 0.001 and eff["num_generations"] == 2
    assert grpo["config_diff"] == [] and grpo["requested_config"]["max_steps"] == 3
    for st, key in [("03_reasoning_rl", ("runs", "reasoning_rl")), ("05_all_scenario_rl", ()),
                    ("06_distillation", ("student_rl",))]:
        m = read_stage(run_dir, st)["metrics"]
        for k in key:
            m = m[k]
        assert m["config_diff"] == [] and m["effective_config"]["loss_type"] == "grpo", st
    nb = json.loads((run_dir / "01_r1_zero_grpo" / "01_r1_zero_grpo.ipynb").read_text())
    shown = [o for c in nb["cells"] if "grpo_variants.show" in "".join(c["source"]) for o in c["outputs"]]
    text = "".join("".join(o.get("data", {}).get("text/plain", "")) for o in shown)
    assert "paper" in text and "this run" in text and "KL estimator" in text


def test_rl_stages_record_their_preflight(smoke_run):
    run_dir, _ = smoke_run
    for st, key in [("01_r1_zero_grpo", ()), ("03_reasoning_rl", ()), ("05_all_scenario_rl", ()),
                    ("06_distillation", ("student_rl",))]:
        pf = read_stage(run_dir, st)["metrics"]
        for k in (*key, "preflight"):
            pf = pf[k]
        assert pf["prompts"] == 8 and pf["completions"] == 16 and pf["groups"] == 8, st
        assert all(0 <= pf[k] <= 1 for k in ("format_hit_rate", "accuracy", "truncated_share",
                                              "zero_variance_groups")), st
        assert pf["s_per_step_est"] > 0 and pf["tokens_per_step"] > 0, st


def test_preflight_command_reads_the_run(smoke_run, capsys):
    from r1lib.machinery import cli

    run_dir, _ = smoke_run
    assert cli.main(["preflight", "--profile", "smoke", "--run-dir", str(run_dir), "--stage", "03_reasoning_rl",
                     "--prompts", "4"]) == 0
    (line,) = capsys.readouterr().out.strip().splitlines()
    out = json.loads(line)
    assert out["stage"] == "03_reasoning_rl" and out["prompts"] == 4 and out["completions"] == 8
    assert cli.main(["preflight", "--profile", "smoke", "--run-dir", str(run_dir / "nothing"),
                     "--stage", "01_r1_zero_grpo"]) == 1
    assert "00_base_model: no complete stage" in capsys.readouterr().err


def test_variants_study_contract(smoke_run):
    run_dir, _ = smoke_run
    rec = read_stage(run_dir, "09_grpo_variants")
    m = rec["metrics"]
    assert [v["variant"] for v in m["variants"]] == ["grpo", "cispo"]
    for v in m["variants"]:
        lo, hi = v["pass@1_ci95"]
        assert 0 <= lo <= v["pass@1"] <= hi <= 1 and _finite(v["cons@k"]) and v["seeds"] == [0]
        assert v["rollout_tokens"] >= m["budget"]["rollout_tokens"] or v["grpo_steps"] == 4
    # equal compute: every run stops at the step that spends the shared budget (or at the cap)
    assert all(r["train_flops"] >= m["budget"]["flops"] or r["grpo_steps"] == 4 for r in m["runs"])
    assert m["effective_config"]["cispo/s0"]["loss_type"] == "cispo"
    assert m["effective_config"]["cispo/s0"]["epsilon_high"] == 5.0
    for fig in ("variants_pass1", "variants_length", "variants_entropy_clip"):
        for ext in ("png", "svg"):
            assert (run_dir / "09_grpo_variants" / "figures" / f"{fig}.{ext}").stat().st_size > 1000, fig


def test_evaluation_table_contract(smoke_run):
    run_dir, _ = smoke_run
    table = read_stage(run_dir, "07_evaluation")["metrics"]["table"]
    keys = {"checkpoint", "benchmark", "n", "k", "pass@1", "pass@1_ci95", "cons@k", "mean_length"}
    ckpts = ("base", "r1_zero", "cold_start", "reasoning_rl", "reasoning_rl_no_lang", "sft", "r1",
             "student_distilled", "student_rl")
    benches = ("micro_test", "gsm8k_test", "math500", "mgsm_en", "mgsm_zh", "aime24", "aime25", "amc23")
    assert {(r["checkpoint"], r["benchmark"]) for r in table} == {(c, b) for c in ckpts for b in benches}
    general = {r["checkpoint"] for r in table if "refusal_rate" in r}
    assert general == {"sft", "r1", "student_distilled"}
    assert all(0 <= r["mixed_language_rate"] <= 1 for r in table)
    for r in table:
        assert keys <= set(r)
        lo, hi = r["pass@1_ci95"]
        assert 0 <= lo <= r["pass@1"] <= hi <= 1 and _finite(r["cons@k"]) and _finite(r["mean_length"])
    micro = [r for r in table if r["benchmark"] == "micro_test"]
    assert all(r["n"] == 16 and r["k"] == 2 for r in micro)
    m = read_stage(run_dir, "07_evaluation")["metrics"]
    assert set(m["pass_at_k"]) == set(ckpts) and all(set(v) == {"1", "2"} for v in m["pass_at_k"].values())
    for v in m["pass_at_k"].values():
        assert 0 <= v["1"] <= v["2"] <= 1  # pass@k never falls with k
    assert m["prompt_sensitivity"]["shots"] == 2 and 0 <= m["prompt_sensitivity"]["few_shot"] <= 1
    assert m["samples_per_benchmark"]["aime24"] == 3 and m["samples_per_benchmark"]["micro_test"] == 32


def test_aha_moment_contract(smoke_run):
    run_dir, _ = smoke_run
    rec = read_stage(run_dir, "08_aha_moment")
    m = rec["metrics"]
    assert m["base_samples"] == 4 * 2 and 0 <= m["base_reflection_rate"] <= 1
    assert set(m["reflection"]) == {"r1_zero", "reasoning_rl", "reasoning_rl_no_lang", "base"}
    assert isinstance(m["aha_episodes"], int) and 0 <= m["aha_episodes"] <= m["rollouts"]
    assert set(m["final_mixing"]) == {"reasoning_rl", "reasoning_rl_no_lang"}
    for fig in ("reflection_rate", "reflection_correctness", "length", "accuracy_cons", "language_mixing"):
        for ext in ("png", "svg"):
            assert (run_dir / "08_aha_moment" / "figures" / f"{fig}.{ext}").stat().st_size > 1000, (fig, ext)


def test_rerun_skips_complete_stages(smoke_run):
    run_dir, _ = smoke_run
    assert pipeline.plan("smoke", run_dir) == [(s, False) for s in STAGES]
    # a GRPO setting changes 01 and everything below it, not 00
    changed = pipeline.plan("smoke", run_dir, overrides={"grpo": {"steps": 4}})
    assert changed == [("00_base_model", False)] + [(s, True) for s in list(STAGES)[1:]]
    # a distillation setting re-plans 06 and 07 only
    changed = pipeline.plan("smoke", run_dir, overrides={"distillation": {"n": 3}})
    assert [s for s, run in changed if run] == ["06_distillation", "07_evaluation"]
    assert pipeline.run("smoke", str(run_dir)) == {s: "skipped" for s in STAGES}


def test_stage_refuses_to_start_without_upstream(tmp_path):
    with pytest.raises(RuntimeError, match="needs 00_base_model"):
        Stage.open("01_r1_zero_grpo", "smoke", str(tmp_path))


def test_report_is_self_contained(smoke_run):
    from r1lib.machinery.report import write_report

    run_dir, _ = smoke_run
    page = write_report(run_dir).read_text()
    figures = sorted(run_dir.glob("*/figures/*.png"))
    distinct = {f.read_bytes() for f in figures}  # 08 copies two upstream figures: shown once
    assert len(distinct) == len(figures) - 2 >= 8 and page.count("<img ") == len(distinct)
    assert page.count('src="data:image/png;base64,') == len(distinct)
    assert "http://" not in page and "https://" not in page  # nothing to fetch
    assert "pass@1 by checkpoint and benchmark" in page and "08_aha_moment" in page
    assert "GRPO variants (09)" in page and "400 rollout tokens" in page and "Published claims" in page
    assert page.count("<table") >= 3


def test_report_refuses_a_folder_that_is_not_a_run(tmp_path):
    from r1lib.machinery.report import build_report

    with pytest.raises(FileNotFoundError, match="manifest.json"):
        build_report(tmp_path)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed (.ci/run installs it)")
def test_report_renders_in_headless_chromium(smoke_run, tmp_path):
    """A real browser loads the page: every image decodes (the page's own load handler counts
    them) and the console stays free of errors."""
    from r1lib.machinery.report import write_report

    run_dir, _ = smoke_run
    page = write_report(run_dir, tmp_path / "report.html")
    args = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
            "--virtual-time-budget=5000"]
    dom = subprocess.run(args + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    n_img = page.read_text().count("<img ")
    assert f'data-images="{n_img}/{n_img}"' in dom.stdout, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert console == [], console
    shot = tmp_path / "report.png"
    subprocess.run(args + ["--hide-scrollbars", "--window-size=1280,2400", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.stat().st_size > 20_000


def _pipeline_cmd(run_dir, *extra):
    return [sys.executable, "-m", "r1lib.machinery.pipeline", "--profile", "smoke", "--run-dir", str(run_dir),
            "--stages", "00_base_model,01_r1_zero_grpo", "--set", "grpo.steps=6", *extra]


def _kill_tree(proc):
    """SIGKILL the pipeline and every process under it (the papermill kernel included)."""
    import psutil

    parent = psutil.Process(proc.pid)
    for p in [*parent.children(recursive=True), parent]:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def _jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_sigkill_during_grpo_resumes_to_identical_metrics(smoke_run, tmp_path):
    """Issue 5 §6: kill -9 during 01's training, re-run: 00 is skipped, 01 resumes from its last
    checkpoint, and metrics, rollouts and probes equal those of an uninterrupted run."""
    import pandas as pd

    base = smoke_run[0] / "00_base_model"
    a, b = tmp_path / "uninterrupted", tmp_path / "killed"
    for d in (a, b):
        shutil.copytree(base, d / "00_base_model")
    subprocess.run(_pipeline_cmd(a), check=True, capture_output=True, timeout=600)

    stage = b / "01_r1_zero_grpo"
    ckpt = stage / "checkpoint" / "_trainer" / "checkpoint-2" / "trainer_state.json"
    proc = subprocess.Popen(_pipeline_cmd(b), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not ckpt.exists():
        assert proc.poll() is None, "the run ended before its first checkpoint"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    _kill_tree(proc)
    assert read_stage(b, "01_r1_zero_grpo")["status"] == "running"
    before = {r["step"]: r for r in _jsonl(stage / "metrics.jsonl") if "loss" in r}
    assert 2 <= max(before) < 6  # killed mid-training, after checkpoint-2

    out = subprocess.run(_pipeline_cmd(b), check=True, capture_output=True, text=True, timeout=600).stdout
    assert "00_base_model: complete with the same config, skipped" in out
    after = [r for r in _jsonl(stage / "metrics.jsonl") if "loss" in r]
    assert [r["step"] for r in after] == [1, 2, 3, 4, 5, 6]  # each step once
    assert after[0] == before[1] and after[1] == before[2]  # resumed: steps 1-2 not re-run

    m_a = read_stage(a, "01_r1_zero_grpo")["metrics"]
    m_b = read_stage(b, "01_r1_zero_grpo")["metrics"]
    timing = {"train_s", "s_per_step", "verifier", "preflight"}  # wall time; the verifier counts per process
    assert {k: v for k, v in m_b.items() if k not in timing} == {k: v for k, v in m_a.items() if k not in timing}
    measured = {"sampling_s", "s_per_step_est", "stage_s_est"}  # the preflight's timings
    assert {k: v for k, v in m_b["preflight"].items() if k not in measured} == \
        {k: v for k, v in m_a["preflight"].items() if k not in measured}
    pd.testing.assert_frame_equal(pd.read_parquet(b / "01_r1_zero_grpo" / "completions.parquet"),
                                  pd.read_parquet(a / "01_r1_zero_grpo" / "completions.parquet"))
    assert _jsonl(stage / "probes.jsonl") == _jsonl(a / "01_r1_zero_grpo" / "probes.jsonl")
    losses = lambda d: [r["loss"] for r in _jsonl(d / "01_r1_zero_grpo" / "metrics.jsonl") if "loss" in r]  # noqa: E731
    assert losses(b) == losses(a)  # bit-identical on CPU with the same seed


def test_real_base_model_path_on_a_model_we_saved(smoke_run, tmp_path):
    """``model.base`` set (a hub id on a GPU profile; here the smoke base saved by 00): stage 00
    loads it with ``from_pretrained`` instead of pretraining, takes its RL prompts and held-out
    problems from the real source (the data root, ``problems`` section), and 01 trains on them."""
    root = tmp_path / "data" / "math"
    root.mkdir(parents=True)
    rows = lambda src, n, off: "".join(json.dumps({"id": f"{src}-{i}", "problem": f"Compute {i % 9 + 1}+{off}",  # noqa: E731
                                                   "answer": str(i % 9 + 1 + off), "source": src}) + "\n"
                                       for i in range(n))
    (root / "gsm8k_train.jsonl").write_text(rows("gsm8k", 12, 3))
    (root / "math500_test.jsonl").write_text(rows("math500", 6, 2))
    # the real source decontaminates against every evaluation benchmark: give each a file
    for name in load_profile("smoke").evaluation.benchmarks:
        path = tmp_path / "data" / BENCHMARKS[name].local_path if name in BENCHMARKS else None
        if path is not None and not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(rows(name, 3, 7))
    overrides = {"model": {"base": str(smoke_run[0] / "00_base_model" / "checkpoint")},
                 "data_root": str(tmp_path / "data"), "data": {"source": "real"},
                 "problems": {"train": ["gsm8k_train"], "heldout": "math500", "heldout_limit": 4}}
    run_dir = tmp_path / "run"
    report = pipeline.run("smoke", str(run_dir), ["00_base_model", "01_r1_zero_grpo"], overrides=overrides)
    assert set(report) == {"00_base_model", "01_r1_zero_grpo"}
    base = read_stage(run_dir, "00_base_model")
    assert base["metrics"]["n"] == 4 and "pretrain_tokens" not in base["metrics"]  # loaded, not pretrained
    assert (run_dir / base["artifacts"]["checkpoint"] / "r1lib_tokenizer").exists()  # our BPE kept its class
    train = [json.loads(x) for x in (run_dir / base["artifacts"]["train_problems"]).read_text().splitlines()]
    assert len(train) == 12 and train[0]["id"] == "gsm8k_train/gsm8k-0" and train[0]["answer"] == "4"
    assert read_stage(run_dir, "01_r1_zero_grpo")["metrics"]["grpo_steps"] == 3


def test_evaluation_runs_on_what_exists(smoke_run, tmp_path):
    """00 -> 01 -> 07: 07 evaluates the base and R1-Zero only; once a later stage completes, 07 is
    no longer complete and the plan re-runs it."""
    src = smoke_run[0]
    for st in ("00_base_model", "01_r1_zero_grpo"):
        shutil.copytree(src / st, tmp_path / st)
    report = pipeline.run("smoke", str(tmp_path), ["07_evaluation"])
    assert report == {"07_evaluation": report["07_evaluation"]} and isinstance(report["07_evaluation"], float)
    rec = read_stage(tmp_path, "07_evaluation")
    assert rec["inputs"] == ["01_r1_zero_grpo"]
    assert {r["checkpoint"] for r in rec["metrics"]["table"]} == {"base", "r1_zero"}
    assert rec["metrics"]["prompt_sensitivity"] is None  # needs r1
    assert dict(pipeline.plan("smoke", tmp_path, ["07_evaluation"])) == {"07_evaluation": False}
    shutil.copytree(src / "02_cold_start", tmp_path / "02_cold_start")
    assert dict(pipeline.plan("smoke", tmp_path, ["07_evaluation"])) == {"07_evaluation": True}
