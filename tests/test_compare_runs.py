"""benchmarks/compare_runs.py: issue 15's same-seed check counts every differing metric, not wall time."""

import importlib.util
import json
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "compare_runs", Path(__file__).resolve().parent.parent / "benchmarks" / "compare_runs.py")
compare_runs = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(compare_runs)


def _stage(run: Path, stage: str, metrics: dict) -> None:
    (run / stage).mkdir(parents=True)
    (run / stage / "stage.json").write_text(json.dumps({"metrics": metrics}))


def test_flatten_names_nested_keys_and_list_items():
    assert compare_runs.flatten({"a": {"b": 1}, "c": [2, {"d": 3}]}) == {"a.b": 1, "c.0": 2, "c.1.d": 3}


def test_identical_runs_pass_and_wall_clock_keys_are_left_out(tmp_path, capsys):
    m = {"pass@1": 0.5, "student_rl": {"grpo_steps": 341, "train_s": 82.7, "tokens_per_s": 1e4}}
    _stage(tmp_path / "a", "07_evaluation", m)
    _stage(tmp_path / "b", "07_evaluation", {**m, "student_rl": {**m["student_rl"], "train_s": 99.0,
                                                                 "tokens_per_s": 2e4}})
    assert compare_runs.main([str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    assert "07_evaluation: 2 metrics, 0 differ" in capsys.readouterr().out


def test_a_changed_or_missing_metric_fails_and_is_named(tmp_path, capsys):
    _stage(tmp_path / "a", "06_distillation", {"student_rl": {"pass@1": 0.21, "grpo_steps": 349}, "x": 1})
    _stage(tmp_path / "b", "06_distillation", {"student_rl": {"pass@1": 0.185, "grpo_steps": 349}})
    assert compare_runs.main([str(tmp_path / "a"), str(tmp_path / "b")]) == 1
    out = capsys.readouterr().out
    assert "2 metrics, 1 differ; only in A: 1, only in B: 0" in out
    assert "student_rl.pass@1: 0.21 -> 0.185" in out


def test_a_stage_without_stage_json_is_named(tmp_path):
    _stage(tmp_path / "a", "05_all_scenario_rl", {"x": 1})
    with pytest.raises(FileNotFoundError, match="05_all_scenario_rl/stage.json"):
        compare_runs.stage_metrics(tmp_path / "b", "05_all_scenario_rl")
