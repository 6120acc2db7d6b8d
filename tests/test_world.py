import random

from r1lib.sources.micro import world
from r1lib.recipe.templates import make_prompt


def test_splits_are_seeded_fixed_and_disjoint():
    tr0, te0 = world.make_splits(300, 50, seed=0)
    tr1, te1 = world.make_splits(300, 50, seed=1)
    assert [p.expression for p in te0] == [p.expression for p in te1]  # test split fixed
    assert [p.expression for p in tr0] != [p.expression for p in tr1]  # train follows the seed
    assert not {p.expression for p in te0} & {p.expression for p in tr0 + tr1}
    assert [p.expression for p in world.make_splits(300, 50, seed=0)[0]] == [p.expression for p in tr0]


def test_problem_arithmetic_and_range():
    _, test = world.make_splits(0, 200, seed=0)
    for p in test:
        assert p.value == eval(p.expression)
        assert all(0 <= c <= 30 for *_, c in p.steps())
        assert len(set(p.operands)) == len(p.operands)
        assert 6 <= len(p.operands) <= 8
    assert world.Problem("x", (7, 5, 3), ("+", "-")).answer == "9"


def test_traces_follow_their_style():
    p = world.Problem("x", (7, 5, 3, 8), ("+", "-", "+"))
    mix = world.CorpusMix(p_step_slip=0.0)
    rng = random.Random(0)
    careful = world.trace(p, "careful", rng, mix)
    assert careful == " <think> 7+5=12, 12-3=9, 9+8=17. </think> <answer> 17 </answer>"
    check = world.trace(p, "check", rng, mix)
    assert check.endswith("<answer> 17 </answer>") and world.style_of(check) == "check"
    assert world.style_of(world.trace(p, "hasty", rng, mix)) == "hasty"
    assert world.style_of(world.trace(p, "guess", rng, mix)) == "guess"
    assert world.style_of(careful) == "careful"


def test_corpus_mix_shares():
    train, _ = world.make_splits(4000, 10, seed=0)
    mix = world.CorpusMix()
    docs, counts = world.pretraining_corpus(train, mix, 0, make_prompt)
    assert len(docs) == sum(counts.values())
    assert abs(counts["hasty"] / 4000 - mix.hasty) < 0.03
    assert abs(counts["check"] / 4000 - mix.check) < 0.03
    assert sum("等等" in d for d in docs) > 0  # language mixing exists in the corpus


def test_problem_round_trips_through_its_record():
    import pytest

    _, test = world.make_splits(0, 20, seed=0)
    assert all(world.Problem.from_record(p.record()) == p for p in test)
    with pytest.raises(ValueError, match="'x'"):
        world.Problem.from_record({"id": "x", "problem": "Compute 12+3"})


def test_chinese_problems_keep_their_chains_and_round_trip():
    _, en = world.make_splits(0, 200, seed=0)
    _, mixed = world.make_splits(0, 200, seed=0, p_zh_prompt=0.3)
    assert [p.expression for p in en] == [p.expression for p in mixed]  # language is a separate stream
    zh = [p for p in mixed if p.language == "zh"]
    assert 40 <= len(zh) <= 80 and all(p.problem.startswith("计算 ") for p in zh)
    for p in mixed[:20]:
        assert world.Problem.from_record(p.record()) == p


def test_checks_mix_languages_as_configured():
    p = world.Problem("x", (7, 5, 3, 8), ("+", "-", "+"), "zh")
    rng = random.Random(0)
    mix = world.CorpusMix(p_en_on_zh=1.0)
    assert "Wait" in world.trace(p, "check", rng, mix)
    assert "等等" in world.trace(p, "check", rng, world.CorpusMix(p_en_on_zh=0.0))
    assert "大约" in world.trace(p, "guess", rng, mix)
