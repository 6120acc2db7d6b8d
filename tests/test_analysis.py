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
