"""One GRPO step (generation + loss + update) per backend: s/step, tokens/s, MFU, peak memory.

Usage (CPU, the micro model):
    python benchmarks/grpo_step.py --arch micro --backends hf --out results/bench/grpo_step_cpu.json
GPU (Qwen2.5-1.5B's architecture, random weights: the config is public, nothing is downloaded):
    python benchmarks/grpo_step.py --arch qwen2.5-1.5b --backends hf,unsloth --vllm auto \\
        --measure-peak --out results/bench/grpo_step_h200.json

Every configuration (backend x vLLM on/off) runs in its own subprocess (Unsloth patches
transformers on import; peak memory must not carry over) through the same code as the pipeline:
``r1lib.recipe.training.grpo_args`` -> TRL ``GRPOTrainer`` (Unsloth: ``r1lib.engine.backends.load_unsloth`` and
``PatchFastRL``). Prompts are ``--prompt-tokens`` long and every completion exactly
``--completion-tokens`` (EOS suppressed), so all backends do the same work; the reward is random
(non-zero advantages, so the loss and update are real).

Figures per configuration (median over ``--steps`` timed steps after ``--warmup``):
* ``s_per_step``: wall time of one optimisation step (rollouts, reference and policy passes,
  backward, AdamW update).
* ``generated_tokens_per_s``: completion tokens of the step / ``s_per_step``.
* ``trained_tokens_per_s``: prompt + completion tokens the loss covers / ``s_per_step``.
* ``mfu``: model FLOPs per step / ``s_per_step`` / peak FLOP/s. Model FLOPs = 2·N per generated
  token + 6·N per trained token (+ 2·N for the reference model when beta > 0), N = parameters
  (PaLM's accounting, attention not counted). The peak is ``--peak-tflops`` or measured with
  ``--measure-peak`` (a large matmul in the training dtype); never hard-coded.
* ``peak_memory_gib``: ``torch.cuda.max_memory_allocated`` on GPU, peak RSS on CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# Qwen2.5-1.5B (config.json of the public checkpoint): the shapes, not the weights
QWEN25_15B = dict(vocab_size=151936, hidden_size=1536, intermediate_size=8960, num_hidden_layers=28,
                  num_attention_heads=12, num_key_value_heads=2, max_position_embeddings=32768,
                  rope_theta=1_000_000.0, rms_norm_eps=1e-6, tie_word_embeddings=True)


def build_model_dir(arch: str, out: Path, seed: int) -> Path:
    """Save a randomly initialised model of ``arch`` and a tokenizer in ``out``; returns ``out``.

    ``micro``: the micro profile's model and a BPE trained on micro prompts. ``qwen2.5-1.5b``:
    Qwen2.5-1.5B's shapes with a 151,936-token vocabulary, and the same small BPE (its ids are a
    subset of the model's; random weights sample any id, decoded or skipped alike).
    """
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from r1lib.machinery.config import load_profile
    from r1lib.recipe.models import save_tokenizer, train_tokenizer
    from r1lib.recipe.templates import make_prompt

    texts = [make_prompt(f"Compute {a}+{b}-{c}") + f" <think> {a}+{b}={a + b}. </think> <answer> {a + b - c} </answer>"
             for a in range(10) for b in range(10) for c in range(3)]
    tok = train_tokenizer(texts, 1024)
    torch.manual_seed(seed)
    if arch == "micro":
        m = load_profile("micro").model
        cfg = Qwen2Config(vocab_size=len(tok), hidden_size=m.hidden_size, num_hidden_layers=m.num_layers,
                          num_attention_heads=m.num_heads, num_key_value_heads=m.num_heads,
                          intermediate_size=m.intermediate_size, max_position_embeddings=m.max_positions,
                          tie_word_embeddings=True)
    elif arch == "qwen2.5-1.5b":
        cfg = Qwen2Config(**QWEN25_15B)
    else:
        raise ValueError(f"unknown --arch {arch!r}; known: micro, qwen2.5-1.5b")
    cfg.pad_token_id, cfg.eos_token_id, cfg.bos_token_id = tok.pad_token_id, tok.eos_token_id, tok.eos_token_id
    Qwen2ForCausalLM(cfg).save_pretrained(str(out))
    save_tokenizer(tok, out)
    return out


def measure_peak_flops(device: str) -> float:
    """Achieved FLOP/s of a large matmul in the training dtype (bf16 on CUDA, fp32 on CPU)."""
    import torch

    n, dtype = (8192, torch.bfloat16) if device == "cuda" else (1024, torch.float32)
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    if device == "cuda":
        torch.cuda.synchronize()
    reps, t0 = 20 if device == "cuda" else 5, time.perf_counter()
    for _ in range(reps):
        a @ b
    if device == "cuda":
        torch.cuda.synchronize()
    return 2 * n ** 3 * reps / (time.perf_counter() - t0)


def run_one(a: argparse.Namespace) -> dict:
    """One configuration in this process: build the trainer, run warm-up + timed steps."""
    import torch
    from datasets import Dataset
    from transformers import TrainerCallback

    from r1lib.engine import backends
    from r1lib.core.profile import GRPOConfig, LoRAConfig, Profile, RuntimeConfig
    from r1lib.recipe.models import count_parameters, load_policy
    from r1lib.recipe.training import grpo_args, patch_trl_for_cpu

    cuda = torch.cuda.is_available()
    rt = RuntimeConfig(lora=LoRAConfig(r=a.lora_r) if a.lora_r else None,
                       max_seq_length=a.prompt_tokens + a.completion_tokens + 8,
                       grpo_vllm="colocate" if a.one_vllm else "off", gpu_memory_utilization=a.gpu_memory_utilization)
    backends.use(Profile(name="bench", model={"backend": a.one_backend, "base": str(a.model_dir)}, runtime=rt))
    if a.one_backend == "unsloth":
        backends.patch_trl_for_unsloth()
    from trl import GRPOTrainer

    patch_trl_for_cpu()
    model, tok = load_policy(str(a.model_dir))
    model.train()
    unit = tok("Compute 7+5-3", add_special_tokens=False).input_ids
    prompt = tok.decode((unit * (a.prompt_tokens // len(unit) + 1))[:a.prompt_tokens])
    p_len = len(tok(prompt, add_special_tokens=False).input_ids)
    g = GRPOConfig(steps=a.warmup + a.steps, prompts_per_step=a.prompts, num_generations=a.group,
                   max_completion_length=a.completion_tokens, lr=1e-6, beta=a.beta, save_steps=10_000)
    args = grpo_args(g, Path(a.tmp) / "trainer", 0, rt)
    key = "min_tokens" if a.one_vllm else "min_new_tokens"
    args.generation_kwargs = {key: a.completion_tokens, **({"ignore_eos": True} if a.one_vllm else {})}
    rng = random.Random(0)

    def reward(completions, **kw):
        return [rng.random() for _ in completions]

    times: list[float] = []

    class Timer(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):
            if cuda:
                torch.cuda.synchronize()
            self.t0 = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            if cuda:
                torch.cuda.synchronize()
            times.append(time.perf_counter() - self.t0)
            if state.global_step == a.warmup and cuda:
                torch.cuda.reset_peak_memory_stats()

    ds = Dataset.from_list([{"prompt": prompt}] * (a.prompts * (a.warmup + a.steps)))
    trainer = GRPOTrainer(model=model, reward_funcs=[reward], args=args, train_dataset=ds,
                          processing_class=tok, callbacks=[Timer()])
    trainer.train()
    step_s = statistics.median(times[a.warmup:])
    n_seq = a.prompts * a.group
    lengths = [h["completions/mean_length"] for h in trainer.state.log_history if "completions/mean_length" in h]
    mean_len = statistics.mean(lengths[a.warmup:]) if lengths[a.warmup:] else float(a.completion_tokens)
    gen_tokens = n_seq * mean_len  # TRL's logged lengths: a check that EOS was suppressed
    trained = n_seq * (p_len + mean_len)
    n_params = count_parameters(model)
    flops = 2 * n_params * gen_tokens + (8 if a.beta > 0 else 6) * n_params * trained
    peak_mem = (torch.cuda.max_memory_allocated() if cuda
                else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    flops = int(flops)
    return {"backend": a.one_backend, "vllm": a.one_vllm, "lora_r": a.lora_r, "parameters": n_params,
            "sequences_per_step": n_seq, "prompt_tokens": p_len, "completion_tokens": a.completion_tokens,
            "mean_completion_tokens": round(mean_len, 2),
            "s_per_step": round(step_s, 4), "step_times_s": [round(t, 4) for t in times],
            "generated_tokens_per_s": round(gen_tokens / step_s, 1),
            "trained_tokens_per_s": round(trained / step_s, 1),
            "model_flops_per_step": flops, "peak_memory_gib": round(peak_mem / 2 ** 30, 3)}


def _versions() -> dict:
    out = {}
    for p in ("torch", "transformers", "trl", "accelerate", "peft", "unsloth", "vllm"):
        try:
            out[p] = version(p)
        except PackageNotFoundError:
            out[p] = None
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", default="micro", help="micro | qwen2.5-1.5b (random weights)")
    ap.add_argument("--backends", default="hf", help="comma list of hf, unsloth (missing ones are skipped)")
    ap.add_argument("--vllm", default="off", choices=["off", "on", "auto"],
                    help="GRPO rollouts from vLLM (colocate); auto: with and without where vllm is installed")
    ap.add_argument("--prompts", type=int, default=4, help="prompts per step")
    ap.add_argument("--group", type=int, default=8, help="completions per prompt (G)")
    ap.add_argument("--prompt-tokens", type=int, default=32)
    ap.add_argument("--completion-tokens", type=int, default=96)
    ap.add_argument("--beta", type=float, default=0.001, help="KL weight (> 0 adds the reference forward)")
    ap.add_argument("--lora-r", type=int, default=0, help="LoRA rank (0: full fine-tuning)")
    ap.add_argument("--gpu-memory-utilization", type=float, default=0.3)
    ap.add_argument("--warmup", type=int, default=1, help="untimed steps")
    ap.add_argument("--steps", type=int, default=3, help="timed steps (median reported)")
    ap.add_argument("--peak-tflops", type=float, default=None, help="peak of the device for MFU")
    ap.add_argument("--measure-peak", action="store_true", help="measure the peak with a matmul instead")
    ap.add_argument("--out", default=str(REPO / "results" / "bench" / "grpo_step_cpu.json"))
    # internal: one configuration in a subprocess
    ap.add_argument("--one-backend", help=argparse.SUPPRESS)
    ap.add_argument("--one-vllm", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--model-dir", help=argparse.SUPPRESS)
    ap.add_argument("--tmp", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.one_backend:
        print("RESULT " + json.dumps(run_one(a)), flush=True)
        return 0

    import importlib.util

    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    if a.peak_tflops is None and not a.measure_peak:
        ap.error("MFU needs the device's peak: pass --peak-tflops or --measure-peak")
    peak = a.peak_tflops * 1e12 if a.peak_tflops else measure_peak_flops(device)
    rows, skipped = [], []
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = build_model_dir(a.arch, Path(tmp) / "model", 0)
        for backend in a.backends.split(","):
            if backend == "unsloth" and importlib.util.find_spec("unsloth") is None:
                skipped.append("unsloth (not installed)")
                continue
            has_vllm = importlib.util.find_spec("vllm") is not None
            modes = {"off": [False], "on": [True], "auto": [False, True] if has_vllm else [False]}[a.vllm]
            if a.vllm == "auto" and not has_vllm:
                skipped.append(f"{backend}+vllm (vllm not installed)")
            for use_vllm in modes:
                cmd = [sys.executable, __file__, *(argv if argv is not None else sys.argv[1:]),
                       "--one-backend", backend, "--model-dir", str(model_dir), "--tmp", tmp]
                cmd += ["--one-vllm"] if use_vllm else []
                t0 = time.perf_counter()
                out = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
                line = [x for x in out.stdout.splitlines() if x.startswith("RESULT ")]
                if out.returncode != 0 or not line:
                    skipped.append(f"{backend}{'+vllm' if use_vllm else ''}: failed: {out.stderr[-2000:]}")
                    print(out.stderr[-4000:], file=sys.stderr)
                    continue
                row = json.loads(line[0][len("RESULT "):])
                row["mfu"] = round(row["model_flops_per_step"] / row["s_per_step"] / peak, 5)
                row["wall_s"] = round(time.perf_counter() - t0, 1)
                rows.append(row)
                print(f"{backend:8s} vllm={use_vllm!s:5s} {row['s_per_step']:.3f} s/step  "
                      f"gen {row['generated_tokens_per_s']:.0f} tok/s  train {row['trained_tokens_per_s']:.0f} tok/s  "
                      f"MFU {row['mfu']:.2%}  peak {row['peak_memory_gib']:.2f} GiB", flush=True)
    gpu = torch.cuda.get_device_name(0) if device == "cuda" else None
    result = {"command": "python benchmarks/grpo_step.py " + " ".join(argv if argv is not None else sys.argv[1:]),
              "device": device, "gpu": gpu, "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
              "platform": platform.platform(), "packages": _versions(), "arch": a.arch,
              "peak_flops": peak, "peak_source": "--peak-tflops" if a.peak_tflops else "measured matmul",
              "settings": {k: v for k, v in vars(a).items() if not k.startswith(("one_", "model_dir", "tmp"))},
              "rows": rows, "skipped": skipped}
    hf = [r for r in rows if r["backend"] == "hf" and not r["vllm"]]
    un = [r for r in rows if r["backend"] == "unsloth" and not r["vllm"]]
    if hf and un:
        result["unsloth_vs_hf"] = {"speedup": round(hf[0]["s_per_step"] / un[0]["s_per_step"], 3),
                                   "peak_memory_ratio": round(un[0]["peak_memory_gib"] / hf[0]["peak_memory_gib"], 3)}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
