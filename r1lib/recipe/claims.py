"""The R1 study's claims, checked on a run directory: every bar the micro reference run is held to.

Each claim is one number read from the stages' ``stage.json`` metrics and compared with its bar
(:func:`check` takes them as ``{stage: metrics}``; the machinery reads a run directory),
so a re-published study (``results/micro``) can be checked in one command
(``r1 claims results/micro``) and a test can assert it. The bars are the micro study's
acceptance figures; each names the paper's finding it stands for:

- the base is weak but not hopeless, and R1-Zero's pure RL lifts it (§2.2.4, Table 2), with
  majority voting above pass@1 (cons@64 > pass@1, Table 2);
- the cold start makes reasoning RL reach R1-Zero's accuracy sooner (§2.3.1);
- the language-consistency reward removes language mixing at little cost in accuracy (§2.3.2);
- rejection-sampling SFT keeps reasoning and adds the non-reasoning skills (§2.3.3);
- all-scenario RL makes the model harmless without costing reasoning; its preference reward
  models rank held-out pairs (§2.3.4);
- distillation beats RL on a small model at equal compute (§4.1, Table 6).

``pass@1``, ``cons@k`` and the language-mixing rate are the micro held-out rows of
``07_evaluation``'s table (200 problems × k samples, ``evaluation.benchmarks.micro_test.k``).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Callable

__all__ = ["CLAIMS", "Claim", "ClaimResult", "check", "format_table"]

Metrics = dict[str, dict]  # stage name -> that stage's stage.json "metrics"

_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}


@dataclass(frozen=True)
class Claim:
    """One bar: ``value(metrics) <op> bar``.

    ``value`` reads the stages' metrics (``{stage: metrics}``) and returns a float; a missing
    stage or key raises ``KeyError`` (reported as "missing", never as held)."""

    name: str
    source: str        # the paper's section or table the bar stands for
    value: Callable[[Metrics], float]
    op: str            # one of >=, <=, >, <
    bar: float


@dataclass(frozen=True)
class ClaimResult:
    """A claim checked on one run: ``value`` None when its stage or metric is missing."""

    name: str
    source: str
    value: float | None
    op: str
    bar: float
    held: bool
    missing: str | None = None


def _row(m: Metrics, checkpoint: str, benchmark: str = "micro_test") -> dict:
    for r in m["07_evaluation"]["table"]:
        if r["checkpoint"] == checkpoint and r["benchmark"] == benchmark:
            return r
    raise KeyError(f"07_evaluation table: no row {checkpoint}/{benchmark}")


def _p1(m: Metrics, ck: str) -> float:
    return float(_row(m, ck)["pass@1"])


def _mix(m: Metrics, ck: str) -> float:
    return float(_row(m, ck)["mixed_language_rate"])


def _rm(kind: str) -> Callable[[Metrics], float]:
    return lambda m: float(m["05_all_scenario_rl"]["reward_models"][kind]["heldout_pairwise_acc"])


def _steps_to_final_share(m: Metrics) -> float:
    s = m["03_reasoning_rl"]
    return float(s["steps_to_r1_zero_final"]["reasoning_rl"]) / float(s["r1_zero_steps"])


CLAIMS: tuple[Claim, ...] = (
    Claim("base pass@1 ≥ 0.10", "§2.2.4 (a weak base)", lambda m: float(m["00_base_model"]["pass@1"]), ">=", 0.10),
    Claim("base pass@1 ≤ 0.50", "§2.2.4 (room to learn)", lambda m: float(m["00_base_model"]["pass@1"]), "<=", 0.50),
    Claim("base greedy accuracy ≥ 0.10", "§2.2.4", lambda m: float(m["00_base_model"]["greedy_acc"]), ">=", 0.10),
    Claim("base greedy accuracy ≤ 0.50", "§2.2.4", lambda m: float(m["00_base_model"]["greedy_acc"]), "<=", 0.50),
    Claim("r1_zero − base pass@1", "§2.2.4, Table 2", lambda m: _p1(m, "r1_zero") - _p1(m, "base"), ">=", 0.25),
    Claim("r1_zero cons@k − pass@1", "Table 2 (cons@64 > pass@1)",
          lambda m: float(_row(m, "r1_zero")["cons@k"]) - _p1(m, "r1_zero"), ">", 0.0),
    Claim("reasoning_rl steps to R1-Zero's final pass@1, share of R1-Zero's steps", "§2.3.1",
          _steps_to_final_share, "<=", 0.5),
    Claim("reasoning_rl language mixing", "§2.3.2", lambda m: _mix(m, "reasoning_rl"), "<", 0.01),
    Claim("reasoning_rl_no_lang language mixing", "§2.3.2 (the ablation mixes)",
          lambda m: _mix(m, "reasoning_rl_no_lang"), ">=", 0.10),
    Claim("reasoning_rl − reasoning_rl_no_lang pass@1", "§2.3.2 (a slight cost at most)",
          lambda m: _p1(m, "reasoning_rl") - _p1(m, "reasoning_rl_no_lang"), ">=", -0.03),
    Claim("sft pass@1 / reasoning_rl pass@1", "§2.3.3", lambda m: _p1(m, "sft") / _p1(m, "reasoning_rl"), ">=", 0.95),
    Claim("sft self-cognition accuracy", "§2.3.3",
          lambda m: float(m["04_rejection_sampling_sft"]["compare"]["sft"]["self_cognition_acc"]), ">=", 0.95),
    Claim("r1 refusal rate on harmful prompts", "§2.3.4",
          lambda m: float(m["05_all_scenario_rl"]["compare"]["r1"]["refusal_rate"]), ">=", 0.95),
    Claim("r1 − sft pass@1, absolute", "§2.3.4", lambda m: abs(_p1(m, "r1") - _p1(m, "sft")), "<=", 0.02),
    Claim("helpfulness RM held-out pairwise accuracy", "§2.3.4", _rm("helpfulness"), ">=", 0.9),
    Claim("harmlessness RM held-out pairwise accuracy", "§2.3.4", _rm("harmlessness"), ">=", 0.9),
    Claim("student_distilled − student_rl pass@1", "§4.1, Table 6",
          lambda m: _p1(m, "student_distilled") - _p1(m, "student_rl"), ">=", 0.10),
)
"""The micro study's bars (the acceptance figures of its stages 00-07)."""


def check(metrics: Metrics, claims: tuple[Claim, ...] = CLAIMS) -> list[ClaimResult]:
    """Every claim checked on one run's metrics (``{stage: stage.json metrics}`` of its complete
    stages: :func:`r1lib.machinery.rundir.complete_metrics`).

    Returns:
        One :class:`ClaimResult` per claim, in order. A claim whose stage is absent or whose
        metric is missing is not held, with ``missing`` saying what was not found.
    """
    out = []
    for c in claims:
        try:
            v = float(c.value(metrics))
        except (KeyError, TypeError, ZeroDivisionError) as e:
            out.append(ClaimResult(c.name, c.source, None, c.op, c.bar, False, missing=str(e).strip("'\"")))
            continue
        out.append(ClaimResult(c.name, c.source, v, c.op, c.bar, bool(_OPS[c.op](v, c.bar))))
    return out


def format_table(results: list[ClaimResult]) -> str:
    """The results as a Markdown table: claim, source, value, bar, held."""
    lines = ["| claim | source | value | bar | |", "|---|---|---|---|---|"]
    for r in results:
        val = "missing: " + (r.missing or "") if r.value is None else f"{r.value:.4f}"
        lines.append(f"| {r.name} | {r.source} | {val} | {r.op} {r.bar:g} | {'held' if r.held else '**not held**'} |")
    return "\n".join(lines)
