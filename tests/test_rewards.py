"""Tests for r1lib.recipe.equivalence and r1lib.recipe.rewards (DeepSeek-R1 §2.2.2 rule-based rewards)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

_REPO = str(Path(__file__).resolve().parents[1])
if _REPO not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, _REPO)

import r1lib.recipe.equivalence as verify_mod
from r1lib.recipe.rewards import REWARD_FUNCS, completion_text, get_reward_funcs, register_reward
from r1lib.recipe.equivalence import Verifier, answer_is_correct, batch_answers_correct, first_answer
from r1lib.recipe.answer import extract_final_answers, is_hedge, last_number, with_last_number_answer

FORMAT = REWARD_FUNCS["format"]
ACCURACY = REWARD_FUNCS["accuracy"]
_ORIG_CHECK_CHUNK = verify_mod._check_chunk


def wrap(answer: str, think: str = "Let me compute.") -> str:
    return f"<think>{think}</think><answer>{answer}</answer>"


@pytest.fixture(scope="module")
def verifier():
    with Verifier(n_workers=1, timeout_s=5.0) as v:
        yield v


# ------------------------------------------------------------------ format reward

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<think>2+2=4</think><answer>4</answer>", 1.0),
        ("  \n<think> 2+2=4 </think>\n\n<answer> 4 </answer>\n  ", 1.0),
        ("Sure! <think>r</think><answer>4</answer>", 0.0),  # text before <think>
        ("<think>r</think><answer>4</answer> done", 0.0),  # text after </answer>
        ("<think>r</think> so <answer>4</answer>", 0.0),  # text between blocks
        ("<think>a</think><think>b</think><answer>4</answer>", 0.0),  # repeated think
        ("<think>a</think><answer>4</answer><answer>5</answer>", 0.0),  # repeated answer
        ("<think>a <think>b</think> c</think><answer>4</answer>", 0.0),  # nested think
        ("<think></think><answer>4</answer>", 0.0),  # empty think
        ("<think>  \n </think><answer>4</answer>", 0.0),  # whitespace-only think
        ("<think>r</think><answer>  </answer>", 0.0),  # empty answer
        ("<Think>r</Think><answer>4</answer>", 0.0),  # upper case
        ("<think>r</think><ANSWER>4</ANSWER>", 0.0),
        ("< think>r</think><answer>4</answer>", 0.0),  # look-alike tags
        ("<think >r</think><answer>4</answer>", 0.0),
        ("<thinking>r</thinking><answer>4</answer>", 0.0),
        ("<answer>4</answer><think>r</think>", 0.0),  # answer before think
        ("<think>r</think><answer>4", 0.0),  # missing </answer>
        ("<think>r<answer>4</answer>", 0.0),  # missing </think>
        ("<think>r</think><answer>4 </think></answer>", 0.0),  # tag inside answer
        ("", 0.0),
    ],
)
def test_format_reward(text, expected):
    assert FORMAT([text]) == [expected]


def test_format_reward_conversational_and_batch():
    conv = [[{"role": "assistant", "content": "<think>r</think><answer>4</answer>"}],
            [{"role": "assistant", "content": "4"}]]
    assert FORMAT(conv, prompts=["p", "p"]) == [1.0, 0.0]
    assert completion_text([{"role": "assistant", "content": [{"type": "text", "text": "ab"}]}]) == "ab"
    with pytest.raises(TypeError):
        completion_text(42)


# ------------------------------------------------------------------ extraction and hedges

def test_extract_final_answers():
    text = r"<think>\boxed{7}</think> <answer> \boxed{\frac{1}{2}} </answer> then \boxed {3} and \fbox{4}"
    assert extract_final_answers(text) == [r"\frac{1}{2}", "3", "4"]
    assert extract_final_answers(r"<think> unclosed \boxed{5}") == []
    assert extract_final_answers(r"\boxed{\{1, 2\}} and a truncated \boxed{3") == [r"\{1, 2\}"]
    assert extract_final_answers("<answer>  </answer> \\boxed{}") == []
    # nested think: everything to the matching close is reasoning
    assert extract_final_answers(r"<think>a<think>b</think>\boxed{9}</think><answer>1</answer>") == ["1"]


@pytest.mark.parametrize(
    "statement",
    ["3 or 4", "either 3 or 4", "3, 4", "3; 4", "3 and/or 4", r"\text{A or B}", "(A) 3 (B) 4",
     r"3 \text{ or } 4", "x=3, x=4"],
)
def test_is_hedge_true(statement):
    assert is_hedge(statement)


@pytest.mark.parametrize(
    "statement",
    ["1,080", "1,000,000", "(1, 2)", "[0, 1)", r"\left( 3, \frac{\pi}{2} \right)", r"\{1, 2\}",
     r"\pm 2021", r"\frac{1}{2}", r"\text{(C)}", "x=3, y=4", "f(A)+f(B)"],
)
def test_is_hedge_false(statement):
    assert not is_hedge(statement)


# ------------------------------------------------------------------ accuracy reward

@pytest.mark.parametrize(
    ("completion", "gold", "expected"),
    [
        (wrap("0.5"), r"\frac{1}{2}", 1.0),
        (wrap("1/2"), "0.5", 1.0),
        (wrap(r"\boxed{3}"), "3", 1.0),
        (wrap("3") + r" So \boxed{3}.", "3", 1.0),  # boxed outside think agrees
        (wrap("3") + r" So \boxed{4}.", "3", 0.0),  # ...and must agree
        ("<think>it is 7</think><answer>5</answer>", "7", 0.0),
        (r"<think>so \boxed{7}</think> done", "7", 0.0),  # correct only inside think
        (r"<think>so \boxed{7}", "7", 0.0),  # unclosed think
        (wrap("3 or 4"), "3", 0.0),
        (wrap("either 3 or 4"), "4", 0.0),
        (r"\boxed{3} or maybe \boxed{4}", "3", 0.0),
        (wrap("1,080"), "1080", 1.0),
        (wrap("1080"), "1,080", 1.0),
        (wrap("6"), "5", 0.0),
        (wrap(r"\pm 2021"), "2021", 0.0),  # math-verify false-positive guard
        (wrap("2021"), r"\pm 2021", 0.0),
        (wrap(r"\left( 3, \frac{\pi}{2} \right)"), r"\left( 3, \frac{\pi}{2} \right)", 1.0),
        (wrap("4, 3"), "3, 4", 1.0),  # a list is no hedge when the gold is a list
        (wrap("x = 5"), "5", 1.0),
        ("<answer>5</answer>", "5", 1.0),  # accuracy is independent of format
        ("no answer at all", "5", 0.0),
        (wrap("5"), "", None),  # unparseable gold: skip
        (wrap("5"), r"\text{}", None),
    ],
)
def test_answer_is_correct(verifier, completion, gold, expected):
    assert answer_is_correct(completion, gold, verifier) == expected


def test_accuracy_reward_trl_signature(verifier):
    completions = [
        [{"role": "assistant", "content": wrap(r"\frac{1}{2}")}],
        wrap("0.25"),
        "<think>1/2</think>",
    ]
    got = ACCURACY(completions, prompts=["p"] * 3, answer=["0.5", "0.5", "0.5"], verifier=verifier)
    assert got == [1.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="answer"):
        ACCURACY(completions)
    with pytest.raises(ValueError, match="answer"):
        ACCURACY(completions, answer=["1"])


def test_batch_answers_correct_matches_single(verifier):
    comps = [wrap(str(i)) for i in range(6)] + [wrap(r"\frac{6}{2}")]
    golds = ["3"] * 7
    assert batch_answers_correct(comps, golds, verifier) == [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0]
    assert batch_answers_correct([wrap("1")], [None], verifier) == [None]
    with pytest.raises(ValueError):
        batch_answers_correct(comps, golds[:2], verifier)


def test_first_answer(verifier):
    assert first_answer(wrap("5") + r" \boxed{5.0}", verifier) == "5"
    assert first_answer(wrap("5") + r" \boxed{6}", verifier) is None
    assert first_answer(wrap("3 or 4"), verifier) is None
    assert first_answer("<think>5</think>", verifier) is None
    assert first_answer(wrap("3, 4"), verifier, gold="3, 4") == "3, 4"


# ------------------------------------------------------------------ registry

def test_registry():
    assert set(REWARD_FUNCS) >= {"format", "accuracy"}
    fmt, acc = get_reward_funcs(["format", "accuracy"])
    assert fmt.__name__ == "format" and acc.__name__ == "accuracy"
    with pytest.raises(KeyError) as err:
        get_reward_funcs(["format", "cosine"])
    assert "cosine" in str(err.value) and "accuracy" in str(err.value) and "format" in str(err.value)
    with pytest.raises(ValueError):
        register_reward("format")(lambda completions, **kw: [0.0] * len(completions))


# ------------------------------------------------------------------ Verifier

def test_verifier_counters_and_cache():
    with Verifier(n_workers=1, timeout_s=5.0) as v:
        assert v.equivalent(r"\frac{1}{2}", "0.5") is True
        assert v.counters["calls"] == 1 and v.counters["cache_hits"] == 0
        assert v.equivalent(r"\frac{1}{2}", "0.5") is True
        assert v.counters["calls"] == 2 and v.counters["cache_hits"] == 1
        assert v.equivalent("", "1") is None
        assert v.counters["gold_unparseable"] == 1
        assert v.equivalent("1", r"\text{}") is False
        assert v.counters["parse_failures"] == 1
        assert v.equivalent("-1,000", "$-1000$") is True  # integer fast path
        assert v.same_answer("x  = 5", "x = 5") and v.same_answer("5", "5.0")
        assert not v.same_answer("5", "6")


def test_equivalent_many_order(verifier):
    pairs = [("3", r"\frac{6}{2}"), ("3", "4"), (r"\frac{1}{3}", "0.333333"), ("", "1"),
             ("3", "4"), (r"\sqrt{2}", r"\frac{2}{\sqrt{2}}"), ("2", r"\sqrt{4}")]
    assert verifier.equivalent_many(pairs) == [True, False, True, None, False, True, True]
    assert verifier.equivalent_many([]) == []


def _sleepy_chunk(items, inner_timeout):
    if any("SLOW" in a or "SLOW" in b for _, a, b in items):
        time.sleep(60)
    return _ORIG_CHECK_CHUNK(items, inner_timeout)


def test_timeout_leaves_verifier_usable(monkeypatch):
    v = Verifier(n_workers=1, timeout_s=0.5)
    try:
        monkeypatch.setattr(verify_mod, "_check_chunk", _sleepy_chunk)
        pairs = [("SLOW", "1")] + [(rf"\frac{{{i}}}{{1}}", f"{i}.0") for i in range(7)]
        t0 = time.monotonic()
        got = v.equivalent_many(pairs)
        assert time.monotonic() - t0 < 15
        assert got == [False] + [True] * 7  # the chunk-mate of the hung task is retried alone
        assert v.counters["timeouts"] == 1
        assert v.counters["pool_restarts"] >= 1
        monkeypatch.undo()
        assert v.equivalent(r"\frac{1}{2}", "0.5") is True
        assert v.equivalent("1", "2.5") is False
    finally:
        v.close()


def test_only_for_scores_one_category_and_subsets_columns():
    from r1lib.recipe.rewards import only_for

    seen = {}

    def acc(prompts=None, completions=None, answer=None, **kw):
        seen["answer"] = answer
        return [1.0 if c == a else 0.0 for c, a in zip(completions, answer)]

    f = only_for(acc, "reasoning")
    out = f(prompts=["p1", "p2", "p3"], completions=["3", "x", "5"], answer=["3", "", "4"],
            category=["reasoning", "general", "reasoning"])
    assert out == [1.0, None, 0.0] and seen["answer"] == ["3", "4"] and f.__name__ == "acc"
    assert f(prompts=["p"], completions=["x"], answer=[""], category=["general"]) == [None]
    assert f(prompts=["p"], completions=["3"], answer=["3"]) == [1.0]  # no category column: every row


# ------------------------------------------------------------------ math-verify false positives

@pytest.mark.parametrize(
    ("gold", "candidate", "expected"),
    [
        # plain math-verify pays these (it compares an equation's right-hand side only)
        ("3", "5=3", False),
        ("3", "x+1=3", False),
        ("10", r"2\cdot 4=10", False),
        ("0", "x^2-1=0", False),
        ("5", "x = 2+2 = 5", False),
        # ...while an equation that names the answer, or holds, still pays
        ("3", "x=3", True),
        ("10", "a_{1} = 10", True),
        ("3", "f(2)=3", True),
        ("5", "x = 2+3 = 5", True),
        ("4", "2+2=4", True),
        # ±: math-verify pays 2021 for \pm 2021 and back
        (r"\pm 2021", "2021", False),
        ("2021", r"\pm 2021", False),
        # two different equations that both reduce to 0 (Math-Verify issue #60), and
        # equations compared on one side (issue #14)
        ("3*x-1*y+13=0", "3x + 4y + 14=0", False),
        ("x-1=0", "x-2=0", False),
        ("n=2, 3, 4", "n=1, 2, 3", False),
        ("D = (0, 1)", "D = (0, 1.5)", False),
        (r"F_n = \sum_{k=0}^{n-1} F_k F_{n-k-1}", r"F_n = \sum_{k=0}^{n-2} F_k F_{n-k-2}", False),
        ("2x+4y-3=0", r"y = -x + \frac{3}{4}", False),
        ("2x+4y-3=0", r"y = -\frac{1}{2}x + \frac{3}{4}", True),  # the same line, rearranged
    ],
)
def test_equation_false_positive_guards(verifier, gold, candidate, expected):
    assert verifier.equivalent(gold, candidate) is expected


def test_inner_math_verify_timeouts_are_counted_not_logged(caplog):
    with Verifier(n_workers=1, timeout_s=1.0) as v:
        t0 = time.monotonic()
        assert v.equivalent("3", "10^{10^{10^{10}}}") is False  # sympy works on it until math-verify's alarm
        assert time.monotonic() - t0 < 10
        assert v.counters["timeouts"] == 1 and v.counters["pool_restarts"] == 0  # the inner timeout did it
        assert v.equivalent_many([("3", "3.0")] * 4) == [True] * 4
        assert v.counters["cache_hits"] == 3  # duplicates in one batch are computed once
    assert "Timeout during" not in caplog.text


@pytest.mark.parametrize("text, number", [
    ("So he has 1,200 apples.", "1200"),           # thousands separator dropped, full stop not kept
    ("x = -3.5, then 7/8 of it.", "7/8"),           # the last one; a fraction is one number
    ("<think>12 + 1</think> It is 5 apples", "5"),  # the reasoning's numbers do not count
    ("<think> 3 + 4 = 7", None),                     # unclosed reasoning: all of it is reasoning
    ("no digits here", None),
])
def test_last_number_outside_the_reasoning(text, number):
    assert last_number(text) == number


def test_lenient_accuracy_grades_prose_answers_and_keeps_stated_ones():
    assert with_last_number_answer("<answer> 4 </answer> then 9") == "<answer> 4 </answer> then 9"
    assert with_last_number_answer("Ralph has 175 - 2 = 173 balls.").endswith("\\boxed{173}")
    lenient = get_reward_funcs(["accuracy_lenient"])[0]
    comps = ["Ralph has 175 - 2 = 173 balls.", "He hits 173, so 2 are left.", "<answer> 9 </answer> 173",
             "<think> 173 </think> I do not know.", "one hundred seventy-three", "So 1,200 in all."]
    gold = ["173", "173", "173", "173", "173", "1200"]
    assert lenient(comps, answer=gold) == [1.0, 0.0, 0.0, 0.0, 0.0, 1.0]  # a stated answer is never overridden
    assert REWARD_FUNCS["accuracy"](comps, answer=gold) == [0.0] * 6       # the strict rule finds no answer
    with pytest.raises(ValueError, match="answer"):
        lenient(comps)
