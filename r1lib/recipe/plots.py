"""Figures, in one style: seaborn, a colour-blind-safe palette, labelled axes with units.

Every ``plot_*`` function takes data read from the run's files and returns the figure, so a
figure can be restyled without re-running training; ``save`` writes PNG and SVG.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from r1lib.recipe.analysis import smooth

sns.set_theme(style="whitegrid", palette="colorblind", context="notebook")


def save(fig, out_dir: str | Path, name: str, formats=("png", "svg")) -> list[Path]:
    """Save ``fig`` as ``out_dir/name.{png,svg}`` (150 dpi PNG); returns the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        p = out_dir / f"{name}.{fmt}"
        fig.savefig(p, dpi=150, bbox_inches="tight")
        paths.append(p)
    return paths


def _curve(ax, x, y, label, window):
    ax.plot(x, y, alpha=0.25, lw=1)
    ax.plot(x, smooth(pd.Series(y), window), lw=2, label=label, color=ax.lines[-1].get_color())


def plot_training_curves(steps: pd.DataFrame, title: str, window: int = 9,
                         reward_cols: list[str] = ("accuracy", "format")):
    """Three panels against RL step: rewards, mean response length, reflection rate.

    Args:
        steps: ``r1lib.recipe.analysis.per_step`` output.
        title: figure title (e.g. the run and stage).
        window: smoothing window in steps (raw values drawn faintly behind).

    Returns:
        The matplotlib figure (paper Fig. 2 and 3 for the micro world).
    """
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for col in reward_cols:
        if col in steps:
            _curve(axes[0], steps.step, steps[col], col, window)
    axes[0].set(xlabel="GRPO step", ylabel="mean reward over rollouts", ylim=(-0.02, 1.02),
                title="Training reward")
    axes[0].legend(loc="lower right")
    _curve(axes[1], steps.step, steps.length, "length", window)
    axes[1].set(xlabel="GRPO step", ylabel="response length (tokens)",
                title="Average response length")
    _curve(axes[2], steps.step, steps.reflection_rate, "reflection", window)
    axes[2].set(xlabel="GRPO step", ylabel="share of responses", ylim=(-0.02, 1.02),
                title='Reflection words ("wait", "check", …)')
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_eval_bars(table: pd.DataFrame, metric: str = "pass@1"):
    """Grouped bars: ``metric`` per benchmark (x) and checkpoint (hue), with the 95 % interval
    from ``pass@1_ci95`` when plotting pass@1."""
    fig, ax = plt.subplots(figsize=(8, 4))
    benches = list(dict.fromkeys(table.benchmark))
    ckpts = list(dict.fromkeys(table.checkpoint))
    width = 0.8 / len(ckpts)
    for j, ck in enumerate(ckpts):
        sub = table[table.checkpoint == ck].set_index("benchmark").reindex(benches)
        xs = [i + (j - (len(ckpts) - 1) / 2) * width for i in range(len(benches))]
        yerr = None
        if metric == "pass@1" and "pass@1_ci95" in sub:
            lo = [v - ci[0] if isinstance(ci, (list, tuple)) else 0
                  for v, ci in zip(sub[metric], sub["pass@1_ci95"])]
            hi = [ci[1] - v if isinstance(ci, (list, tuple)) else 0
                  for v, ci in zip(sub[metric], sub["pass@1_ci95"])]
            yerr = [lo, hi]
        bars = ax.bar(xs, sub[metric], width, yerr=yerr, capsize=3, label=ck)
        ax.bar_label(bars, fmt="%.3f", padding=2, fontsize=8)  # zeros stay readable
    ax.set_xticks(range(len(benches)), benches)
    ax.set(ylabel=f"{metric} (share of problems)", ylim=(0, 1.05), xlabel="benchmark",
           title=f"{metric} by checkpoint (T=0.6, top-p 0.95; bars: 95 % bootstrap CI)")
    ax.legend(title="checkpoint")
    fig.tight_layout()
    return fig


def plot_loss(log: pd.DataFrame, title: str, window: int = 9):
    """Pretraining loss (nats per token) against step, from a ``metrics.jsonl`` frame."""
    log = log[log["loss"].notna()] if "loss" in log else log
    fig, ax = plt.subplots(figsize=(6, 3.5))
    _curve(ax, log.step, log["loss"], "loss", window)
    ax.set(xlabel="optimizer step", ylabel="next-token loss (nats/token)", title=title)
    fig.tight_layout()
    return fig


def plot_heldout(probes: pd.DataFrame, title: str):
    """Held-out accuracy against RL step: pass@1 (with its 95 % bootstrap band) and cons@k,
    from the ``probes.jsonl`` the GRPO probe writes (paper Fig. 2 for the micro world)."""
    fig, ax = plt.subplots(figsize=(6, 3.8))
    k = int(probes["k"].iloc[0]) if "k" in probes else None
    ax.plot(probes.step, probes["pass@1"], marker="o", lw=2, label="pass@1")
    if "pass@1_ci95" in probes:
        lo = [ci[0] for ci in probes["pass@1_ci95"]]
        hi = [ci[1] for ci in probes["pass@1_ci95"]]
        ax.fill_between(probes.step, lo, hi, alpha=0.2)
    ax.plot(probes.step, probes["cons@k"], marker="s", lw=2, ls="--", label=f"cons@{k}")
    n = int(probes["n"].iloc[0]) if "n" in probes else "?"
    ax.set(xlabel="GRPO step", ylabel="held-out accuracy (share of problems)", ylim=(-0.02, 1.02),
           title=f"{title}\n{n} held-out problems, k={k} samples at T=0.6")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def plot_compare(frames: dict[str, pd.DataFrame], y: str, ylabel: str, title: str,
                 x: str = "step", xlabel: str = "GRPO step", reference: dict[str, float] | None = None,
                 ylim=(-0.02, 1.02), logx: bool = False):
    """One line per run (``frames``: run name -> frame with ``x`` and ``y``), e.g. held-out
    pass@1 or the mixed-language rate of the runs with and without the language reward;
    ``reference`` draws labelled horizontal lines (e.g. R1-Zero's final pass@1); ``logx``: a
    base-2 logarithmic x axis (pass@k against k)."""
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for name, df in frames.items():
        ax.plot(df[x], df[y], marker="o", ms=3, lw=2, label=name)
    for name, v in (reference or {}).items():
        ax.axhline(v, ls=":", color="grey")
        ax.annotate(f"{name} = {v:.3f}", (ax.get_xlim()[0], v), textcoords="offset points",
                    xytext=(4, 3), fontsize=8, color="dimgrey")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title, ylim=ylim)
    if logx:
        ax.set_xscale("log", base=2)
    ax.legend(loc="best")
    fig.tight_layout()
    return fig


def plot_reflection_correctness(splits: dict[str, dict], title: str):
    """Reflection × correctness: for each checkpoint or RL phase (``splits``: name ->
    ``r1lib.recipe.analysis.reflection_by_correctness`` output), the share of responses that reflect
    and end right, reflect and end wrong (superficial self-reflection), or do not reflect.

    Returns:
        The matplotlib figure (stacked bars, shares of responses; the SSR share is printed on
        each bar).
    """
    parts = [("reflective_correct", "reflects, correct"), ("reflective_wrong", "reflects, wrong (SSR)"),
             ("plain_correct", "no reflection, correct"), ("plain_wrong", "no reflection, wrong")]
    fig, ax = plt.subplots(figsize=(1.6 * len(splits) + 3.5, 3.8))
    names = list(splits)
    labels = [textwrap.fill(n, 16) for n in names]
    bottom = [0.0] * len(names)
    for key, label in parts:
        share = [splits[n][key] / max(splits[n]["responses"], 1) for n in names]
        ax.bar(labels, share, bottom=bottom, label=label)
        bottom = [b + s for b, s in zip(bottom, share)]
    for i, n in enumerate(names):
        ssr = splits[n]["ssr_share"]
        if ssr == ssr:
            ax.annotate(f"SSR {ssr:.2f}", (i, 1.01), ha="center", fontsize=8)
    ax.set(ylabel="share of responses", ylim=(0, 1.1), title=title)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    fig.tight_layout()
    return fig
