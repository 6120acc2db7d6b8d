"""Preflight of an RL stage: sample the starting policy on the stage's prompts and say whether
GRPO will get a learning signal, and what a step will cost, before any step is trained.

GRPO's advantage is the group-normalised reward (DeepSeekMath eq. 3; R1 §2.2.1): a group whose
G completions all earn the same reward has advantage 0 everywhere and carries no gradient. A
policy that never hits the format, or is always right or always wrong on the prompts, trains
on nothing. :func:`summarise` computes the figures from rollouts (pure, testable on hand-made
ones); :func:`preflight` samples them with the stage's settings and times them.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import torch

from r1lib.core.profile import GRPOConfig
from r1lib.recipe.generation import encode_prompts, sample
from r1lib.recipe.models import load_policy
from r1lib.recipe.rewards import ACCURACY_REWARDS, get_reward_funcs
from r1lib.recipe.training import FLOPS_FORWARD, FLOPS_TRAIN, grpo_flops_per_token

__all__ = ["FORMAT_REWARDS", "PreflightWarning", "before_training", "preflight", "summarise",
           "warn_if_no_signal"]

FORMAT_REWARDS = ("readable_format", "format")
"""Reward functions whose positive value counts as a format hit (the first one present)."""


class PreflightWarning(UserWarning):
    """The starting policy gives GRPO (almost) no groups with reward variance."""


def summarise(rewards: dict[str, Sequence[float | None]], lengths: Sequence[int], group_size: int,
              max_completion_length: int, weights: Sequence[float] | None = None) -> dict:
    """Preflight figures of ``n_prompts × group_size`` rollouts, prompt-major (a group's G
    completions are consecutive).

    Args:
        rewards: reward-function name -> one value per completion (``None``: not scored, as
            TRL's ``nansum`` treats it).
        lengths: completion lengths in tokens.
        group_size: G (``grpo.num_generations``).
        max_completion_length: a completion of this many tokens was cut (no EOS).
        weights: per reward function, in ``rewards``' order (``grpo.reward_weights``); 1 each.

    Returns:
        ``{"completions", "groups", "format_hit_rate", "accuracy", "truncated_share",
        "zero_variance_groups", "groups_with_signal", "mean_completion_tokens"}``: shares in
        [0, 1] (4 decimals); ``format_hit_rate`` is the share with a positive
        :data:`FORMAT_REWARDS` value (None without one), ``accuracy`` the mean of the first
        :data:`r1lib.recipe.rewards.ACCURACY_REWARDS` reward (None without one);
        ``zero_variance_groups`` the share of groups whose total reward is the same for every
        completion.

    Raises:
        ValueError: no completions, a length not a multiple of ``group_size``, or a reward list
            of another length.

    Source: GRPO's group-relative advantage (DeepSeekMath eq. 3, DeepSeek-R1 §2.2.1).
    """
    n = len(lengths)
    if n == 0 or group_size < 1 or n % group_size:
        raise ValueError(f"{n} completions do not make groups of {group_size}")
    for name, vals in rewards.items():
        if len(vals) != n:
            raise ValueError(f"reward {name!r} has {len(vals)} values for {n} completions")
    w = list(weights) if weights is not None else [1.0] * len(rewards)
    table = np.array([[np.nan if v is None else float(v) for v in vals] for vals in rewards.values()])
    total = np.nansum(table * np.array(w)[:, None], axis=0) if len(rewards) else np.zeros(n)
    spread = np.ptp(total.reshape(-1, group_size), axis=1)
    fmt = next((f for f in FORMAT_REWARDS if f in rewards), None)
    acc = next((f for f in ACCURACY_REWARDS if f in rewards), None)

    def mean(name):
        vals = [v for v in rewards[name] if v is not None]
        return round(float(np.mean(vals)), 4) if vals else None

    zero = round(float(np.mean(spread < 1e-9)), 4)
    return {
        "completions": n, "groups": n // group_size,
        "format_hit_rate": round(float(np.mean([v is not None and v > 0 for v in rewards[fmt]])), 4)
        if fmt else None,
        "accuracy": mean(acc) if acc else None,
        "truncated_share": round(float(np.mean(np.asarray(lengths) >= max_completion_length)), 4),
        "zero_variance_groups": zero, "groups_with_signal": round(1 - zero, 4),
        "mean_completion_tokens": round(float(np.mean(lengths)), 2),
    }


def warn_if_no_signal(report: dict, where: str, min_signal: float = 0.05) -> bool:
    """Warn (:class:`PreflightWarning`) when under ``min_signal`` of the groups have any
    reward variance; returns whether it warned."""
    if report["groups_with_signal"] >= min_signal:
        return False
    warnings.warn(PreflightWarning(
        f"{where}: only {report['groups_with_signal']:.1%} of {report['groups']} preflight groups have any "
        f"reward variance (format hits {report['format_hit_rate']}, accuracy {report['accuracy']}): "
        "GRPO will barely learn. Easier prompts, a longer max_completion_length, a larger group or a "
        "format the policy already writes give it a signal"), stacklevel=2)
    return True


def _train_pass_s_per_token(model, tok, texts: list[str], max_tokens: int) -> float:
    """Seconds per token of one forward + backward pass over ``texts`` (one batch, truncated
    to ``max_tokens`` each); the gradients are discarded."""
    ids, _ = encode_prompts(tok, texts, max_tokens)
    width = max(len(x) for x in ids)
    batch = torch.full((len(ids), width), tok.pad_token_id, dtype=torch.long)
    mask = torch.zeros_like(batch)
    for r, x in enumerate(ids):
        batch[r, :len(x)] = torch.tensor(x)
        mask[r, :len(x)] = 1
    device = next(model.parameters()).device
    was_training = model.training
    model.train()
    t0 = time.perf_counter()
    out = model(input_ids=batch.to(device), attention_mask=mask.to(device), labels=batch.to(device))
    out.loss.backward()
    took = time.perf_counter() - t0
    model.zero_grad(set_to_none=True)
    model.train(was_training)
    return took / max(int(mask.sum()), 1)


def preflight(model, tok, records: list[dict], cfg: GRPOConfig, seed: int, n_prompts: int | None = None,
              reward_funcs: list[Callable] | None = None, max_prompt_tokens: int = 384) -> dict:
    """Sample the starting policy with the stage's GRPO settings on its first ``n_prompts``
    RL prompts (``grpo.preflight_prompts`` by default), score them with the stage's reward
    functions, and estimate a step's cost. Nothing is trained.

    Args:
        model, tok: the starting policy.
        records: the stage's RL records (``prompt`` and the reward functions' columns).
        cfg: the stage's GRPO section (G, temperature, top-p, max completion length, steps,
            prompts per step, reward functions and weights).
        seed: sampling seed.
        n_prompts: prompts to sample (G completions each).
        reward_funcs: callables instead of ``cfg.reward_funcs`` (e.g. reward models).

    Returns:
        :func:`summarise`'s figures plus ``prompts``, ``tokens_per_step`` (prompt +
        completion tokens of one step at the preflight's mean lengths), ``s_per_step_est`` and
        ``stage_s_est`` (seconds: the preflight's measured sampling time per completion token,
        plus one measured forward + backward pass per token scaled by GRPO's passes,
        :func:`r1lib.recipe.training.grpo_flops_per_token`; a lower bound on this machine: it
        leaves out reward scoring, held-out probes and the trainer's own work, and on micro's 03
        it said 0.75 s against 1.97 s measured, with two runs side by side on one thread each)
        and ``sampling_s``.

    Raises:
        ValueError: no records, or ``n_prompts < 1``.

    Source: GRPO's group-relative advantage (DeepSeekMath eq. 3); TRL ``GRPOTrainer``'s passes.
    """
    n_prompts = cfg.preflight_prompts if n_prompts is None else n_prompts
    if not records or n_prompts < 1:
        raise ValueError(f"preflight needs records and n_prompts >= 1 (got {len(records)} records, "
                         f"n_prompts={n_prompts})")
    recs = records[:n_prompts]
    g = cfg.num_generations
    prompts = [r["prompt"] for r in recs]
    t0 = time.perf_counter()
    gen = sample(model, tok, prompts, n=g, temperature=cfg.temperature, top_p=cfg.top_p,
                 max_new_tokens=cfg.max_completion_length, max_prompt_tokens=max_prompt_tokens, seed=seed)
    sampling_s = time.perf_counter() - t0
    completions = [t for texts in gen.texts for t in texts]
    lengths = [n for ls in gen.lengths for n in ls]
    columns = {k: [r.get(k) for r in recs for _ in range(g)] for k in recs[0] if k != "prompt"}
    funcs = reward_funcs if reward_funcs is not None else get_reward_funcs(cfg.reward_funcs, cfg)
    rewards = {f.__name__: f(prompts=[p for p in prompts for _ in range(g)], completions=completions,
                             completion_ids=[[0] * n for n in lengths], **columns) for f in funcs}
    report = summarise(rewards, lengths, g, cfg.max_completion_length, cfg.reward_weights)
    prompt_tokens = float(np.mean([len(x) for x in encode_prompts(tok, prompts, max_prompt_tokens)[0]]))
    per_step = cfg.prompts_per_step * g
    completion_tokens = per_step * report["mean_completion_tokens"]
    tokens = per_step * prompt_tokens + completion_tokens
    train_pass = _train_pass_s_per_token(model, tok, [p + c for p, c in zip(
        [p for p in prompts for _ in range(g)][:per_step], completions[:per_step])], max_prompt_tokens
        + cfg.max_completion_length)
    passes = (grpo_flops_per_token(cfg) - FLOPS_FORWARD) / FLOPS_TRAIN  # besides generating
    s_step = sampling_s / max(sum(lengths), 1) * completion_tokens + train_pass * tokens * passes
    return {**report, "prompts": len(recs), "tokens_per_step": round(tokens, 1),
            "s_per_step_est": round(s_step, 3), "stage_s_est": round(s_step * cfg.steps, 1),
            "sampling_s": round(sampling_s, 2)}


def before_training(model_path, records: list[dict], cfg: GRPOConfig, seed: int, where: str,
                    backend: str | None = None, reward_funcs: list[Callable] | None = None,
                    n_prompts: int | None = None) -> dict | None:
    """What an RL stage runs before GRPO (and ``r1 preflight``): load the starting policy from
    ``model_path``, :func:`preflight` it on ``records`` (``n_prompts``, default
    ``cfg.preflight_prompts``) and :func:`warn_if_no_signal` below ``cfg.preflight_min_signal``.
    Returns the figures (for ``stage.json``), or None when there are no prompts to sample."""
    n_prompts = cfg.preflight_prompts if n_prompts is None else n_prompts
    if not n_prompts:
        return None
    model, tok = load_policy(str(model_path), backend=backend)
    out = preflight(model, tok, records, cfg, seed, n_prompts, reward_funcs=reward_funcs)
    warn_if_no_signal(out, where, cfg.preflight_min_signal)
    return out
