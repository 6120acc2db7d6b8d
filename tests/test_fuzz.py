"""Fuzzing every registered reward function (issue 5): hypothesis-generated completions and golds
(random unicode, huge numbers, deeply nested LaTeX, power towers) never make a reward raise,
always give a value in range, and each call returns within a bound (the verifier's timeouts)."""

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from r1lib.core.profile import GRPOConfig
from r1lib.recipe import rewards
from r1lib.recipe.equivalence import Verifier

BOUND_S = 20.0  # verifier timeout 1 s: outer timeout 3 s + one retry 3 s + a pool restart, with slack

nested = st.integers(1, 300).map(lambda n: "\\frac{" * n + "1" + "}{2}" * n)
roots = st.integers(1, 300).map(lambda n: "\\sqrt{" * n + "2" + "}" * n)
towers = st.integers(2, 12).map(lambda n: "^".join(["9"] * n))
braced_towers = st.integers(2, 8).map(lambda n: "2^{" * n + "2" + "}" * n)
huge = st.integers(-(10 ** 80), 10 ** 80).map(str) | st.integers(100, 4000).map(lambda n: "9" * n)
payload = st.one_of(st.text(max_size=200), nested, roots, towers, braced_towers, huge,
                    st.sampled_from(["", "\\", "{", "}}}", "\\boxed{", "$$", "\\frac{}{}", "0/0", "1e999999", "nan"]))
shape = st.sampled_from(["{p}", "<think> {p} </think><answer> {p} </answer>", "<think> a </think> \\boxed{{{p}}}",
                         "<think> {p} </think> So the answer is \\boxed{{{p}}}.", "<answer>{p}", "{p}</think>{p}"])
completion = st.builds(lambda s, p: s.replace("{p}", p).replace("{{", "{").replace("}}", "}"), shape, payload)


@pytest.fixture(scope="module")
def verifier():
    v = Verifier(n_workers=1, timeout_s=1.0)
    yield v
    v.close()


@pytest.mark.parametrize("name", rewards.reward_names())
def test_reward_never_raises_and_stays_in_range(name, verifier):
    func = rewards.get_reward_funcs([name], GRPOConfig())[0]
    # soft_overlong is a penalty (DAPO's eq. 13 lies in [-1, 0]); the signed language reward is
    # in [-1, 1]; every other reward in [0, 1]
    lo = -1.0 if name in ("soft_overlong", "language_consistency_signed") else 0.0

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(completion, payload, st.sampled_from(["en", "zh"]))
    def check(text, gold, language):
        extra = {"verifier": verifier} if name == "accuracy" else {}
        t0 = time.perf_counter()
        out = func(completions=[text], completion_ids=[list(text.encode())], answer=[gold], language=[language],
                   **extra)
        took = time.perf_counter() - t0
        assert len(out) == 1
        assert out[0] is None or (isinstance(out[0], float) and lo <= out[0] <= 1.0), out
        assert took < BOUND_S, (name, took, text[:80], gold[:80])

    check()


def test_every_shipped_reward_is_fuzzed():
    assert set(rewards.reward_names()) >= {"accuracy", "format", "readable_format", "language_consistency",
                                           "language_consistency_signed", "soft_overlong"}
