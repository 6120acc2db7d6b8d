"""The variants study's analysis: curves from TRL's log and the rollouts, seeds pooled, and the
claim verdicts against the noise."""

import json

import pandas as pd
import pytest

from r1lib.recipe import variants_study as vs


def _row(variant, seed, p, hw=0.05, **extra):
    return {"variant": variant, "seed": seed, "pass@1": p, "pass@1_ci95": [p - hw, p + hw], "cons@k": p + 0.05,
            "n": 100, "k": 4, "grpo_steps": 60, "rollout_tokens": 60000, "train_flops": 1e12, "s_per_step": 1.5,
            **extra}


def test_run_curves_reads_the_log_and_splits_lengths_by_correctness(tmp_path):
    log = [{"step": 1, "loss": 0.1, "entropy": 0.3, "clip_ratio/region_mean": 0.0, "step_time": 1.0, "num_tokens": 100},
           {"step": 2, "loss": 0.2, "entropy": 0.2, "clip_ratio/region_mean": 0.1, "step_time": 1.2, "num_tokens": 100},
           {"step": 2, "train_runtime": 5.0}]  # TRL's closing summary line
    (tmp_path / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in log) + "\n")
    pd.DataFrame({"step": [1, 1, 1, 2], "length": [10, 30, 50, 20], "accuracy": [1.0, 0.0, 0.0, 1.0],
                  "completion": ["a"] * 4}).to_parquet(tmp_path / "completions.parquet")
    c = vs.run_curves(tmp_path)
    assert c.step.tolist() == [1, 2]
    assert c.entropy.tolist() == [0.3, 0.2] and c.clip_fraction.tolist() == [0.0, 0.1]
    assert c.loc[0, "length_correct"] == 10 and c.loc[0, "length_incorrect"] == 40
    assert c.loc[1, "length_correct"] == 20 and pd.isna(c.loc[1, "length_incorrect"])


def test_cispo_clip_ratio_is_its_clip_fraction(tmp_path):
    (tmp_path / "metrics.jsonl").write_text(json.dumps({"step": 1, "loss": 0.0, "cispo_clip_ratio": 0.25}) + "\n")
    assert vs.run_curves(tmp_path).clip_fraction.tolist() == [0.25]


def test_by_variant_pools_the_seeds():
    table = pd.DataFrame([_row("grpo", 0, 0.5, 0.06), _row("grpo", 1, 0.6, 0.04)])
    (v,) = vs.by_variant(table)
    assert v["variant"] == "grpo" and v["seeds"] == [0, 1] and v["pass@1_seeds"] == [0.5, 0.6]
    assert v["pass@1"] == pytest.approx(0.55)
    half = 0.05 / 2 ** 0.5  # the runs' mean half-width over sqrt(seeds)
    assert v["pass@1_ci95"] == pytest.approx([0.55 - half, 0.55 + half], abs=1e-4)


def _claim(verdicts, name):
    return next(c for c in verdicts if c["claim"].startswith(name))


def test_claims_hold_fail_or_stay_within_noise():
    rows = [_row("grpo", s, p, final_length_incorrect=li, final_entropy=e)
            for s, p, li, e in [(0, 0.50, 40.0, 0.20), (1, 0.52, 42.0, 0.21)]]
    rows += [_row("dr_grpo", s, p, final_length_incorrect=li, final_entropy=0.2)
             for s, p, li in [(0, 0.51, 30.0), (1, 0.53, 31.0)]]           # shorter: holds
    rows += [_row("dapo", s, p, final_entropy=0.2) for s, p in [(0, 0.30, ), (1, 0.31)]]  # lower: does not hold
    rows += [_row("grpo_clip_higher", s, 0.5, final_entropy=e) for s, e in [(0, 0.19), (1, 0.23)]]  # noise
    v = vs.claims(pd.DataFrame(rows))
    assert _claim(v, "Dr. GRPO: shorter")["verdict"] == "holds"
    assert _claim(v, "Dr. GRPO: shorter")["difference"] == pytest.approx(-10.5)
    assert _claim(v, "Dr. GRPO: accuracy kept")["verdict"] == "holds (no difference beyond noise)"  # +0.01
    assert _claim(v, "DAPO: higher")["verdict"] == "does not hold"
    assert _claim(v, "DAPO clip-higher")["verdict"] == "cannot be told apart from noise"
    # pass@1 noise: at least the interval of the difference (0.05/sqrt(2) each, in quadrature)
    assert _claim(v, "DAPO: higher")["noise"] == pytest.approx(0.05, abs=1e-3)
    assert not any(c["variant"] in ("gspo", "cispo") for c in v)  # runs missing: claims skipped
    assert all(c["sentence"].endswith(c["verdict"] + ".") for c in v)


def test_summarise_takes_the_tail_of_the_curves():
    curves = {"grpo/0": pd.DataFrame({"step": [1, 2, 3, 4], "entropy": [1.0, 1.0, 1.0, 0.2],
                                      "length_incorrect": [10.0, 10.0, 10.0, 30.0]})}
    t = vs.summarise([_row("grpo", 0, 0.5)], curves, tail_share=0.25)
    assert t.loc[0, "final_entropy"] == 0.2 and t.loc[0, "final_length_incorrect"] == 30.0


def test_pool_seeds_averages_each_step_per_variant():
    curves = {"grpo/0": pd.DataFrame({"step": [1, 2], "entropy": [0.2, 0.4]}),
              "grpo/1": pd.DataFrame({"step": [1, 2], "entropy": [0.4, 0.6]}),
              "gspo/0": pd.DataFrame({"step": [1], "entropy": [0.9]})}
    pooled = vs.pool_seeds(curves)
    assert list(pooled) == ["grpo", "gspo"]
    assert pooled["grpo"].entropy.tolist() == pytest.approx([0.3, 0.5]) and pooled["gspo"].entropy.tolist() == [0.9]


def test_study_jobs_score_the_base_first_then_every_seed_and_run(tmp_path):
    from r1lib.core.profile import EvaluationConfig, GRPOConfig, VariantsConfig

    v = VariantsConfig(seeds=[3, 4])
    configs = v.configs(GRPOConfig())
    jobs = vs.study_jobs("base", [], [], configs, v, EvaluationConfig(), 1e9, tmp_path)
    assert [j.name for j in jobs] == ["base"] + [f"{n}/s{s}" for s in (3, 4) for n in configs]
    assert jobs[0].fn is vs.evaluate_base and jobs[0].args[-1] == 3
    gspo = next(j for j in jobs if j.name == "gspo/s4")
    assert gspo.args[4].variant == "gspo" and gspo.args[5] == str(tmp_path / "gspo_s4") and gspo.args[6] == 4
