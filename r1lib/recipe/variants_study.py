"""The GRPO variants study (stage 09): every variant from the same base at the same compute.

One run per (variant, seed): R1-Zero's GRPO on the micro task with the variant's settings
(:meth:`r1lib.core.profile.VariantsConfig.configs`), stopped when its compute reaches the
shared budget (model FLOPs, :func:`r1lib.recipe.training.grpo_flops`), then scored on held-out
problems (pass@1 over k samples with its 95 % interval, cons@k). The curves come from TRL's
per-step log (policy entropy, clip fractions, seconds per step) and from the rollouts (length of
correct and incorrect completions). :func:`claims` checks each paper's claim against them.

Sources: Dr. GRPO (Liu et al. 2025, arXiv 2503.20783, §3: GRPO's length normalisation lets
incorrect responses grow); DAPO (Yu et al. 2025, arXiv 2503.14476, §3.1: clip-higher against
entropy collapse; Table 1); GSPO (Zheng et al. 2025, arXiv 2507.18071, §5); CISPO (MiniMax-M1,
arXiv 2506.13585, §3.1: faster than DAPO at equal steps).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from r1lib.core.profile import EvaluationConfig, GRPOConfig, VariantsConfig
from r1lib.core.records import read_jsonl
from r1lib.engine.parallel import Job
from r1lib.recipe import grpo_variants
from r1lib.recipe.evaluation import evaluate_benchmark
from r1lib.recipe.models import count_parameters, load_policy
from r1lib.recipe.training import grpo_flops, run_grpo

__all__ = ["budget_flops", "by_variant", "claims", "evaluate_base", "load_curves", "pool_seeds", "run_curves",
           "run_folder", "run_variant", "study_jobs", "summarise"]


def budget_flops(base: str | Path, cfg: GRPOConfig, budget_tokens: int) -> tuple[float, int]:
    """The shared compute budget: ``budget_tokens`` rollout tokens under ``cfg`` (the reference
    run's settings), in model FLOPs, and the base's parameter count N.

    Returns:
        ``(flops, n_params)``; every run stops after the step that reaches ``flops``.
    """
    model, _ = load_policy(str(base))
    n = count_parameters(model)
    return grpo_flops(n, budget_tokens, cfg), n


def _eval(path: str, name: str, heldout: list[dict], cfg: GRPOConfig, ev: EvaluationConfig, k: int,
          seed: int) -> dict:
    model, tok = load_policy(path)
    row, _ = evaluate_benchmark(model, tok, name, "heldout", heldout, k, cfg.max_completion_length,
                                ev.temperature, ev.top_p, ev.batch_size, ev.max_prompt_tokens, seed=seed)
    return {k_: row[k_] for k_ in ("n", "k", "pass@1", "pass@1_ci95", "cons@k", "mean_length")}


def evaluate_base(base: str, heldout: list[dict], cfg: GRPOConfig, ev: EvaluationConfig, k: int,
                  seed: int) -> dict:
    """The starting policy on the held-out problems (the row every variant starts from)."""
    return {"variant": "base", "seed": seed, **_eval(str(base), "base", heldout, cfg, ev, k, seed)}


def run_variant(name: str, base: str, records: list[dict], heldout: list[dict], cfg: GRPOConfig,
                out_dir: str, seed: int, max_train_flops: float, ev: EvaluationConfig, k: int) -> dict:
    """Train one variant and score it (a job for :func:`r1lib.engine.parallel.run_jobs`).

    Args:
        name: the run's name (``variants.runs`` key).
        base: the starting checkpoint (00's).
        records: RL prompts (``r1lib.recipe.templates.rl_records``).
        heldout: problems ``{"id", "problem", "answer"}`` scored after training.
        cfg: the run's GRPO settings; out_dir: its folder (checkpoint, metrics.jsonl,
            completions.parquet, result.json).
        seed: training and sampling seed.
        max_train_flops: the shared budget (:func:`budget_flops`).
        ev, k: sampling protocol and samples per problem for the held-out score.

    Returns:
        ``{"variant", "seed", "pass@1", "pass@1_ci95", "cons@k", "n", "k", "mean_length",
        <run_grpo's figures>, "effective_config", "config_diff"}``. A finished run (its
        ``result.json`` exists) is read back, not redone; an interrupted one resumes from its
        last GRPO checkpoint.
    """
    out = Path(out_dir)
    done = out / "result.json"
    asked = {"grpo": cfg.model_dump(mode="json"), "seed": seed, "max_train_flops": max_train_flops,
             "k": k, "heldout": [r["id"] for r in heldout]}
    if done.exists():
        prev = json.loads(done.read_text())
        if prev.get("asked") == asked:
            return prev
        raise RuntimeError(f"{done} holds a run with other settings: delete {out} to redo it")
    out.mkdir(parents=True, exist_ok=True)
    res = run_grpo(base, records, cfg, out / "checkpoint", seed, out / "metrics.jsonl",
                   out / "completions.parquet", max_train_flops=max_train_flops)
    row = {"variant": name, "seed": seed, **_eval(str(out / "checkpoint"), name, heldout, cfg, ev, k, seed),
           **grpo_variants.scalars(res), "effective_config": res["effective_config"],
           "config_diff": res["config_diff"], "asked": asked}
    done.write_text(json.dumps(row, indent=1))
    return row


def run_folder(runs_dir: str | Path, name: str, seed: int) -> Path:
    """The folder of one run: ``runs_dir/<name>_s<seed>``."""
    return Path(runs_dir) / f"{name}_s{seed}"


def study_jobs(base: str | Path, records: list[dict], heldout: list[dict], configs: dict[str, GRPOConfig],
               v: VariantsConfig, ev: EvaluationConfig, max_train_flops: float, runs_dir: str | Path) -> list[Job]:
    """The stage's jobs for :func:`r1lib.engine.parallel.run_jobs`: the base's held-out score
    (first, scored with the first run's settings and seed), then one :func:`run_variant` per seed
    and run, in that order."""
    first = next(iter(configs.values()))
    jobs = [Job(evaluate_base, (str(base), heldout, first, ev, v.eval_k, v.seeds[0]), name="base")]
    jobs += [Job(run_variant, (name, str(base), records, heldout, c, str(run_folder(runs_dir, name, seed)), seed,
                               max_train_flops, ev, v.eval_k), name=f"{name}/s{seed}")
             for seed in v.seeds for name, c in configs.items()]
    return jobs


def load_curves(rows: list[dict], runs_dir: str | Path) -> dict[str, pd.DataFrame]:
    """``"<variant>/<seed>"`` -> :func:`run_curves` for every :func:`run_variant` result."""
    return {f"{r['variant']}/{r['seed']}": run_curves(run_folder(runs_dir, r["variant"], r["seed"])) for r in rows}


def pool_seeds(curves: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The seeds of each variant pooled: variant -> the mean of each numeric column per step."""
    names = dict.fromkeys(k.rsplit("/", 1)[0] for k in curves)
    return {n: pd.concat([c for k, c in curves.items() if k.rsplit("/", 1)[0] == n])
            .groupby("step", as_index=False).mean(numeric_only=True) for n in names}


def run_curves(out_dir: str | Path) -> pd.DataFrame:
    """Per-step curves of one run.

    Returns:
        One row per optimiser step: ``step``, ``entropy`` (mean policy entropy of the completion
        tokens, nats), ``clip_fraction`` (share of tokens whose ratio was clipped, TRL's
        ``clip_ratio/region_mean``; CISPO: its capped weights), ``clip_high``, ``clip_low``,
        ``step_time`` (s), ``tokens`` (cumulative rollout tokens); and, on steps that
        generated rollouts, ``accuracy``, ``length_correct`` and ``length_incorrect``
        (mean tokens of correct / incorrect completions).

    Raises:
        FileNotFoundError: no ``metrics.jsonl`` in ``out_dir``.
    """
    out = Path(out_dir)
    m = pd.DataFrame(read_jsonl(out / "metrics.jsonl"))
    cols = {"entropy": "entropy", "clip_ratio/region_mean": "clip_fraction",
            "clip_ratio/high_mean": "clip_high", "clip_ratio/low_mean": "clip_low",
            "cispo_clip_ratio": "clip_fraction", "step_time": "step_time", "num_tokens": "tokens"}
    m = m[m["loss"].notna()] if "loss" in m else m.iloc[:0]  # the last line is TRL's run summary
    keep = {c: n for c, n in cols.items() if c in m}
    curves = m[["step", *keep]].rename(columns=keep)
    curves = curves.loc[:, ~curves.columns.duplicated()].copy()
    comp = out / "completions.parquet"
    if comp.exists():
        df = pd.read_parquet(comp)
        if len(df) and "accuracy" in df:
            ok = df["accuracy"] >= 0.5
            by = df.assign(ok=ok).groupby("step")
            extra = pd.DataFrame({"accuracy": by["accuracy"].mean(),
                                  "length_correct": df[ok].groupby("step")["length"].mean(),
                                  "length_incorrect": df[~ok].groupby("step")["length"].mean()})
            curves = curves.merge(extra.reset_index(), on="step", how="left")
    return curves.sort_values("step").reset_index(drop=True)


def summarise(rows: list[dict], curves: dict[str, pd.DataFrame], tail_share: float = 0.25) -> pd.DataFrame:
    """The variants table: one row per (variant, seed) run.

    Args:
        rows: :func:`run_variant` results (and :func:`evaluate_base`'s, which get no curves).
        curves: ``"<variant>/<seed>"`` -> :func:`run_curves`.
        tail_share: the last share of steps pooled for the ``final_*`` columns.

    Returns:
        ``DataFrame`` with ``variant``, ``seed``, ``pass@1``, ``pass@1_ci95``, ``cons@k``,
        ``grpo_steps``, ``rollout_tokens``, ``train_flops``, ``s_per_step``, and from the
        curves' tail ``final_entropy``, ``final_clip_fraction``, ``final_length_correct``,
        ``final_length_incorrect``.
    """
    out = []
    for r in rows:
        row = {k: r.get(k) for k in ("variant", "seed", "pass@1", "pass@1_ci95", "cons@k", "n", "k",
                                     "grpo_steps", "rollout_tokens", "train_flops", "s_per_step")}
        c = curves.get(f"{r['variant']}/{r['seed']}")
        if c is not None and len(c):
            tail = c[c.step > c.step.max() * (1 - tail_share)]
            for col in ("entropy", "clip_fraction", "length_correct", "length_incorrect"):
                row[f"final_{col}"] = round(float(tail[col].mean()), 4) if col in tail else None
        out.append(row)
    return pd.DataFrame(out)


def _pooled_half_width(runs: pd.DataFrame) -> float:
    """Half-width of the 95 % interval of the seeds' mean pass@1: the runs' mean half-width
    over √seeds (the seeds scored independently on the same problems; a normal approximation)."""
    return float(np.mean([(hi - lo) / 2 for lo, hi in runs["pass@1_ci95"]])) / math.sqrt(len(runs))


def by_variant(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The seeds of each variant pooled: ``metrics.variants`` of stage 09.

    ``pass@1`` and ``cons@k`` are the seeds' means; ``pass@1_ci95`` is the mean ±
    :func:`_pooled_half_width`; ``pass@1_seeds`` lists each seed's value. Means of the other numeric
    columns (steps, tokens, FLOPs, seconds per step, final curve values).

    Returns:
        ``[{"variant", "seeds", "pass@1", "pass@1_ci95", "pass@1_seeds", "cons@k", ...}]`` in
        the table's order.
    """
    out = []
    for v, g in table.groupby("variant", sort=False):
        hw = _pooled_half_width(g)
        p = float(g["pass@1"].mean())
        row = {"variant": v, "seeds": [int(x) for x in g["seed"]], "pass@1": round(p, 4),
               "pass@1_ci95": [round(max(p - hw, 0.0), 4), round(min(p + hw, 1.0), 4)],
               "pass@1_seeds": [float(x) for x in g["pass@1"]], "cons@k": round(float(g["cons@k"].mean()), 4)}
        for col in ("grpo_steps", "rollout_tokens", "train_flops", "s_per_step", "final_entropy",
                    "final_clip_fraction", "final_length_correct", "final_length_incorrect"):
            if col in g and g[col].notna().all():
                row[col] = round(float(g[col].mean()), 4) if col != "train_flops" else float(g[col].mean())
        out.append(row)
    return out


# the published claims, each as (name, paper, what it says, metric, variant, against, direction)
CLAIMS = (
    ("Dr. GRPO: shorter incorrect responses", "Liu et al. 2025 (arXiv 2503.20783) §3.1",
     "GRPO's per-response length normalisation lets incorrect responses grow longer; Dr. GRPO "
     "removes that bias, so its incorrect responses are shorter", "final_length_incorrect", "dr_grpo", "grpo", -1),
    ("Dr. GRPO: accuracy kept", "Liu et al. 2025 (arXiv 2503.20783) §3.2",
     "Dr. GRPO keeps GRPO's accuracy (its gain is token efficiency)", "pass@1", "dr_grpo", "grpo", 0),
    ("DAPO clip-higher: no entropy collapse", "Yu et al. 2025 (arXiv 2503.14476) §3.1, Fig. 2",
     "raising the upper clip bound keeps the policy's entropy from collapsing", "final_entropy",
     "grpo_clip_higher", "grpo", +1),
    ("DAPO: higher accuracy", "Yu et al. 2025 (arXiv 2503.14476) Table 1",
     "DAPO's token-level loss with clip-higher reaches a higher accuracy than GRPO", "pass@1", "dapo", "grpo", +1),
    ("GSPO: higher accuracy than GRPO", "Zheng et al. 2025 (arXiv 2507.18071) §5.1, Fig. 1",
     "sequence-level importance ratios train more efficiently than GRPO's token-level ones", "pass@1",
     "gspo", "grpo", +1),
    ("CISPO: faster than DAPO", "MiniMax 2025 (arXiv 2506.13585) §3.1, Fig. 2",
     "clipping the importance weight instead of the update keeps every token's gradient and "
     "learns faster than DAPO at equal steps", "pass@1", "cispo", "dapo", +1),
)


def _noise(a: pd.DataFrame, b: pd.DataFrame, metric: str) -> float:
    """The difference two runs' means can show by chance: the larger of the seeds' spread (max
    - min within a variant) and, for pass@1, the half-width of the 95 % interval of the
    difference (each run's half-width, combined in quadrature, over the seeds' count)."""
    spread = max(float(x[metric].max() - x[metric].min()) for x in (a, b))
    if metric != "pass@1":
        return spread
    return max(spread, math.hypot(_pooled_half_width(a), _pooled_half_width(b)))


def claims(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Each published claim of :data:`CLAIMS` checked on the variants table.

    A claim with a direction (+1: higher, -1: lower) **holds** when the seeds' mean difference
    (variant - baseline) lies beyond the noise (:func:`_noise`) in that direction, **does not
    hold** when it lies beyond it the other way, and **cannot be told apart from noise**
    otherwise. A claim of no difference (direction 0) holds when the difference is within noise
    (verdict ``"holds (no difference beyond noise)"``: consistent with it, not a proof).

    Returns:
        ``[{"claim", "source", "says", "metric", "variant", "baseline", "variant_mean",
        "baseline_mean", "difference", "noise", "verdict", "sentence"}]``; claims whose runs
        are missing from ``table`` are skipped.
    """
    out = []
    for name, source, says, metric, var, base, direction in CLAIMS:
        a, b = table[table.variant == var], table[table.variant == base]
        if not len(a) or not len(b) or metric not in table or a[metric].isna().any() or b[metric].isna().any():
            continue
        d = float(a[metric].mean() - b[metric].mean())
        noise = _noise(a, b, metric)
        if direction == 0:
            verdict = "holds (no difference beyond noise)" if abs(d) <= noise else "does not hold"
        elif d * direction > noise:
            verdict = "holds"
        elif d * direction < -noise:
            verdict = "does not hold"
        else:
            verdict = "cannot be told apart from noise"
        sentence = (f"{name} ({source}): {says}. Here {metric} {var} {a[metric].mean():.4g} vs {base} "
                    f"{b[metric].mean():.4g} (difference {d:+.4g}, noise ±{noise:.3g}, {len(a)} seed(s)): "
                    f"{verdict}.")
        out.append({"claim": name, "source": source, "says": says, "metric": metric, "variant": var,
                    "baseline": base, "variant_mean": round(float(a[metric].mean()), 4),
                    "baseline_mean": round(float(b[metric].mean()), 4), "difference": round(d, 4),
                    "noise": round(noise, 4), "verdict": verdict, "sentence": sentence})
    return out
