"""The GPU path on CPU (issue 6): backend selection, config mapping to TRL and Unsloth, lazy
imports, clear errors, the multi-GPU launcher. Tests that need CUDA are marked and skipped."""

import importlib.util
import json
import subprocess
import sys

import pytest
import torch

from r1lib.engine import backends
from r1lib.engine import launcher as launch
from r1lib.core.paths import REPO_ROOT
from r1lib.machinery.config import ConfigError, load_profile, stage_hash
from r1lib.machinery.rundir import write_manifest
from r1lib.core.profile import RuntimeConfig
from r1lib.recipe.training import _common_args, grpo_args

GPU_PROFILES = ["gpu_80gb", "gpu_24gb", "multi_gpu"]
HAS_UNSLOTH = importlib.util.find_spec("unsloth") is not None
HAS_VLLM = importlib.util.find_spec("vllm") is not None


@pytest.fixture(autouse=True)
def _reset_backend():
    yield
    backends._CURRENT = backends.Backend()


@pytest.mark.parametrize("name", GPU_PROFILES)
def test_gpu_profiles_load_with_real_models(name):
    p = load_profile(name)
    assert p.model.base == "Qwen/Qwen2.5-Math-1.5B" and p.distillation.student.base == "Qwen/Qwen2.5-0.5B"
    assert p.problems.train == ["gsm8k_train", "math_train", "cmath_dev"] and p.data.source == "real"
    assert {"math500", "aime24", "aime25", "amc23", "gsm8k_test"} <= set(p.evaluation.benchmarks)
    assert p.model.backend == ("hf" if name == "multi_gpu" else "unsloth")  # ZeRO-3 shards transformers models


def test_runtime_changes_the_stage_hash_but_cpu_defaults_do_not():
    micro = load_profile("micro")
    lora = load_profile("micro", {"runtime": {"lora": {"r": 8}}})
    same = load_profile("micro", {"runtime": {"generation": "hf"}})  # a default, written out
    for st in ("00_base_model", "07_evaluation"):
        assert stage_hash(lora, st) != stage_hash(micro, st)
        assert stage_hash(same, st) == stage_hash(micro, st)


def test_unsloth_arguments_from_the_24gb_profile():
    p = load_profile("gpu_24gb")
    kw = backends.unsloth_load_kwargs("ckpt", p.runtime)
    assert kw == {"model_name": "ckpt", "max_seq_length": p.runtime.max_seq_length, "load_in_4bit": True,
                  "full_finetuning": False, "fast_inference": True, "dtype": None,
                  "gpu_memory_utilization": p.runtime.gpu_memory_utilization, "max_lora_rank": p.runtime.lora.r}
    peft = backends.unsloth_peft_kwargs(p.runtime, seed=3)
    assert (peft["r"], peft["lora_alpha"], peft["random_state"]) == (p.runtime.lora.r, p.runtime.lora.alpha, 3)
    assert peft["target_modules"] == p.runtime.lora.target_modules and peft["use_gradient_checkpointing"] == "unsloth"


def test_unsloth_full_finetuning_on_80gb():
    p = load_profile("gpu_80gb")
    kw = backends.unsloth_load_kwargs("Qwen/Qwen2.5-Math-1.5B", p.runtime)
    assert kw["full_finetuning"] is True and kw["load_in_4bit"] is False and "max_lora_rank" not in kw
    with pytest.raises(ValueError, match="runtime.lora is not set"):
        backends.unsloth_peft_kwargs(p.runtime, 0)


@pytest.mark.parametrize(("name", "mode"), [("gpu_80gb", "colocate"), ("multi_gpu", "server"), ("micro", None)])
def test_grpo_settings_reach_trl(tmp_path, name, mode):
    from r1lib.recipe.training import grpo_args

    p = load_profile(name)
    args = grpo_args(p.grpo, tmp_path, p.seed, p.runtime)
    g = p.grpo
    assert (args.learning_rate, args.beta, args.num_generations, args.temperature, args.max_steps) == (
        g.lr, g.beta, g.num_generations, g.temperature, g.steps)
    assert args.max_completion_length == g.max_completion_length and args.epsilon == g.epsilon
    assert args.per_device_train_batch_size == g.prompts_per_step * g.num_generations
    assert args.use_vllm is (mode is not None)
    if mode == "colocate":
        assert args.vllm_mode == "colocate"
        assert args.vllm_gpu_memory_utilization == p.runtime.gpu_memory_utilization
    if mode == "server":
        assert (args.vllm_mode, args.vllm_server_host, args.vllm_server_port) == (
            "server", p.runtime.vllm_server_host, p.runtime.vllm_server_port)
    assert args.gradient_checkpointing is p.runtime.gradient_checkpointing


def test_stage_open_selects_the_profiles_backends(tmp_path):
    from r1lib.machinery.rundir import Stage

    Stage.open("00_base_model", "smoke", str(tmp_path), {"runtime": {"generation": "vllm"}})
    cur = backends.current()
    assert cur.model == "hf" and cur.runtime.generation == "vllm" and cur.profile.name == "smoke"


def test_importing_r1lib_imports_no_gpu_package():
    code = ("import sys, r1lib.engine.backends, r1lib.recipe.models, r1lib.recipe.generation, "
            "r1lib.recipe.training, r1lib.recipe.sft, "
            "r1lib.engine.launcher, r1lib.recipe.evaluation, r1lib.machinery.rundir; "
            "print(sorted(m for m in ('unsloth', 'vllm', 'bitsandbytes', 'deepspeed') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.skipif(HAS_UNSLOTH, reason="unsloth is installed")
def test_unsloth_backend_without_the_package_names_the_extra(tmp_path):
    from r1lib.recipe.models import load_policy

    with pytest.raises(backends.MissingBackendError, match=r'model.backend: unsloth.*pip install -e "\.\[gpu\]"'):
        load_policy(str(tmp_path), backend="unsloth")


@pytest.mark.skipif(HAS_VLLM, reason="vllm is installed")
def test_vllm_generation_without_the_package_names_the_extra(base_dir):
    from r1lib.recipe.generation import sample
    from r1lib.recipe.models import load_policy

    model, tok = load_policy(str(base_dir))
    backends.use(load_profile("smoke", {"runtime": {"generation": "vllm"}}))
    with pytest.raises(backends.MissingBackendError, match=r"runtime.generation: vllm.*\.\[gpu\]"):
        sample(model, tok, ["Compute 1+2"], n=2, max_new_tokens=4)


def test_vllm_sampling_params_match_the_hf_protocol():
    assert backends.vllm_sampling_params(8, 0.6, 0.95, 96, 5) == dict(n=8, temperature=0.6, top_p=0.95,
                                                                    max_tokens=96, seed=5, detokenize=False)
    assert backends.vllm_sampling_params(8, 0.6, 0.95, 96, 5, greedy=True)["temperature"] == 0.0


@pytest.mark.parametrize(
    ("runtime", "message"),
    [({"load_in_4bit": True}, "runtime.load_in_4bit needs runtime.lora"),
     ({"num_processes": 4}, "runtime.num_processes > 1 needs runtime.accelerate_config"),
     ({"num_processes": 2, "accelerate_config": "x.yaml", "grpo_vllm": "colocate"}, "use grpo_vllm: server"),
     ({"generation": "tensorrt"}, "runtime.generation")],
)
def test_bad_runtime_combinations_are_named(runtime, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("+", r"\+")):
        load_profile("micro", {"runtime": runtime})


def test_4bit_needs_the_unsloth_backend():
    with pytest.raises(ConfigError, match="load_in_4bit needs model.backend: unsloth"):
        load_profile("micro", {"runtime": {"load_in_4bit": True, "lora": {"r": 8}}})


def test_launch_command_and_spec(tmp_path):
    cmd = launch.launch_command(tmp_path / "s.json", 7, "params/accelerate/zero3.yaml")
    assert cmd[:3] == ["accelerate", "launch", "--config_file"] and cmd[3].endswith("params/accelerate/zero3.yaml")
    assert cmd[4:] == ["--num_processes", "7", "-m", "r1lib.machinery.launch", str(tmp_path / "s.json")]
    spec = launch.write_spec("sft", tmp_path, {"records": [{"prompt": "p", "completion": "c"}], "seed": 1},
                             load_profile("smoke").model_dump(mode="json"))
    d = json.loads(spec.read_text())
    assert d["kind"] == "sft" and d["kwargs"] == {"seed": 1} and d["profile"]["name"] == "smoke"
    assert (tmp_path / "launch_records.jsonl").read_text().strip() == '{"prompt": "p", "completion": "c"}'


def test_notebook_call_runs_training_through_the_launcher(base_dir, tmp_path, monkeypatch):
    """With runtime.num_processes > 1, run_sft writes a spec and runs `accelerate launch -m
    r1lib.engine.launcher`; here the launch runs the entry point in a plain subprocess (one CPU process)."""
    from r1lib.recipe import sft
    from r1lib.core.profile import SFTConfig
    from r1lib.recipe.templates import make_prompt

    backends.use(load_profile("smoke", {"runtime": {"num_processes": 2,
                                                    "accelerate_config": "params/accelerate/zero3.yaml"}}))
    seen, real_run = {}, subprocess.run

    def fake_run(cmd, check, env):
        seen["cmd"], seen["env"] = cmd, env["R1_LAUNCHED"]
        return real_run([sys.executable, "-m", "r1lib.machinery.launch", cmd[-1]], check=True, env=env)

    monkeypatch.setattr(launch.subprocess, "run", fake_run)
    recs = [{"prompt": make_prompt("Compute 1+2"), "completion": " <think> 1+2=3. </think> <answer> 3 </answer>"}] * 4
    res = sft.run_sft(base_dir, recs, SFTConfig(steps=2, batch_size=2, max_length=64, save_steps=2),
                      tmp_path / "out", seed=0, metrics_path=tmp_path / "m.jsonl")
    assert seen["cmd"][:2] == ["accelerate", "launch"] and "--num_processes" in seen["cmd"] and seen["env"] == "1"
    assert res["sft_steps"] == 2 and (tmp_path / "out" / "model.safetensors").exists()
    assert json.loads((tmp_path / "out" / "launch_result.json").read_text()) == res


def test_reward_callables_cannot_cross_into_launched_processes(tmp_path):
    from r1lib.core.profile import GRPOConfig
    from r1lib.recipe.training import run_grpo

    backends.use(load_profile("smoke", {"runtime": {"num_processes": 2, "accelerate_config": "a.yaml"}}))
    with pytest.raises(ValueError, match="reward callables cannot cross"):
        run_grpo(tmp_path, [], GRPOConfig(), tmp_path, 0, tmp_path / "m", tmp_path / "c",
                 reward_funcs=[lambda completions, **kw: [0.0] * len(completions)])


def test_runtime_defaults_are_the_cpu_path():
    rt = RuntimeConfig()
    assert (rt.generation, rt.grpo_vllm, rt.num_processes, rt.lora, rt.load_in_4bit) == ("hf", "off", 1, None, False)
    assert backends.grpo_runtime_args(rt, cuda=False) == {"use_vllm": False, "bf16": False, "fp16": False,
                                                                "gradient_checkpointing": False}


@pytest.fixture
def bf16_cpu(monkeypatch):
    """A CPU with native bf16 (avx512_bf16), whatever this machine has."""
    monkeypatch.setattr(backends, "cpu_has_bf16", lambda: True)


def test_cpu_has_bf16_reads_the_instruction_flags(tmp_path):
    avx2, bf16 = tmp_path / "avx2", tmp_path / "bf16"
    avx2.write_text("processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 avx2 avx512f\n")
    bf16.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16\n")
    assert not backends.cpu_has_bf16(str(avx2)) and backends.cpu_has_bf16(str(bf16))
    assert backends.cpu_info(str(avx2)) == {"model": "AMD EPYC", "flags": ("fpu", "sse2", "avx2", "avx512f")}
    assert backends.cpu_info(str(bf16))["model"] is None
    assert not backends.cpu_has_bf16(str(tmp_path / "missing"))  # not Linux: no autocast
    assert backends.cpu_info(str(tmp_path / "missing")) == {"model": None, "flags": ()}


def test_manifest_records_the_cpu_type(tmp_path):
    hw = write_manifest(tmp_path, load_profile("smoke"))["hardware"]
    assert hw["cpu"] == backends.cpu_info()["model"] and hw["cpu_bf16"] == backends.cpu_has_bf16()
    assert hw["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert json.loads((tmp_path / "manifest.json").read_text())["hardware"] == hw


def test_cpu_autocast_without_bf16_runs_fp32_with_one_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(backends, "cpu_has_bf16", lambda: False)
    backends._warn_no_bf16.cache_clear()
    rt = RuntimeConfig(cpu_autocast=True)
    with pytest.warns(backends.AutocastIgnoredWarning, match="no bf16 instructions"):
        assert backends.grpo_runtime_args(rt, cuda=False)["bf16"] is False
    backends.use(load_profile("smoke", {"runtime": {"cpu_autocast": True}}))
    try:
        assert not _common_args(2, 1e-5, tmp_path, 0, 2)["bf16"] and not backends.cpu_autocast()
    finally:
        backends.use(load_profile("smoke"))
        backends._warn_no_bf16.cache_clear()
    assert not backends.cpu_autocast(RuntimeConfig())  # off: no check, no warning


def test_cpu_autocast_reaches_every_trainer_on_the_cpu_only(tmp_path, bf16_cpu):
    rt = RuntimeConfig(cpu_autocast=True)
    assert backends.grpo_runtime_args(rt, cuda=False)["bf16"] is True
    assert backends.grpo_runtime_args(RuntimeConfig(dtype="float32", cpu_autocast=True), cuda=True)["bf16"] is False
    prof = load_profile("smoke", {"runtime": {"cpu_autocast": True}})
    backends.use(prof)
    try:  # GRPO's arguments, and those SFT, reward models and pretraining share
        assert grpo_args(prof.grpo, tmp_path, 0).bf16 and _common_args(2, 1e-5, tmp_path, 0, 2)["bf16"]
        assert grpo_args(prof.grpo, tmp_path, 0, n_params=1_000_000).cache_implementation is None  # rollouts in bf16
    finally:
        backends.use(load_profile("smoke"))
    assert not _common_args(2, 1e-5, tmp_path, 0, 2)["bf16"]  # off by default
    assert stage_hash(prof, "02_cold_start") != stage_hash(load_profile("smoke"), "02_cold_start")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available() or not HAS_UNSLOTH, reason="needs CUDA and unsloth")
def test_unsloth_loads_a_saved_model_on_cuda(base_dir):  # pragma: no cover - GPU only
    from r1lib.recipe.models import load_policy

    model, tok = load_policy(str(base_dir), backend="unsloth")
    assert next(model.parameters()).is_cuda


def test_grpo_step_benchmark_cpu_smoke(tmp_path):
    """benchmarks/grpo_step.py on the micro model, tiny: the JSON has every figure, the completions
    have exactly the requested length (EOS suppressed), MFU follows from the given peak."""
    out = tmp_path / "b.json"
    subprocess.run([sys.executable, "benchmarks/grpo_step.py", "--arch", "micro", "--backends", "hf,unsloth",
                    "--prompts", "2", "--group", "2", "--prompt-tokens", "16", "--completion-tokens", "8",
                    "--warmup", "0", "--steps", "2", "--peak-tflops", "0.001", "--out", str(out)],
                   check=True, capture_output=True, cwd=str(REPO_ROOT))
    d = json.loads(out.read_text())
    (row,) = d["rows"]
    assert row["backend"] == "hf" and row["mean_completion_tokens"] == 8.0 and row["sequences_per_step"] == 4
    assert row["s_per_step"] > 0 and row["generated_tokens_per_s"] == pytest.approx(32 / row["s_per_step"], rel=0.01)
    assert row["mfu"] == pytest.approx(row["model_flops_per_step"] / row["s_per_step"] / 1e9, rel=1e-3)
    assert d["peak_source"] == "--peak-tflops" and row["peak_memory_gib"] > 0
    if not HAS_UNSLOTH:
        assert "unsloth (not installed)" in d["skipped"]


# ------------------------------------------------------------- the wiring, with stand-in packages


class _FakeVLLM:
    """Stands in for the vllm package: records the engine's settings and echoes token ids."""

    def __init__(self, eos):
        import types

        self.inits, self.calls, self.eos = [], [], eos
        fake = self

        class LLM:
            def __init__(self, **kw):
                fake.inits.append(kw)

            def generate(self, prompts, params, use_tqdm=False, **kw):
                fake.calls.append((prompts, params, kw))
                out = types.SimpleNamespace
                return [out(outputs=[out(token_ids=p["prompt_token_ids"][-2:] + [fake.eos, 7])
                                     for _ in range(params["n"])]) for p in prompts]

        self.module = types.ModuleType("vllm")
        self.module.LLM = LLM
        self.module.SamplingParams = lambda **kw: kw


def test_vllm_generation_wiring(base_dir, monkeypatch):
    from r1lib.recipe.generation import sample
    from r1lib.recipe.models import load_policy

    model, tok = load_policy(str(base_dir))
    fake = _FakeVLLM(tok.eos_token_id)
    monkeypatch.setitem(sys.modules, "vllm", fake.module)
    backends._ENGINES.clear()
    backends.use(load_profile("smoke", {"runtime": {"generation": "vllm", "gpu_memory_utilization": 0.4}}))
    gens = sample(model, tok, ["Compute 1+2", "Compute 3+4"], n=3, temperature=0.6, top_p=0.95,
                  max_new_tokens=9, seed=4)
    (init,) = fake.inits
    assert init["model"] == str(base_dir) and init["gpu_memory_utilization"] == 0.4 and init["skip_tokenizer_init"]
    prompts, params, kw = fake.calls[0]
    assert params == dict(n=3, temperature=0.6, top_p=0.95, max_tokens=9, seed=4, detokenize=False) and kw == {}
    ids = tok(["Compute 1+2", "Compute 3+4"], add_special_tokens=False).input_ids
    assert [p["prompt_token_ids"] for p in prompts] == ids
    assert gens.texts == [[tok.decode(x[-2:])] * 3 for x in ids]  # decoded by our tokenizer, cut at EOS
    assert gens.lengths == [[2] * 3, [2] * 3]
    sample(model, tok, ["Compute 5+1"], n=2, max_new_tokens=9)
    assert len(fake.inits) == 1  # one engine per checkpoint


def test_unsloth_loading_wiring(base_dir, monkeypatch):
    """load_policy with model.backend unsloth: the profile's arguments reach
    FastLanguageModel.from_pretrained and get_peft_model; an adapter folder is not wrapped twice."""
    import types

    from transformers import AutoModelForCausalLM

    from r1lib.recipe.models import load_policy, load_tokenizer

    calls = {"load": [], "peft": [], "patch": []}

    class FastLanguageModel:
        @staticmethod
        def from_pretrained(**kw):
            calls["load"].append(kw)
            return AutoModelForCausalLM.from_pretrained(kw["model_name"]), load_tokenizer(kw["model_name"])

        @staticmethod
        def get_peft_model(model, **kw):
            calls["peft"].append(kw)
            model.peft_config = {"default": kw}
            return model

    fake = types.ModuleType("unsloth")
    fake.FastLanguageModel = FastLanguageModel
    fake.PatchFastRL = lambda algo, cls: calls["patch"].append(algo)
    monkeypatch.setitem(sys.modules, "unsloth", fake)
    p = load_profile("gpu_24gb")
    backends.use(p)
    model, tok = load_policy(str(base_dir))
    assert calls["load"] == [backends.unsloth_load_kwargs(str(base_dir), p.runtime)]
    assert calls["peft"] == [backends.unsloth_peft_kwargs(p.runtime, p.seed)] and not model.training
    assert tok.padding_side == "left"
    backends.patch_trl_for_unsloth()
    assert calls["patch"] == ["GRPO"]


def test_cpu_autocast_samples_in_bf16(base_dir, bf16_cpu):
    """With runtime.cpu_autocast, generate runs under bf16 autocast: the logits of each step come
    from bf16 matmuls, so greedy continuations keep their shape and the model its fp32 weights."""
    from r1lib.recipe.generation import sample
    from r1lib.recipe.models import load_policy

    model, tok = load_policy(str(base_dir))
    seen = []
    hook = model.lm_head.register_forward_hook(lambda m, a, out: seen.append(out.dtype))
    try:
        backends.use(load_profile("smoke", {"runtime": {"cpu_autocast": True}}))
        on = sample(model, tok, ["Compute 1+2"], greedy=True, max_new_tokens=4)
        backends.use(load_profile("smoke"))
        n_on = len(seen)
        off = sample(model, tok, ["Compute 1+2"], greedy=True, max_new_tokens=4)
    finally:
        hook.remove()
        backends.use(load_profile("smoke"))
    assert set(seen[:n_on]) == {torch.bfloat16} and set(seen[n_on:]) == {torch.float32}
    assert len(on.texts[0]) == len(off.texts[0]) == 1 and next(model.parameters()).dtype == torch.float32
