"""Profiles from ``params/<name>.yaml``: loading, the checks across sections, stage hashes.

:func:`load_profile` reads a YAML file (``inherit:`` a parent, overrides merged over it) into the
typed :class:`r1lib.core.profile.Profile` and then runs the checks that need the registries of the
recipe and the data sources: unknown reward or benchmark names, and settings that each pass their
own check but cannot run together. Every message names the file and the dotted field and says
what to change (in the manner of TRL's ``__post_init__`` checks). :data:`STAGES` says which
sections each stage reads and which stages it consumes; :func:`stage_hash` hashes them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml
from pydantic import ValidationError

from r1lib.core.paths import PARAMS_DIR
from r1lib.core.profile import (AllScenarioRLConfig, ColdStartConfig, GRPOConfig, ModelConfig, Profile,
                               RewardModelConfig, SFTConfig, sections)
from r1lib.recipe.rewards import reward_names
from r1lib.sources.benchmarks import BENCHMARKS


def unknown_names(p: Profile) -> list[str]:
    """Benchmark names the data sources do not know (``evaluation.benchmarks``, ``problems``);
    one message per field."""
    out = []
    known = set(BENCHMARKS) | {"micro_test", "heldout"}  # the RL task's held-out problems (micro | real)
    bad = sorted(set(p.evaluation.benchmarks) - known)
    if bad:
        out.append(f"evaluation.benchmarks: unknown benchmark(s) {bad}; known: {sorted(known)}")
    bad = sorted({*p.problems.train, *p.problems.heldout_names} - set(BENCHMARKS))
    if bad:
        out.append(f"problems: unknown benchmark(s) {bad}; known: {sorted(BENCHMARKS)}")
    return out


def impossible_combinations(p: Profile) -> list[str]:
    """Settings that each pass their own check but cannot run together; one message per problem,
    naming the fields and what to do.

    Returns:
        ``list[str]``, empty for a profile that can run.
    """
    out: list[str] = []
    known = reward_names()
    try:
        p.variants.configs(p.grpo)
    except ValueError as e:
        out.append(str(e))
    micro = p.model.base is None  # the context length is ours to check only for the micro model
    ctx = p.model.max_positions
    for path, sec in sections(p):
        if isinstance(sec, GRPOConfig):
            bad = [r for r in sec.reward_funcs if r not in known]
            if bad:
                out.append(f"{path}.reward_funcs: unknown reward(s) {bad}; known: {known}")
            if micro and sec.max_completion_length >= ctx:
                out.append(f"{path}.max_completion_length={sec.max_completion_length} leaves no room for "
                           f"the prompt in model.max_positions={ctx}")
        if micro and isinstance(sec, (SFTConfig, RewardModelConfig)) and sec.max_length > ctx:
            out.append(f"{path}.max_length={sec.max_length} > model.max_positions={ctx}: lower it or "
                       f"raise model.max_positions")
        if micro and path.endswith("pretrain") and sec.block_size > ctx:
            out.append(f"{path}.block_size={sec.block_size} > model.max_positions={ctx}")
        if micro and isinstance(sec, RewardModelConfig) and sec.freeze_layers > p.model.num_layers:
            out.append(f"{path}.freeze_layers={sec.freeze_layers} but the policy has "
                       f"{p.model.num_layers} layers (model.num_layers); use at most {p.model.num_layers}")
    if micro:
        for name, b in p.evaluation.benchmarks.items():
            if p.evaluation.max_prompt_tokens + b.max_new_tokens > ctx:
                out.append(f"evaluation.max_prompt_tokens={p.evaluation.max_prompt_tokens} + "
                           f"evaluation.benchmarks.{name}.max_new_tokens={b.max_new_tokens} > "
                           f"model.max_positions={ctx}: the samples would run past the context")
    return out


class ConfigError(ValueError):
    """A profile that cannot be used; the message names the file and the bad field."""


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def load_profile(name_or_path: str, overrides: dict | None = None,
                 params_dir: str | Path | None = None) -> Profile:
    """Load and validate a profile.

    Args:
        name_or_path: a profile name (``micro`` -> ``params/micro.yaml``) or a YAML path.
            A profile may start from another with ``inherit: <name>``.
        overrides: nested dict merged over the file (e.g. ``{"grpo": {"steps": 10}}``).
        params_dir: folder of profiles; default ``<repo>/params``.

    Returns:
        The validated ``Profile``.

    Raises:
        ConfigError: missing file, bad YAML, unknown key or bad value; the message names the
            file and the dotted field.
    """
    pdir = Path(params_dir) if params_dir else PARAMS_DIR
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = pdir / f"{name_or_path}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in pdir.glob("*.yaml"))
        raise ConfigError(f"profile file {path} not found; known profiles: {known}")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    if "inherit" in raw:
        parent = load_profile(raw.pop("inherit"), params_dir=pdir)
        raw = _merge(parent.model_dump(mode="json"), raw)
    raw = _merge(raw, overrides or {})
    raw.setdefault("name", path.stem)
    try:
        profile = Profile.model_validate(raw)
    except ValidationError as e:
        lines = []
        for err in e.errors():
            loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
            msg = "unknown key (check its spelling)" if err["type"] == "extra_forbidden" else err["msg"]
            lines.append(f"  {loc}: {msg}")
        raise ConfigError(f"{path}: invalid profile:\n" + "\n".join(lines)) from None
    check_profile(profile, str(path))
    return profile


def check_profile(profile: Profile, where: str = "profile") -> Profile:
    """Run the checks across sections on a validated profile (unknown names, impossible
    combinations) and return it.

    Raises:
        ConfigError: every problem found, one per line, after ``where`` (the file).
    """
    problems = unknown_names(profile)
    combos = impossible_combinations(profile)
    if combos:
        problems.append("impossible combination(s):\n    " + "\n    ".join(combos))
    if problems:
        raise ConfigError(f"{where}: invalid profile:\n  " + "\n  ".join(problems))
    return profile


# Which parts of the profile each stage reads, and which stages it consumes ("upstream": must be
# complete; "optional": used when complete). A stage's config hash covers its sections and all
# of them, so changing an upstream stage's settings re-runs everything below it.
STAGES: dict[str, dict] = {
    "00_base_model": {"sections": ["seed", "world", "tokenizer", "model", "pretrain"],
                      "upstream": []},
    "01_r1_zero_grpo": {"sections": ["seed", "grpo"], "upstream": ["00_base_model"]},
    "02_cold_start": {"sections": ["seed", "cold_start"],
                      "upstream": ["00_base_model", "01_r1_zero_grpo"]},
    "03_reasoning_rl": {"sections": ["seed", "reasoning_rl"], "upstream": ["02_cold_start"]},
    "04_rejection_sampling_sft": {"sections": ["seed", "data_root", "rejection_sampling"],
                                  "upstream": ["03_reasoning_rl"]},
    "05_all_scenario_rl": {"sections": ["seed", "data_root", "all_scenario_rl"],
                           "upstream": ["04_rejection_sampling_sft"]},
    "06_distillation": {"sections": ["seed", "distillation"], "upstream": ["05_all_scenario_rl"]},
    # 07 evaluates the base and every later checkpoint that exists (00 -> 01 -> 07 is a valid run)
    "07_evaluation": {"sections": ["seed", "data_root", "evaluation"],
                      "upstream": ["00_base_model"],
                      "optional": ["01_r1_zero_grpo", "02_cold_start", "03_reasoning_rl",
                                   "04_rejection_sampling_sft", "05_all_scenario_rl", "06_distillation"]},
    "08_aha_moment": {"sections": ["seed", "aha"],
                      "upstream": ["00_base_model", "01_r1_zero_grpo", "03_reasoning_rl"]},
    # 09: GRPO variants from the base, R1-Zero's settings (grpo) with each variant's changes
    "09_grpo_variants": {"sections": ["seed", "grpo", "variants", "evaluation"],
                         "upstream": ["00_base_model"]},
}


_STAGE_EVAL_STAGES = ("02_cold_start", "04_rejection_sampling_sft", "05_all_scenario_rl", "06_distillation")
"""The stages whose notebooks compare checkpoints on held-out problems by ``stage_eval``."""

_DATA_STAGES = ("04_rejection_sampling_sft", "05_all_scenario_rl", "06_distillation", "07_evaluation",
                "08_aha_moment")


GRPO_LATER_FIELDS = ("kl_ratio_correction", "epsilon_high", "delta", "num_iterations",
                     "steps_per_generation", "scale_rewards", "mask_truncated_completions",
                     "top_entropy_quantile", "entropy_coef", "sync_ref_model", "ref_model_sync_steps",
                     "overlong_cache", "preflight_prompts", "preflight_min_signal")
"""GRPO options added after the micro reference run (the variants and preflight issues): hashed
only where set away from their defaults, so the stages that ran before they existed keep their
hashes."""

LATER_FIELDS = {GRPOConfig: GRPO_LATER_FIELDS, ColdStartConfig: ("english_on_zh",), ModelConfig: ("template",),
                AllScenarioRLConfig: ("train_acc_pairs",), SFTConfig: ("group_by_length",)}
"""Per section class, the options added after the micro reference run; each is hashed only where
set away from its default (a new option at its default changes nothing a stage did)."""


def _drop_later_defaults(profile: Profile, dump: dict) -> None:
    """Remove the :data:`LATER_FIELDS` at their defaults from every matching section of ``dump``."""
    for path, sec in sections(profile):
        later = LATER_FIELDS.get(type(sec), ())
        if not later:
            continue
        node = dump
        for part in path.split("."):
            node = node[part]
        for k in later:
            if getattr(sec, k) == type(sec).model_fields[k].default:
                node.pop(k, None)


def stage_hash(profile: Profile, stage: str) -> str:
    """A 16-hex-digit hash of everything ``stage`` depends on (its sections and upstream hashes).

    Raises:
        KeyError: unknown stage.
    """
    if stage not in STAGES:
        raise KeyError(f"unknown stage {stage!r}; known: {list(STAGES)}")
    spec = STAGES[stage]
    dump = profile.model_dump(mode="json")
    _drop_later_defaults(profile, dump)
    payload = {s: dump[s] for s in spec["sections"]}
    # sections added after the micro reference run count only where set away from their defaults,
    # so the micro profile keeps its hashes: runtime (LoRA, 4-bit, kernels, backends change
    # results) everywhere, problems in stage 00 (which writes them)
    # stage_eval (02, 04-06's held-out checks) likewise
    later = ["runtime"] + (["problems"] if stage == "00_base_model" else []) + (
        ["stage_eval"] if stage in _STAGE_EVAL_STAGES else [])
    for name in later:
        changed = getattr(profile, name).model_dump(mode="json", exclude_defaults=True)
        if changed or (name == "problems" and profile.model.base is not None):
            payload[name] = getattr(profile, name).model_dump(mode="json")
    if stage == "00_base_model" and profile.model.base is not None:
        payload["data_root"] = dump["data_root"]  # a real base's problems come from the data root
    # the data source: stages 00-03 hash it only when it is not the micro world (so the micro
    # reference run keeps their hashes); 04 on read non-reasoning data, pairs and prompts from it
    if stage in _DATA_STAGES or profile.data.source != "micro":
        payload["data"] = dump["data"]
        payload["data_root"] = dump["data_root"]
    payload["upstream"] = {u: stage_hash(profile, u) for u in spec["upstream"] + spec.get("optional", [])}
    blob = json.dumps(payload, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]
