"""End to end on the real data source: papermill runs every stage 00 -> 08 on ``real_smoke`` (files
under the data root, a tiny random Qwen2-config model with a tokenizer trained on the real data)."""

import json
import re
from pathlib import Path

import pytest

from r1lib.machinery import pipeline
from r1lib.machinery.config import STAGES
from r1lib.machinery.rundir import read_stage
from r1lib.sources.benchmarks import resolve_data_root

HEX64 = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("real_smoke_run")
    return run_dir, pipeline.run("real_smoke", str(run_dir))


def test_every_stage_completes_on_the_real_source(real_run):
    run_dir, report = real_run
    assert list(report) == list(STAGES)
    for st in STAGES:
        rec = read_stage(run_dir, st)
        assert rec["status"] == "complete" and rec["data_source"] == "real", st
        assert all((run_dir / p).exists() for p in rec["artifacts"].values()), st
    problems = [json.loads(line) for line in (run_dir / "00_base_model" / "train_problems.jsonl").open()]
    assert {r["language"] for r in problems} == {"en", "zh"}
    assert {r["source"] for r in problems} >= {"gsm8k_train", "cmath_dev"}


def test_provenance_names_real_files_only(real_run):
    run_dir, _ = real_run
    root = resolve_data_root().resolve()
    seen = set()
    for st in STAGES:
        for artifact, entry in read_stage(run_dir, st)["provenance"].items():
            seen.add(artifact)
            assert "generator" not in entry and entry["source"] == "real", (st, artifact)
            assert entry["files"], (st, artifact)
            for f in entry["files"]:
                path = Path(f["path"]).resolve()
                assert path.is_file() and root in path.parents, (st, artifact, f)
                assert HEX64.match(f["sha256"]), (st, artifact, f)
    # every kind of data a stage consumes came from the real source at least once
    assert {"train_problems", "heldout_problems", "seed_examples", "non_reasoning_sft",
            "preference_helpfulness", "preference_harmlessness"} <= seen
    assert any(a.startswith("general_prompts/") for a in seen)


def test_training_stages_record_decontamination(real_run):
    run_dir, _ = real_run
    prov = read_stage(run_dir, "00_base_model")["provenance"]["train_problems"]
    d = prov["decontamination"]
    assert d["checked"] >= prov["count"] and d["removed"] >= 0 and d["ngram"] == 8
    assert set(d["against"]) >= {"math500", "gsm8k_test", "mgsm_zh"}
    sft = read_stage(run_dir, "04_rejection_sampling_sft")["provenance"]["non_reasoning_sft"]
    assert "decontamination" in sft
