"""Rule-based rewards of DeepSeek-R1 in TRL's ``GRPOTrainer`` reward-function signature.

DeepSeek-R1 (arXiv 2501.12948) §2.2.2 "Reward Modeling" trains R1-Zero with two rule-based
rewards and no neural reward model:

* **accuracy rewards**: "evaluate whether the response is correct" by rule, e.g. a final
  answer in a specified format checked against the reference (here: :mod:`r1lib.recipe.equivalence`, on
  top of the math-verify library);
* **format rewards**: "enforces the model to put its thinking process between '<think>' and
  '</think>' tags".

Every reward has TRL's signature ``f(completions: list, **kwargs) -> list[float | None]``.
A completion is a string or a conversational list ``[{"role": "assistant", "content": ...}]``;
dataset columns arrive as keyword arguments (lists aligned with ``completions``). Rewards are
looked up by name in :data:`REWARD_FUNCS`; each function's ``__name__`` is its registry name,
so TRL logs them as ``rewards/format`` and ``rewards/accuracy``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from r1lib.core.formats import reasoning_text
from r1lib.core.profile import GRPOConfig
from r1lib.recipe.answer import with_last_number_answer
from r1lib.recipe.code import extract_code, passes_tests
from r1lib.recipe.equivalence import Verifier, batch_answers_correct
from r1lib.recipe.language import reasoning_language_share, target_language_share, words_by_language
from r1lib.recipe.templates import readable_ok

__all__ = [
    "ACCURACY_REWARDS",
    "REWARD_FACTORIES",
    "REWARD_FUNCS",
    "accuracy_reward",
    "lenient_accuracy_reward",
    "completion_text",
    "format_ok",
    "format_reward",
    "get_reward_funcs",
    "register_reward",
    "reward_names",
    "soft_overlong",
]

RewardFunc = Callable[..., list[float | None]]

REWARD_FUNCS: dict[str, RewardFunc] = {}
"""Registry: reward name -> reward function (TRL signature)."""

ACCURACY_REWARDS = ("accuracy", "accuracy_lenient")
"""The rewards that grade correctness; logs and preflights report the first a run uses as its
``accuracy``."""

TAGS = ("<think>", "</think>", "<answer>", "</answer>")


def register_reward(name: str) -> Callable[[RewardFunc], RewardFunc]:
    """Decorator registering a reward function under ``name`` in :data:`REWARD_FUNCS`.

    Sets the function's ``__name__`` to ``name`` (TRL logs each reward as
    ``rewards/<__name__>``) and returns the function unchanged otherwise.

    Raises:
        ValueError: ``name`` is empty or already registered.
    """
    if not name or not isinstance(name, str):
        raise ValueError(f"reward name must be a non-empty string, got {name!r}")

    def deco(fn: RewardFunc) -> RewardFunc:
        if name in REWARD_FUNCS:
            raise ValueError(f"reward {name!r} is already registered")
        fn.__name__ = name
        REWARD_FUNCS[name] = fn
        return fn

    return deco


REWARD_FACTORIES: dict[str, Callable[[GRPOConfig], RewardFunc]] = {}
"""Registry of rewards that need the GRPO settings (e.g. the length limit): name -> a function
of the :class:`r1lib.core.profile.GRPOConfig` that returns the reward function."""


def soft_overlong(cfg: GRPOConfig) -> RewardFunc:
    """DAPO's soft overlong punishment (eq. 13) for ``cfg.max_completion_length`` and
    ``cfg.overlong_cache``: 0 up to ``L_max - L_cache`` tokens, then linear down to -1 at
    ``L_max``, -1 beyond. Reads ``completion_ids`` (token lists); ``len(completion_ids)`` values.

    Source: DAPO (arXiv 2503.14476) eq. 13, through ``trl.rewards.get_soft_overlong_punishment``.
    """
    from trl.rewards import get_soft_overlong_punishment  # trl is heavy to import

    inner = get_soft_overlong_punishment(cfg.max_completion_length, cfg.overlong_cache)

    def reward(completion_ids=None, **kwargs) -> list[float]:
        if completion_ids is None:
            raise ValueError("soft_overlong needs the completions' token ids (keyword completion_ids)")
        return inner(completion_ids=completion_ids)

    reward.__name__ = "soft_overlong"
    return reward


REWARD_FACTORIES["soft_overlong"] = soft_overlong


def reward_names() -> list[str]:
    """Every registered reward name (plain and factory), sorted."""
    return sorted([*REWARD_FUNCS, *REWARD_FACTORIES])


def get_reward_funcs(names: Sequence[str], cfg: GRPOConfig | None = None) -> list[RewardFunc]:
    """The registered reward functions for ``names``, in order.

    Args:
        names: registry names (:func:`reward_names`).
        cfg: the GRPO settings, needed by the rewards of :data:`REWARD_FACTORIES`.

    Returns:
        ``list[Callable]`` of ``len(names)``, ready for ``GRPOTrainer(reward_funcs=...)``.

    Raises:
        KeyError: a name is not registered; the message names it and lists the known rewards.
        ValueError: a factory reward is named without ``cfg``.
    """
    if isinstance(names, str):
        names = [names]
    out = []
    for n in names:
        if n in REWARD_FACTORIES:
            if cfg is None:
                raise ValueError(f"reward {n!r} is built from the GRPO settings: pass cfg")
            out.append(REWARD_FACTORIES[n](cfg))
        elif n in REWARD_FUNCS:
            out.append(REWARD_FUNCS[n])
        else:
            raise KeyError(f"unknown reward {n!r}; known rewards: {reward_names()}")
    return out


def completion_text(completion: Any) -> str:
    """The text of one completion as TRL passes it.

    Accepts a string, a conversational list of messages ``[{"role": ..., "content": ...}]``
    (contents concatenated; a content may itself be a list of ``{"type": "text", "text": ...}``
    parts), or a single message dict.

    Returns:
        ``str``.

    Raises:
        TypeError: any other type.
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return _content_text(completion.get("content", ""))
    if isinstance(completion, (list, tuple)):
        return "".join(completion_text(m) for m in completion)
    raise TypeError(f"unsupported completion type {type(completion).__name__}")


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "".join(parts)
    raise TypeError(f"unsupported message content type {type(content).__name__}")


def _skip_ws(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i].isspace():
        i += 1
    return i


def _clean_part(part: str) -> bool:
    """Non-empty after strip and free of the four tags."""
    return bool(part.strip()) and not any(t in part for t in TAGS)


def format_ok(text: str) -> bool:
    """Whether ``text`` is exactly ``<think>R</think><answer>A</answer>`` up to whitespace.

    Optional whitespace before ``<think>``, between ``</think>`` and ``<answer>`` and after
    ``</answer>``; ``R`` and ``A`` non-empty after strip and containing none of the four tags.
    Tags are exact and case-sensitive (``<Think>``, ``< think>``, ``<think >``, ``<thinking>``
    fail). A small scanner over tag positions, not a regex.

    Returns:
        ``bool``.
    """
    i = _skip_ws(text, 0)
    if not text.startswith("<think>", i):
        return False
    r_start = i + len("<think>")
    r_end = text.find("</think>", r_start)
    if r_end == -1 or not _clean_part(text[r_start:r_end]):
        return False
    i = _skip_ws(text, r_end + len("</think>"))
    if not text.startswith("<answer>", i):
        return False
    a_start = i + len("<answer>")
    a_end = text.find("</answer>", a_start)
    if a_end == -1 or not _clean_part(text[a_start:a_end]):
        return False
    return _skip_ws(text, a_end + len("</answer>")) == len(text)


@register_reward("format")
def format_reward(completions: list, **kwargs: Any) -> list[float | None]:
    """Format reward: 1.0 iff the completion is ``<think>...</think><answer>...</answer>``.

    See :func:`format_ok` for the exact rule.

    Args:
        completions: strings or conversational message lists (TRL).
        **kwargs: dataset columns and TRL extras; ignored.

    Returns:
        ``list[float]`` of ``len(completions)``, each 1.0 or 0.0.

    Raises:
        TypeError: a completion of an unsupported type.

    Source: DeepSeek-R1 §2.2.2 "Reward Modeling", format rewards.
    """
    return [1.0 if format_ok(completion_text(c)) else 0.0 for c in completions]


@register_reward("readable_format")
def readable_format_reward(completions: list, **kwargs: Any) -> list[float]:
    """Format reward of the readable pattern: 1.0 iff :func:`r1lib.recipe.templates.readable_ok`.

    Args:
        completions: strings or conversational message lists (TRL signature).

    Returns:
        ``list[float]`` of ``len(completions)``.

    Source: DeepSeek-R1 §2.3.1-2.3.2 (cold-start pattern, kept by the format reward in RL).
    """
    return [1.0 if readable_ok(completion_text(c)) else 0.0 for c in completions]


@register_reward("accuracy")
def accuracy_reward(completions: list, answer: list | None = None, verifier: Verifier | None = None,
                    **kwargs: Any) -> list[float | None]:
    """Accuracy reward: rule-based correctness of the final answer, independent of format.

    Each completion scores :func:`r1lib.recipe.equivalence.answer_is_correct` against its gold answer,
    all in one batched verifier call (:func:`r1lib.recipe.equivalence.batch_answers_correct`): 1.0 when the
    final statements outside ``<think>`` (``<answer>`` blocks, ``\\boxed{}``) are non-hedging,
    agree and equal the gold; 0.0 otherwise; ``None`` when the gold cannot be parsed (TRL then
    ignores the sample for this reward).

    Args:
        completions: strings or conversational message lists (TRL).
        answer: the dataset column of gold answers, aligned with ``completions``.
        verifier: optional :class:`r1lib.recipe.equivalence.Verifier`; default
            :func:`r1lib.recipe.equivalence.get_verifier`.
        **kwargs: other dataset columns and TRL extras; ignored.

    Returns:
        ``list[float | None]`` of ``len(completions)``.

    Raises:
        ValueError: the ``answer`` keyword argument is missing or its length differs.
        TypeError: ``answer`` is a single string, or a completion has an unsupported type.

    Source: DeepSeek-R1 §2.2.2 "Reward Modeling", accuracy rewards; math-verify library.
    """
    if answer is None:
        raise ValueError("accuracy reward needs the keyword argument 'answer' (the gold answer column)")
    if isinstance(answer, str):
        raise TypeError("keyword argument 'answer' must be a list aligned with completions, not a str")
    if len(answer) != len(completions):
        raise ValueError(f"keyword argument 'answer' has {len(answer)} entries for {len(completions)} completions")
    texts = [completion_text(c) for c in completions]
    return batch_answers_correct(texts, list(answer), verifier)


@register_reward("accuracy_lenient")
def lenient_accuracy_reward(completions: list, answer: list | None = None, verifier: Verifier | None = None,
                            **kwargs: Any) -> list[float | None]:
    """Accuracy reward that also grades prose answers: as :func:`accuracy_reward`, except that a
    completion stating no final answer (no ``<answer>`` block, no ``\\boxed{}`` outside the
    reasoning) is graded by the last number it writes (:func:`r1lib.recipe.answer.last_number`).

    For R1-Zero on a base that never writes the format (SmolLM2-135M-Instruct: format rate 0.000
    in 64 samples, with or without a demonstration in the prompt), the strict reward is zero on
    every rollout and no group has a gradient. The format reward (paper §2.2.2) stays the only
    pressure toward the tags. Reports grade with the strict rule; a profile that trains with
    this reward says so.

    Args, Returns, Raises: as :func:`accuracy_reward`.

    Source: DeepSeek-R1 §2.2.2 accuracy rewards; the final-number convention of GSM8K.
    """
    texts = [with_last_number_answer(completion_text(c)) for c in completions]
    return accuracy_reward(texts, answer=answer, verifier=verifier)


@register_reward("language_consistency")
def language_consistency_reward(completions: list, language: list | None = None,
                                **kwargs: Any) -> list[float | None]:
    """Language consistency reward: the share of target-language words in the reasoning.

    Each completion scores :func:`r1lib.recipe.language.reasoning_language_share`: target words /
    all words inside ``<think>…</think>`` (a run of Latin letters is one English word, each CJK
    ideograph one Chinese word; digits, punctuation and LaTeX commands are not words); 0.0 when
    the reasoning has no words (paying 1.0 there rewards dropping the reasoning). The summary
    and ``<answer>`` are not counted.

    Args:
        completions: strings or conversational message lists (TRL).
        language: optional dataset column of target languages (``"en"``/``"zh"``), aligned with
            ``completions``; a ``None`` entry, or no column, means ``"en"``.
        **kwargs: other dataset columns and TRL extras; ignored.

    Returns:
        ``list[float]`` of ``len(completions)``, each in [0, 1].

    Raises:
        ValueError: ``language`` has a different length, or an unsupported language.
        TypeError: ``language`` is a single string, or a completion has an unsupported type.

    Source: DeepSeek-R1 §2.3.2: the language consistency reward ("the proportion of target
    language words in the CoT") is added directly to the accuracy reward; in the paper's
    ablation it slightly degrades performance but aligns with human preference (readability).
    """

    out = []
    for c, t in zip(completions, _target_languages(language, len(completions))):
        text = completion_text(c)
        # no words, no evidence of the target language: 0. Paying 1.0 here was hacked in the
        # micro world, where the policy dropped its worded check and accuracy fell 0.80 -> 0.16
        out.append(reasoning_language_share(text, t) if sum(words_by_language(reasoning_text(text)).values())
                   else 0.0)
    return out


def _target_languages(language: list | None, n: int) -> list[str]:
    """The ``language`` column of the language rewards, checked: ``"en"`` where absent."""
    if language is None:
        return ["en"] * n
    if isinstance(language, str):
        raise TypeError("keyword argument 'language' must be a list aligned with completions, not a str")
    if len(language) != n:
        raise ValueError(f"keyword argument 'language' has {len(language)} entries for {n} completions")
    return ["en" if t is None else t for t in language]


@register_reward("language_consistency_signed")
def language_consistency_signed_reward(completions: list, language: list | None = None,
                                       **kwargs: Any) -> list[float | None]:
    """Language consistency, signed: (target-language words − other words) / words of the
    reasoning, in [-1, 1]; 0.0 for a reasoning without words (neutral).

    Equal to ``2 × share − 1`` of the paper's proportion (:func:`language_consistency_reward`)
    for a worded reasoning, so GRPO's group-normalised advantages see the same ordering among
    worded completions; what differs is the word-free one. The proportion pays it 0.0, the same
    as a reasoning wholly in the wrong language, so with accuracy rewarding a worded check the
    policy traded word-free reasoning for checks in either language: in the micro world the
    proportion *raised* mixing 0.15 → 0.59 in 180 steps, and an all-or-nothing variant did the
    same. Here a wrong-language word costs what a right one earns, and no words are neutral.

    Args, returns and errors: as :func:`language_consistency_reward` (values in [-1, 1]).

    Source: a variant of DeepSeek-R1 §2.3.2's language consistency reward (an affine map of the
    proportion, with word-free reasoning at its midpoint); words by Unicode script
    (:mod:`r1lib.recipe.language`).
    """
    out = []
    for c, t in zip(completions, _target_languages(language, len(completions))):
        think = reasoning_text(completion_text(c))
        share = target_language_share(think, t)  # checks t first; 1.0 without words
        out.append(2.0 * share - 1.0 if sum(words_by_language(think).values()) else 0.0)
    return out


__all__.append("language_consistency_signed_reward")
__all__.append("language_consistency_reward")


def only_for(func: RewardFunc, category: str, column: str = "category") -> RewardFunc:
    """Restrict a reward function to rows of one category: other rows get ``None``, which TRL
    skips (``nansum`` over reward functions). Used when one RL batch mixes reasoning prompts
    (rule rewards) with general prompts (reward-model rewards), paper §2.3.4.

    The rows of ``category`` are passed to ``func`` as a sub-batch (every list-valued keyword
    argument aligned with ``completions`` is subset too); the wrapper keeps ``func.__name__``.
    A batch without the ``column`` keyword is treated as all ``category`` (``func`` scores every
    row), so the wrapper is a no-op on single-purpose datasets.
    """
    def reward(prompts=None, completions=None, **kw):
        cats = kw.get(column) or [category] * len(completions)
        idx = [i for i, c in enumerate(cats) if c == category]
        out: list[float | None] = [None] * len(completions)
        if not idx:
            return out
        n = len(completions)
        sub = {k: [v[i] for i in idx] if isinstance(v, list) and len(v) == n else v for k, v in kw.items()}
        vals = func(prompts=[prompts[i] for i in idx] if prompts else None,
                    completions=[completions[i] for i in idx], **sub)
        for i, v in zip(idx, vals):
            out[i] = v
        return out

    reward.__name__ = func.__name__
    reward.__dict__.update(getattr(func, "__dict__", {}))  # e.g. a reward model's rm_path
    reward.only_for = category
    return reward


__all__.append("only_for")


@register_reward("code")
def code_reward(completions: list, tests: list | None = None, limits: Any = None,
                **kwargs: Any) -> list[float | None]:
    """Code accuracy reward: 1.0 when the completion's code passes all of its tests in the sandbox.

    The code is the last ```` ```python ```` block outside ``<think>``
    (:func:`r1lib.recipe.code.extract_code`), run by :func:`r1lib.recipe.code.passes_tests` (all-or-nothing).
    0.0 for no code, a failed test, a crash, a timeout or any limit hit; ``None`` for a sample
    without tests (a math row in a mixed batch) and for every sample when there is no ``tests``
    column. Samples run in parallel (4 threads, each sample its own subprocesses).

    Args:
        completions: strings or conversational message lists (TRL).
        tests: the dataset column of tests, aligned with ``completions``; each entry a list of
            ``{"input", "output"}`` pairs, its JSON, a string of asserts, or ``None``.
        limits: optional :class:`r1lib.recipe.code.SandboxLimits`; default ``SandboxLimits()``.
        **kwargs: other dataset columns and TRL extras; ignored.

    Returns:
        ``list[float | None]`` of ``len(completions)``.

    Raises:
        ValueError: ``tests`` has a different length, or an entry is malformed.
        TypeError: ``tests`` is a single string, or a completion has an unsupported type.

    Source: DeepSeek-R1 §2.2.2 "Reward Modeling", accuracy rewards ("for LeetCode problems, a
    compiler can be used to generate feedback based on predefined test cases").
    """
    if tests is None:
        return [None] * len(completions)
    if isinstance(tests, str):
        raise TypeError("keyword argument 'tests' must be a list aligned with completions, not a str")
    if len(tests) != len(completions):
        raise ValueError(f"keyword argument 'tests' has {len(tests)} entries for {len(completions)} completions")
    def one(completion: Any, t: Any) -> float | None:
        if t is None or not (t.strip() if isinstance(t, str) else len(t)):
            return None
        code = extract_code(completion_text(completion))
        return 0.0 if code is None else passes_tests(code, t, limits)

    if not completions:
        return []
    with ThreadPoolExecutor(max_workers=min(4, len(completions))) as pool:
        return list(pool.map(one, completions, tests))


__all__.append("code_reward")
