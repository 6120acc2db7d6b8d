"""The multi-GPU path for real: `accelerate launch` with 2 CPU processes (torch DDP over gloo,
params/accelerate/cpu_ddp.yaml) for the smoke profile's GRPO and SFT (issue 13, item 7).

Each launched run is compared with a one-process run of the same global batch (two processes
take half of it each):

* SFT sees the same examples in the same order (accelerate shards the seeded sampler's batches)
  and transformers averages the token loss across devices, so the gradients are the one-process
  ones up to float32 summation order: the per-step losses agree within 1e-4 (relative) and the
  weights checksum within 1e-5 (relative).
* GRPO samples its rollouts on each rank from that rank's RNG stream, so they are not the
  one-process run's rollouts and no sampled figure can agree exactly. What must agree is the
  work: the same steps, the same completions per step over all ranks, the same prompts; and the
  ranks must stay in step (equal weights checksum on both, moved from the start).
"""

import json
import shutil

import pandas as pd
import pytest

from r1lib.core.profile import GRPOConfig, SFTConfig
from r1lib.core.records import read_jsonl
from r1lib.engine import backends
from r1lib.machinery.config import load_profile
from r1lib.recipe import sft, training
from r1lib.recipe.models import load_policy, weights_checksum
from r1lib.recipe.templates import make_prompt, rl_records

pytestmark = pytest.mark.skipif(shutil.which("accelerate") is None, reason="needs the accelerate CLI")

DDP = {"runtime": {"num_processes": 2, "accelerate_config": "params/accelerate/cpu_ddp.yaml"}}


def _sft_records():
    return [{"prompt": make_prompt(f"Compute {a}+{b}"), "completion": f" <think> {a}+{b}={a + b}. </think> "
             f"<answer> {a + b} </answer>"} for a in range(4) for b in range(4)]


def _losses(path):
    return [r["loss"] for r in read_jsonl(path) if "loss" in r]


def test_sft_on_two_processes_matches_one(base_dir, tmp_path):
    initial = weights_checksum(load_policy(str(base_dir))[0])
    runs = {}
    for name, procs, batch, over in (("one", 1, 4, {}), ("two", 2, 2, DDP)):
        backends.use(load_profile("smoke", over))
        cfg = SFTConfig(steps=4, batch_size=batch, max_length=64, save_steps=4, warmup_steps=0)
        out = tmp_path / name
        res = sft.run_sft(base_dir, _sft_records(), cfg, out, seed=0, metrics_path=tmp_path / f"{name}.jsonl")
        runs[name] = (res, _losses(tmp_path / f"{name}.jsonl"))
    backends.use(load_profile("smoke"))
    (one, l1), (two, l2) = runs["one"], runs["two"]
    ranks = [json.loads((tmp_path / "two" / f"launch_rank{r}.json").read_text()) for r in (0, 1)]
    # every rank trained, in step: both moved the weights to the same place
    assert [r["world_size"] for r in ranks] == [2, 2] and [r["sft_steps"] for r in ranks] == [4, 4]
    assert ranks[0]["weights_checksum"] == ranks[1]["weights_checksum"] != initial
    # rank 0 alone wrote the log (one line per logged step, not two) and the checkpoint
    assert len(l2) == len(l1) == 4
    assert (tmp_path / "two" / "model.safetensors").exists() and not (tmp_path / "two" / "_trainer").exists()
    assert two == json.loads((tmp_path / "two" / "launch_result.json").read_text())
    # the same optimisation as one process with the whole batch
    assert l2 == pytest.approx(l1, rel=1e-4)
    assert two["weights_checksum"] == pytest.approx(one["weights_checksum"], rel=1e-5)
    assert two["trained_tokens"] == one["trained_tokens"]


def test_grpo_on_two_processes_does_the_same_work_as_one(base_dir, tmp_path):
    recs = rl_records([{"id": str(i), "problem": f"Compute {i}+{i + 1}", "answer": str(2 * i + 1)} for i in range(8)])
    initial = weights_checksum(load_policy(str(base_dir))[0])
    runs = {}
    for name, prompts, over in (("one", 4, {}), ("two", 2, DDP)):
        backends.use(load_profile("smoke", over))
        cfg = GRPOConfig(steps=3, prompts_per_step=prompts, num_generations=2, max_completion_length=12,
                         save_steps=3, probe_problems=0, reward_funcs=["accuracy", "format"],
                         entropy_coef=0.05)  # the untrained policy earns no reward: the entropy bonus moves it
        out = tmp_path / name
        res = training.run_grpo(base_dir, recs, cfg, out, 0, tmp_path / f"{name}.jsonl", tmp_path / f"{name}.parquet")
        runs[name] = (res, list(read_jsonl(tmp_path / f"{name}.jsonl")))
    backends.use(load_profile("smoke"))
    (one, log1), (two, log2) = runs["one"], runs["two"]
    ranks = [json.loads((tmp_path / "two" / f"launch_rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["grpo_steps"] for r in ranks] == [3, 3] == [one["grpo_steps"]] * 2
    assert ranks[0]["weights_checksum"] == ranks[1]["weights_checksum"] != initial
    assert [r["step"] for r in log2] == [r["step"] for r in log1]  # rank 0's log only, once per step
    assert (tmp_path / "two" / "model.safetensors").exists() and not (tmp_path / "two" / "_trainer").exists()
    # the same work: 8 completions per step over both ranks; rank 0 logged its own 4 rollouts per step
    assert two["rollout_tokens_budget_per_step"] * 2 == one["rollout_tokens_budget_per_step"]
    r1, r2 = pd.read_parquet(tmp_path / "one.parquet"), pd.read_parquet(tmp_path / "two.parquet")
    assert r1.groupby("step").size().tolist() == [8, 8, 8] and r2.groupby("step").size().tolist() == [4, 4, 4]
    # rank 0's prompts are a subset of the one-process run's at every step (same seeded sampler)
    for step in (1, 2, 3):
        assert set(r2[r2.step == step].prompt_id) <= set(r1[r1.step == step].prompt_id), step
