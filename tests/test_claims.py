"""The study's bars (r1lib.recipe.claims) on synthetic run directories."""

import json
import shutil
from pathlib import Path

import pytest

from r1lib.machinery import cli
from r1lib.machinery.report import build_report
from r1lib.machinery.rundir import complete_metrics
from r1lib.recipe import claims

COMMITTED = Path(__file__).resolve().parent.parent / "results" / "micro"
STAGES = ["00_base_model", "03_reasoning_rl", "04_rejection_sampling_sft", "05_all_scenario_rl", "07_evaluation"]


def _run(tmp_path, edit=None) -> Path:
    """A run dir holding the committed stage.json files of the stages the claims read, with
    ``edit(stage, metrics)`` applied."""
    for st in STAGES:
        (tmp_path / st).mkdir()
        rec = json.loads((COMMITTED / st / "stage.json").read_text())
        if edit:
            edit(st, rec["metrics"])
        (tmp_path / st / "stage.json").write_text(json.dumps(rec))
    return tmp_path


def _set_pass1(checkpoint, value):
    def edit(st, m):
        if st == "07_evaluation":
            for r in m["table"]:
                if r["checkpoint"] == checkpoint and r["benchmark"] == "micro_test":
                    r["pass@1"] = value
    return edit


def _committed_pass1(checkpoint):
    table = json.loads((COMMITTED / "07_evaluation" / "stage.json").read_text())["metrics"]["table"]
    return next(r["pass@1"] for r in table if r["checkpoint"] == checkpoint and r["benchmark"] == "micro_test")


def _check(run_dir):
    return claims.check(complete_metrics(run_dir))


def _by_name(results):
    return {r.name: r for r in results}


def _set_rm(value):
    def edit(st, m):
        if st == "05_all_scenario_rl":
            m["reward_models"]["helpfulness"]["heldout_pairwise_acc"] = value
    return edit


def test_every_claim_reads_a_number_and_holds_on_a_good_run(tmp_path):
    res = _check(_run(tmp_path, _set_rm(0.91)))
    assert len(res) == len(claims.CLAIMS) and all(r.value is not None for r in res)
    assert [r.name for r in res if not r.held] == []
    got = _by_name(res)
    assert got["r1_zero − base pass@1"].value == pytest.approx(_committed_pass1("r1_zero") - _committed_pass1("base"))
    assert cli.main(["claims", str(tmp_path)]) == 0


def test_a_value_past_its_bar_fails_that_claim_only(tmp_path):
    distilled = _committed_pass1("student_distilled")
    # student_rl 0.05 below the distilled student: the gap is under the 0.10 bar
    res = _by_name(_check(_run(tmp_path, lambda st, m: (_set_rm(0.91)(st, m),
                                                              _set_pass1("student_rl", distilled - 0.05)(st, m)))))
    failed = [n for n, r in res.items() if not r.held]
    assert failed == ["student_distilled − student_rl pass@1"]
    assert res[failed[0]].value == pytest.approx(0.05)
    assert cli.main(["claims", str(tmp_path)]) == 1


def test_the_bar_itself_holds_and_just_below_fails(tmp_path):
    name = "helpfulness RM held-out pairwise accuracy"
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    assert _by_name(_check(_run(tmp_path / "a", _set_rm(0.9))))[name].held
    assert not _by_name(_check(_run(tmp_path / "b", _set_rm(0.8999))))[name].held


def test_a_missing_stage_is_reported_not_held(tmp_path):
    run = _run(tmp_path, _set_rm(0.91))
    shutil.rmtree(run / "05_all_scenario_rl")
    res = _by_name(_check(run))
    r = res["r1 refusal rate on harmful prompts"]
    assert not r.held and r.value is None and "05_all_scenario_rl" in r.missing
    assert res["base pass@1 ≥ 0.10"].held
    assert "missing: 05_all_scenario_rl" in claims.format_table(list(res.values()))


def test_an_absent_run_dir_names_it(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        complete_metrics(tmp_path / "nowhere")
    assert cli.main(["claims", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_the_committed_micro_study_holds_every_claim():
    """The published reference study (results/micro) meets every bar it is published with."""
    res = _check(COMMITTED)
    assert [(r.name, r.value) for r in res if not r.held] == []


def test_the_report_of_a_micro_run_lists_its_bars(tmp_path):
    page = build_report(COMMITTED)
    assert "The study's bars" in page and f"{len(claims.CLAIMS)} of {len(claims.CLAIMS)} held" in page
    run = _run(tmp_path, _set_pass1("student_rl", _committed_pass1("student_distilled")))
    manifest = json.loads((COMMITTED / "manifest.json").read_text())
    (run / "manifest.json").write_text(json.dumps(manifest))
    page = build_report(run)
    assert f"{len(claims.CLAIMS) - 1} of {len(claims.CLAIMS)} held" in page and "NOT HELD" in page
    (run / "manifest.json").write_text(json.dumps({**manifest, "profile": "smoke"}))
    assert "The study's bars" not in build_report(run)  # the bars are the micro study's


def test_an_unfinished_stage_counts_as_missing(tmp_path):
    run = _run(tmp_path, _set_rm(0.91))
    rec = json.loads((run / "00_base_model" / "stage.json").read_text())
    (run / "00_base_model" / "stage.json").write_text(json.dumps({**rec, "status": "running"}))
    assert "00_base_model" not in complete_metrics(run)
    r = _by_name(_check(run))["base pass@1 ≥ 0.10"]
    assert not r.held and r.value is None and "00_base_model" in r.missing
