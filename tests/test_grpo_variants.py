"""GRPO variants: the profile's options reach TRL's GRPOConfig as documented, bad combinations
are rejected, each variant's loss on a fixed batch differs from GRPO's exactly where its
definition says, and a trainer that runs something else than the profile asked is caught."""

import math

import pytest
import torch
from pydantic import ValidationError

from r1lib.core.profile import GRPOConfig
from r1lib.recipe import grpo_variants, training
from r1lib.recipe.models import load_policy
from r1lib.recipe.rewards import get_reward_funcs, reward_names

OFF = {"num_iterations": 2}  # off-policy updates: the ratio can leave 1


@pytest.mark.parametrize("variant, loss, level, scale", [
    ("grpo", "grpo", "token", "group"), ("dr_grpo", "dr_grpo", "token", "none"),
    ("dapo", "dapo", "token", "group"), ("bnpo", "bnpo", "token", "group"),
    ("gspo", "grpo", "sequence", "group"), ("cispo", "cispo", "token", "group")])
def test_each_variant_reaches_trl_as_documented(tmp_path, variant, loss, level, scale):
    args = training.grpo_args(GRPOConfig(variant=variant, kl_ratio_correction=False, **OFF), tmp_path, seed=0)
    assert args.use_bias_correction_kl is False  # the paper's plain k3
    assert (args.loss_type, args.importance_sampling_level, args.scale_rewards) == (loss, level, scale)
    assert args.num_iterations == 2
    # cispo's cap of the importance weight: ScaleRL's 5.0, not TRL's default (= epsilon, 0.2)
    assert args.epsilon_high == (5.0 if variant == "cispo" else None)


def test_knobs_reach_trl(tmp_path):
    cfg = GRPOConfig(variant="dapo", epsilon=0.2, epsilon_high=0.28, delta=1.5, num_iterations=2,
                     steps_per_generation=2, scale_rewards="batch", mask_truncated_completions=True,
                     top_entropy_quantile=0.2, entropy_coef=0.01, sync_ref_model=True,
                     ref_model_sync_steps=64, beta=0.001)
    a = training.grpo_args(cfg, tmp_path, seed=0)
    assert (a.epsilon, a.epsilon_high, a.delta) == (0.2, 0.28, 1.5)
    assert (a.num_iterations, a.steps_per_generation, a.scale_rewards) == (2, 2, "batch")
    assert a.mask_truncated_completions and a.top_entropy_quantile == 0.2 and a.entropy_coef == 0.01
    assert a.sync_ref_model and a.ref_model_sync_steps == 64 and a.beta == 0.001


@pytest.mark.parametrize("fields, words", [
    ({"variant": "gspo"}, ["variant: gspo", "num_iterations >= 2"]),
    ({"variant": "cispo"}, ["variant: cispo", "num_iterations >= 2"]),
    ({"epsilon_high": 0.28}, ["epsilon_high", "exactly 1"]),
    ({"epsilon_high": 0.1, **OFF}, ["epsilon_high=0.1 < grpo.epsilon=0.2"]),
    ({"variant": "cispo", "epsilon_high": 0.5, **OFF}, ["cispo", "set it > 1"]),
    ({"sync_ref_model": True, "beta": 0.0}, ["sync_ref_model", "beta > 0"]),
    ({"delta": 1.1, **OFF}, ["grpo.delta=1.1", "1 + epsilon"]),
    ({"reward_funcs": ["accuracy", "soft_overlong"], "overlong_cache": 96}, ["overlong_cache=96"]),
])
def test_bad_combinations_say_what_to_change(fields, words):
    with pytest.raises(ValidationError) as e:
        GRPOConfig(**fields)
    for w in words:
        assert w in str(e.value)


def test_unknown_variant_is_rejected():
    with pytest.raises(ValidationError, match="variant"):
        GRPOConfig(variant="ppo")


def test_soft_overlong_reward_is_in_the_registry():
    assert "soft_overlong" in reward_names()
    cfg = GRPOConfig(max_completion_length=20, overlong_cache=8, reward_funcs=["soft_overlong"])
    (f,) = get_reward_funcs(["soft_overlong"], cfg)
    assert f.__name__ == "soft_overlong"
    # DAPO eq. 13: 0 up to 12 tokens, linear to -1 at 20, -1 beyond
    assert f(completions=["a"] * 4, completion_ids=[[1] * 12, [1] * 16, [1] * 20, [1] * 25]) == [0.0, -0.5, -1.0, -1.0]
    with pytest.raises(ValueError, match="pass cfg"):
        get_reward_funcs(["soft_overlong"])


# --- the loss of each variant on one fixed batch, through TRL's own _compute_loss -------------

B, P, T = 4, 3, 6  # completions, prompt tokens, completion tokens (= max_completion_length)
ADV = torch.tensor([1.0, -0.5, 0.8, -1.3])


def _trainer(base_dir, tmp_path, **fields):
    from datasets import Dataset
    from trl import GRPOTrainer

    training.patch_trl_for_cpu()
    cfg = GRPOConfig(prompts_per_step=1, num_generations=4, max_completion_length=T, beta=0.0, steps=1,
                     **fields)
    model, tok = load_policy(str(base_dir))
    trainer = GRPOTrainer(model=model, reward_funcs=get_reward_funcs(["format"]),
                          args=training.grpo_args(cfg, tmp_path / "t", seed=0),
                          train_dataset=Dataset.from_list([{"prompt": "Compute 1+2"}] * 4), processing_class=tok)
    trainer.current_gradient_accumulation_steps = 1
    return trainer


def _batch(lengths, log_ratio=None, seed=0):
    g = torch.Generator().manual_seed(seed)
    mask = torch.tensor([[1] * n + [0] * (T - n) for n in lengths])
    inputs = {"prompt_ids": torch.randint(5, 100, (B, P), generator=g),
              "prompt_mask": torch.ones(B, P, dtype=torch.long),
              "completion_ids": torch.randint(5, 100, (B, T), generator=g), "completion_mask": mask,
              "advantages": ADV.clone(), "num_items_in_batch": mask.sum()}
    return inputs, log_ratio


def _loss_and_grad(trainer, inputs, log_ratio):
    """TRL's loss and its gradient; ``log_ratio`` (B, T): log π_θ - log π_old, None: on-policy."""
    model = trainer.model
    model.train()
    model.zero_grad()
    inputs = dict(inputs)
    if log_ratio is not None:
        with torch.no_grad():
            ids = torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], 1)
            att = torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], 1)
            logps, _, _ = trainer._get_per_token_logps_and_entropies(model, ids, att, T)
        inputs["old_per_token_logps"] = logps - log_ratio
    loss = trainer._compute_loss(model, inputs)
    loss.backward()
    grad = torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None]).clone()
    return float(loss.detach()), grad


def _same(a, b):
    return math.isclose(a[0], b[0], rel_tol=1e-5, abs_tol=1e-7) and torch.allclose(a[1], b[1], rtol=1e-4, atol=1e-7)


@pytest.fixture(scope="module")
def trainers(base_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("variants")
    specs = {"grpo": {}, "dr_grpo": {"variant": "dr_grpo"}, "dapo": {"variant": "dapo"},
             "bnpo": {"variant": "bnpo"}, "gspo": {"variant": "gspo", **OFF},
             "cispo": {"variant": "cispo", **OFF}, "clip_higher": {"epsilon_high": 0.28, **OFF}}
    return {n: _trainer(base_dir, d / n, **f) for n, f in specs.items()}


def test_on_policy_full_length_every_normaliser_agrees(trainers):
    # every completion as long as max_completion_length, ratio 1: per-sequence mean, the
    # constant G x L_max and the token mean are one number; GSPO's sequence ratio is 1 too
    inputs, _ = _batch([T] * B)
    ref = _loss_and_grad(trainers["grpo"], inputs, None)
    for n in ("dr_grpo", "dapo", "bnpo", "gspo", "clip_higher"):
        assert _same(_loss_and_grad(trainers[n], inputs, None), ref), n
    # CISPO's surrogate is -w·A·log π (another value) with the same gradient at w = 1
    c = _loss_and_grad(trainers["cispo"], inputs, None)
    assert not math.isclose(c[0], ref[0], rel_tol=1e-3)
    assert torch.allclose(c[1], ref[1], rtol=1e-4, atol=1e-7)


def test_unequal_lengths_separate_the_normalisers(trainers):
    inputs, _ = _batch([6, 4, 2, 5])
    ref = _loss_and_grad(trainers["grpo"], inputs, None)
    # Dr. GRPO and DAPO drop the per-completion 1/|o| (length bias): another loss
    for n in ("dr_grpo", "dapo"):
        assert not _same(_loss_and_grad(trainers[n], inputs, None), ref), n
    # one local batch: BNPO = DAPO; on-policy GSPO keeps GRPO's per-sequence mean
    assert _same(_loss_and_grad(trainers["bnpo"], inputs, None), _loss_and_grad(trainers["dapo"], inputs, None))
    assert _same(_loss_and_grad(trainers["gspo"], inputs, None), ref)


def test_clip_higher_differs_only_where_the_ratio_passes_one_plus_epsilon(trainers):
    inputs, _ = _batch([T] * B)
    inside = torch.full((B, T), math.log(1.1))   # ratio 1.1 < 1.2: no clip either way
    assert _same(_loss_and_grad(trainers["clip_higher"], inputs, inside),
                 _loss_and_grad(trainers["grpo"], inputs, inside))
    between = torch.full((B, T), math.log(1.25))  # 1.2 < 1.25 < 1.28: GRPO clips, clip-higher does not
    hi, lo = _loss_and_grad(trainers["clip_higher"], inputs, between), _loss_and_grad(trainers["grpo"], inputs, between)
    assert not _same(hi, lo)
    assert hi[0] < lo[0]  # -(1.25 A) < -(1.2 A) summed over positive advantages


def test_gspo_uses_one_ratio_per_sequence(trainers):
    inputs, _ = _batch([T] * B)
    # token ratios 1.5 and 1/1.5 alternate: each is clipped per token, their geometric mean is 1
    alt = torch.tensor([math.log(1.5), -math.log(1.5)] * (T // 2)).repeat(B, 1)
    assert not _same(_loss_and_grad(trainers["gspo"], inputs, alt), _loss_and_grad(trainers["grpo"], inputs, alt))
    # a uniform ratio inside the clip range: the sequence ratio equals every token's
    uni = torch.full((B, T), math.log(1.1))
    assert _same(_loss_and_grad(trainers["gspo"], inputs, uni), _loss_and_grad(trainers["grpo"], inputs, uni))


def test_cispo_keeps_the_gradient_of_clipped_tokens(trainers):
    inputs, _ = _batch([T] * B)
    between = torch.full((B, T), math.log(1.25))  # PPO-clipped for positive advantages
    dapo, cispo = _loss_and_grad(trainers["dapo"], inputs, between), _loss_and_grad(trainers["cispo"], inputs, between)
    assert not torch.allclose(dapo[1], cispo[1], rtol=1e-3)


# --- the configuration that ran ----------------------------------------------------------------

def test_effective_config_matches_the_profile(trainers):
    t = trainers["clip_higher"]
    cfg = GRPOConfig(prompts_per_step=1, num_generations=4, max_completion_length=T, beta=0.0, steps=1,
                     epsilon_high=0.28, **OFF)
    eff = grpo_variants.effective_config(t)
    assert eff["loss_type"] == "grpo" and eff["epsilon_high"] == 0.28 and eff["num_iterations"] == 2
    # TRL 1.15 multiplies the k3 KL by the ratio unless told not to (kl_ratio_correction)
    assert eff["kl_estimator"] == "k3 x ratio" and eff["use_bias_correction_kl"] is True
    assert grpo_variants.config_diff(grpo_variants.requested_config(cfg), eff) == []
    table = grpo_variants.paper_vs_run(eff, "r1_zero", grpo_variants.requested_config(cfg))
    assert list(table.columns) == ["paper", "profile", "this run"]
    assert table.loc["β (KL weight)"].tolist() == ["0.001", "0", "0"]
    assert table.loc["ε_high (clip, high)", "this run"] == "0.28"


def test_a_patched_trainer_is_caught(base_dir, tmp_path, monkeypatch):
    """A stand-in for Unsloth's GRPO patch, which sets bnpo and beta 0.001 after TRL's init."""
    import trl

    orig = trl.GRPOTrainer.__init__

    def patched(self, *a, **kw):
        orig(self, *a, **kw)
        self.loss_type, self.beta = "bnpo", 0.001

    monkeypatch.setattr(trl.GRPOTrainer, "__init__", patched)
    t = _trainer(base_dir, tmp_path)
    cfg = GRPOConfig(prompts_per_step=1, num_generations=4, max_completion_length=T, beta=0.0, steps=1)
    req = grpo_variants.requested_config(cfg)
    result = {"requested_config": req, "effective_config": grpo_variants.effective_config(t)}
    result["config_diff"] = grpo_variants.config_diff(req, result["effective_config"])
    assert result["config_diff"] == [{"key": "loss_type", "asked": "grpo", "ran": "bnpo"},
                                     {"key": "beta", "asked": 0.0, "ran": 0.001}]
    with pytest.warns(grpo_variants.ConfigDriftWarning, match=r"01 test: .*loss_type: asked 'grpo', ran 'bnpo'.*beta"):
        table = grpo_variants.show(result, "r1_zero", "01 test")
    assert table.loc["loss type", "profile"] == "grpo" and table.loc["loss type", "this run"] == "bnpo"


def test_save_steps_must_align_with_rollout_batches():
    with pytest.raises(ValueError, match=r"save_steps=50 is not a multiple of steps_per_generation=4"):
        GRPOConfig(steps_per_generation=4, save_steps=50)
    assert GRPOConfig(steps_per_generation=4, save_steps=40).save_steps == 40
