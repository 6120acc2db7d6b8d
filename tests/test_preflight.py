"""Preflight figures on hand-made rollouts, its warning, and one real run on a tiny model."""

import warnings

import pytest

from r1lib.core.profile import GRPOConfig
from r1lib.recipe import preflight
from r1lib.recipe.models import load_policy
from r1lib.recipe.templates import rl_records


def test_figures_of_hand_made_groups():
    # 3 groups of G=2: (right+format, wrong+format) has variance; (wrong, wrong) none;
    # (right+format, right+format) none; the last completion of group 1 hit the length limit
    rewards = {"accuracy": [1, 0, 0, 0, 1, 1], "format": [1, 1, 0, 0, 1, 1]}
    out = preflight.summarise(rewards, [10, 16, 3, 4, 8, 9], group_size=2, max_completion_length=16)
    assert out == {"completions": 6, "groups": 3, "format_hit_rate": round(4 / 6, 4), "accuracy": 0.5,
                   "truncated_share": round(1 / 6, 4), "zero_variance_groups": round(2 / 3, 4),
                   "groups_with_signal": round(1 / 3, 4), "mean_completion_tokens": 8.33}


def test_weights_and_unscored_rows():
    # the format difference carries no weight, so group 1 has no variance; None is not scored
    rewards = {"accuracy": [0, 0, 1, 0], "readable_format": [1, 0, None, None]}
    out = preflight.summarise(rewards, [5] * 4, 2, 16, weights=[1.0, 0.0])
    assert out["zero_variance_groups"] == 0.5 and out["format_hit_rate"] == 0.25
    assert preflight.summarise({"accuracy": [1, 1]}, [5, 5], 2, 16)["format_hit_rate"] is None
    lenient = preflight.summarise({"accuracy_lenient": [1, 0, 0, 0], "format": [0] * 4}, [5] * 4, 2, 16)
    assert lenient["accuracy"] == 0.25 and lenient["groups_with_signal"] == 0.5  # the lenient grader counts
    assert preflight.summarise({"format": [0, 1]}, [5, 5], 2, 16)["accuracy"] is None


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="groups of 4"):
        preflight.summarise({"accuracy": [1, 0, 1]}, [1, 2, 3], 4, 16)
    with pytest.raises(ValueError, match="'format' has 1 values for 2"):
        preflight.summarise({"format": [1]}, [1, 2], 2, 16)


def test_no_signal_warns_and_signal_does_not():
    flat = preflight.summarise({"accuracy": [0] * 8}, [4] * 8, 4, 16)
    with pytest.warns(preflight.PreflightWarning, match="only 0.0% of 2 preflight groups"):
        assert preflight.warn_if_no_signal(flat, "01 test")
    varied = preflight.summarise({"accuracy": [0, 1, 0, 0]}, [4] * 4, 2, 16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not preflight.warn_if_no_signal(varied, "01 test")


def test_preflight_samples_scores_and_estimates(base_dir):
    model, tok = load_policy(str(base_dir))
    problems = [{"id": f"p{i}", "problem": f"Compute {i}+1", "answer": str(i + 1)} for i in range(3)]
    cfg = GRPOConfig(steps=10, prompts_per_step=2, num_generations=4, max_completion_length=12)
    out = preflight.preflight(model, tok, rl_records(problems), cfg, seed=0, n_prompts=3)
    assert out["prompts"] == 3 and out["completions"] == 12 and out["groups"] == 3
    assert 0 <= out["format_hit_rate"] <= 1 and 0 <= out["accuracy"] <= 1
    assert out["zero_variance_groups"] + out["groups_with_signal"] == pytest.approx(1)
    assert 0 < out["mean_completion_tokens"] <= 12 and out["tokens_per_step"] > 2 * 4 * out["mean_completion_tokens"]
    assert out["s_per_step_est"] > 0  # stage_s_est: 10 steps, from the unrounded estimate
    assert out["stage_s_est"] == pytest.approx(10 * out["s_per_step_est"], abs=0.06)
    with pytest.raises(ValueError, match="n_prompts"):
        preflight.preflight(model, tok, rl_records(problems), cfg, seed=0, n_prompts=0)
