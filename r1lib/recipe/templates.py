"""Prompt templates of the DeepSeek-R1 paper, and the check of the readable pattern.

The R1-Zero template is Table 1 of the paper (arXiv 2501.12948, §2.2.3 "Training Template"),
word for word, with the user's question in place of ``prompt``. The prompt ends with
``Assistant:``; the completion the policy writes is ``<think> … </think> <answer> … </answer>``.

Two prompt formats (``model.template`` in the profile), for the R1-Zero template and the readable
R1 pattern alike, since both train on the same prompts:

* ``r1_zero``: Table 1 as raw text, for base models (the paper's setting).
* ``chat``: the same instruction inside the policy's own chat template (instruct models): the
  instruction as the system turn, the question as the user turn, the completion after the
  assistant header. :func:`check_chat_template` refuses a chat template that pre-fills
  ``<think>`` into the generation prompt or strips the tags from an assistant turn (the
  R1-Distill pitfall: the format reward would then never, or always, fire).
"""

from __future__ import annotations

import re

from r1lib.core.formats import TAGS, split_readable
from r1lib.core.profile import ReasoningRLConfig
from r1lib.engine import backends
from r1lib.sources.benchmarks import balance_by

R1_ZERO_TEMPLATE = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant "
    "solves it. The assistant first thinks about the reasoning process in the mind and then "
    "provides the user with the answer. The reasoning process and answer are enclosed within "
    "<think> </think> and <answer> </answer> tags, respectively, i.e., <think> reasoning process "
    "here </think> <answer> answer here </answer>. User: {prompt}. Assistant:"
)

TEMPLATES = {"r1_zero": R1_ZERO_TEMPLATE}
PROMPT_FORMATS = ("r1_zero", "chat")

CHAT_SYSTEM = R1_ZERO_TEMPLATE.split(" User: ")[0]
"""The system turn of the ``chat`` format: Table 1's instruction without its User/Assistant
frame (the chat template supplies the roles)."""


class ChatTemplateError(ValueError):
    """A tokenizer whose chat template cannot carry the R1 format (none, pre-filled or stripped
    tags); the message says what to use instead."""


_CHAT = {"tok": None}  # the tokenizer of the loaded policy, when the profile's format is chat


def use_chat_tokenizer(tok) -> None:
    """Render ``chat``-format prompts with ``tok``'s chat template from now on (in this process).
    :func:`r1lib.recipe.models.use_prompt_format` (at ``Stage.open``) and
    :func:`r1lib.recipe.models.load_policy` call it, after :func:`check_chat_template`, when the
    profile's ``model.template`` is ``chat``."""
    _CHAT["tok"] = tok


def current_format() -> str:
    """The profile's prompt format (``model.template``; ``r1_zero`` outside a stage)."""
    prof = backends.current().profile
    return prof.model.template if prof is not None else "r1_zero"


def chat_prompt(tok, problem: str) -> str:
    """``problem`` in ``tok``'s chat template: the R1-Zero instruction as the system turn, the
    problem as the user turn, the assistant header last (``add_generation_prompt=True``).

    Source: transformers ``apply_chat_template``; the instruction is the paper's Table 1."""
    return tok.apply_chat_template([{"role": "system", "content": CHAT_SYSTEM},
                                    {"role": "user", "content": problem.strip().rstrip(".")}],
                                   tokenize=False, add_generation_prompt=True)


def check_chat_template(tok, name: str = "the policy's tokenizer") -> None:
    """Check that ``tok``'s chat template can carry the R1 format: it exists, its generation
    prompt holds none of the tags after the question (no pre-filled ``<think>``), and an
    assistant turn with ``<think> … </think> <answer> … </answer>`` is rendered with all four
    tags intact (none stripped, as templates that drop past reasoning do).

    Raises:
        ChatTemplateError: any of the three, naming ``name`` and what to do.

    Source: the R1-Distill chat template's ``<think>\\n`` pre-fill and reasoning stripping (DeepSeek's
    model cards); transformers ``apply_chat_template``.
    """
    if not getattr(tok, "chat_template", None):
        raise ChatTemplateError(f"model.template: chat, but {name} has no chat template; "
                                "use model.template: r1_zero (raw text) for a base model")
    marker = "QUESTION-9431"
    gen = chat_prompt(tok, marker)
    tail = gen[gen.index(marker) + len(marker):]
    found = [t for t in TAGS if t in tail]
    if found:
        raise ChatTemplateError(f"model.template: chat: {name}'s chat template pre-fills {found} after the "
                                f"question ({tail!r}); the completion would lack the tags the format "
                                "rewards look for. Use model.template: r1_zero, or a tokenizer whose "
                                "template adds nothing after the assistant header")
    reply = "<think> 1 + 1 = 2 </think> <answer> 2 </answer>"
    turn = tok.apply_chat_template([{"role": "user", "content": marker}, {"role": "assistant", "content": reply}],
                                   tokenize=False)
    lost = [t for t in TAGS if t not in turn.split(marker, 1)[-1]]
    if lost:
        raise ChatTemplateError(f"model.template: chat: {name}'s chat template strips {lost} from assistant "
                                "turns; SFT on rendered conversations would teach completions without "
                                "them. Use model.template: r1_zero, or a template that keeps them")


def make_prompt(problem: str, template: str | None = None) -> str:
    """Wrap one problem statement in a prompt format.

    Args:
        problem: the question text, as in the benchmark file (a trailing period is dropped,
            since the template adds one).
        template: ``r1_zero`` (raw Table 1 text, ending with ``Assistant:``) or ``chat`` (the
            policy's chat template, :func:`chat_prompt`); default: the profile's
            ``model.template`` (:func:`current_format`).

    Returns:
        The full prompt string.

    Raises:
        KeyError: unknown template name (the message lists the known ones).
        ChatTemplateError: ``chat`` before a policy with a chat template was loaded.

    Source: DeepSeek-R1 paper, Table 1.
    """
    template = template or current_format()
    if template == "chat":
        if _CHAT["tok"] is None:
            raise ChatTemplateError("model.template: chat renders prompts with the policy's chat template; "
                                    "load the policy (r1lib.recipe.models.load_policy) before building prompts")
        return chat_prompt(_CHAT["tok"], problem)
    if template not in TEMPLATES:
        raise KeyError(f"unknown template {template!r}; known: {sorted(PROMPT_FORMATS)}")
    return TEMPLATES[template].format(prompt=problem.strip().rstrip("."))


_BOXED = re.compile(r"\\boxed\s*\{")


def readable_ok(completion: str) -> bool:
    """Whether ``completion`` follows the readable pattern exactly.

    One think block first (only whitespace before it), non-empty reasoning, then a non-empty
    summary with no think/answer tags and exactly one ``\\boxed{…}``
    (:func:`r1lib.core.formats.readable` writes the pattern).

    Source: DeepSeek-R1 §2.3.1 (readable pattern: reasoning, then a summary).
    """
    parts = split_readable(completion)
    if parts is None:
        return False
    reasoning, summary = parts
    if not reasoning or not summary or any(t in reasoning or t in summary for t in TAGS):
        return False
    return len(_BOXED.findall(summary)) == 1


def rl_records(problems: list[dict], template: str | None = None, category: str | None = None) -> list[dict]:
    """RL prompts from reasoning problems: ``{"prompt", "answer", "id", "language"}`` (+
    ``category`` when given), the prompt in ``template``; the columns reach the reward functions
    (TRL passes dataset columns as keyword arguments).

    Source: DeepSeek-R1 §2.2 (R1-Zero's RL prompts in the Table 1 template).
    """
    out = [{"prompt": make_prompt(r["problem"], template), "answer": r["answer"], "id": r["id"],
            "language": r.get("language", "en")} for r in problems]
    return [{**r, "category": category} for r in out] if category else out


def reasoning_rl_records(problems: list[dict], cfg: ReasoningRLConfig, seed: int) -> list[dict]:
    """Stage 03's RL prompts: :func:`rl_records` of ``problems``, subsampled to equal numbers
    per language when ``cfg.balance_languages`` (``balance_by``, seeded by ``seed``).

    Source: DeepSeek-R1 §2.3.2 (RL prompts in several languages, where mixing arises).
    """
    return rl_records(balance_by(problems, "language", seed) if cfg.balance_languages else problems)
