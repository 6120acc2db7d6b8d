"""The typed run profile: one pydantic model per section of ``params/<name>.yaml``.

This is the bottom layer: every other layer reads its settings from these sections, and this
module imports nothing of r1lib. Loading a YAML file, the checks that need the registries of
upper layers (reward names, benchmark names) and the stage hashes live in
:mod:`r1lib.machinery.config`.

Options are grouped by purpose (world, tokenizer, model, pretrain, grpo, evaluation), each
documented where it is defined. Unknown or mistyped keys are errors that name the key and the
file; impossible combinations are rejected with a message that says what to change (pydantic,
``extra="forbid"`` plus validators, in the manner of TRL's ``__post_init__`` checks).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CorpusConfig(_Section):
    """Style shares and error rates of the micro pretraining corpus (``r1lib.sources.micro.world``)."""

    guess: float = 0.10            # short guesses: never pay, so RL must not collapse to them
    hasty: float = 0.60            # whole chain in one step: dominant, so greedy decoding follows it
    careful: float = 0.05          # one operation per step (rare, as long CoT is in base models)
    check: float = 0.25            # hasty, then "wait" and a step-by-step re-check (reflection)
    p_hasty_correct: float = 0.20  # share of hasty results that are right
    p_step_slip: float = 0.04      # per-step slip rate of careful work
    p_zh: float = 0.25             # share of checks with Chinese connectives on English problems
    p_en_on_zh: float = 0.4        # share of checks on Chinese problems written with English
                                   # connectives: base models often reason in English (mixing)
    drill_share: float = 0.05      # share of documents that are single-fact drills

    @model_validator(mode="after")
    def _shares(self):
        total = self.guess + self.hasty + self.careful + self.check
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"world.corpus: guess+hasty+careful+check must sum to 1, got {total:.4f}")
        return self


class WorldConfig(_Section):
    """The micro task world (DESIGN.md §5)."""

    n_train: int = Field(30000, gt=0)   # train problems (= pretraining documents with a trace)
    n_test: int = Field(200, gt=0)      # held-out problems (the micro_test benchmark)
    n_operands: tuple[int, int] = (6, 8)  # operands per chain: too long to add up in one step
    max_total: int = Field(30, gt=9)    # running totals stay in [0, max_total]
    test_seed: int = 1234               # fixes the test split across runs and seeds
    p_zh_prompt: float = Field(0.3, ge=0, le=1)  # share of problems posed in Chinese ("计算 …"):
    # RL prompts in several languages are where the paper saw language mixing (§2.3.2)
    corpus: CorpusConfig = CorpusConfig()


class TokenizerConfig(_Section):
    vocab_size: int = Field(1024, ge=300)  # 256 bytes + specials + merges: template, -3, =15, …


class ModelConfig(_Section):
    """The policy's architecture (micro) or the checkpoint to start from (real profiles)."""

    backend: Literal["hf", "unsloth"] = "hf"  # hf: transformers (CPU or GPU); unsloth: its kernels (GPU)
    base: str | None = None             # hub id, folder or GGUF (path or pkg:<package>/<file>); None = micro model
    template: Literal["r1_zero", "chat"] = "r1_zero"  # prompt format: raw Table 1 text (base models) or
    #                                     inside the policy's chat template (instruct models)
    hidden_size: int = 192              # 1.9M parameters: learns the task in minutes on 2 cores
    num_layers: int = 4
    num_heads: int = 6                  # head dim 32
    intermediate_size: int = 512
    max_positions: int = 512            # context; longer prompts are truncated and counted

    @model_validator(mode="after")
    def _heads(self):
        if self.template == "chat" and self.base is None:
            raise ValueError("model.template: chat needs a pretrained base with a chat template (model.base); "
                             "the micro model's tokenizer has none: use model.template: r1_zero")
        if self.hidden_size % self.num_heads:
            raise ValueError(f"model.hidden_size={self.hidden_size} is not divisible by "
                             f"model.num_heads={self.num_heads}")
        return self


class PretrainConfig(_Section):
    """Causal-LM pretraining of the micro base model (transformers ``Trainer``)."""

    steps: int = Field(400, gt=0)
    batch_size: int = Field(32, gt=0)    # sequences per step
    block_size: int = Field(256, gt=8)   # tokens per packed sequence
    lr: float = Field(2e-3, gt=0)        # high, as small models tolerate; cosine decay
    warmup_steps: int = 30
    weight_decay: float = 0.01


GRPO_VARIANTS = ("grpo", "dr_grpo", "dapo", "bnpo", "gspo", "cispo")
"""Values of ``grpo.variant``; :mod:`r1lib.recipe.grpo_variants` maps each onto TRL's arguments."""


class GRPOConfig(_Section):
    """GRPO (paper §2.2.1, eq. 1-3) through TRL's ``GRPOTrainer``, and its later variants.

    Options by purpose: the batch (steps, prompts, group size, lengths), sampling, the
    optimiser, the objective (variant and its knobs, each with its paper), rewards, and
    checkpoints/probes. How each reaches TRL: :func:`r1lib.recipe.grpo_variants.trl_kwargs`.
    """

    # batch
    steps: int = Field(200, gt=0)             # optimisation steps
    prompts_per_step: int = Field(4, gt=0)    # distinct prompts per step
    num_generations: int = Field(8, gt=1)     # group size G: completions per prompt
    max_completion_length: int = Field(96, gt=0)  # tokens; a careful check fits in ~70
    # sampling
    temperature: float = Field(1.0, gt=0)    # rollout temperature
    top_p: float = Field(1.0, gt=0, le=1)
    # optimiser
    lr: float = Field(1e-4, gt=0)
    # objective (paper eq. 1-3 unless a variant says otherwise)
    variant: Literal["grpo", "dr_grpo", "dapo", "bnpo", "gspo", "cispo"] = "grpo"
    #   grpo: the paper's eq. 1 (per-sequence length mean, std-scaled group advantages);
    #   dr_grpo: Dr. GRPO (Liu et al. 2025, arXiv 2503.20783): constant normaliser, no std scaling;
    #   dapo: DAPO (Yu et al. 2025, arXiv 2503.14476): token-level mean over the batch;
    #   bnpo: token-level mean over the local batch (TRL); gspo: GSPO (Zheng et al. 2025, arXiv
    #   2507.18071): one importance ratio per sequence (geometric mean of the token ratios);
    #   cispo: CISPO (MiniMax-M1, arXiv 2506.13585): clip the importance weight, keep every token's gradient
    beta: float = Field(0.01, ge=0)          # weight of the k3 KL to the reference model (eq. 2)
    kl_ratio_correction: bool = True         # TRL 1.15's default (DeepSeek-V3.2, arXiv 2512.02556): the k3
    #   KL times the importance ratio, the unbiased reverse-KL gradient (it changes the gradient even
    #   on-policy); False: the paper's plain k3 (eq. 2)
    epsilon: float = Field(0.2, gt=0)        # ratio clip (eq. 1); the lower bound 1 - epsilon
    epsilon_high: float | None = Field(None, gt=0)  # clip-higher (DAPO): upper bound 1 + epsilon_high,
    #   DAPO uses 0.28; None: = epsilon. For cispo the cap of the importance weight (ScaleRL: 5.0, the
    #   default when None)
    delta: float | None = Field(None, gt=1)  # two-sided clip (INTELLECT-2, arXiv 2505.07291): ratio <= delta
    num_iterations: int = Field(1, gt=0)     # μ (paper's algorithm): updates per batch of rollouts
    steps_per_generation: int = Field(1, gt=0)  # optimiser steps per rollout batch (the paper's R1-Zero:
    #   8,192 rollouts split into 16 mini-batches); > 1 or μ > 1 makes later updates off-policy
    scale_rewards: Literal["group", "batch", "none"] | None = None  # advantage std scaling; None: the
    #   variant's (grpo/dapo/bnpo/gspo/cispo: group; dr_grpo: none); batch: PPO-Lite (arXiv 2508.08221)
    mask_truncated_completions: bool = False  # DAPO's overlong filtering: cut completions get no loss
    top_entropy_quantile: float = Field(1.0, gt=0, le=1)  # train only on the top-q highest-entropy
    #   tokens ("80/20", Wang et al. 2025, arXiv 2506.01939, q = 0.2); 1.0: every token
    entropy_coef: float = Field(0.0, ge=0)   # entropy bonus weight (L = L_policy - coef * H)
    sync_ref_model: bool = False             # replace the reference model by the policy every
    ref_model_sync_steps: int = Field(400, gt=0)  # this many steps (the paper's R1-Zero: 400; TR-DPO)
    overlong_cache: int = Field(16, gt=0)    # DAPO's soft overlong punishment (reward `soft_overlong`):
    #   tokens before max_completion_length where the penalty starts (linear to -1 at the limit)
    # rewards
    reward_funcs: list[str] = ["accuracy", "format"]  # names in r1lib.recipe.rewards.REWARD_FUNCS
    reward_weights: list[float] | None = None        # None: all 1.0
    # checkpoints and probes
    save_steps: int = Field(50, gt=0)        # checkpoint period, for resuming
    probe_every: int = Field(20, gt=0)       # steps between held-out probes (accuracy vs step)
    probe_problems: int = Field(100, ge=0)   # held-out problems per probe (0: no probes)
    probe_k: int = Field(4, gt=0)            # samples per problem at the evaluation temperature
    # preflight (r1lib.recipe.preflight): the starting policy sampled on this many RL prompts
    # (G each) before training, to show whether groups carry reward variance; 0 skips it
    preflight_prompts: int = Field(200, ge=0)  # 200 x G=8 rollouts: ~30 s for the micro policy
    preflight_min_signal: float = Field(0.05, ge=0, le=1)  # warn below this share of groups with variance

    @property
    def on_policy(self) -> bool:
        """True when every update uses the rollouts of the current policy: the importance ratio
        is then exactly 1 and clipping, ``delta``, GSPO's and CISPO's ratios have no effect."""
        return self.num_iterations == 1 and self.steps_per_generation == 1

    @model_validator(mode="after")
    def _check(self):
        if self.reward_weights is not None and len(self.reward_weights) != len(self.reward_funcs):
            raise ValueError(f"grpo.reward_weights has {len(self.reward_weights)} entries but "
                             f"grpo.reward_funcs has {len(self.reward_funcs)}: give one weight each")
        if self.variant == "cispo":
            if self.epsilon_high is not None and self.epsilon_high <= 1:
                raise ValueError(f"grpo.epsilon_high={self.epsilon_high} with variant cispo caps the "
                                 "importance weight below 1 (every token down-weighted): set it > 1 "
                                 "(ScaleRL: 5.0) or leave it unset")
        elif self.epsilon_high is not None and self.epsilon_high < self.epsilon:
            raise ValueError(f"grpo.epsilon_high={self.epsilon_high} < grpo.epsilon={self.epsilon}: "
                             "clip-higher raises the upper bound; set epsilon_high >= epsilon")
        if self.delta is not None and self.delta <= 1 + self.epsilon:
            raise ValueError(f"grpo.delta={self.delta} must exceed 1 + epsilon = {1 + self.epsilon}")
        if self.on_policy:
            inert = [k for k, on in (("variant: gspo", self.variant == "gspo"),
                                     ("variant: cispo", self.variant == "cispo"),
                                     ("epsilon_high", self.epsilon_high is not None),
                                     ("delta", self.delta is not None)) if on]
            if inert:
                raise ValueError(f"grpo: {', '.join(inert)} act on the importance ratio, which is exactly "
                                 "1 when num_iterations = steps_per_generation = 1 (every update on-policy): "
                                 "set num_iterations >= 2 or steps_per_generation >= 2, or drop them")
        if self.save_steps % self.steps_per_generation:
            raise ValueError(f"grpo.save_steps={self.save_steps} is not a multiple of steps_per_generation="
                             f"{self.steps_per_generation}: a run resumed from such a checkpoint starts in the "
                             "middle of a rollout batch; set save_steps to a multiple of it")
        if self.sync_ref_model and self.beta == 0:
            raise ValueError("grpo.sync_ref_model needs a reference model, which beta = 0 does not load: "
                             "set beta > 0 or sync_ref_model: false")
        if "soft_overlong" in self.reward_funcs and self.overlong_cache >= self.max_completion_length:
            raise ValueError(f"grpo.overlong_cache={self.overlong_cache} must be below "
                             f"max_completion_length={self.max_completion_length}")
        return self


class SFTConfig(_Section):
    """Supervised fine-tuning through TRL's ``SFTTrainer`` (cold start, rejection-sampling SFT,
    distillation): loss on completion tokens only."""

    steps: int = Field(300, gt=0)
    batch_size: int = Field(16, gt=0)       # sequences per step
    lr: float = Field(5e-4, gt=0)
    warmup_steps: int = Field(10, ge=0)
    max_length: int = Field(256, gt=8)      # prompt + completion tokens; longer ones are truncated
    save_steps: int = Field(100, gt=0)      # checkpoint period, for resuming
    group_by_length: bool = False           # batches of similar lengths (transformers'
                                            # LengthGroupedSampler): less padding, same examples. Off:
                                            # in micro 04 it cut the SFT's time by a third, and the SFT
                                            # model stopped refusing (1.0 -> 0.0; likely each batch is
                                            # near one kind: benchmarks/results/micro_2026-12-07c)


class RewardModelConfig(_Section):
    """A preference reward model trained with TRL's ``RewardTrainer`` (Bradley-Terry loss)."""

    steps: int = Field(200, gt=0)
    batch_size: int = Field(16, gt=0)       # preference pairs per step
    lr: float = Field(5e-4, gt=0)
    max_length: int = Field(256, gt=8)
    save_steps: int = Field(100, gt=0)
    freeze_layers: int = Field(0, ge=0)    # lowest decoder layers (and the embeddings) kept frozen


class ColdStartConfig(_Section):
    """Cold-start data and SFT of the base (paper §2.3.1)."""

    few_shot_k: int = Field(2, ge=1)           # long-CoT examples per few-shot prompt (source 1)
    prompted_problems: int = Field(200, ge=0)  # train problems prompted for sources 1 and 2
    samples_per_problem: int = Field(4, gt=0)
    max_new_tokens: int = Field(120, gt=0)     # the readable pattern is ~25 tokens longer
    max_examples: int | None = Field(None, gt=0)  # cap on SFT examples after filtering
    authored_examples: int = Field(0, ge=0)    # hand-written examples (the few-shot kind) added
    authored_language: Literal["any", "en", "zh"] = "any"  # problems the authored examples are for
    # the language each collected answer must be in (filter and rewritten summary): "problem" =
    # the problem's own (readable, unmixed data, as the paper's); "en"/"zh" = one for every problem
    target_language: Literal["problem", "en", "zh"] = "problem"
    # with "problem": the share of Chinese problems held to English instead (the same problems in
    # every source, by id): R1-Zero-style mixing that the cold-start data passes on and 03's
    # language reward must undo, while the policy still learns to answer in the prompt's language
    english_on_zh: float = Field(0.0, ge=0, le=1)
    sft: SFTConfig = SFTConfig(steps=200)      # 200 steps: readable outputs without losing accuracy

    @model_validator(mode="after")
    def _english_on_zh_needs_problem(self):
        if self.english_on_zh and self.target_language != "problem":
            raise ValueError(f"cold_start.english_on_zh ({self.english_on_zh}) needs target_language: problem; "
                             f"'{self.target_language}' already sets every answer's language")
        return self


class ReasoningRLConfig(_Section):
    """Stage 03, reasoning-oriented RL from the cold-start checkpoint (paper §2.3.2)."""

    # accuracy + readable format + the language-consistency reward (target = the prompt's language)
    grpo: GRPOConfig = GRPOConfig(steps=100, reward_funcs=["accuracy", "readable_format",
                                                           "language_consistency"])
    ablation_reward_funcs: list[str] = ["accuracy", "readable_format"]  # the run without it
    # equal numbers of prompts per language: with 70 % English prompts the push toward English
    # connectives outweighed the language reward on Chinese prompts (a small policy ties its
    # reasoning language only weakly to the prompt's), and mixing on Chinese prompts rose
    balance_languages: bool = True


class RejectionSamplingConfig(_Section):
    """Stage 04, rejection sampling and SFT of the base on reasoning + general data (§2.3.3)."""

    prompts: int = Field(400, gt=0)        # train problems sampled from the 03 checkpoint
    n: int = Field(16, gt=0)               # completions per prompt (the paper: 10-20)
    temperature: float = Field(0.8, gt=0)  # a little above evaluation's 0.6, for diversity
    max_new_tokens: int = Field(120, gt=0)
    max_completion_tokens: int = Field(110, gt=0)  # longer completions count as overlong
    max_per_prompt: int = Field(4, gt=0)   # distinct correct completions kept per prompt
    # non-reasoning data comes from the data source (section data)
    sft: SFTConfig = SFTConfig(steps=600)


class AllScenarioRLConfig(_Section):
    """Stage 05, reward models and RL for all scenarios (§2.3.4)."""

    test_frac: float = Field(0.2, gt=0, lt=1)  # held-out pairs for pairwise accuracy (by prompt)
    reward_model: RewardModelConfig = RewardModelConfig()  # the helpfulness RM (and harmlessness by default)
    harmlessness_model: RewardModelConfig | None = None    # None: the same settings as reward_model
    general_prompts: int = Field(400, ge=0)    # general RL prompts (benign + harmful)
    harmful_share: float = Field(0.5, ge=0, le=1)
    reasoning_prompts: int = Field(400, ge=0)  # reasoning RL prompts (rule rewards)
    grpo: GRPOConfig = GRPOConfig(steps=100, reward_funcs=["accuracy", "readable_format",
                                                           "language_consistency"])
    eval_prompts: int = Field(200, gt=0)       # held-out harmful / self-cognition prompts
    train_acc_pairs: int = Field(300, gt=0)    # training pairs scored for each RM's train accuracy
    #                                            (against the held-out one: over-fitting)

    def reward_model_config(self, kind: str) -> RewardModelConfig:
        """Training settings of the ``kind`` (``"helpfulness"``/``"harmlessness"``) reward model.

        Raises:
            ValueError: unknown ``kind``.
        """
        if kind not in ("helpfulness", "harmlessness"):
            raise ValueError(f"unknown reward model {kind!r}; known: ['harmlessness', 'helpfulness']")
        if kind == "harmlessness" and self.harmlessness_model is not None:
            return self.harmlessness_model
        return self.reward_model


class StudentConfig(_Section):
    """The student of stage 06: a smaller config of the same family (micro: fewer, narrower
    layers; GPU: e.g. ``base: Qwen/Qwen2.5-0.5B``)."""

    base: str | None = None
    hidden_size: int = 64
    num_layers: int = 3
    num_heads: int = 4
    intermediate_size: int = 160
    pretrain: PretrainConfig = PretrainConfig(steps=1500, batch_size=16, lr=3e-3)


class DistillationConfig(_Section):
    """Stage 06, distillation into a smaller student vs RL on the student (§2.4, Table 6)."""

    student: StudentConfig = StudentConfig()
    prompts: int = Field(600, gt=0)        # reasoning prompts the teacher (r1) answers
    n: int = Field(4, gt=0)                # teacher samples per prompt, filtered as in 04
    general: int = Field(300, ge=0)        # general prompts answered by the teacher
    sft: SFTConfig = SFTConfig(steps=600)
    # student_rl: GRPO on the student's own base with the distillation SFT's compute
    grpo: GRPOConfig = GRPOConfig(steps=400)
    budget_scale: float = Field(1.0, gt=0)  # student_rl gets budget_scale × the distillation SFT's
                                           # compute (model FLOPs, r1lib.recipe.training.grpo_flops)
    filter_teacher: bool = True            # False keeps every teacher sample (smoke runs, whose
                                           # untrained teacher passes no filter)


class AhaConfig(_Section):
    """Stage 08, the aha-moment analysis of the RL logs (paper §2.2.4, Fig. 2-3, Table 3), with
    the base model's own reflection rate as the baseline (oat-zero, understand-r1-zero)."""

    base_prompts: int = Field(100, gt=0)   # train problems the base model is sampled on
    base_k: int = Field(8, gt=0)           # samples per problem (R1-Zero's group size)
    window: int = Field(20, gt=0)          # RL steps pooled for the "first" and "final" rates
    max_episodes: int = Field(12, ge=0)    # aha episodes shown (all are counted)


class VariantsConfig(_Section):
    """Stage 09, GRPO variants from the same base at the same compute (notebook 09).

    Every run is R1-Zero's GRPO (section ``grpo``: rewards, lengths, sampling, lr) with
    ``shared`` on top (the settings all variants need, e.g. off-policy updates so that the
    importance ratio can leave 1), then the run's own entry of ``runs``.
    """

    shared: dict[str, Any] = {"num_iterations": 2}  # μ = 2: each batch is used twice, so the
    #   ratio moves off 1 on the second pass and the clipping rules differ (on-policy they cannot)
    runs: dict[str, dict[str, Any] | None] = {  # name -> GRPO settings; null drops an inherited run
        "grpo": {},
        "dr_grpo": {"variant": "dr_grpo"},
        "dapo": {"variant": "dapo", "epsilon_high": 0.28},     # DAPO's loss and clip-higher
        "gspo": {"variant": "gspo", "epsilon": 3.0e-4, "epsilon_high": 4.0e-4},  # GSPO's ranges
        "cispo": {"variant": "cispo"},                         # ε_max 5.0 (ScaleRL)
        "grpo_clip_higher": {"epsilon_high": 0.28},            # DAPO's clip-higher alone
    }
    seeds: list[int] = [0, 1]               # two seeds, to tell differences from noise
    budget_tokens: int = Field(100_000, gt=0)  # rollout tokens (prompt + completion) per run:
    #   the same compute for every run (model FLOPs, r1lib.recipe.training.grpo_flops)
    max_steps: int = Field(150, gt=0)       # cap on GRPO steps (shorter completions: more steps)
    eval_problems: int = Field(200, gt=0)   # held-out micro_test problems scored after training
    eval_k: int = Field(4, gt=0)            # samples per problem (pass@1 over k, cons@k)
    tail_share: float = Field(0.25, gt=0, le=1)  # last share of steps pooled for "final" curve values

    def configs(self, base: GRPOConfig) -> dict[str, GRPOConfig]:
        """Each run's GRPO settings: ``base`` (the profile's ``grpo``), then ``shared``, then
        the run's entry, then ``steps = max_steps``.

        Raises:
            ValueError: a run's settings are invalid; the message names ``variants.runs.<name>``
                and what pydantic rejected.
        """
        out = {}
        for name, over in self.runs.items():
            if over is None:
                continue
            try:
                out[name] = GRPOConfig(**{**base.model_dump(), **self.shared, **over, "steps": self.max_steps})
            except ValidationError as e:
                why = "; ".join(f"{'.'.join(map(str, err['loc'])) or 'grpo'}: "
                                f"{err['msg'].removeprefix('Value error, ')}" for err in e.errors())
                raise ValueError(f"variants.runs.{name}: {why}") from None
        return out

    @model_validator(mode="after")
    def _runs(self):
        if not any(v is not None for v in self.runs.values()):
            raise ValueError("variants.runs is empty: name at least one run")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"variants.seeds must be distinct and non-empty, got {self.seeds}")
        return self


class BenchmarkEval(_Section):
    """How one benchmark is evaluated."""

    k: int = Field(1, gt=0)                  # samples per problem (pass@1 over k, cons@k)
    max_new_tokens: int = Field(96, gt=0)    # generation budget per sample
    limit: int | None = Field(None, gt=0)    # first N problems only (None: all)


class EvaluationConfig(_Section):
    """The paper's protocol (§3): pass@1 over k samples at T=0.6, top-p 0.95, and cons@k."""

    temperature: float = Field(0.6, gt=0)
    top_p: float = Field(0.95, gt=0, le=1)
    batch_size: int = Field(256, gt=0)       # sequences per generate call
    max_prompt_tokens: int = Field(384, gt=0)  # longer prompts keep their last tokens, counted
    benchmarks: dict[str, BenchmarkEval] = {"micro_test": BenchmarkEval(k=8)}
    greedy: bool = True                      # also report greedy accuracy
    # prompt sensitivity (§5): the final checkpoint with solved examples before each question
    few_shot_examples: int = Field(2, gt=0)  # solved examples before each micro_test question
    few_shot_k: int = Field(4, gt=0)         # samples per question (few-shot prompts are ~3x longer)



class StageEvalConfig(_Section):
    """The held-out comparisons inside stages 02, 04, 05 and 06 (each stage's checkpoints against
    the one it starts from, on 00's held-out problems); 07 is the full evaluation. A real model
    on a CPU samples at ~50 tokens/s, so these checks need smaller sets than 07's."""

    problems: int | None = Field(None, gt=0)  # the first N of 00's held-out problems (None: all)
    k: int = Field(4, gt=0)                   # samples per problem (pass@1 over k, T 0.6)
    general_prompts: int = Field(200, gt=0)   # 04's held-out general prompts (refusals, identity)


class ProblemsConfig(_Section):
    """Problems of real-model profiles (``model.base`` set): RL prompts and held-out probes come
    from benchmark files under the data root instead of the micro world (stage 00 writes them)."""

    train: list[str] = ["gsm8k_train", "math_train"]  # R1-Zero's RL prompts: GSM8K + MATH (add
    #                                                   cmath_dev for Chinese prompts, §2.3.2)
    train_limit: int | None = Field(None, gt=0)       # first N of each (None: all), after the bounds below
    max_steps: int | None = Field(None, gt=0)         # train and held-out problems whose reference takes <= N steps
    #                                                   (GSM8K solution lines, CMATH reasoning_step)
    max_level: int | None = Field(None, ge=1, le=5)   # MATH train problems of level <= N; each bound
    #                                                   leaves problems without its measure alone
    heldout: str | list[str] = "math500"               # probed during RL (accuracy vs step); one
    #                                                   name or several (math500, gsm8k_test, mgsm_zh)
    heldout_limit: int | None = Field(100, gt=0)       # first N of each held-out benchmark

    @property
    def heldout_names(self) -> list[str]:
        """``heldout`` as a list of benchmark names (a single name becomes a one-item list)."""
        return [self.heldout] if isinstance(self.heldout, str) else list(self.heldout)

    @model_validator(mode="after")
    def _nonempty(self):
        if not self.heldout_names:
            raise ValueError("problems.heldout: give at least one benchmark name (e.g. math500)")
        return self


class LoRAConfig(_Section):
    """Low-rank adapters (PEFT, through Unsloth's ``get_peft_model`` or ``peft.LoraConfig``)."""

    r: int = Field(32, gt=0)              # rank; open-r1 / Unsloth GRPO notebooks use 16-64
    alpha: int = Field(64, gt=0)          # scale alpha / r = 2, the usual choice
    dropout: float = Field(0.0, ge=0, lt=1)  # 0: Unsloth's fast path needs it
    target_modules: list[str] = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


class RuntimeConfig(_Section):
    """How stages execute: backends, memory savings and GPUs (issue 6). Defaults are the CPU
    path of the micro profile; stage hashes include only the fields set away from them."""

    # --- model loading and training kernels (``model.backend`` picks hf or unsloth) ---
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"  # auto: bf16 on GPU, fp32 on CPU
    lora: LoRAConfig | None = None        # None: full fine-tuning
    load_in_4bit: bool = False            # QLoRA (Unsloth, bitsandbytes): 24 GB GPUs; needs lora
    max_seq_length: int = Field(4096, gt=0)  # Unsloth's RoPE/kv budget: prompt + completion tokens
    gradient_checkpointing: bool = False  # Unsloth's "unsloth" offloaded variant when on
    cpu_autocast: bool = False            # training on a CPU: bf16 autocast over fp32 weights (the
                                          # Trainer's bf16=True; updates stay fp32). For CPUs with
                                          # avx512_bf16 / amx_bf16, where it speeds real models'
                                          # training; ignored, with a warning, on others (27x slower)
    # --- generation for evaluation, rejection sampling and distillation ---
    generation: Literal["hf", "vllm"] = "hf"  # vllm: LLM.generate with SamplingParams(n=k)
    gpu_memory_utilization: float = Field(0.5, gt=0, le=0.95)  # vLLM's share of the GPU
    # --- rollouts inside GRPO (TRL ``use_vllm``) ---
    grpo_vllm: Literal["off", "colocate", "server"] = "off"  # colocate: one GPU; server: `trl vllm-serve`
    vllm_server_host: str = "127.0.0.1"
    vllm_server_port: int = Field(8000, gt=0, lt=65536)
    # --- several GPUs (TRL + accelerate / DeepSpeed; never a home-made engine) ---
    num_processes: int = Field(1, gt=0)   # training processes (GPUs) for `accelerate launch`
    accelerate_config: str | None = None  # accelerate YAML, e.g. params/accelerate/zero3.yaml
    # --- independent jobs of a stage on the CPU (r1lib.engine.parallel) ---
    parallel_jobs: int | None = Field(None, gt=0)  # processes for 03's two runs, 05's two RMs, 07's
                                          # checkpoints; None: one per core. Each job runs with one
                                          # torch thread, so the numbers do not depend on this

    @model_validator(mode="after")
    def _check(self):
        if self.load_in_4bit and self.lora is None:
            raise ValueError("runtime.load_in_4bit needs runtime.lora: 4-bit weights cannot be "
                             "fully fine-tuned; add a lora section or set load_in_4bit: false")
        if self.num_processes > 1 and self.accelerate_config is None:
            raise ValueError("runtime.num_processes > 1 needs runtime.accelerate_config (e.g. "
                             "params/accelerate/zero3.yaml)")
        if self.grpo_vllm == "colocate" and self.num_processes > 1:
            raise ValueError("runtime.grpo_vllm: colocate runs vLLM inside each training process; on "
                             "several GPUs use grpo_vllm: server with `trl vllm-serve` on its own GPU")
        return self


class IdentityConfig(_Section):
    """Who the model says it is (self-cognition data, §2.3.3): fills ``{{name}}``/``{{author}}``."""

    name: str = "R1-micro"
    author: str = "r1-repro"


class MicroDataConfig(_Section):
    """Sizes of the micro world's generated non-reasoning data (``r1lib.sources.micro``)."""

    self_cognition: int = Field(300, ge=0)   # "who are you?" with the identity in the answer
    factual_qa: int = Field(600, ge=0)       # capitals, colours, animal sounds
    writing: int = Field(600, ge=0)          # greetings, thank-you notes, descriptions
    safety: int = Field(60, ge=0)            # harmful requests with refusals (V3's SFT data has some)
    preference_pairs: int = Field(1500, gt=0)  # per reward model, before the held-out split


class RealDataConfig(_Section):
    """Files of the ``real`` source, relative to the data root (or the same sets by hub id).

    Reasoning problems come from the ``problems`` section (GSM8K train + MATH train, CMATH dev
    for Chinese prompts; MATH-500, GSM8K test and MGSM zh held out)."""

    sft_files: list[str] = ["sft/llamafactory_identity.jsonl", "sft/llamafactory_alpaca_en_demo.jsonl",
                            "sft/llamafactory_alpaca_zh_demo.jsonl"]   # non-reasoning SFT data
    sft_limit: int | None = Field(None, gt=0)          # first N records of each file
    helpfulness_files: list[str] = ["preference/llamafactory_dpo_en_demo.jsonl",
                                    "preference/llamafactory_dpo_zh_demo.jsonl"]
    harmlessness_file: str = "preference/hh_rlhf_harmless_base_test.jsonl.gz"  # HH-RLHF dialogues
    preference_limit: int | None = Field(None, gt=0)   # pairs per reward model (None: all)
    harmful_eval_share: float = Field(0.3, gt=0, lt=1)  # HH-RLHF first human turns held out for
    #                                                    evaluation (disjoint by prompt from RL's)
    benign_eval_share: float = Field(0.2, gt=0, lt=1)  # alpaca and identity prompts held out for
    #                                                   evaluation (disjoint by prompt from SFT's)
    safety: int = Field(100, ge=0)                     # HH-RLHF harmful requests with a refusal in SFT
    #                                                   (at most sft_limit of them)
    ngram: int = Field(8, ge=4)                        # decontamination n-gram (open-r1 uses 8)


class DataConfig(_Section):
    """Where every stage's data comes from (``r1lib.sources``): one source for the whole run."""

    source: Literal["micro", "real"] = "micro"  # micro: generated; real: files under the data root
    identity: IdentityConfig = IdentityConfig()
    micro: MicroDataConfig = MicroDataConfig()
    real: RealDataConfig = RealDataConfig()


class Profile(_Section):
    """A whole run profile (one ``params/*.yaml``)."""

    name: str
    seed: int = 0
    data_root: str | None = None  # None: $R1_DATA_ROOT, else ../shared/data beside the repo
    world: WorldConfig = WorldConfig()
    tokenizer: TokenizerConfig = TokenizerConfig()
    model: ModelConfig = ModelConfig()
    pretrain: PretrainConfig = PretrainConfig()
    grpo: GRPOConfig = GRPOConfig()
    cold_start: ColdStartConfig = ColdStartConfig()
    reasoning_rl: ReasoningRLConfig = ReasoningRLConfig()
    rejection_sampling: RejectionSamplingConfig = RejectionSamplingConfig()
    all_scenario_rl: AllScenarioRLConfig = AllScenarioRLConfig()
    distillation: DistillationConfig = DistillationConfig()
    evaluation: EvaluationConfig = EvaluationConfig()
    stage_eval: StageEvalConfig = StageEvalConfig()  # the in-stage checks of 02, 04, 05, 06
    aha: AhaConfig = AhaConfig()
    variants: VariantsConfig = VariantsConfig()
    runtime: RuntimeConfig = RuntimeConfig()
    problems: ProblemsConfig = ProblemsConfig()  # reasoning problems of the real source
    data: DataConfig = DataConfig()

    @model_validator(mode="after")
    def _cross(self):
        lo, hi = self.world.n_operands
        if not 2 <= lo <= hi <= 9:
            raise ValueError(f"world.n_operands must be [lo, hi] with 2 <= lo <= hi <= 9 (distinct "
                             f"digits 1-9), got {list(self.world.n_operands)}")
        if self.evaluation.max_prompt_tokens >= self.model.max_positions:
            raise ValueError("evaluation.max_prompt_tokens must be below model.max_positions")
        if self.runtime.load_in_4bit and self.model.backend != "unsloth":
            raise ValueError("runtime.load_in_4bit needs model.backend: unsloth")
        for key, g in (("grpo", self.grpo), ("reasoning_rl.grpo", self.reasoning_rl.grpo)):
            if g.probe_problems < 1:  # R1-Zero's final probe is 03's target; 03's probes count its steps
                raise ValueError(f"{key}.probe_problems must be >= 1: stage 03 compares the held-out probes of "
                                 "01 (R1-Zero's final pass@1, also plotted by 08) and of 03 (the steps to reach "
                                 "it); to make them cheaper, lower probe_problems or probe_k, or raise probe_every")
        return self


def sections(node: BaseModel, prefix: str = ""):
    """Every nested section of ``node`` with its dotted name (``reasoning_rl.grpo``, …)."""
    for name in type(node).model_fields:
        value = getattr(node, name)
        if isinstance(value, BaseModel):
            path = f"{prefix}{name}"
            yield path, value
            yield from sections(value, path + ".")


