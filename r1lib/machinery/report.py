"""The run report: one self-contained HTML page per run (``results/<run>/report.html``).

It holds the manifest (profile, git sha, packages, hardware), each stage's status and wall
time, the evaluation tables of ``07_evaluation/stage.json`` (pass@1 with its 95 % bootstrap
interval, cons@k, mixing, general-prompt columns), on a ``micro`` run the study's bars
(:mod:`r1lib.recipe.claims`), every figure of every stage (PNG, embedded as
data URIs, so the page needs no other file), the aha episodes of ``08_aha_moment`` and the GRPO
variants table of ``09_grpo_variants`` with its claims. It is
built from the run's files alone::

    r1 report results/micro          # or: python -m r1lib.machinery.report results/micro

A small inline script marks ``<body data-images="loaded/total">`` once the page has loaded, so a
headless browser can check that every image decodes (``tests/test_report.py``).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
from pathlib import Path

import pandas as pd

from r1lib.core.timing import PHASES
from r1lib.machinery.config import STAGES
from r1lib.machinery.rundir import complete_metrics, read_stage
from r1lib.recipe import claims

__all__ = ["build_report", "write_report", "main"]

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:1180px;color:#222;
padding:0 1em}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:13px;margin:.6em 0}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:right}
th{background:#f3f3f3} td:first-child,th:first-child{text-align:left}
figure{display:inline-block;margin:.5em;vertical-align:top;max-width:560px} figure img{max-width:100%}
figcaption{font-size:12px;color:#555} .meta{font-size:13px;color:#444} pre{white-space:pre-wrap;font-size:12px}
"""
_SCRIPT = """
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.setAttribute('data-images', ok + '/' + imgs.length);
});
"""


def _table(df: pd.DataFrame, floatfmt: str = "{:.3f}") -> str:
    return df.to_html(border=0, na_rep="", float_format=lambda v: floatfmt.format(v), escape=True)


def _stage_table(stages: list[dict]) -> str:
    """Status, hash and seconds per stage: the whole wall time (kernel start-up included) and
    the phases of :mod:`r1lib.core.timing`, with a total row."""
    if not stages:
        return "<p>none</p>"
    df = pd.DataFrame(stages).set_index("stage")
    num = [c for c in df.columns if c.endswith("_s")]
    df.loc["total"] = {**{c: df[c].sum(min_count=1) for c in num}, "status": "", "config_hash": ""}
    return _table(df, "{:.1f}")


def _figure(path: Path, root: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    caption = html.escape(str(path.relative_to(root)))
    return (f'<figure><img alt="{caption}" src="data:image/png;base64,{data}">'
            f"<figcaption>{caption}</figcaption></figure>")


def _eval_tables(run_dir: Path) -> str:
    rec = read_stage(run_dir, "07_evaluation")
    if not rec or "table" not in rec.get("metrics", {}):
        return "<p>No evaluation (07_evaluation) in this run.</p>", ""
    table = pd.DataFrame(rec["metrics"]["table"])
    order = list(dict.fromkeys(table.checkpoint))
    wide = table.pivot(index="checkpoint", columns="benchmark", values="pass@1").loc[order]
    cols = [c for c in ["checkpoint", "benchmark", "n", "k", "pass@1", "pass@1_ci95", "cons@k", "mean_length",
                        "mixed_language_rate", "refusal_rate", "self_cognition_acc", "benign_acc"] if c in table]
    detail = table[cols].copy()
    detail["pass@1_ci95"] = detail["pass@1_ci95"].map(lambda ci: f"[{ci[0]:.3f}, {ci[1]:.3f}]")
    return ("<h3>pass@1 by checkpoint and benchmark (Table 5 layout)</h3>" + _table(wide),
            "<h3>Every row: n problems × k samples, pass@1 with its 95 % bootstrap interval</h3>"
            + _table(detail.set_index(["checkpoint", "benchmark"])))


def _variants(run_dir: Path) -> str:
    """Stage 09's table (pass@1 with its interval per GRPO variant, at equal compute) and the
    sentence of each published claim it checks."""
    rec = read_stage(run_dir, "09_grpo_variants")
    m = (rec or {}).get("metrics", {})
    if not m.get("variants"):
        return "<p>No GRPO variants study (09_grpo_variants) in this run.</p>"
    df = pd.DataFrame(m["variants"]).set_index("variant")
    df["pass@1_ci95"] = df["pass@1_ci95"].map(lambda ci: f"[{ci[0]:.3f}, {ci[1]:.3f}]")
    for c in ("grpo_steps", "rollout_tokens"):  # counts (means over seeds): no decimals
        if c in df:
            df[c] = df[c].map(lambda v: f"{v:,.0f}")
    cols = [c for c in ("seeds", "pass@1", "pass@1_ci95", "cons@k", "grpo_steps", "rollout_tokens", "s_per_step",
                        "final_entropy", "final_length_correct", "final_length_incorrect") if c in df]
    budget = m.get("budget", {})
    sentences = "".join(f"<li>{html.escape(c['sentence'])}</li>" for c in m.get("claims", []))
    return (f"<p>Every variant from the base at {budget.get('rollout_tokens', '?'):,} rollout tokens "
            f"({budget.get('flops', float('nan')):.3g} FLOPs) per run.</p>" + _table(df[cols])
            + f"<h3>Published claims, checked here</h3><ul>{sentences}</ul>")


def _claims(run_dir: Path, profile: str) -> str:
    """The micro study's bars (:mod:`r1lib.recipe.claims`), one row each, on a run of the
    ``micro`` profile; nothing on other profiles (the bars are the micro study's)."""
    if profile != "micro":
        return ""
    res = claims.check(complete_metrics(run_dir))
    df = pd.DataFrame([{"claim": r.name, "paper": r.source,
                        "value": "missing" if r.value is None else f"{r.value:.4f}",
                        "bar": f"{r.op} {r.bar:g}", "": "held" if r.held else "NOT HELD"} for r in res])
    held = sum(r.held for r in res)
    return (f"<h2>The study's bars</h2><p>{held} of {len(res)} held (<code>r1 claims</code>).</p>"
            + df.to_html(border=0, index=False, escape=True))


def _episodes(run_dir: Path) -> str:
    path = run_dir / "08_aha_moment" / "aha_episodes.jsonl"
    if not path.exists():
        return "<p>No aha-moment analysis (08_aha_moment) in this run.</p>"
    eps = pd.read_json(path, lines=True)
    if eps.empty:
        return "<p>No aha episodes were found.</p>"
    rows = "".join(f"<tr><td>{int(r.step)}</td><td>{html.escape(str(r.before))} → {html.escape(str(r.after))}</td>"
                   f"<td style='text-align:left'><pre>{html.escape(r.excerpt)}</pre></td></tr>"
                   for r in eps.itertuples())
    return f"<table><tr><th>step</th><th>answer</th><th>excerpt</th></tr>{rows}</table>"


def build_report(run_dir: str | Path) -> str:
    """The report page of a run as one HTML string (no external files, no network).

    Args:
        run_dir: ``results/<run>`` with ``manifest.json`` and the stage folders.

    Returns:
        HTML text.

    Raises:
        FileNotFoundError: ``run_dir`` has no ``manifest.json`` (not a run directory).
    """
    run_dir = Path(run_dir)
    manifest_path = run_dir / "manifest.json"
    if not manifest_path.exists():
        raise FileNotFoundError(f"{manifest_path} not found: not a run directory (run r1lib.machinery.pipeline first)")
    m = json.loads(manifest_path.read_text())
    stages, figures, seen = [], [], set()
    for st in STAGES:
        rec = read_stage(run_dir, st)
        if rec is None:
            continue
        timings = rec.get("timings") or {}
        phases = timings.get("phases") or {}
        stages.append({"stage": st, "status": rec.get("status"), "config_hash": rec.get("config_hash"),
                       "wall_s": timings.get("wall", float("nan")),
                       **{f"{ph}_s": phases.get(ph, 0.0) for ph in PHASES}})
        for p in sorted((run_dir / st / "figures").glob("*.png")):
            digest = hashlib.sha256(p.read_bytes()).hexdigest()
            if digest not in seen:  # a stage that shows an upstream figure again copies its file
                seen.add(digest)
                figures.append(_figure(p, run_dir))
    aha = (read_stage(run_dir, "08_aha_moment") or {}).get("metrics", {})
    aha_line = ""
    if aha:
        zero = aha["reflection"]["r1_zero"]
        ssr = [v["ssr_share"] for k, v in aha["ssr"].items() if k.startswith("R1-Zero last")]
        aha_line = (f"<p>Reflection: base model {aha['base_reflection_rate']:.3f}; R1-Zero {zero['first_rate']:.3f} → "
                    f"{zero['final_rate']:.3f} of rollouts; superficial self-reflection share at the end "
                    f"{ssr[0] if ssr else float('nan'):.3f}; aha episodes {aha['aha_episodes']} of "
                    f"{aha['rollouts']} R1-Zero rollouts "
                    f"(base: {aha['aha_episodes_base']} of {aha['base_samples']}).</p>")
    summary_table, detail_table = _eval_tables(run_dir)
    packages = ", ".join(f"{k} {v}" for k, v in m.get("packages", {}).items())
    hw = m.get("hardware", {})
    esc = {k: html.escape(str(m.get(k, ""))) for k in ("profile", "git_sha", "written", "python")}
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>r1-repro report: {esc['profile']}</title>
<style>{_CSS}</style></head>
<body data-images="pending">
<h1>r1-repro run report: <code>{esc['profile']}</code></h1>
<p class="meta">seed {m.get('seed')} · git {esc['git_sha'][:12]} · written {esc['written']}
· Python {esc['python']} · {hw.get('cpus', '?')} CPUs ({html.escape(str(hw.get('cpu', '?')))}),
CUDA {html.escape(str(hw.get('cuda')))}<br>
{html.escape(packages)}</p>
<h2>Stages</h2>{_stage_table(stages)}
<h2>Evaluation (07)</h2>{summary_table}
{_claims(run_dir, m.get('profile', ''))}
<h2>Figures</h2>{''.join(figures)}
<h2>Aha moment (08)</h2>{aha_line}{_episodes(run_dir)}
<h2>GRPO variants (09)</h2>{_variants(run_dir)}
<h2>Evaluation, every row</h2>{detail_table}
<script>{_SCRIPT}</script>
</body></html>
"""


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write :func:`build_report` to ``out`` (default ``<run_dir>/report.html``); returns the path."""
    out = Path(out) if out else Path(run_dir) / "report.html"
    out.write_text(build_report(run_dir), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> None:
    """``python -m r1lib.machinery.report RUN_DIR [--out FILE]`` (the ``r1 report`` command of
    :mod:`r1lib.machinery.cli`)."""
    ap = argparse.ArgumentParser(prog="python -m r1lib.machinery.report")
    ap.add_argument("run_dir")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    print(write_report(args.run_dir, args.out))


if __name__ == "__main__":
    main()
