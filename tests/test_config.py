import pytest

from r1lib.machinery.config import STAGES, ConfigError, load_profile, stage_hash


def write(tmp_path, text, name="p"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


def test_shipped_profiles_load():
    micro = load_profile("micro")
    smoke = load_profile("smoke")
    assert micro.name == "micro" and smoke.name == "smoke"
    assert micro.evaluation.benchmarks["micro_test"].k >= 8
    assert micro.world.n_test >= 200
    # smoke inherits micro and shrinks it
    assert smoke.grpo.steps < micro.grpo.steps and smoke.grpo.variant == micro.grpo.variant


def test_unknown_key_names_field_and_file(tmp_path):
    p = write(tmp_path, "name: x\ngrpo:\n  stepz: 3\n")
    with pytest.raises(ConfigError) as e:
        load_profile(str(p))
    assert "grpo.stepz" in str(e.value) and "unknown key" in str(e.value) and str(p) in str(e.value)


def test_bad_values_are_named(tmp_path):
    p = write(tmp_path, "name: x\ngrpo:\n  num_generations: 1\n  beta: -1\n")
    with pytest.raises(ConfigError) as e:
        load_profile(str(p))
    assert "grpo.num_generations" in str(e.value) and "grpo.beta" in str(e.value)


def test_corpus_shares_must_sum_to_one(tmp_path):
    p = write(tmp_path, "name: x\nworld:\n  corpus: {guess: 0.5}\n")
    with pytest.raises(ConfigError, match="must sum to 1"):
        load_profile(str(p))


def test_reward_weights_must_match(tmp_path):
    p = write(tmp_path, "name: x\ngrpo: {reward_funcs: [accuracy, format], reward_weights: [1.0]}\n")
    with pytest.raises(ConfigError, match="one weight each"):
        load_profile(str(p))


@pytest.mark.parametrize("key", ["grpo", "reasoning_rl.grpo"])
def test_rl_stages_whose_probes_later_stages_read_must_probe(key):
    # 03 reads R1-Zero's (01's) final held-out probe as its target, and counts its own steps to it
    section = {"probe_problems": 0}
    over = {"grpo": section} if key == "grpo" else {"reasoning_rl": {"grpo": section}}
    with pytest.raises(ConfigError, match=rf"{key.replace('.', '[.]')}[.]probe_problems must be >= 1"):
        load_profile("micro", over)
    load_profile("micro", {"all_scenario_rl": {"grpo": section}})  # 05's probes only draw a figure


def test_unknown_benchmark(tmp_path):
    p = write(tmp_path, "name: x\nevaluation:\n  benchmarks: {gsm9k: {k: 1}}\n")
    with pytest.raises(ConfigError, match="gsm9k"):
        load_profile(str(p))


def test_missing_profile_lists_known():
    with pytest.raises(ConfigError, match="known profiles: .*micro"):
        load_profile("no_such_profile")


def test_bad_yaml(tmp_path):
    p = write(tmp_path, "name: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_profile(str(p))


def test_stage_hash_follows_dependencies():
    a = load_profile("micro")
    b = load_profile("micro", {"grpo": {"steps": 7}})
    c = load_profile("micro", {"pretrain": {"steps": 7}})
    assert stage_hash(a, "00_base_model") == stage_hash(b, "00_base_model")
    assert stage_hash(a, "01_r1_zero_grpo") != stage_hash(b, "01_r1_zero_grpo")
    assert stage_hash(a, "07_evaluation") != stage_hash(b, "07_evaluation")
    # a change upstream changes every stage below it
    assert all(stage_hash(a, s) != stage_hash(c, s)
               for s in ("00_base_model", "01_r1_zero_grpo", "07_evaluation"))
    with pytest.raises(KeyError):
        stage_hash(a, "99_nope")


def test_stage_eval_reruns_the_stages_whose_checks_it_sizes():
    a = load_profile("micro")
    b = load_profile("micro", {"stage_eval": {"k": 2}})
    changed = {s for s in STAGES if stage_hash(a, s) != stage_hash(b, s)}
    # 02 and 04-06 compare checkpoints with it, and every stage below them follows; the base,
    # R1-Zero and the variants (from the base) keep their hashes
    assert changed == set(STAGES) - {"00_base_model", "01_r1_zero_grpo", "09_grpo_variants"}
    assert stage_hash(a, "02_cold_start") == "7fc56f891a3f44cf"  # the profile's: the reference run's


def test_operand_range_is_checked(tmp_path):
    p = write(tmp_path, "name: x\nworld: {n_operands: [5, 12]}\n")
    with pytest.raises(ConfigError, match="world.n_operands"):
        load_profile(str(p))


def test_reward_model_settings_per_kind(tmp_path):
    shared = load_profile(str(write(tmp_path, "name: x\nall_scenario_rl:\n  reward_model: {steps: 7}\n")))
    al = shared.all_scenario_rl
    assert al.reward_model_config("harmlessness").steps == 7 == al.reward_model_config("helpfulness").steps
    own = load_profile(str(write(tmp_path, "name: y\nall_scenario_rl:\n  reward_model: {steps: 7}\n"
                                           "  harmlessness_model: {steps: 3}\n", "q")))
    assert own.all_scenario_rl.reward_model_config("harmlessness").steps == 3
    assert own.all_scenario_rl.reward_model_config("helpfulness").steps == 7
    with pytest.raises(ValueError, match="helpfulness"):
        own.all_scenario_rl.reward_model_config("honesty")


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("reasoning_rl: {grpo: {reward_funcs: [accuracy, cosine]}}",
         "reasoning_rl.grpo.reward_funcs: unknown reward(s) ['cosine']"),
        ("grpo: {max_completion_length: 600}",
         "grpo.max_completion_length=600 leaves no room for the prompt in model.max_positions=512"),
        ("cold_start: {sft: {max_length: 1024}}",
         "cold_start.sft.max_length=1024 > model.max_positions=512"),
        ("pretrain: {block_size: 1024}", "pretrain.block_size=1024 > model.max_positions=512"),
        ("all_scenario_rl: {reward_model: {freeze_layers: 5}}",
         "all_scenario_rl.reward_model.freeze_layers=5 but the policy has 4 layers"),
        ("evaluation: {max_prompt_tokens: 480, benchmarks: {micro_test: {k: 2, max_new_tokens: 96}}}",
         "evaluation.benchmarks.micro_test.max_new_tokens=96 > model.max_positions=512"),
    ],
)
def test_impossible_combinations_are_named(tmp_path, yaml_text, expected):
    p = write(tmp_path, f"name: x\n{yaml_text}\n")
    with pytest.raises(ConfigError) as e:
        load_profile(str(p))
    assert expected in str(e.value) and str(p) in str(e.value)


def test_impossible_combinations_are_all_listed(tmp_path):
    p = write(tmp_path, "name: x\ngrpo: {max_completion_length: 600, reward_funcs: [acc]}\n")
    with pytest.raises(ConfigError) as e:
        load_profile(str(p))
    assert "grpo.max_completion_length=600" in str(e.value) and "unknown reward(s) ['acc']" in str(e.value)


def test_committed_micro_study_matches_the_code():
    """Every stage of the committed results/micro has the hash the current code computes for the
    micro profile: a settings change that would re-run the published study shows up here."""
    import json
    from pathlib import Path

    from r1lib.machinery.config import STAGES, load_profile, stage_hash

    root = Path(__file__).resolve().parent.parent / "results" / "micro"
    p = load_profile("micro")
    for st in STAGES:
        rec = json.loads((root / st / "stage.json").read_text())
        assert rec["status"] == "complete" and rec["config_hash"] == stage_hash(p, st), st
