"""The micro world: a seeded, rule-verifiable reasoning task that a CPU can learn in minutes.

A problem is a chain of single-digit additions and subtractions, "Compute 7+5-3+8-2", whose
running total stays in ``[0, max_total]``. The gold answer is an integer string, verified by the
same code that verifies GSM8K and MATH-500 answers (``r1lib.recipe.equivalence``).

The pretraining corpus (DESIGN.md §5) is written in the R1-Zero template and mixes four styles
of imperfect worked traces, so that the base model is right only part of the time and already,
rarely, reflects:

=========  ==========================================================  =====================
style      completion                                                  correct
=========  ==========================================================  =====================
guess      ``<think> It is about 14. </think> <answer> 14 </answer>``  rarely (a guess)
hasty      the whole chain at once: ``7+5-3+8-2=15.``                  ``p_hasty_correct``
careful    one operation a step: ``7+5=12. 12-3=9. …``                 unless a step slips
check      hasty, then "Wait, let me check step by step." + careful    always (it re-derives)
=========  ==========================================================  =====================

The hasty style dominates, so greedy decoding follows it and the base scores low; careful
one-operation-per-step work appears mostly as a check after "wait". RL can only raise accuracy
by making the model work step by step and check itself, so length and reflection rise for the
reason the paper gives (§2.2.4), and a collapse to short guesses does not pay.

A share ``p_zh_prompt`` of the problems is posed in Chinese (``计算 7+5-3+8-2``). Checks use
Chinese connectives (``等等，我一步一步检查。``) on some English problems (``p_zh``) and English
ones on some Chinese problems (``p_en_on_zh``): the language mixing that the paper's
language-consistency reward (§2.3.2) targets, "particularly when RL prompts involve multiple
languages". The corpus also holds
"drill" documents, lines of single facts ``12-3=9.``, as pretraining text holds arithmetic.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from r1lib.core.formats import SUMMARY, readable
from r1lib.core.profile import CorpusConfig

PROBLEM_PREFIX = {"en": "Compute ", "zh": "计算 "}
"""How a problem is posed in each language."""

GUESS = {"en": "It is about {g}.", "zh": "大约是 {g}。"}

CONNECTIVES = {
    # language -> (check opener, closing when the check confirms, closing when it corrects)
    "en": ("Wait, let me check step by step.", "So {c} is right.", "So the answer is {c}."),
    "zh": ("等等，我一步一步检查。", "所以 {c} 是对的。", "所以答案是 {c}。"),
}


@dataclass(frozen=True)
class Problem:
    """One micro problem: ``operands[0] op operands[1] op …`` with ``ops[i]`` in ``+-``, posed
    in ``language`` (``"en"``: "Compute …", ``"zh"``: "计算 …")."""

    id: str
    operands: tuple[int, ...]
    ops: tuple[str, ...]
    language: str = "en"

    @property
    def expression(self) -> str:
        out = str(self.operands[0])
        for op, b in zip(self.ops, self.operands[1:]):
            out += f"{op}{b}"
        return out

    @property
    def problem(self) -> str:
        return PROBLEM_PREFIX[self.language] + self.expression

    def steps(self) -> list[tuple[int, str, int, int]]:
        """The careful trace: ``(a, op, b, a op b)`` for each operation, left to right."""
        out, total = [], self.operands[0]
        for op, b in zip(self.ops, self.operands[1:]):
            new = total + b if op == "+" else total - b
            out.append((total, op, b, new))
            total = new
        return out

    @property
    def value(self) -> int:
        return self.steps()[-1][3]

    @property
    def answer(self) -> str:
        return str(self.value)

    def record(self) -> dict:
        return {"id": self.id, "problem": self.problem, "answer": self.answer, "language": self.language}

    @classmethod
    def from_record(cls, record: dict) -> "Problem":
        """Rebuild a problem from its record (``{"id", "problem": "Compute 1+9-2", …}``); the
        language is read from the prefix ("Compute " or "计算 ").

        Raises:
            ValueError: the problem text is not a micro chain (names the record id).
        """
        m = re.fullmatch(r"(Compute|计算) (\d(?:[+-]\d)+)", record["problem"].strip())
        if not m:
            raise ValueError(f"record {record.get('id')!r}: not a micro problem: {record['problem']!r}")
        expr = m.group(2)
        return cls(record["id"], tuple(int(c) for c in expr[::2]), tuple(expr[1::2]),
                   "en" if m.group(1) == "Compute" else "zh")


def sample_problem(rng: random.Random, pid: str, n_operands: tuple[int, int],
                   max_total: int, p_zh_prompt: float = 0.0) -> Problem:
    """Draw one problem: ``n`` distinct operands in 1..9 (``n`` uniform in ``n_operands``), each op
    chosen at random among those that keep the running total in ``[0, max_total]``. The language
    is drawn from a separate stream seeded by ``pid`` (Chinese with ``p_zh_prompt``), so the
    chains do not depend on the language mix."""
    n = rng.randint(*n_operands)
    digits = rng.sample(range(1, 10), n)  # distinct operands: each step finds its operand
    operands, ops = [digits[0]], []       # in the prompt by a plain look-up, which a tiny
    total = operands[0]                   # model learns in minutes
    for b in digits[1:]:
        allowed = [op for op in "+-" if 0 <= (total + b if op == "+" else total - b) <= max_total]
        op = rng.choice(allowed)
        total = total + b if op == "+" else total - b
        operands.append(b)
        ops.append(op)
    lang = "zh" if random.Random(f"lang-{pid}").random() < p_zh_prompt else "en"
    return Problem(pid, tuple(operands), tuple(ops), lang)


def make_splits(n_train: int, n_test: int, seed: int, n_operands=(6, 8), max_total: int = 30,
                test_seed: int = 1234, p_zh_prompt: float = 0.0) -> tuple[list[Problem], list[Problem]]:
    """The train and held-out test problems.

    The test split depends only on ``test_seed`` (fixed across runs and profiles of the same
    world, so numbers stay comparable); train problems come from ``seed`` and never repeat a
    test expression.

    Returns:
        (train, test): lists of ``Problem`` of lengths ``n_train`` and ``n_test``.
    """
    trng = random.Random(f"micro-test-{test_seed}")
    test, seen = [], set()
    while len(test) < n_test:
        p = sample_problem(trng, f"micro-test-{len(test):05d}", n_operands, max_total, p_zh_prompt)
        if p.expression not in seen:
            seen.add(p.expression)
            test.append(p)
    rng = random.Random(f"micro-train-{seed}")
    train = []
    while len(train) < n_train:
        p = sample_problem(rng, f"micro-train-{len(train):06d}", n_operands, max_total, p_zh_prompt)
        if p.expression not in seen:
            train.append(p)
    return train, test


# Style shares and error rates of the corpus: one definition, in the profile schema.
CorpusMix = CorpusConfig


def _slip(rng: random.Random, value: int, spread: int = 3) -> int:
    return value + rng.choice([d for d in range(-spread, spread + 1) if d != 0])


def _fmt_steps(steps) -> str:
    """``7+5=12, 12-3=9, 9+8=17.``: each step restates the running total. With the tokenizer's
    op-operand tokens (``-3``) every step is the same few tokens, so the next operand is always
    the successor, in the prompt, of the operand used three tokens earlier: a plain induction
    look-up that a tiny model learns reliably."""
    return ", ".join(f"{a}{op}{b}={c}" for a, op, b, c in steps) + "."


def trace(problem: Problem, style: str, rng: random.Random, mix: CorpusMix) -> str:
    """One completion of ``problem`` in ``style`` (one of guess, hasty, careful, check).

    Returns the completion text that follows the prompt's ``Assistant:``, starting with
    `` <think>``.
    """
    c = problem.value
    if style == "guess":
        g = c if rng.random() < 0.15 else _slip(rng, c, 6)
        return f" <think> {GUESS[problem.language].format(g=g)} </think> <answer> {g} </answer>"
    hasty = c if rng.random() < mix.p_hasty_correct else _slip(rng, c)
    if style == "hasty":
        return f" <think> {problem.expression}={hasty}. </think> <answer> {hasty} </answer>"
    if style == "careful":
        steps, total = [], problem.operands[0]
        for _, op, b, _ in problem.steps():
            new = total + b if op == "+" else total - b
            if rng.random() < mix.p_step_slip:
                new = _slip(rng, new, 2)
            steps.append((total, op, b, new))
            total = new
        return f" <think> {_fmt_steps(steps)} </think> <answer> {total} </answer>"
    if style == "check":
        if problem.language == "zh":
            lang = "en" if rng.random() < mix.p_en_on_zh else "zh"
        else:
            lang = "zh" if rng.random() < mix.p_zh else "en"
        opener, confirm, correct = CONNECTIVES[lang]
        close = (confirm if hasty == c else correct).format(c=c)
        return (f" <think> {problem.expression}={hasty}. {opener} {_fmt_steps(problem.steps())} "
                f"{close} </think> <answer> {c} </answer>")
    raise ValueError(f"unknown trace style {style!r}")


def drill(rng: random.Random, n_facts: int, max_total: int) -> str:
    """A drill document: ``n_facts`` single-operation facts ``a op b = c`` in the task's range."""
    facts = []
    for _ in range(n_facts):
        a, b = rng.randint(0, max_total), rng.randint(1, 9)
        op = rng.choice([o for o in "+-" if 0 <= (a + b if o == "+" else a - b) <= max_total])
        facts.append((a, op, b, a + b if op == "+" else a - b))
    return _fmt_steps(facts)


def pretraining_corpus(problems: list[Problem], mix: CorpusMix, seed: int, prompt_fn,
                       max_total: int = 30) -> tuple[list[str], dict[str, int]]:
    """The base model's pretraining documents.

    Args:
        problems: train problems; each yields one document ``prompt_fn(problem) + trace``.
        mix: style shares and error rates.
        seed: corpus seed.
        prompt_fn: maps a problem string to the full prompt (the R1-Zero template).
        max_total: range of drill facts.

    Returns:
        (documents, counts): the texts, shuffled, and how many documents of each style.
    """
    rng = random.Random(f"micro-corpus-{seed}")
    styles = ["guess", "hasty", "careful", "check"]
    weights = [mix.guess, mix.hasty, mix.careful, mix.check]
    docs, counts = [], {s: 0 for s in styles + ["drill"]}
    for p in problems:
        style = rng.choices(styles, weights)[0]
        counts[style] += 1
        docs.append(prompt_fn(p.problem) + trace(p, style, rng, mix))
    n_drill = int(len(problems) * mix.drill_share / max(1e-9, 1 - mix.drill_share))
    for _ in range(n_drill):
        docs.append(drill(rng, 12, max_total))
    counts["drill"] = n_drill
    rng.shuffle(docs)
    return docs, counts


def style_of(completion: str) -> str:
    """Which corpus style a completion follows: ``check`` (reflects, with "wait"/"等等"),
    ``guess``, ``hasty`` (a whole chain in one step), ``careful`` (one operation per step), or
    ``other``. Used to see what RL changes in the micro world."""
    think = completion.split("</think>")[0]
    if "Wait" in think or "等等" in think:
        return "check"
    if "about" in think or "大约" in think:
        return "guess"
    if re.search(r"\d[+-]\d+[+-]\d", think):
        return "hasty"
    if re.search(r"\d[+-]\d+=\d", think):
        return "careful"
    return "other"


def example_completion(problem: Problem) -> str:
    """A hand-written long-CoT example in the readable pattern for a micro ``Problem``: a first
    answer, "Wait, let me check step by step.", the step-by-step verification, and the summary
    (the few-shot cold-start seeds, written from the task's rules), all in the problem's
    language.

    Source: DeepSeek-R1 §2.3.1 (few-shot prompting with a long CoT as an example).
    """
    opener, confirm, _ = CONNECTIVES[problem.language]
    reasoning = (f"{problem.expression}={problem.answer}. {opener} {_fmt_steps(problem.steps())} "
                 f"{confirm.format(c=problem.answer)}")
    return readable(reasoning, SUMMARY[problem.language].format(answer=problem.answer))
