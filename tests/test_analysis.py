import pandas as pd
import pytest

from r1lib.recipe import analysis


def test_reflection_counts_only_reasoning():
    assert analysis.count_reflection(" <think> 3+4=7. Wait, recheck: 7. </think> <answer> 7 </answer>") == 2
    assert analysis.count_reflection(" <think> 3+4=7. </think> <answer> wait 7 </answer>") == 0
    assert analysis.count_reflection(" <think> 等等，我一步一步检查。 </think>") == 2
    assert analysis.count_reflection(" <think> awaits waiting </think>") == 0  # whole words only


def test_per_step_aggregates():
    df = pd.DataFrame({
        "step": [1, 1, 2, 2],
        "completion": ["<think>a</think>", "<think>wait</think>", "<think>wait</think>", "<think>Wait</think>"],
        "length": [10, 20, 30, 50],
        "accuracy": [0.0, 1.0, 1.0, 1.0],
        "format": [1.0, 1.0, 0.0, 1.0],
    })
    out = analysis.per_step(df, ["accuracy", "format"])
    assert out.step.tolist() == [1, 2]
    assert out.accuracy.tolist() == [0.5, 1.0]
    assert out.reward.tolist() == [1.5, 1.5]
    assert out.length.tolist() == [15, 40]
    lenient = analysis.per_step(df.rename(columns={"accuracy": "accuracy_lenient"}).assign(
        accuracy=df.accuracy), ["accuracy_lenient", "format"])  # CompletionLog's alias of the lenient grader
    assert lenient.accuracy.tolist() == [0.5, 1.0] and lenient.reward.tolist() == [1.5, 1.5]  # counted once
    assert out.reflection_rate.tolist() == [0.5, 1.0]


def test_mixing_per_step_and_first_step_reaching():
    import pandas as pd

    from r1lib.recipe import analysis

    df = pd.DataFrame({"step": [1, 1, 2, 2], "prompt_id": ["a", "b", "a", "b"],
                       "completion": [" <think> Wait </think> x", " <think> 等等 </think> x",
                                      " <think> 1+2=3 </think> x", " <think> Wait </think> x"]})
    m = analysis.mixing_per_step(df, {"a": "en", "b": "zh"})
    assert m.mixed_language_rate.tolist() == [0.0, 0.5]
    probes = pd.DataFrame({"step": [0, 20, 40], "pass@1": [0.5, 0.9, 0.95]})
    assert analysis.first_step_reaching(probes, 0.9) == 20
    assert analysis.first_step_reaching(probes, 0.96) is None


def _log():
    """Six rollouts of two questions over two steps, with known reflection and correctness."""
    rows = [  # step, question, completion, correct
        (0, "q1", " <think> 2+3=6. Wait, let me check. 2+3=5. </think> <answer> 5 </answer>", 1.0),   # aha
        (0, "q1", " <think> 2+3=5. </think> <answer> 5 </answer>", 1.0),                             # plain right
        (0, "q2", " <think> 4-1=2. Wait, 4-1=2. </think> <answer> 2 </answer>", 0.0),                 # SSR
        (1, "q1", " <think> 2+3=5. Let me verify: 2+3=5. </think> <answer> 5 </answer>", 1.0),        # same answer
        (1, "q2", " <think> 4-1=3. </think> <answer> 3 </answer>", 1.0),
        (1, "q2", " <think> 4-1=4. 等等，我一步一步检查。 4-1=3. </think> <answer> 3 </answer>", 1.0),  # aha (zh)
    ]
    return pd.DataFrame(rows, columns=["step", "prompt_id", "completion", "accuracy"])


def test_reflection_per_step_counts_responses_and_questions():
    out = analysis.reflection_per_step(_log()).set_index("step")
    assert out.loc[0, "reflection_rate"] == pytest.approx(2 / 3)
    assert out.loc[0, "reflection_per_question"] == pytest.approx(1.0)     # q1 and q2 each reflect once
    assert out.loc[1, "reflection_rate"] == pytest.approx(2 / 3)
    assert out.loc[1, "reflection_per_question"] == pytest.approx(1.0)
    assert out.loc[1, "reflection_words"] == pytest.approx((1 + 0 + 2) / 3)  # verify; 等等 + 检查
    assert out.responses.tolist() == [3, 3]


def test_reflection_by_correctness_ssr_share():
    r = analysis.reflection_by_correctness(_log())
    assert (r["reflective"], r["reflective_correct"], r["reflective_wrong"]) == (4, 3, 1)
    assert (r["plain_correct"], r["plain_wrong"]) == (2, 0)
    assert r["ssr_share"] == pytest.approx(0.25) and r["acc_plain"] == 1.0
    with pytest.raises(ValueError, match="accuracy"):
        analysis.reflection_by_correctness(_log().drop(columns="accuracy"))


def test_aha_episodes_need_a_changed_correct_answer():
    eps = analysis.aha_episodes(_log())
    assert eps.attrs["total"] == 2
    assert eps[["step", "prompt_id", "before", "after"]].values.tolist() == [[0, "q1", "6", "5"], [1, "q2", "4", "3"]]
    assert eps.phrase.tolist() == ["Wait", "等等"]
    assert "2+3=6. Wait" in eps.excerpt[0]
    assert len(analysis.aha_episodes(_log(), max_episodes=1)) == 1
    assert analysis.aha_episodes(_log(), max_episodes=1).attrs["total"] == 2
