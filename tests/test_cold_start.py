import pytest

from r1lib.core.formats import split_readable
from r1lib.recipe import cold_start
from r1lib.recipe.templates import readable_ok
from r1lib.sources.micro.world import example_completion
from r1lib.recipe.rewards import get_reward_funcs
from r1lib.recipe.equivalence import answer_is_correct

GOOD = " <think> 1+9=10, 10-2=8. </think> So 1+9-2 = \\boxed{8}."


def test_readable_pattern():
    assert readable_ok(GOOD)
    assert split_readable(GOOD) == ("1+9=10, 10-2=8.", "So 1+9-2 = \\boxed{8}.")
    bad = [
        " <think> 1+9=10 </think>",                                   # no summary
        " <think> 1+9=10 </think> So it is 10.",                      # summary without a boxed answer
        " <think> 1+9=10 </think> \\boxed{10} or \\boxed{11}",        # two answers
        " <think> </think> So \\boxed{10}.",                          # empty reasoning
        "x <think> 1+9=10 </think> So \\boxed{10}.",                  # text before the think block
        " <think> a </think> <think> b </think> So \\boxed{10}.",     # two think blocks
        " <think> 1+9=10 </think> So <answer> \\boxed{10} </answer>",  # tags in the summary
    ]
    assert [readable_ok(b) for b in bad] == [False] * len(bad)
    (f,) = get_reward_funcs(["readable_format"])
    assert f(completions=[GOOD] + bad) == [1.0] + [0.0] * len(bad)


def test_accuracy_reward_reads_the_summary_box():
    assert answer_is_correct(GOOD, "8") == 1.0
    assert answer_is_correct(GOOD, "9") == 0.0
    assert answer_is_correct(" <think> \\boxed{8} </think> So it is 9.", "8") == 0.0


def test_rewrite_r1_zero_output():
    out = cold_start.rewrite_r1_zero(" <think> 1+9-2=9. Wait, 1+9=10, 10-2=8. </think> <answer> 8 </answer>")
    assert out == " <think> 1+9-2=9. Wait, 1+9=10, 10-2=8. </think> So the answer is \\boxed{8}."
    assert readable_ok(out) and answer_is_correct(out, "8") == 1.0
    assert cold_start.rewrite_r1_zero(" <think> x </think>") is None           # nothing to summarise
    assert cold_start.rewrite_r1_zero("<answer> 3 </answer>") is None          # no reasoning
    assert cold_start.rewrite_r1_zero(" <think> a <think> b </think> <answer> 3 </answer>") is None


def test_apply_filters_counts_first_failure():
    recs = [{"completion": c, "ok": ok} for c, ok in [("a", True), ("bb", True), ("ccc", False), ("dddd", False)]]
    filters = {"correct": lambda r: r["ok"], "short": lambda r: len(r["completion"]) < 2}
    kept, counts = cold_start.apply_filters(recs, filters)
    assert [r["completion"] for r in kept] == ["a"]
    assert counts == {"in": 4, "rejected_by_correct": 2, "rejected_by_short": 1, "kept": 1}


def test_example_and_few_shot_prompt():
    from r1lib.sources.micro.world import Problem

    p = Problem("x", (1, 9, 2), ("+", "-"))
    ex = example_completion(p)
    assert readable_ok(ex) and answer_is_correct(ex, "8") == 1.0
    assert ex == (" <think> 1+9-2=8. Wait, let me check step by step. 1+9=10, 10-2=8. So 8 is right. </think>"
                  " So the answer is \\boxed{8}.")
    prompt = cold_start.few_shot_prompt([(p.problem, ex)], "Compute 3+4", "<|endoftext|>")
    assert prompt.endswith("User: Compute 3+4. Assistant:") and prompt.count("Assistant:") == 2
    prefix = cold_start.few_shot_prefix([(p.problem, ex)], "<|endoftext|>")
    assert prefix.endswith(ex + "<|endoftext|>") and prompt.startswith(prefix)
    assert prompt[len(prefix):].count("Assistant:") == 1 and cold_start.few_shot_prefix([], "|") == ""


def test_cold_start_filters_on_graded_records():
    recs = cold_start.grade([
        {"completion": GOOD, "answer": "8"},
        {"completion": GOOD, "answer": "9"},                                          # wrong
        {"completion": " <think> 1+9=10, 等等 10-2=8. </think> So \\boxed{8}.", "answer": "8"},  # mixed
        {"completion": " <think> 1+9=10, 10-2=8. </think> <answer> 8 </answer>", "answer": "8"},  # no summary
    ])
    kept, counts = cold_start.apply_filters(recs, cold_start.cold_start_filters())
    assert len(kept) == 1 and kept[0]["answer"] == "8"
    assert counts == {"in": 4, "rejected_by_no_summary": 1, "rejected_by_language_mixing": 1,
                      "rejected_by_wrong_answer": 1, "kept": 1}


def test_cold_start_language_filter_judges_each_problem_in_its_own_language():
    zh = " <think> 1+9=10, 等等，我检查。 10-2=8。 </think> 所以答案是 \\boxed{8}。"
    recs = cold_start.grade([
        {"completion": GOOD, "answer": "8", "language": "zh"},  # English answer, Chinese problem
        {"completion": zh, "answer": "8", "language": "zh"},
        {"completion": zh, "answer": "8", "language": "en"},    # Chinese answer, English problem
        {"completion": GOOD, "answer": "8"},                    # no language: the default, en
        {"completion": zh, "answer": "8"},
    ])
    kept, counts = cold_start.apply_filters(recs, cold_start.cold_start_filters("problem"))
    assert [(r["completion"] == zh, r.get("language")) for r in kept] == [(True, "zh"), (False, None)]
    assert counts["rejected_by_language_mixing"] == 3
    kept_en, _ = cold_start.apply_filters(recs, cold_start.cold_start_filters("en"))  # one language for all
    assert [(r["completion"] == zh, r.get("language")) for r in kept_en] == [(False, "zh"), (False, None)]
    kept_zh, _ = cold_start.apply_filters(recs[3:], cold_start.cold_start_filters("zh"))
    assert [r["completion"] for r in kept_zh] == [zh]
    with pytest.raises(ValueError, match="target_language"):
        cold_start.cold_start_filters("fr")


def test_rollouts_are_summarised_in_their_problems_language():
    import pandas as pd

    problems = {"p-en": {"id": "p-en", "problem": "Compute 1+9-2", "answer": "8", "language": "en"},
                "p-zh": {"id": "p-zh", "problem": "计算 1+9-2", "answer": "8", "language": "zh"}}
    raw = " <think> 1+9=10, 10-2=8. </think> <answer> 8 </answer>"
    rows = pd.DataFrame({"prompt_id": ["p-en", "p-zh", "missing"], "completion": [raw] * 3})
    recs = cold_start.rollouts_source(rows, problems)
    assert [(r["id"], r["language"], r["correct"]) for r in recs] == [("p-en", "en", True), ("p-zh", "zh", True)]
    assert recs[0]["completion"].endswith("So the answer is \\boxed{8}.")
    assert recs[1]["completion"].endswith("所以答案是 \\boxed{8}。")
    kept, counts = cold_start.apply_filters(recs, cold_start.cold_start_filters())
    assert len(kept) == 2 and counts["rejected_by_language_mixing"] == 0
    english = cold_start.rollouts_source(rows, problems, target_language="en")  # the micro profile's
    assert all(r["completion"].endswith("So the answer is \\boxed{8}.") for r in english)


def test_english_on_zh_holds_that_share_of_chinese_problems_to_english():
    zh = [{"id": f"p{i}", "language": "zh"} for i in range(4000)]
    share = sum(cold_start.target_of(p, "problem", 0.5) == "en" for p in zh) / len(zh)
    assert abs(share - 0.5) < 0.03
    assert cold_start.target_of({"id": "x", "language": "en"}, "problem", 1.0) == "en"
    assert cold_start.target_of(zh[0], "problem", 0.0) == "zh"
    with pytest.raises(ValueError, match="english_on_zh"):
        cold_start.cold_start_filters("en", 0.5)
