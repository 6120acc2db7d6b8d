import pandas as pd

from r1lib.recipe import training
from r1lib.recipe.generation import cpu_cache
from r1lib.core.profile import GRPOConfig


def test_paper_objective_maps_onto_trl(tmp_path):
    args = training.grpo_args(GRPOConfig(prompts_per_step=4, num_generations=8, beta=0.001, epsilon=0.2),
                              tmp_path, seed=3)
    assert args.loss_type == "grpo" and args.scale_rewards == "group"  # eq. 1 and eq. 3
    assert args.beta == 0.001 and args.epsilon == 0.2 and args.num_iterations == 1
    assert args.per_device_train_batch_size == 32 and args.num_generations == 8
    assert args.seed == 3 and not args.gradient_checkpointing and not args.bf16


def test_dr_grpo_variant(tmp_path):
    args = training.grpo_args(GRPOConfig(variant="dr_grpo"), tmp_path, seed=0)
    assert args.loss_type == "dr_grpo" and args.scale_rewards == "none"


def test_rollouts_pick_the_kv_cache_by_model_size(tmp_path):
    assert cpu_cache("cpu", 1_200_000) == "static" and cpu_cache("cpu") == "static"  # micro models
    assert cpu_cache("cpu", 134_515_008) is None  # SmolLM2-135M: the dynamic cache, 20 % faster
    assert cpu_cache("cuda", 1_200_000) is None
    assert cpu_cache("cpu", 1_200_000, autocast=True) is None  # a static cache is fp32: bf16 k/v refused
    small = training.grpo_args(GRPOConfig(), tmp_path, seed=0, n_params=1_200_000)
    large = training.grpo_args(GRPOConfig(), tmp_path, seed=0, n_params=134_515_008)
    assert small.cache_implementation == "static" and large.cache_implementation is None


def test_completion_log_records_every_reward(tmp_path):
    def accuracy(completions, **kw):
        return [1.0 if "4" in c else 0.0 for c in completions]

    def fmt(completions, **kw):
        return [None] * len(completions)

    fmt.__name__ = "format"
    log = training.CompletionLog()
    wrapped = log.wrap([accuracy, fmt])
    assert [f.__name__ for f in wrapped] == ["accuracy", "format"]

    class State:
        global_step = 6

    kw = dict(prompts=["p", "p"], completions=["4", "5"], completion_ids=[[1, 2], [3]], id=["a", "b"],
              trainer_state=State())
    assert wrapped[0](**kw) == [1.0, 0.0]
    wrapped[1](**kw)
    assert log.rows == [
        {"step": 7, "prompt_id": "a", "completion": "4", "length": 2, "accuracy": 1.0, "format": None},
        {"step": 7, "prompt_id": "b", "completion": "5", "length": 1, "accuracy": 0.0, "format": None},
    ]
    log.to_parquet(tmp_path / "c.parquet")
    assert len(pd.read_parquet(tmp_path / "c.parquet")) == 2

    accuracy.__name__ = "accuracy_lenient"  # a run graded leniently: its values are the accuracy column too
    log = training.CompletionLog()
    log.wrap([accuracy])[0](**kw)
    assert [(r["accuracy_lenient"], r["accuracy"]) for r in log.rows] == [(1.0, 1.0), (0.0, 0.0)]


def test_pack_blocks():
    class Tok:
        eos_token_id = 0

        def __call__(self, docs):
            class R:
                input_ids = [[1, 2, 3], [4, 5]]
            return R()

    assert training.pack_blocks(Tok(), ["a", "b"], 3) == [[1, 2, 3], [0, 4, 5]]


def test_truncate_jsonl_keeps_each_step_once(tmp_path):
    import json

    from r1lib.recipe.training import truncate_jsonl

    p = tmp_path / "m.jsonl"
    rows = [{"step": 1, "loss": 1.0}, {"step": 2, "loss": 0.5}, {"note": "no step"}, {"step": 3, "loss": 0.2}]
    p.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"step": 4, "lo')  # cut short by a kill
    assert truncate_jsonl(p, 2) == 2
    assert [json.loads(x) for x in p.read_text().splitlines()] == rows[:3]
    assert truncate_jsonl(tmp_path / "absent.jsonl", 2) == 0


def test_latest_checkpoint_skips_a_half_written_one(tmp_path):
    from r1lib.recipe.training import latest_checkpoint

    assert latest_checkpoint(tmp_path / "none") is None
    for n, state in [(2, '{"global_step": 2}'), (10, '{"global_step": 10}'), (12, '{"glob'), (14, None)]:
        d = tmp_path / f"checkpoint-{n}"
        d.mkdir()
        if state is not None:
            (d / "trainer_state.json").write_text(state)
    assert latest_checkpoint(tmp_path) == str(tmp_path / "checkpoint-10")  # numeric order, complete only
