"""Finished trainings are not redone (r1lib.recipe.finished): the same inputs return the stored
summary without training; any changed input trains again; a fresh stage run forgets them."""
import json
from unittest import mock

import pytest
import torch

from r1lib.core.profile import PretrainConfig, RewardModelConfig, SFTConfig
from r1lib.recipe import finished, reward_models, sft, training
from r1lib.recipe.models import load_tokenizer, new_micro_model
from r1lib.recipe.rewards import only_for
from r1lib.recipe.templates import make_prompt

PROMPT = make_prompt("Compute 1+2")
RECORDS = [{"prompt": PROMPT, "completion": " <think> 1+2=3. </think> <answer> 3 </answer>"}] * 4
CFG = SFTConfig(steps=3, batch_size=2, lr=1e-3, warmup_steps=0, max_length=64, save_steps=3)


def _counting(monkeypatch, module):
    """Wrap ``module.train_and_save`` and return the list its calls are appended to."""
    calls = []
    real = module.train_and_save

    def counted(*a, **kw):
        calls.append(kw.get("desc"))
        return real(*a, **kw)

    monkeypatch.setattr(module, "train_and_save", counted)
    return calls


def test_a_finished_sft_is_not_redone_and_changed_inputs_are(base_dir, tmp_path, monkeypatch):
    calls = _counting(monkeypatch, sft)
    out = tmp_path / "model"
    first = sft.run_sft(base_dir, RECORDS, CFG, out, seed=0, metrics_path=tmp_path / "m.jsonl")
    weights = (out / "model.safetensors").read_bytes()
    again = sft.run_sft(base_dir, RECORDS, CFG, out, seed=0, metrics_path=tmp_path / "m.jsonl")
    assert len(calls) == 1 and again == first
    assert (out / "model.safetensors").read_bytes() == weights
    stored = json.loads((out / finished.SUMMARY).read_text())
    assert stored["summary"] == first and len(stored["key"]) == 64
    sft.run_sft(base_dir, RECORDS, CFG, out, seed=1, metrics_path=tmp_path / "m.jsonl")
    assert len(calls) == 2  # another seed
    sft.run_sft(base_dir, RECORDS[:2], CFG, out, seed=1, metrics_path=tmp_path / "m.jsonl")
    assert len(calls) == 3  # other records
    sft.run_sft(base_dir, RECORDS[:2], CFG.model_copy(update={"lr": 2e-3}), out, seed=1,
                metrics_path=tmp_path / "m.jsonl")
    assert len(calls) == 4  # other settings


def test_a_changed_starting_checkpoint_trains_again(base_dir, tmp_path):
    start = tmp_path / "start"
    sft.run_sft(base_dir, RECORDS, CFG, start, seed=0, metrics_path=tmp_path / "a.jsonl")
    k1 = finished.fingerprint_path(start)
    sft.run_sft(base_dir, RECORDS, CFG.model_copy(update={"steps": 4}), start, seed=0,
                metrics_path=tmp_path / "a.jsonl")
    assert finished.fingerprint_path(start) != k1  # new weights: every run from it gets a new key
    assert finished.fingerprint_path("Qwen/Qwen2.5-Math-1.5B") == "Qwen/Qwen2.5-Math-1.5B"


def test_a_broken_or_weightless_summary_counts_as_not_finished(tmp_path):
    (tmp_path / finished.SUMMARY).write_text("{not json")
    assert finished.load_finished(tmp_path, "k") is None
    finished.record_finished(tmp_path, "k", {"a": 1})
    assert finished.load_finished(tmp_path, "k") is None  # no model weights beside it
    (tmp_path / "model.safetensors").write_bytes(b"x")
    assert finished.load_finished(tmp_path, "k") == {"a": 1}
    assert finished.load_finished(tmp_path, "other") is None


def test_a_finished_pretraining_gives_the_model_its_trained_weights(base_dir, tmp_path, monkeypatch):
    calls = _counting(monkeypatch, training)
    tok = load_tokenizer(base_dir)
    docs = [r["prompt"] + r["completion"] for r in RECORDS] * 8
    cfg = PretrainConfig(steps=3, batch_size=2, block_size=32, lr=1e-2, warmup_steps=0)
    m1 = new_micro_model(tok, 32, 1, 2, 64, 128, seed=0)
    res1 = training.pretrain(m1, tok, docs, cfg, tmp_path / "pre", 0, tmp_path / "p.jsonl")
    m2 = new_micro_model(tok, 32, 1, 2, 64, 128, seed=0)
    assert not torch.equal(m1.model.embed_tokens.weight, m2.model.embed_tokens.weight)
    res2 = training.pretrain(m2, tok, docs, cfg, tmp_path / "pre", 0, tmp_path / "p.jsonl")
    assert len(calls) == 1 and res2 == res1
    for (n, a), (_, b) in zip(m1.state_dict().items(), m2.state_dict().items()):
        assert torch.equal(a, b), n
    m3 = new_micro_model(tok, 32, 1, 2, 64, 128, seed=1)  # other initial weights
    training.pretrain(m3, tok, docs, cfg, tmp_path / "pre", 0, tmp_path / "p.jsonl")
    assert len(calls) == 2


def test_a_finished_reward_model_is_not_redone(base_dir, tmp_path, monkeypatch):
    calls = _counting(monkeypatch, reward_models)
    pairs = [{"prompt": PROMPT, "chosen": " <answer> 3 </answer>", "rejected": " <answer> 4 </answer>"}] * 4
    cfg = RewardModelConfig(steps=2, batch_size=2, lr=1e-3, max_length=64, save_steps=2)
    a = reward_models.train_reward_model(base_dir, pairs, cfg, tmp_path / "rm", 0, tmp_path / "r.jsonl")
    b = reward_models.train_reward_model(base_dir, pairs, cfg, tmp_path / "rm", 0, tmp_path / "r.jsonl")
    assert len(calls) == 1 and a == b
    other = [{**p, "rejected": " <answer> 5 </answer>"} for p in pairs]
    reward_models.train_reward_model(base_dir, other, cfg, tmp_path / "rm", 0, tmp_path / "r.jsonl")
    assert len(calls) == 2  # other pairs


def test_grpo_keys_name_the_reward_models_weights(base_dir, tmp_path):
    rm = only_for(reward_models.make_rm_reward(base_dir, "helpfulness_rm", "summary"), "benign")
    d = finished.describe_reward_funcs([rm])
    assert d == [{"name": "helpfulness_rm", "only_for": "benign",
                  "rm": finished.fingerprint_path(base_dir), "part": "summary"}]
    assert len(d[0]["rm"]) == 64


def test_a_fresh_stage_run_forgets_finished_trainings_and_a_resumed_one_keeps_them(tmp_path):
    from r1lib.machinery.rundir import Stage

    rd = tmp_path / "run"
    st = Stage.open("00_base_model", "smoke", str(rd))
    done = st.dir / "checkpoint" / finished.SUMMARY
    done.parent.mkdir()
    done.write_text("{}")
    st._write({"status": "failed", "config_hash": st.config_hash})
    Stage.open("00_base_model", "smoke", str(rd))  # resuming the failed run
    assert done.exists()
    rec = json.loads((st.dir / "stage.json").read_text())
    with mock.patch("r1lib.machinery.rundir.read_stage", return_value={**rec, "status": "complete"}):
        Stage.open("00_base_model", "smoke", str(rd))  # a fresh run (e.g. --force)
    assert not done.exists()


@pytest.mark.parametrize("obj", [{"b": 1, "a": [1, 2]}, [{"x": None}], None])
def test_digest_is_canonical(obj):
    assert finished.digest(obj) == finished.digest(json.loads(json.dumps(obj)))
    assert finished.digest({"b": 1, "a": 2}) == finished.digest({"a": 2, "b": 1})
