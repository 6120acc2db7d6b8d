import json

from r1lib.machinery.rundir import Stage, read_stage, stage_is_complete


def _fake_stage(run_dir, name, config_hash, status):
    d = run_dir / name
    (d / "checkpoint" / "_trainer" / "checkpoint-4").mkdir(parents=True)
    (d / "stage.json").write_text(json.dumps({"status": status, "config_hash": config_hash,
                                              "artifacts": {}, "timings": {}, "metrics": {}}))
    return d


def test_changed_settings_discard_a_stale_partial_training(tmp_path):
    d = _fake_stage(tmp_path, "00_base_model", "0000000000000000", "running")
    st = Stage.open("00_base_model", "smoke", str(tmp_path))
    assert not (d / "checkpoint").exists()
    assert read_stage(tmp_path, "00_base_model")["status"] == "running"
    assert read_stage(tmp_path, "00_base_model")["config_hash"] == st.config_hash


def test_same_settings_keep_the_partial_training_for_resume(tmp_path):
    probe = Stage("00_base_model", Stage.open("00_base_model", "smoke", str(tmp_path)).cfg, tmp_path)
    d = tmp_path / "00_base_model"
    (d / "checkpoint" / "_trainer" / "checkpoint-4").mkdir(parents=True)
    Stage.open("00_base_model", "smoke", str(tmp_path))
    assert (d / "checkpoint" / "_trainer" / "checkpoint-4").exists()
    assert not stage_is_complete(tmp_path, "00_base_model", probe.config_hash)  # still running


def test_complete_needs_artifacts_on_disk(tmp_path):
    st = Stage.open("00_base_model", "smoke", str(tmp_path))
    (st.dir / "checkpoint").mkdir()
    st.add_artifact("checkpoint", st.dir / "checkpoint")
    st.complete({"pass@1": 0.5})
    assert stage_is_complete(tmp_path, "00_base_model", st.config_hash)
    assert not stage_is_complete(tmp_path, "00_base_model", "other-hash")
    (st.dir / "checkpoint").rmdir()  # a fresh clone has the committed stage.json but no weights
    assert not stage_is_complete(tmp_path, "00_base_model", st.config_hash)


def test_complete_logs_the_verifier_counters_of_the_stage(tmp_path, monkeypatch):
    from r1lib.recipe import equivalence as verify

    st = Stage.open("00_base_model", "smoke", str(tmp_path))
    monkeypatch.setattr(verify, "_DEFAULT", None)
    assert "verifier" not in st.complete({"x": 1.0})["metrics"]  # this process never verified
    v = verify.Verifier(n_workers=1)
    monkeypatch.setattr(verify, "_DEFAULT", v)
    v.equivalent("3", "3"), v.equivalent("", "1")
    rec = st.complete({"x": 1.0})
    assert rec["metrics"]["verifier"]["calls"] == 2 and rec["metrics"]["verifier"]["gold_unparseable"] == 1
    assert read_stage(tmp_path, "00_base_model")["metrics"]["verifier"]["calls"] == 2
    assert st.complete({"verifier": {"calls": 7}})["metrics"]["verifier"] == {"calls": 7}  # explicit wins
    v.close()
