"""Figures, in one style: seaborn, a colour-blind-safe palette, labelled axes with units.

Every ``plot_*`` function takes data read from the run's files and returns the figure, so a
figure can be restyled without re-running training; ``save`` writes PNG and SVG.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from r1lib.recipe.analysis import smooth

sns.set_theme(style="whitegrid", palette="colorblind", context="notebook")

# pipeline order; each checkpoint keeps one colour in every figure of a run
CHECKPOINTS = ("base", "r1_zero", "cold_start", "reasoning_rl", "reasoning_rl_no_lang", "sft", "r1",
               "student_distilled", "student_rl")
_PALETTE = sns.color_palette("colorblind", 10)


def checkpoint_color(name: str):
    """The colour of checkpoint ``name`` (an RGB tuple) in every figure: the colour-blind-safe
    palette in pipeline order; any other name gets the palette's tenth colour."""
    return _PALETTE[CHECKPOINTS.index(name)] if name in CHECKPOINTS else _PALETTE[9]


def ordered_checkpoints(names) -> list[str]:
    """``names`` (deduplicated) in pipeline order; names outside :data:`CHECKPOINTS` last."""
    names = list(dict.fromkeys(names))
    return [c for c in CHECKPOINTS if c in names] + [c for c in names if c not in CHECKPOINTS]


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


def copy(src_dir: str | Path, src_name: str, out_dir: str | Path, name: str,
         formats=("png", "svg")) -> list[Path]:
    """Copy an upstream stage's saved figure (``src_dir/src_name.{png,svg}``) to
    ``out_dir/name.*`` instead of drawing the same data twice: the report shows a figure once
    (it skips files with the same bytes). Raises FileNotFoundError when the source is missing."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        dst = out_dir / f"{name}.{fmt}"
        shutil.copyfile(Path(src_dir) / f"{src_name}.{fmt}", dst)
        paths.append(dst)
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


def plot_eval(table: pd.DataFrame, primary: str = "micro_test", temperature: float = 0.6,
              top_p: float = 0.95):
    """The evaluation at a glance (07): ``primary``'s pass@1 per checkpoint in pipeline order
    with its 95 % interval and cons@k, beside a table of every other benchmark's pass@1.

    Args:
        table: 07's rows (``checkpoint``, ``benchmark``, ``n``, ``k``, ``pass@1``,
            ``pass@1_ci95`` as ``[lo, hi]``, ``cons@k``).
        primary: the benchmark drawn as bars (the RL task's held-out set).

    Returns:
        The figure: left, horizontal bars (value printed beside each interval); right, a
        heat-map table (checkpoints × benchmarks, pass@1 printed in every cell, so honest zeros
        read as zeros), absent when ``primary`` is the only benchmark.
    """
    others = [b for b in dict.fromkeys(table.benchmark) if b != primary]
    ckpts = ordered_checkpoints(table.checkpoint)
    main = table[table.benchmark == primary].set_index("checkpoint").reindex(ckpts)
    fig, axes = plt.subplots(1, 2 if others else 1, figsize=(15 if others else 8, 0.45 * len(ckpts) + 2.2),
                             gridspec_kw={"width_ratios": [1.3, 1]} if others else None, squeeze=False)
    ax = axes[0, 0]
    ys = list(range(len(ckpts)))[::-1]
    vals = main["pass@1"].to_numpy(dtype=float)
    ci = [c if isinstance(c, (list, tuple)) else (v, v) for c, v in zip(main["pass@1_ci95"], vals)]
    err = [[v - c[0] for c, v in zip(ci, vals)], [c[1] - v for c, v in zip(ci, vals)]]
    ax.barh(ys, vals, xerr=err, capsize=3, color=[checkpoint_color(c) for c in ckpts], height=0.7)
    ax.set_xlim(0, 1.45)  # room right of 1.0 for a column of the figures, clear of the bars
    ax.set_xticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.axvline(1.0, color="lightgrey", lw=1)
    for y, v, c in zip(ys, vals, ci):
        ax.annotate(f"{v:.3f} [{c[0]:.2f}, {c[1]:.2f}]", (1.03, y), va="center", fontsize=9)
    if "cons@k" in main:
        ax.scatter(main["cons@k"], ys, marker="D", s=28, color="black", zorder=3,
                   label=f"cons@{int(main['k'].max())}")
        ax.legend(loc="lower right", fontsize=9, framealpha=0.9)
    ax.set_yticks(ys, ckpts)
    n, k = int(main["n"].max()), int(main["k"].max())
    ax.set(xlabel="pass@1 (share of problems); whiskers and [ ]: 95 % bootstrap interval",
           title=f"{primary}: {n} held-out problems x k={k} samples (T={temperature}, top-p {top_p})")
    if others:
        grid = table[table.benchmark.isin(others)].pivot(index="checkpoint", columns="benchmark", values="pass@1")
        grid = grid.reindex(index=ckpts, columns=others)
        sizes = table[table.benchmark.isin(others)].groupby("benchmark")["n"].max()
        grid.columns = [f"{b} (n={int(sizes[b])})" for b in others]
        sns.heatmap(grid, ax=axes[0, 1], annot=True, fmt=".3f", cmap="Blues", vmin=0,
                    vmax=max(0.1, float(grid.max().max())), cbar_kws={"label": "pass@1"},
                    annot_kws={"fontsize": 8}, linewidths=0.5)
        axes[0, 1].set(xlabel="", ylabel="", title="real benchmarks: pass@1 (k=1 unless the profile says more)")
        axes[0, 1].tick_params(axis="x", labelsize=8)
        plt.setp(axes[0, 1].get_xticklabels(), rotation=30, ha="right", rotation_mode="anchor")
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
    base-2 logarithmic x axis (pass@k against k). A run named after a checkpoint takes that
    checkpoint's colour (:func:`checkpoint_color`)."""
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for name, df in frames.items():
        color = checkpoint_color(name) if name in CHECKPOINTS else None
        ax.plot(df[x], df[y], marker="o", ms=3, lw=2, label=name, color=color)
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


def _variant_colors(names) -> dict:
    pal = sns.color_palette("colorblind", max(len(names), 1))
    return dict(zip(names, pal))


def plot_variants(table: pd.DataFrame, title: str, base: dict | None = None):
    """Held-out pass@1 of each GRPO variant (stage 09): one row per variant, each seed's value
    with its 95 % interval, the seeds' mean as a bar, cons@k as an open marker.

    Args:
        table: :func:`r1lib.recipe.variants_study.summarise` rows (``variant``, ``seed``,
            ``pass@1``, ``pass@1_ci95``, ``cons@k``).
        base: optional row of the starting policy (dotted line).

    Returns:
        The matplotlib figure.
    """
    names = list(dict.fromkeys(table.variant))
    colors = _variant_colors(names)
    fig, ax = plt.subplots(figsize=(7.5, 0.55 * len(names) + 1.6))
    for i, v in enumerate(names):
        rows = table[table.variant == v].reset_index(drop=True)
        ax.barh(i, rows["pass@1"].mean(), color=colors[v], alpha=0.35, height=0.7)
        for j, r in rows.iterrows():
            y = i + (j - (len(rows) - 1) / 2) * 0.22
            lo, hi = r["pass@1_ci95"]
            ax.errorbar(r["pass@1"], y, xerr=[[r["pass@1"] - lo], [hi - r["pass@1"]]], fmt="o", ms=4,
                        color=colors[v], capsize=2, lw=1)
            ax.plot(r["cons@k"], y, marker="D", mfc="none", color=colors[v], ms=5, lw=0)
        ax.annotate(f"{rows['pass@1'].mean():.3f}", (1.01, i), xycoords=("axes fraction", "data"),
                    va="center", fontsize=8)
    if base is not None:
        ax.axvline(base["pass@1"], ls=":", color="grey")
        ax.annotate(f"base {base['pass@1']:.3f}", (base["pass@1"], len(names) - 0.4), fontsize=8, color="dimgrey")
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set(xlabel="held-out pass@1 (dots: seeds with 95 % interval; ◇ cons@k; bar: mean)", xlim=(0, 1),
           title=title)
    fig.tight_layout()
    return fig


def plot_variant_curves(curves: dict[str, pd.DataFrame], panels: list[tuple[str, str]], title: str,
                        window: int = 10, ylims: dict | None = None, logy: tuple[str, ...] = ()):
    """Per-step curves of the GRPO variants, one panel per metric (stage 09).

    Args:
        curves: variant -> frame with ``step`` and the panels' columns (seeds pooled: the mean
            per step, :func:`r1lib.recipe.variants_study.run_curves` rows concatenated).
        panels: ``[(column, y label), ...]``.
        window: centred rolling mean over steps; even, because with μ = 2 on-policy and
            off-policy updates alternate (the clip fraction is 0 on every other step).
        ylims: optional column -> (lo, hi).
        logy: columns drawn on a symmetric-log y axis (e.g. a clip fraction that spans 1e-3 to 0.3).

    Returns:
        The matplotlib figure.
    """
    colors = _variant_colors(list(curves))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.8), squeeze=False)
    for ax, (col, label) in zip(axes[0], panels):
        for v, df in curves.items():
            if col not in df:
                continue
            d = df.dropna(subset=[col])
            ax.plot(d["step"], smooth(d[col], window), lw=2, label=v, color=colors[v])
        ax.set(xlabel="GRPO step", ylabel=label)
        if col in logy:
            ax.set_yscale("symlog", linthresh=1e-3)
        if ylims and col in ylims:
            ax.set_ylim(*ylims[col])
    axes[0][-1].legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
