import pandas as pd

from r1lib import analysis


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
    assert out.reflection_rate.tolist() == [0.5, 1.0]


def test_mixing_per_step_and_first_step_reaching():
    import pandas as pd

    from r1lib import analysis

    df = pd.DataFrame({"step": [1, 1, 2, 2], "prompt_id": ["a", "b", "a", "b"],
                       "completion": [" <think> Wait </think> x", " <think> 等等 </think> x",
                                      " <think> 1+2=3 </think> x", " <think> Wait </think> x"]})
    m = analysis.mixing_per_step(df, {"a": "en", "b": "zh"})
    assert m.mixed_language_rate.tolist() == [0.0, 0.5]
    probes = pd.DataFrame({"step": [0, 20, 40], "pass@1": [0.5, 0.9, 0.95]})
    assert analysis.first_step_reaching(probes, 0.9) == 20
    assert analysis.first_step_reaching(probes, 0.96) is None
