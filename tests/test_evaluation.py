"""Tests for r1lib.recipe.evaluation: numbers checked against hand computation."""

from __future__ import annotations

import json
import sys
from math import comb
from pathlib import Path

import numpy as np
import pytest

# Make the repo root importable when running plain `pytest` (no install, no conftest).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from r1lib.recipe.evaluation import (cons_at_k, eval_row, format_rates, majority_vote, pass1_with_ci, pass_at_k,
                                     pass_at_k_curve)

# ----------------------------------------------------------------------------- pass@k


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (5, 2, 1, 0.4),  # c/n
        (5, 2, 2, 0.7),  # 1 - C(3,2)/C(5,2) = 1 - 3/10
        (5, 0, 3, 0.0),  # no correct sample
        (5, 3, 3, 1.0),  # n - c = 2 < k = 3
        (5, 5, 1, 1.0),
        (10, 1, 10, 1.0),
        (4, 1, 2, 0.5),  # 1 - C(3,2)/C(4,2) = 1 - 3/6
        (64, 16, 1, 0.25),
    ],
)
def test_pass_at_k_hand_values(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


def test_pass_at_k_matches_binomial_formula():
    for n in range(1, 13):
        for c in range(n + 1):
            for k in range(1, n + 1):
                exact = 1.0 - comb(n - c, k) / comb(n, k)
                assert pass_at_k(n, c, k) == pytest.approx(exact, abs=1e-12)


def test_pass_at_k_stable_for_large_n():
    # C(1000, 500) overflows float; the product form does not.
    value = pass_at_k(1000, 1, 500)
    assert value == pytest.approx(0.5, abs=1e-12)
    assert pass_at_k(2000, 10, 1) == pytest.approx(0.005, abs=1e-15)


@pytest.mark.parametrize(
    ("n", "c", "k"),
    [(5, 2, 6), (5, 6, 1), (-1, 0, 1), (5, -1, 1), (5, 1, -1), (5, 1, 0)],
)
def test_pass_at_k_rejects_bad_arguments(n, c, k):
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


def test_pass_at_k_rejects_non_integers():
    with pytest.raises(TypeError):
        pass_at_k(5.0, 2, 1)
    assert pass_at_k(np.int64(5), np.int64(2), np.int64(1)) == pytest.approx(0.4)


def test_pass_at_k_curve():
    correct = np.array(
        [
            [1, 1, 0, 0, 0],  # c=2: pass@1 0.4, pass@2 0.7, pass@5 1
            [0, 0, 0, 0, 0],  # c=0: 0, 0, 0
        ],
        dtype=bool,
    )
    curve = pass_at_k_curve(correct, [1, 2, 5])
    assert list(curve) == [1, 2, 5]
    assert curve[1] == pytest.approx(0.2)
    assert curve[2] == pytest.approx(0.35)
    assert curve[5] == pytest.approx(0.5)
    assert all(type(v) is float for v in curve.values())
    with pytest.raises(ValueError):
        pass_at_k_curve(correct, [6])
    with pytest.raises(ValueError):
        pass_at_k_curve(np.zeros((0, 4)), [1])
    with pytest.raises(ValueError):
        pass_at_k_curve(np.array([[0, 2]]), [1])


# ----------------------------------------------------------------------------- pass@1 + CI


def _random_correct(n_problems: int, n_samples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.0, 1.0, size=(n_problems, 1))
    return rng.uniform(size=(n_problems, n_samples)) < p


def test_pass1_value_is_mean_of_per_problem_share():
    correct = np.array([[1, 1, 0, 0], [1, 1, 1, 1], [0, 0, 0, 1]])
    p1, (lo, hi) = pass1_with_ci(correct, n_boot=500)
    assert p1 == pytest.approx((0.5 + 1.0 + 0.25) / 3)
    assert 0.25 <= lo <= p1 <= hi <= 1.0
    assert type(p1) is float and type(lo) is float and type(hi) is float


def test_pass1_ci_contains_mean_and_is_deterministic():
    correct = _random_correct(50, 8, seed=1)
    a = pass1_with_ci(correct, seed=7)
    b = pass1_with_ci(correct, seed=7)
    assert a == b
    p1, (lo, hi) = a
    assert lo < p1 < hi
    assert p1 == pytest.approx(correct.mean())
    c = pass1_with_ci(correct, seed=8)
    assert c[0] == a[0] and c[1] != a[1]


def test_pass1_ci_narrower_with_more_problems():
    small = _random_correct(20, 4, seed=3)
    large = _random_correct(500, 4, seed=3)
    _, (lo_s, hi_s) = pass1_with_ci(small, n_boot=1000)
    _, (lo_l, hi_l) = pass1_with_ci(large, n_boot=1000)
    assert hi_l - lo_l < 0.5 * (hi_s - lo_s)


def test_pass1_ci_wider_with_higher_confidence():
    correct = _random_correct(40, 4, seed=5)
    _, (lo90, hi90) = pass1_with_ci(correct, confidence=0.90, n_boot=1000)
    _, (lo99, hi99) = pass1_with_ci(correct, confidence=0.99, n_boot=1000)
    assert lo99 <= lo90 and hi90 <= hi99


def test_pass1_degenerate_inputs():
    assert pass1_with_ci(np.ones((10, 4), dtype=bool)) == (1.0, (1.0, 1.0))
    assert pass1_with_ci(np.zeros((3, 2))) == (0.0, (0.0, 0.0))
    with pytest.raises(ValueError):
        pass1_with_ci(np.zeros((0, 4)))
    with pytest.raises(ValueError):
        pass1_with_ci(np.zeros((4, 0)))
    with pytest.raises(ValueError):
        pass1_with_ci(np.ones(4))  # 1-D
    with pytest.raises(ValueError):
        pass1_with_ci(np.ones((2, 2)), confidence=1.0)
    with pytest.raises(ValueError):
        pass1_with_ci(np.ones((2, 2)), n_boot=0)


# ----------------------------------------------------------------------------- majority vote


def test_majority_vote_counts_and_order():
    answers = ["b", "a", None, " a ", "c", "b", "a", None]
    assert majority_vote(answers) == [("a", 3), ("b", 2), ("c", 1)]
    # ties keep the order of first appearance
    assert majority_vote(["x", "y", "y", "x", "z"]) == [("x", 2), ("y", 2), ("z", 1)]
    assert majority_vote([None, None]) == []
    assert majority_vote([]) == []
    # whitespace normalisation (internal runs collapsed), representative is the first member
    assert majority_vote(["1  +  2", "1 + 2", "3"]) == [("1  +  2", 2), ("3", 1)]


def _frac_same(a: str, b: str) -> bool:
    def value(s: str) -> float:
        s = s.strip()
        if "/" in s:
            num, den = s.split("/")
            return float(num) / float(den)
        return float(s)

    return value(a) == value(b)


def test_majority_vote_custom_equivalence():
    answers = ["0.5", "1/2", "2/4", "0.25", "1/4", "3"]
    assert majority_vote(answers, same=_frac_same) == [
        ("0.5", 3),
        ("0.25", 2),
        ("3", 1),
    ]


def test_majority_vote_compares_with_first_member():
    # "same" that is not transitive: numbers within 1 of each other.
    def close(a: str, b: str) -> bool:
        return abs(int(a) - int(b)) <= 1

    # 2 joins 1's group (|2-1|<=1); 3 is compared with 1 (first member) -> new group.
    assert majority_vote(["1", "2", "3"], same=close) == [("1", 2), ("3", 1)]


# ----------------------------------------------------------------------------- cons@k


def test_cons_at_k_hand_cases():
    assert cons_at_k(["a", "a", "b"], [True, True, False]) == 1.0
    assert cons_at_k(["a", "b", "b"], [True, False, False]) == 0.0
    # two-way tie between a correct and a wrong class: expected value of a random tie-break
    assert cons_at_k(["a", "a", "b", "b"], [True, True, False, False]) == 0.5
    # three-way tie with one correct class
    assert cons_at_k(["a", "b", "c"], [False, True, False]) == pytest.approx(1 / 3)
    assert cons_at_k([None, None], [False, False]) == 0.0
    assert cons_at_k([], []) == 0.0
    # None does not vote: the single "a" wins over nothing
    assert cons_at_k([None, "a", None], [False, True, False]) == 1.0
    # None samples do not outvote a correct answer
    assert (
        cons_at_k([None, None, "b", "a", "a"], [False, False, False, True, True]) == 1.0
    )


def test_cons_at_k_uses_first_member_correctness():
    # class correctness = correctness of its first member
    assert cons_at_k(["a", "a"], [True, False]) == 1.0
    assert cons_at_k(["a", "a"], [False, True]) == 0.0


def test_cons_at_k_custom_equivalence():
    answers = ["0.5", "1/2", "3", "3", "2/4"]
    correct = [True, True, False, False, True]
    # default equality: "3" (2 votes) wins
    assert cons_at_k(answers, correct) == 0.0
    # fraction-aware equality: {0.5, 1/2, 2/4} (3 votes) wins
    assert cons_at_k(answers, correct, same=_frac_same) == 1.0


def test_cons_at_k_length_mismatch():
    with pytest.raises(ValueError):
        cons_at_k(["a", "b"], [True])


# ----------------------------------------------------------------------------- eval_row


def test_eval_row_keys_and_values():
    correct = np.array([[1, 1, 0, 0], [0, 0, 0, 0], [1, 1, 1, 0]], dtype=bool)
    answers = [
        ["5", "5", "6", "6"],  # tie, one correct class -> 0.5
        ["1", "2", "2", None],  # wrong majority -> 0
        ["7", "7", "7", "8"],  # correct majority -> 1
    ]
    lengths = np.array([[100, 200, 300, 400], [10, 20, 30, 40], [1, 2, 3, 4]])
    row = eval_row("ckpt-a", "gsm8k_test", correct, answers, lengths)
    assert set(row) == {
        "checkpoint",
        "benchmark",
        "n",
        "k",
        "pass@1",
        "pass@1_ci95",
        "cons@k",
        "mean_length",
    }
    assert row["checkpoint"] == "ckpt-a" and row["benchmark"] == "gsm8k_test"
    assert row["n"] == 3 and row["k"] == 4
    assert type(row["n"]) is int and type(row["k"]) is int
    assert row["pass@1"] == round((0.5 + 0.0 + 0.75) / 3, 4) == 0.4167
    lo, hi = row["pass@1_ci95"]
    assert 0.0 <= lo <= row["pass@1"] <= hi <= 0.75
    assert row["cons@k"] == 0.5
    assert row["mean_length"] == round(1110 / 12, 4) == 92.5
    for key in ("pass@1", "cons@k", "mean_length"):
        assert type(row[key]) is float
    assert all(type(x) is float for x in row["pass@1_ci95"])
    assert json.loads(json.dumps(row)) == row
    # deterministic for a fixed seed
    assert eval_row("ckpt-a", "gsm8k_test", correct, answers, lengths) == row


def test_eval_row_shape_errors():
    correct = np.ones((2, 2), dtype=bool)
    with pytest.raises(ValueError):
        eval_row("c", "b", correct, [["1", "1"]], np.ones((2, 2)))
    with pytest.raises(ValueError):
        eval_row("c", "b", correct, [["1", "1"], ["1"]], np.ones((2, 2)))
    with pytest.raises(ValueError):
        eval_row("c", "b", correct, [["1", "1"], ["1", "1"]], np.ones((2, 3)))


def test_mixed_language_rate_is_against_each_prompt_language():
    from r1lib.recipe.language import is_language_mixed, mixed_language_rate

    en_check = " <think> 1+2=3. Wait, let me check. </think> <answer> 3 </answer>"
    zh_check = " <think> 1+2=3. 等等，我检查。 </think> <answer> 3 </answer>"
    plain = " <think> 1+2=3. </think> <answer> 3 </answer>"
    assert not is_language_mixed(en_check, "en") and is_language_mixed(en_check, "zh")
    assert is_language_mixed(zh_check, "en") and not is_language_mixed(zh_check, "zh")
    assert not is_language_mixed(plain, "zh")
    assert mixed_language_rate([en_check, zh_check, plain, en_check], ["en", "en", "zh", "zh"]) == 0.5
    with pytest.raises(ValueError, match="target languages"):
        mixed_language_rate([plain], [])


def test_format_rates_count_each_format_reward():
    """format_rate: R1-Zero's tags (whitespace around them allowed); readable_rate: one think
    block, then a summary with exactly one box (issue 13: a format column per evaluation row)."""
    zero = " <think> 1+2=3 </think>  <answer> 3 </answer> "
    readable = "<think> 1+2=3 </think> The sum is \\boxed{3}."
    wrong = ["the answer is 3", "<think> 1+2=3 <answer> 3 </answer>", "<think></think> <answer> 3 </answer>",
             "<think> x </think> \\boxed{3} and \\boxed{4}"]
    assert format_rates([zero, readable, *wrong]) == {"format_rate": round(1 / 6, 4), "readable_rate": round(1 / 6, 4)}
    assert format_rates([zero] * 3 + [readable]) == {"format_rate": 0.75, "readable_rate": 0.25}
    assert all(v != v for v in format_rates([]).values())  # NaN, not 0, for no samples
