"""Training: causal-LM pretraining of the micro base and GRPO, both through library trainers.

- ``pretrain``: transformers ``Trainer`` on packed blocks of the pretraining corpus.
- ``run_grpo``: TRL ``GRPOTrainer`` with the paper's objective (§2.2.1, eq. 1-3) or Dr. GRPO.
- ``patch_trl_for_cpu``: TRL 1.15 always installs a fused log-prob LM head whose kernel needs
  Triton; on CPU-only torch that kernel is None and the first step dies with
  ``'NoneType' object has no attribute 'apply'``. We put a plain-torch function with the same
  ``apply`` signature in its place (DESIGN.md §5, library pitfalls).

Both trainers write ``metrics.jsonl`` (one line per logged step, with throughput) and save
checkpoints under ``<out_dir>/_trainer`` so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pandas as pd
import torch
import torch.nn.functional as F

from r1lib.core.profile import GRPOConfig, PretrainConfig, RuntimeConfig
from r1lib.core.progress import Progress
from r1lib.core.timing import phase, timed
from r1lib.engine import backends
from r1lib.engine import launcher as launch
from r1lib.recipe import finished, grpo_variants
from r1lib.recipe.evaluation import evaluate_benchmark
from r1lib.recipe.generation import cpu_cache
from r1lib.recipe.models import (
    calibrated_layers,
    count_parameters,
    drop_layers,
    load_policy,
    load_tokenizer,
    new_micro_model,
    save_policy,
    save_tokenizer,
    weights_checksum,
)
from r1lib.recipe.rewards import ACCURACY_REWARDS, get_reward_funcs
from r1lib.recipe.templates import make_prompt


class TorchChunkedLogProb:
    """Plain-torch stand-in for TRL's Triton ``ChunkedLogProbFunction``.

    ``apply(hidden [N, H], weight [V, H], bias [V] | None, labels [N], temperature, chunk_size,
    softcap, logit_scale, outputs)`` returns ``(log_probs, entropy, log_sum_sq_probs,
    mean_logits, is_top1)``, each ``[N]`` or None when not in ``outputs``; logits are
    transformed as the kernel does: scale, then soft-cap, then divide by temperature.
    Differentiable through ordinary autograd. Source: ``trl/kernels/chunked_logprob.py``.
    """

    @staticmethod
    def apply(hidden, weight, bias, labels, temperature, chunk_size, softcap, logit_scale,
              outputs):
        logits = F.linear(hidden, weight, bias).float() * logit_scale
        if softcap is not None:
            logits = softcap * torch.tanh(logits / softcap)
        logits = logits / temperature
        logp = torch.log_softmax(logits, dim=-1)
        log_probs = logp.gather(-1, labels.unsqueeze(-1)).squeeze(-1)
        entropy = -(logp.exp() * logp).sum(-1) if "entropy" in outputs else None
        lssp = torch.logsumexp(2 * logp, -1).detach() if "log_sum_sq_probs" in outputs else None
        mean_logits = logits.mean(-1).detach() if "mean_logits" in outputs else None
        is_top1 = (logits.argmax(-1) == labels) if "is_top1" in outputs else None
        return log_probs, entropy, lssp, mean_logits, is_top1


def patch_trl_for_cpu() -> bool:
    """Install ``TorchChunkedLogProb`` where TRL's Triton kernel is missing.

    Returns:
        True when the patch was applied, False when TRL already has its kernel (GPU).
    """
    import trl.trainer.utils as tu

    if getattr(tu, "_ChunkedLogProbFunction", None) is not None:
        return False
    tu._ChunkedLogProbFunction = TorchChunkedLogProb
    return True


def _jsonl_callback(path: Path, tokens_per_step: int | None = None):
    from transformers import TrainerCallback

    class JsonlLogger(TrainerCallback):
        """Appends every log event to ``metrics.jsonl`` with wall time and throughput (what a
        user sees while it trains is the progress bar of :func:`_progress_callback`)."""

        def __init__(self):
            self.t0 = time.perf_counter()
            self.last = (0, self.t0)

        def on_train_begin(self, args, state, control, **kw):
            self.last = (state.global_step, time.perf_counter())
            if state.global_step > 0:  # resumed: forget what was logged after the checkpoint
                truncate_jsonl(path, state.global_step)

        def on_log(self, args, state, control, logs=None, **kw):
            if not state.is_world_process_zero:  # launched on several processes: rank 0 writes
                return
            now = time.perf_counter()
            row = {"step": state.global_step, "elapsed_s": round(now - self.t0, 2)}
            row.update({k: (float(v) if isinstance(v, (int, float)) else v)
                        for k, v in (logs or {}).items()})
            steps = state.global_step - self.last[0]
            if tokens_per_step and steps > 0:
                row["tokens_per_s"] = round(steps * tokens_per_step / (now - self.last[1]), 1)
            self.last = (state.global_step, now)
            with open(path, "a") as f:
                f.write(json.dumps(row) + "\n")

    return JsonlLogger()


def truncate_jsonl(path: Path, max_step: int) -> int:
    """Drop the rows of a JSON-lines log whose ``step`` is above ``max_step`` (in place, atomically).

    A run killed between two checkpoints has logged steps that the resumed run repeats; this
    keeps each step once. Rows without a ``step`` key are kept.

    Returns:
        The number of rows dropped (0 when ``path`` does not exist).
    """
    path = Path(path)
    if not path.exists():
        return 0
    keep, dropped = [], 0
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        try:
            step = json.loads(line).get("step")
        except json.JSONDecodeError:  # a line cut short by the kill
            dropped += 1
            continue
        if isinstance(step, (int, float)) and step > max_step:
            dropped += 1
        else:
            keep.append(line)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("".join(x + "\n" for x in keep))
    os.replace(tmp, path)
    return dropped


PROGRESS_KEYS = {"loss": "loss", "reward": "reward", "rewards/accuracy/mean": "accuracy",
                 "rewards/accuracy_lenient/mean": "accuracy",
                 "completions/mean_length": "length", "kl": "kl"}  # what the bars show


def _progress_callback(desc: str):
    """A callback that drives a :class:`r1lib.core.progress.Progress` bar: optimizer steps done
    of ``max_steps`` and the latest loss / reward / accuracy / length / KL the trainer logged."""
    from transformers import TrainerCallback

    class Bar(TrainerCallback):
        bar = None

        def on_train_begin(self, args, state, control, **kw):
            if state.is_world_process_zero:  # one bar, however many processes train
                self.bar = Progress(state.max_steps, desc, unit="step", initial=state.global_step)

        def on_step_end(self, args, state, control, **kw):
            if self.bar is not None:
                self.bar.update(state.global_step - self.bar.n)

        def on_log(self, args, state, control, logs=None, **kw):
            if self.bar is not None and logs:
                self.bar.set(**{short: float(logs[k]) for k, short in PROGRESS_KEYS.items()
                                if isinstance(logs.get(k), (int, float))})

        def on_train_end(self, args, state, control, **kw):
            if self.bar is not None:
                self.bar.close()
                self.bar = None

    return Bar()


def _quiet(trainer) -> None:
    """Drop the Trainer's own per-step printing; :func:`_progress_callback` shows the run."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)


def train_and_save(trainer, tok, out_dir: Path, resume: str | None = None,
                   desc: str | None = None) -> tuple[float, float]:
    """Run a (TRL or transformers) trainer and keep only its final model.

    The training loop shows a progress bar named ``desc`` (default: the output folder's name)
    and counts to the ``training`` phase (:mod:`r1lib.core.timing`).

    Resumes from ``resume`` (default: the newest checkpoint in the trainer's output folder),
    saves the model and tokenizer to ``out_dir`` (``save_tokenizer``, so it reloads as
    ``PreTrainedTokenizerFast``), then deletes the trainer's checkpoints.

    Returns:
        (training wall time in seconds, last logged training loss).
    """

    _quiet(trainer)
    trainer.add_callback(_progress_callback(desc or Path(out_dir).name))
    trainer_dir = Path(trainer.args.output_dir)
    if resume is None:
        resume = latest_checkpoint(trainer_dir)
    t0 = time.perf_counter()
    with phase("training"):
        out = trainer.train(resume_from_checkpoint=resume)
    train_s = time.perf_counter() - t0
    trainer.save_model(str(out_dir))  # rank 0 only when launched on several processes
    if trainer.is_world_process_zero():
        save_tokenizer(tok, out_dir)
    trainer.accelerator.wait_for_everyone()
    if trainer.is_world_process_zero():
        shutil.rmtree(trainer_dir, ignore_errors=True)
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    return train_s, round(float(losses[-1]) if losses else float(out.training_loss), 4)


def latest_checkpoint(trainer_dir: Path) -> str | None:
    """The newest complete ``checkpoint-N`` folder under ``trainer_dir`` (for resuming), or None.

    A checkpoint counts as complete when it holds ``trainer_state.json``, which the Trainer
    writes after the weights, optimizer and RNG states: a folder left half-written by a kill
    is skipped (and the one before it is used).
    """
    trainer_dir = Path(trainer_dir)
    if not trainer_dir.exists():
        return None
    def complete(p: Path) -> bool:
        try:
            json.loads((p / "trainer_state.json").read_text())
        except (OSError, json.JSONDecodeError):
            return False
        return True

    ckpts = [p for p in trainer_dir.glob("checkpoint-*") if p.name.split("-")[1].isdigit() and complete(p)]
    ckpts.sort(key=lambda p: int(p.name.split("-")[1]))
    return str(ckpts[-1]) if ckpts else None


def _common_args(cfg_steps: int, lr: float, out: Path, seed: int, save_steps: int) -> dict:
    return dict(
        output_dir=str(out), max_steps=cfg_steps, learning_rate=lr, seed=seed, data_seed=seed,
        logging_steps=1 if cfg_steps <= 400 else 10, save_strategy="steps",
        save_steps=save_steps, save_total_limit=1, report_to=[], disable_tqdm=True,
        use_cpu=not torch.cuda.is_available(), dataloader_num_workers=0,
        bf16=not torch.cuda.is_available() and backends.cpu_autocast(),  # fp32 weights
        ddp_find_unused_parameters=False,  # every parameter takes part in each forward (launched runs)
    )


def pack_blocks(tok, docs: list[str], block_size: int) -> list[list[int]]:
    """Tokenize ``docs`` (each followed by EOS), concatenate, cut into ``block_size`` blocks.

    Returns:
        ``floor(total_tokens / block_size)`` lists of ``block_size`` token ids.
    """
    flat: list[int] = []
    for ids in tok(docs).input_ids:
        flat.extend(ids)
        flat.append(tok.eos_token_id)
    n = len(flat) // block_size
    return [flat[i * block_size:(i + 1) * block_size] for i in range(n)]


def pretrain(model, tok, docs: list[str], cfg: PretrainConfig, out_dir: Path, seed: int,
             metrics_path: Path) -> dict:
    """Pretrain a causal LM on ``docs`` with transformers ``Trainer`` (next-token loss).

    Args:
        model, tok: a fresh model and its tokenizer.
        docs: the corpus; packed into blocks of ``cfg.block_size`` tokens.
        cfg: steps, batch size, lr (cosine schedule with warmup), weight decay.
        out_dir: the final model and tokenizer go here; trainer checkpoints in ``_trainer``.
        seed: data order and initialisation seed.
        metrics_path: ``metrics.jsonl`` to append per-step loss, lr and tokens/s to.

    Returns:
        ``{"pretrain_tokens", "final_loss", "tokens_per_s", "train_s"}``.

    A pretraining that finished in ``out_dir`` from the same initial weights on the same docs,
    settings and seed is not redone: ``model`` gets the trained weights from ``out_dir`` and
    the stored summary is returned (:mod:`r1lib.recipe.finished`).
    """
    from datasets import Dataset
    from transformers import DataCollatorForLanguageModeling, Trainer, TrainingArguments

    key = finished.training_key("pretrain", model=finished.fingerprint_model(model),
                                docs=finished.digest(docs), cfg=cfg.model_dump(mode="json"), seed=seed)
    if (done := finished.load_finished(out_dir, key)) is not None:
        model.load_state_dict(type(model).from_pretrained(out_dir).state_dict())
        return done
    blocks = pack_blocks(tok, docs, cfg.block_size)
    ds = Dataset.from_dict({"input_ids": blocks})
    trainer_dir = out_dir / "_trainer"
    args = TrainingArguments(
        **_common_args(cfg.steps, cfg.lr, trainer_dir, seed, max(50, cfg.steps // 4)),
        per_device_train_batch_size=cfg.batch_size, lr_scheduler_type="cosine",
        warmup_steps=cfg.warmup_steps, weight_decay=cfg.weight_decay,
    )
    tokens_per_step = cfg.batch_size * cfg.block_size
    trainer = Trainer(model=model, args=args, train_dataset=ds,
                      data_collator=DataCollatorForLanguageModeling(tok, mlm=False),
                      callbacks=[_jsonl_callback(metrics_path, tokens_per_step)])
    train_s, final_loss = train_and_save(trainer, tok, out_dir, desc=f"pretrain {Path(out_dir).name}")
    return finished.record_finished(out_dir, key, {
        "pretrain_tokens": cfg.steps * tokens_per_step, "final_loss": final_loss,
        "tokens_per_s": round(cfg.steps * tokens_per_step / max(train_s, 1e-9), 1),
        "train_s": round(train_s, 1)})


class CompletionLog:
    """Records every rollout GRPO scores: step, prompt id, completion, each reward, length.

    ``wrap(funcs)`` returns reward functions with the same names and outputs that also write
    into this log; ``rows`` is what ``completions.parquet`` holds. A row's ``step`` is the first
    optimiser step that trains on its rollout batch: with ``steps_per_generation`` s > 1, one
    batch of s × (prompts_per_step × G) completions is sampled and scored at steps 1, 1 + s,
    1 + 2s, … A run graded by ``accuracy_lenient`` (no strict ``accuracy`` reward) also gets its
    values as ``accuracy``, the column every analysis reads
    (:data:`r1lib.recipe.rewards.ACCURACY_REWARDS`).
    """

    def __init__(self):
        self.rows: list[dict] = []
        self._pending: dict[str, list] = {}

    def wrap(self, funcs):
        wrapped = []
        for i, f in enumerate(funcs):
            last = i == len(funcs) - 1
            wrapped.append(self._wrap_one(f, last))
        return wrapped

    def _wrap_one(self, f, last: bool):
        name = f.__name__

        def reward(prompts=None, completions=None, completion_ids=None, **kw):
            vals = f(prompts=prompts, completions=completions, completion_ids=completion_ids, **kw)
            self._pending[name] = vals
            if last:
                state = kw.get("trainer_state")
                step = state.global_step + 1 if state is not None else -1
                ids = kw.get("id") or [None] * len(completions)
                acc = next((a for a in ACCURACY_REWARDS if a in self._pending), None)
                for j, c in enumerate(completions):
                    row = {"step": step, "prompt_id": ids[j], "completion": c,
                           "length": len(completion_ids[j]) if completion_ids else None}
                    for n, v in self._pending.items():
                        row[n] = None if v[j] is None else float(v[j])
                    if acc is not None and "accuracy" not in row:
                        row["accuracy"] = row[acc]  # the run's grader, under the name analyses read
                    self.rows.append(row)
                self._pending = {}
            return vals

        reward.__name__ = name
        return reward

    def to_parquet(self, path: Path) -> None:
        """Write the rows (rank 0 only when launched on several processes: its own rollouts)."""
        if int(os.environ.get("RANK", "0")) != 0:
            return
        pd.DataFrame(self.rows).to_parquet(path, index=False)


def grpo_args(cfg: GRPOConfig, out: Path, seed: int, runtime: RuntimeConfig | None = None,
              n_params: int | None = None):
    """Map our ``GRPOConfig`` onto TRL's ``GRPOConfig``.

    ``variant="grpo"`` is the paper's objective: per-sequence length-normalised loss
    (``loss_type="grpo"``), advantages normalised by the group's std (``scale_rewards="group"``),
    clipped ratio with ``epsilon``, and the k3 KL estimator to the reference model weighted by
    ``beta`` (eq. 1-3). The other variants (Dr. GRPO, DAPO, BNPO, GSPO, CISPO) and their knobs
    map as :func:`r1lib.recipe.grpo_variants.trl_kwargs` says. ``runtime``
    (default: the profile's, :func:`r1lib.engine.backends.current`) adds vLLM rollouts, precision and
    gradient checkpointing (:func:`r1lib.engine.backends.grpo_runtime_args`). ``n_params``, the
    policy's parameter count, picks the rollouts' KV cache (:func:`r1lib.recipe.generation.cpu_cache`).
    """
    from trl import GRPOConfig as TRLGRPOConfig


    rt = runtime or backends.current().runtime
    common = _common_args(cfg.steps, cfg.lr, out, seed, cfg.save_steps)
    common.update(backends.grpo_runtime_args(rt, torch.cuda.is_available()))
    return TRLGRPOConfig(
        **common,
        per_device_train_batch_size=cfg.prompts_per_step * cfg.num_generations,
        num_generations=cfg.num_generations,
        max_completion_length=cfg.max_completion_length,
        temperature=cfg.temperature, top_p=cfg.top_p,
        **grpo_variants.trl_kwargs(cfg),
        reward_weights=cfg.reward_weights,
        lr_scheduler_type="constant", warmup_steps=0, log_completions=False,
        cache_implementation=cpu_cache("cuda" if torch.cuda.is_available() else "cpu", n_params,
                                        backends.cpu_autocast(rt)),
    )


def _heldout_probe(probe_records: list[dict], cfg: GRPOConfig, path: Path, tok, seed: int):
    """A callback that scores the policy on held-out problems every ``cfg.probe_every`` steps.

    Each probe samples ``cfg.probe_k`` completions per problem at T=0.6, top-p 0.95 (the
    evaluation protocol) and appends ``{step, pass@1, pass@1_ci95, cons@k, mean_length}`` to
    ``path`` (JSON lines). The torch RNG state is saved and restored around each probe, so
    probing does not change the training run.
    """
    from transformers import TrainerCallback


    class Probe(TrainerCallback):
        def _probe(self, step, model):
            rng = torch.get_rng_state()
            was_training = model.training
            model.eval()
            try:
                row, _ = evaluate_benchmark(model, tok, "policy", "probe", probe_records, cfg.probe_k,
                                            cfg.max_completion_length, seed=seed + step)
            finally:
                torch.set_rng_state(rng)
                model.train(was_training)
            keep = {k: row[k] for k in ("pass@1", "pass@1_ci95", "cons@k", "mean_length", "mixed_language_rate",
                                        "n", "k")}
            with open(path, "a") as f:
                f.write(json.dumps({"step": step, **keep}) + "\n")

        def on_train_begin(self, args, state, control, model=None, **kw):
            if state.global_step == 0:
                self._probe(0, model)
            else:  # resumed: probes after the checkpoint are taken again
                truncate_jsonl(path, state.global_step)

        def on_step_end(self, args, state, control, model=None, **kw):
            if state.global_step % cfg.probe_every == 0 or state.global_step == state.max_steps:
                self._probe(state.global_step, model)

    return Probe()


# Compute in model FLOPs, by the usual estimate (Kaplan et al. 2020, §2.1): a token costs 2N
# FLOPs through a forward pass and 6N through forward + backward, N = the model's parameters.
FLOPS_FORWARD, FLOPS_TRAIN = 2, 6


def sft_flops(n_params: int, trained_tokens: int) -> float:
    """Training compute of SFT (or pretraining): ``6 N`` per trained token (FLOPs)."""
    return float(FLOPS_TRAIN * n_params * trained_tokens)


def grpo_flops_per_token(cfg: GRPOConfig) -> int:
    """GRPO's FLOPs per rollout token, in units of N (parameters).

    Generating the token (2: prefill of the prompt, decoding of the completion); the policy's
    forward + backward (6) once per update, ``num_iterations`` updates per batch (μ); the
    old policy's forward (2) when updates are off-policy (μ > 1 or ``steps_per_generation``
    > 1: TRL then computes the old log-probs for the importance ratio); the reference
    model's forward (2) for the KL term when ``beta > 0``.

    Source: the 2N forward / 6N training rule (Kaplan et al. 2020); TRL's ``GRPOTrainer``
    passes (``_generate_and_score_completions``, ``compute_loss``).
    """
    return (FLOPS_FORWARD + FLOPS_TRAIN * cfg.num_iterations
            + (0 if cfg.on_policy else FLOPS_FORWARD) + (FLOPS_FORWARD if cfg.beta > 0 else 0))


def grpo_flops(n_params: int, tokens: int, cfg: GRPOConfig) -> float:
    """Compute of GRPO over ``tokens`` rollout tokens (prompt + completion, TRL's
    ``num_input_tokens_seen``), in FLOPs: ``grpo_flops_per_token(cfg) × N × tokens``."""
    return float(grpo_flops_per_token(cfg) * n_params * tokens)


def _compute_budget(max_flops: float, n_params: int, cfg: GRPOConfig):
    """A callback that stops GRPO after the step whose rollouts bring its compute
    (:func:`grpo_flops` of the tokens TRL has counted) to ``max_flops``: an equal-compute
    comparison that gives the same step on every machine, unlike a wall-clock budget (the
    paper's Table 6 compares distillation and RL on a student)."""
    from transformers import TrainerCallback

    class Budget(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            if grpo_flops(n_params, state.num_input_tokens_seen, cfg) >= max_flops:
                control.should_training_stop = True
                control.should_save = True

    return Budget()


def run_grpo(model_path: Path, records: list[dict], cfg: GRPOConfig, out_dir: Path, seed: int,
             metrics_path: Path, completions_path: Path, probe_records: list[dict] | None = None,
             probes_path: Path | None = None, reward_funcs: list | None = None,
             max_train_flops: float | None = None) -> dict:
    """GRPO on ``records`` (``prompt``, ``answer``, ``id``, other columns) from ``model_path``.

    The reference model is the starting policy (TRL loads it when ``beta > 0``). Rewards are
    the registry functions named in ``cfg.reward_funcs``, or the callables ``reward_funcs``
    (e.g. reward-model rewards); every other dataset column reaches them as a keyword argument
    (``language`` for the language-consistency reward, ``category`` for reward models). Every
    rollout is logged to ``completions_path`` (parquet) and per-step metrics to
    ``metrics_path``. With ``probe_records`` (held-out ``{id, problem, answer}``) and
    ``probes_path``, the policy is scored on held-out problems every ``cfg.probe_every`` steps
    (accuracy vs step). With ``max_train_flops``, training stops after the step at which its
    compute (:func:`grpo_flops`) reaches that many FLOPs, even if ``cfg.steps`` are not done.
    A run that finished in ``out_dir`` (its completions logged) with the same starting weights,
    records, settings, seed, probes, budget and rewards is not redone: its stored summary is
    returned (:mod:`r1lib.recipe.finished`).

    Returns:
        ``{"grpo_steps", "train_s", "s_per_step", "rollout_tokens", "parameters", "train_flops",
        "final_reward", "final_accuracy"}`` (the last two: mean over the last 10 % of steps'
        rollouts; accuracy over the rows it scores). ``grpo_steps`` is the number of steps
        actually taken; ``rollout_tokens`` the prompt + completion tokens TRL counted;
        ``train_flops`` their compute (:func:`grpo_flops`). ``requested_config`` (what the
        profile asks, in TRL's names), ``effective_config`` (what the built trainer runs, after
        any patches) and ``config_diff`` (their differences) come from
        :mod:`r1lib.recipe.grpo_variants`; the notebooks show them with
        :func:`r1lib.recipe.grpo_variants.show` (which warns on a difference).
    """
    from datasets import Dataset


    cur = backends.current()
    out_dir, completions_path = Path(out_dir), Path(completions_path)
    key = finished.training_key(
        "run_grpo", model=finished.fingerprint_path(model_path), records=finished.digest(records),
        cfg=cfg.model_dump(mode="json"), seed=seed, max_train_flops=max_train_flops,
        probes=finished.digest(probe_records if probes_path is not None else None),
        rewards=finished.describe_reward_funcs(reward_funcs) if reward_funcs is not None else None)
    if completions_path.exists() and (done := finished.load_finished(out_dir, key)) is not None:
        return done
    if cur.runtime.num_processes > 1 and not launch.in_launched_process():
        if reward_funcs is not None:
            raise ValueError("reward callables cannot cross into `accelerate launch` processes: name the "
                             "rewards in grpo.reward_funcs, or set runtime.num_processes: 1 for this stage")
        return finished.record_finished(out_dir, key, launch.run_distributed("grpo", out_dir, dict(
            model_path=str(model_path), records=records, cfg=cfg.model_dump(mode="json"),
            out_dir=str(out_dir), seed=seed, metrics_path=str(metrics_path),
            completions_path=str(completions_path), max_train_flops=max_train_flops)))
    if launch.in_launched_process():
        probe_records = None  # generation under ZeRO-3 needs every rank: no rank-0 probes
    if cur.model == "unsloth":
        backends.patch_trl_for_unsloth()
    from trl import GRPOTrainer  # after Unsloth's patches

    patch_trl_for_cpu()
    model, tok = load_policy(str(model_path))
    model.train()
    log = CompletionLog()
    funcs = log.wrap(reward_funcs if reward_funcs is not None else get_reward_funcs(cfg.reward_funcs, cfg))
    trainer_dir = out_dir / "_trainer"
    args = grpo_args(cfg, trainer_dir, seed, n_params=model.num_parameters())
    tokens_per_step = cfg.prompts_per_step * cfg.num_generations * cfg.max_completion_length
    trainer = GRPOTrainer(model=model, reward_funcs=funcs, args=args,
                          train_dataset=Dataset.from_list(records), processing_class=tok,
                          callbacks=[_jsonl_callback(metrics_path, None)])
    # what the trainer will run (after Unsloth's patches) against what the profile asked
    requested = grpo_variants.requested_config(cfg)
    effective = grpo_variants.effective_config(trainer)
    resume = latest_checkpoint(trainer_dir)
    if resume and completions_path.exists():
        done = int(resume.rsplit("-", 1)[1])
        prev = pd.read_parquet(completions_path)
        log.rows = prev[prev.step <= done].to_dict("records")
    saver = _parquet_saver(log, completions_path)
    trainer.add_callback(saver)
    if probe_records and probes_path is not None and cfg.probe_problems > 0:
        if resume is None:
            probes_path.unlink(missing_ok=True)
        trainer.add_callback(_heldout_probe(probe_records[:cfg.probe_problems], cfg, probes_path, tok, seed))
    n_params = count_parameters(model)
    if max_train_flops is not None:
        trainer.add_callback(_compute_budget(max_train_flops, n_params, cfg))
    # rollouts count to the `generation` phase, not to `training`
    trainer.model.generate = timed("generation")(trainer.model.generate)
    train_s, _ = train_and_save(trainer, tok, out_dir, resume=resume, desc=f"GRPO {Path(out_dir).name}")
    log.to_parquet(completions_path)
    df = pd.DataFrame(log.rows)
    steps = int(trainer.state.global_step)  # the log's steps are rollout batches' (steps_per_generation)
    # the last tenth of the steps, and at least the last rollout batch (steps_per_generation)
    tail = df[df.step > steps - max(steps * 0.1, cfg.steps_per_generation)]
    summary = {"grpo_steps": steps, "train_s": round(train_s, 1),
               "s_per_step": round(train_s / max(steps, 1), 3),
               "rollout_tokens_budget_per_step": tokens_per_step,
               "rollout_tokens": int(trainer.state.num_input_tokens_seen), "parameters": n_params,
               "weights_checksum": weights_checksum(model),
               "train_flops": grpo_flops(n_params, trainer.state.num_input_tokens_seen, cfg),
               "final_reward": round(float(tail[[f.__name__ for f in funcs]].sum(axis=1).mean()), 4),
               "final_accuracy": round(float(tail["accuracy"].mean()), 4)  # CompletionLog's column
               if "accuracy" in tail else None,
               "requested_config": requested, "effective_config": effective,
               "config_diff": grpo_variants.config_diff(requested, effective)}
    return finished.record_finished(out_dir, key, summary)


def _parquet_saver(log: CompletionLog, path: Path):
    from transformers import TrainerCallback

    class Saver(TrainerCallback):
        """Writes the completion log just before the trainer saves a checkpoint (for resume):
        ``on_step_end`` runs after the flow callback has set ``should_save`` and before the
        checkpoint is written, so a checkpoint never exists without its steps' rollouts."""

        def on_step_end(self, args, state, control, **kw):
            if control.should_save:
                log.to_parquet(path)

    return Saver()


# train problems that choose a layer-dropped student's layers (calibrated_layers): 15 candidate
# blocks x one forward over 16 problems: 20 s on 2 CPU cores for SmolLM2 (measured)
CALIBRATION_TEXTS = 16


def build_student(spec, source, base_ckpt: Path, train: list[dict], student_cfg, max_positions: int,
                  out_dir: Path, seed: int, log_path: Path) -> tuple[str, dict]:
    """The distillation student's base (stage 06), as the data source specifies it.

    Args:
        spec: :class:`r1lib.sources.base.StudentSpec` (``micro``, ``checkpoint`` or ``layer_drop``).
        source: the data source (its ``pretraining_corpus`` for a ``micro`` student).
        base_ckpt: the run's base checkpoint (the tokenizer; the layers of a ``layer_drop`` student).
        train: train problems (a micro student's corpus).
        student_cfg: :class:`r1lib.core.profile.StudentConfig` (sizes and pretraining of a micro student).
        max_positions: the micro model's context.
        out_dir: where a built student is saved.
        seed: initialisation and corpus seed.
        log_path: pretraining metrics (JSONL) of a micro student.

    Returns:
        ``(path or hub id, info)``: ``info`` holds ``kind``, ``parameters`` and the pretraining
        result of a micro student; for a layer-dropped one, ``kept_layers``, ``dropped_block``
        and ``calibration_loss`` (:func:`r1lib.recipe.models.calibrated_layers` on the first
        :data:`CALIBRATION_TEXTS` train problems).

    Raises:
        ValueError: an unknown ``spec.kind``.

    Source: DeepSeek-R1 §2.4 (smaller dense students).
    """
    if spec.kind == "checkpoint":
        return spec.base, {"kind": "checkpoint"}
    if spec.kind == "micro":
        tok = load_tokenizer(base_ckpt)
        docs, _ = source.pretraining_corpus(train, make_prompt)
        s = student_cfg
        student = new_micro_model(tok, s.hidden_size, s.num_layers, s.num_heads, s.intermediate_size,
                                  max_positions, seed)
        pre = pretrain(student, tok, docs, s.pretrain, out_dir, seed, log_path)
        return str(out_dir), {"kind": "micro", "parameters": count_parameters(student), **pre}
    if spec.kind == "layer_drop":
        model, tok = load_policy(str(base_ckpt), backend="hf")
        n = model.config.num_hidden_layers
        keep = spec.keep_layers or max(1, n // 2)
        texts = [r["problem"] for r in train[:CALIBRATION_TEXTS] if r.get("problem")]
        info = {}
        if 2 <= keep < n and texts:  # the contiguous block whose loss is lowest on train problems
            idx, info = calibrated_layers(model, tok, texts, keep)
            info = {"kept_layers": idx, "dropped_block": info["dropped"], "calibration_loss": info["loss"]}
        drop_layers(model, keep, info.get("kept_layers"))
        save_policy(model, tok, out_dir)
        return str(out_dir), {"kind": "layer_drop", "layers": model.config.num_hidden_layers,
                              "parameters": count_parameters(model), **info}
    raise ValueError(f"unknown student kind {spec.kind!r}; known: ['checkpoint', 'layer_drop', 'micro']")
