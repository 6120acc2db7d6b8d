"""GRPO and the variants the field runs now, as TRL 1.15 arguments; the configuration that ran.

No loss code of our own: every variant is a set of ``trl.GRPOConfig`` arguments
(:data:`VARIANTS`), and TRL's ``GRPOTrainer._compute_loss`` computes it. After the trainer is
built (and after Unsloth's patches, where Unsloth is used) :func:`effective_config` reads what
the trainer will actually run, :func:`config_diff` compares it with what the profile asked
(:func:`requested_config`), and :func:`paper_vs_run` puts it beside the paper's settings.

Sources: DeepSeek-R1 (arXiv 2501.12948, §2.2.1 eq. 1-3; its hyper-parameters from the Nature
version's supplementary), Dr. GRPO (arXiv 2503.20783), DAPO (arXiv 2503.14476), GSPO
(arXiv 2507.18071), CISPO (MiniMax-M1, arXiv 2506.13585), TRL's ``GRPOConfig`` docs.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import pandas as pd

from r1lib.core.profile import GRPO_VARIANTS, GRPOConfig

__all__ = [
    "CISPO_DEFAULT_CAP",
    "EFFECTIVE_KEYS",
    "PAPER",
    "VARIANTS",
    "CONFIG_KEYS",
    "ConfigDriftWarning",
    "config_diff",
    "effective_config",
    "paper_vs_run",
    "scalars",
    "show",
    "requested_config",
    "trl_kwargs",
    "warn_on_diff",
]

VARIANTS: dict[str, dict[str, Any]] = {
    # the paper's eq. 1: clipped ratio per token, mean over each completion's tokens, then over
    # the group; advantages (r - mean) / std within the group
    "grpo": {"loss_type": "grpo", "importance_sampling_level": "token", "scale_rewards": "group"},
    # Dr. GRPO: the sum over tokens divided by a constant (G × max_completion_length) instead of
    # each completion's length (length bias), advantages not divided by the std (difficulty bias)
    "dr_grpo": {"loss_type": "dr_grpo", "importance_sampling_level": "token", "scale_rewards": "none"},
    # DAPO: token-level mean over every token of the (accumulated) batch: long completions weigh
    # by their length. Clip-higher, overlong filtering/shaping are separate knobs
    "dapo": {"loss_type": "dapo", "importance_sampling_level": "token", "scale_rewards": "group"},
    # BNPO: token-level mean over the local batch (TRL); = dapo without gradient accumulation
    "bnpo": {"loss_type": "bnpo", "importance_sampling_level": "token", "scale_rewards": "group"},
    # GSPO: one ratio per completion, exp(mean of the token log-ratios), clipped per sequence;
    # TRL's GSPO recipe keeps loss_type grpo (the per-sequence objective). The GSPO paper clips
    # at 3e-4 / 4e-4, set them with epsilon / epsilon_high
    "gspo": {"loss_type": "grpo", "importance_sampling_level": "sequence", "scale_rewards": "group"},
    # CISPO: clip the importance weight itself (stop-gradient, capped at epsilon_high) and keep
    # every token's log-prob gradient; token-level mean
    "cispo": {"loss_type": "cispo", "importance_sampling_level": "token", "scale_rewards": "group"},
}
assert set(VARIANTS) == set(GRPO_VARIANTS), "profile.GRPO_VARIANTS and VARIANTS must list the same names"

CISPO_DEFAULT_CAP = 5.0
"""CISPO's ε_max when ``epsilon_high`` is unset (ScaleRL, arXiv 2510.13786). TRL's own default,
``epsilon``, would cap every importance weight at 0.2."""

EFFECTIVE_KEYS = ("loss_type", "importance_sampling_level", "scale_rewards", "beta", "epsilon",
                  "epsilon_high", "delta", "num_iterations", "steps_per_generation",
                  "num_generations", "per_device_train_batch_size", "max_completion_length",
                  "temperature", "top_p", "learning_rate", "max_steps", "mask_truncated_completions",
                  "top_entropy_quantile", "entropy_coef", "sync_ref_model", "ref_model_sync_steps",
                  "use_vllm", "vllm_importance_sampling_correction", "use_bias_correction_kl")
"""The settings that define the objective and the batch, compared between profile and run."""


def trl_kwargs(cfg: GRPOConfig) -> dict[str, Any]:
    """The ``trl.GRPOConfig`` arguments of the objective in ``cfg`` (variant and its knobs).

    Args:
        cfg: our GRPO section (validated: bad combinations were rejected at load time).

    Returns:
        ``dict`` of keyword arguments: ``loss_type``, ``importance_sampling_level``,
        ``scale_rewards``, ``beta``, ``epsilon``, ``epsilon_high``, ``delta``, ``num_iterations``,
        ``steps_per_generation``, ``mask_truncated_completions``, ``top_entropy_quantile``,
        ``entropy_coef``, ``sync_ref_model``, ``ref_model_sync_steps``, ``use_bias_correction_kl``.

    Source: TRL 1.15 ``GRPOConfig`` (its docstring cites each paper); :data:`VARIANTS`.
    """
    v = VARIANTS[cfg.variant]
    eps_high = cfg.epsilon_high
    if cfg.variant == "cispo" and eps_high is None:
        eps_high = CISPO_DEFAULT_CAP
    return {
        "loss_type": v["loss_type"],
        "importance_sampling_level": v["importance_sampling_level"],
        "scale_rewards": cfg.scale_rewards or v["scale_rewards"],
        "beta": cfg.beta, "epsilon": cfg.epsilon, "epsilon_high": eps_high, "delta": cfg.delta,
        "num_iterations": cfg.num_iterations, "steps_per_generation": cfg.steps_per_generation,
        "mask_truncated_completions": cfg.mask_truncated_completions,
        "top_entropy_quantile": cfg.top_entropy_quantile, "entropy_coef": cfg.entropy_coef,
        "sync_ref_model": cfg.sync_ref_model, "ref_model_sync_steps": cfg.ref_model_sync_steps,
        "use_bias_correction_kl": cfg.kl_ratio_correction,
    }


def requested_config(cfg: GRPOConfig) -> dict[str, Any]:
    """What the profile asks, in TRL's names (:data:`EFFECTIVE_KEYS` that the profile sets).

    ``epsilon_high`` is resolved as TRL resolves it (unset: = ``epsilon``; cispo: 5.0), so an
    unset value does not read as a difference.
    """
    kw = trl_kwargs(cfg)
    if kw["epsilon_high"] is None:
        kw["epsilon_high"] = cfg.epsilon
    kw.update(num_generations=cfg.num_generations,
              per_device_train_batch_size=cfg.prompts_per_step * cfg.num_generations,
              max_completion_length=cfg.max_completion_length, temperature=cfg.temperature,
              top_p=cfg.top_p, learning_rate=cfg.lr, max_steps=cfg.steps)
    return kw


def effective_config(trainer) -> dict[str, Any]:
    """The objective and batch settings a built ``GRPOTrainer`` will run.

    Reads the trainer's own attributes where TRL copies them out of ``args`` (``loss_type``,
    ``beta``, ``epsilon_low``/``epsilon_high``, ``importance_sampling_level``, ``scale_rewards``,
    ``num_iterations``, ``mask_truncated_completions``, ``top_entropy_quantile``,
    ``entropy_coef``, ``temperature``, ``use_vllm``, ``vllm_importance_sampling_correction``):
    patches (Unsloth's among them) may change either, and the attributes are what
    ``_compute_loss`` uses. Everything else from ``trainer.args``.

    Returns:
        ``{key: value}`` for :data:`EFFECTIVE_KEYS` (JSON-serialisable scalars), plus
        ``kl_estimator`` (``"k3"``, or ``"k3 x ratio"`` with TRL's bias correction).
    """
    out = {}
    for k in EFFECTIVE_KEYS:
        v = getattr(trainer, "epsilon_low" if k == "epsilon" else k, getattr(trainer.args, k, None))
        out[k] = v.item() if hasattr(v, "item") else v
    out["kl_estimator"] = "k3 x ratio" if out["use_bias_correction_kl"] else "k3"
    return out


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    return a == b


def config_diff(requested: dict[str, Any], effective: dict[str, Any]) -> list[dict[str, Any]]:
    """Every key whose value differs between ``requested`` and ``effective``.

    Returns:
        ``[{"key", "asked", "ran"}, ...]`` in :data:`EFFECTIVE_KEYS` order (keys only in one of
        the two are skipped: ``asked`` is what the profile sets).
    """
    return [{"key": k, "asked": requested[k], "ran": effective[k]}
            for k in EFFECTIVE_KEYS if k in requested and k in effective
            and not _same(requested[k], effective[k])]


class ConfigDriftWarning(UserWarning):
    """The trainer runs a setting other than the one the profile asked for."""


def warn_on_diff(diff: list[dict[str, Any]], where: str) -> None:
    """One :class:`ConfigDriftWarning` naming every drifted setting of ``where`` (no-op if none)."""
    if diff:
        parts = ", ".join(f"{d['key']}: asked {d['asked']!r}, ran {d['ran']!r}" for d in diff)
        warnings.warn(f"{where}: the trainer does not run what the profile asked ({parts})",
                      ConfigDriftWarning, stacklevel=2)


_R1_ZERO = {"beta": 0.001, "num_generations": 16, "epsilon": 10.0, "epsilon_high": 10.0, "temperature": 1.0,
            "loss_type": "grpo", "importance_sampling_level": "token", "max_completion_length": 32768,
            "kl_estimator": "k3", "learning_rate": 3e-6, "max_steps": 10400, "prompts_per_step": 32,
            "num_iterations": 1, "steps_per_generation": 16, "ref_model_sync_steps": 400}

PAPER: dict[str, dict[str, Any]] = {
    # DeepSeek-R1-Zero's RL (Nature version, supplementary): lr 3e-6, KL 0.001, T = 1,
    # 16 samples per question, 32 questions per step (batch 512), 8,192 rollouts split into 16
    # mini-batches (one inner epoch), reference replaced every 400 steps, 32,768 tokens
    # (65,536 after step 8.2k)
    "r1_zero": _R1_ZERO,
    # DeepSeek-R1's first RL stage (03, reasoning RL with the language reward) keeps these
    # settings; its second (05, all scenarios) samples at T = 0.7
    "reasoning_rl": {**_R1_ZERO, "max_steps": None},
    "all_scenario_rl": {**_R1_ZERO, "temperature": 0.7, "max_steps": None},
}
"""The paper's GRPO settings, by stage, in TRL's names (``None``: not stated). ε = 10 is the
paper's clip ratio (its note: a lower one truncates the gradients of many tokens)."""

_ROWS = (("β (KL weight)", "beta"), ("G (group size)", "num_generations"),
         ("prompts per step", "prompts_per_step"), ("ε (clip, low)", "epsilon"),
         ("ε_high (clip, high)", "epsilon_high"), ("temperature", "temperature"),
         ("loss type", "loss_type"), ("importance ratio", "importance_sampling_level"),
         ("max completion length", "max_completion_length"), ("KL estimator", "kl_estimator"),
         ("learning rate", "learning_rate"), ("steps", "max_steps"),
         ("μ (iterations per batch)", "num_iterations"),
         ("steps per rollout batch", "steps_per_generation"))


def paper_vs_run(effective: dict[str, Any], paper: str = "r1_zero",
                 requested: dict[str, Any] | None = None) -> pd.DataFrame:
    """The "paper vs this run" table of an RL stage.

    Args:
        effective: :func:`effective_config` of the run (``prompts_per_step`` is derived from
            the batch and the group size).
        paper: a key of :data:`PAPER`.
        requested: optional :func:`requested_config`; adds a ``profile`` column.

    Returns:
        ``DataFrame`` indexed by setting, columns ``paper``, (``profile``,) ``this run``, all
        as strings (mixed types).

    Raises:
        KeyError: unknown ``paper``.
    """
    if paper not in PAPER:
        raise KeyError(f"unknown paper setting {paper!r}; known: {sorted(PAPER)}")
    ran = dict(effective)
    ran["prompts_per_step"] = ran["per_device_train_batch_size"] // ran["num_generations"]
    cols = {"paper": PAPER[paper]}
    if requested is not None:
        asked = dict(requested)
        asked["prompts_per_step"] = asked["per_device_train_batch_size"] // asked["num_generations"]
        asked.setdefault("kl_estimator", ran["kl_estimator"])
        cols["profile"] = asked
    cols["this run"] = ran

    def fmt(v):
        return "—" if v is None else (f"{v:g}" if isinstance(v, float) else str(v))

    return pd.DataFrame({name: [fmt(src.get(key)) for _, key in _ROWS] for name, src in cols.items()},
                        index=[label for label, _ in _ROWS])


def show(result: dict[str, Any], paper: str, where: str) -> pd.DataFrame:
    """The "paper vs this run" table of a :func:`r1lib.recipe.training.run_grpo` result.

    Warns (:class:`ConfigDriftWarning`, printed in the notebook) when the trainer ran something
    other than what the profile asked (``result["config_diff"]``).

    Raises:
        KeyError: ``result`` has no ``effective_config`` (not a run_grpo result), or unknown ``paper``.
    """
    warn_on_diff(result.get("config_diff", []), where)
    return paper_vs_run(result["effective_config"], paper, result.get("requested_config"))


CONFIG_KEYS = ("requested_config", "effective_config", "config_diff")
"""The keys of a run_grpo result that hold configurations (not scalars for a results table)."""


def scalars(result: dict[str, Any]) -> dict[str, Any]:
    """``result`` without :data:`CONFIG_KEYS`: the figures of a run, for a results table."""
    return {k: v for k, v in result.items() if k not in CONFIG_KEYS}
