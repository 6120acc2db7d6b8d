"""Tests of r1lib.recipe.language (script-based language measure) and the language_consistency reward."""

import pytest

from r1lib.recipe.language import (SUPPORTED_TARGETS, is_mixed, readability, reasoning_language_share, summary_text,
                                   target_language_share, words_by_language)
from r1lib.recipe.rewards import REWARD_FUNCS, get_reward_funcs

EN_READABLE = " <think> 1+9=10, 10-2=8. Wait, let me check step by step. </think> The sum is 8. <answer> 8 </answer>"
EN_NO_SUMMARY = " <think> 1+9=10, 10-2=8. Wait, let me check step by step. </think> <answer> 8 </answer>"
MIXED = (" <think> 1+9-2=9. 等等，我一步一步检查。 1+9=10, 10-2=8. 所以答案是 8。 </think> "
         "The sum is 8. <answer> 8 </answer>")
ZH_ONLY = " <think> 1+9=10，10-2=8。等等，我检查一下。 </think> 和是 8。 <answer> 8 </answer>"


# ---------------------------------------------------------------- words_by_language

def test_words_mixed_text():
    assert words_by_language("Wait, let me check 等等") == {"en": 4, "zh": 2, "other": 0}


def test_words_each_ideograph_is_a_word():
    assert words_by_language("等等，我一步一步检查。") == {"en": 0, "zh": 9, "other": 0}
    # extension A and compatibility ideographs count as zh
    assert words_by_language("\u3400\uf900")["zh"] == 2


def test_words_latex_digits_punctuation_ignored():
    assert words_by_language(r"\frac{1}{2} + \boxed{42} = 3.14, \sqrt{9}!") == {"en": 0, "zh": 0, "other": 0}
    # the argument of \text is prose; a variable is a Latin word
    assert words_by_language(r"\text{apples} x^2") == {"en": 2, "zh": 0, "other": 0}
    # the R1 tags are markup, not words
    assert words_by_language("<think> 中 </think> <answer> 8 </answer>") == {"en": 0, "zh": 1, "other": 0}


def test_words_latin_runs_and_other_scripts():
    # accented Latin letters (precomposed or combining) are en; apostrophe splits a run
    assert words_by_language("café nai\u0308ve let's")["en"] == 4
    assert words_by_language("Привет мир αβ") == {"en": 0, "zh": 0, "other": 3}
    assert words_by_language("") == {"en": 0, "zh": 0, "other": 0}


def test_words_type_error():
    with pytest.raises(TypeError):
        words_by_language(None)


# ---------------------------------------------------------------- shares and mixing

def test_target_share():
    assert target_language_share("a b 中文") == 0.5
    assert target_language_share("a b 中文", "zh") == 0.5
    assert target_language_share("Wait, let me check 等等") == pytest.approx(4 / 6)
    assert target_language_share("Wait, let me check 等等", "zh") == pytest.approx(2 / 6)
    assert target_language_share("hello Привет") == 0.5  # other counts in the denominator


def test_target_share_no_words_is_one():
    assert target_language_share("") == 1.0
    assert target_language_share("1+9=10. \\frac{1}{2}", "zh") == 1.0


def test_unknown_target_error():
    assert SUPPORTED_TARGETS == ("en", "zh")
    with pytest.raises(ValueError, match="'en'.*'zh'"):
        target_language_share("hello", "fr")
    with pytest.raises(ValueError, match="supported"):
        target_language_share("", "other")
    with pytest.raises(ValueError):
        reasoning_language_share(EN_READABLE, "de")
    with pytest.raises(ValueError):
        readability(EN_READABLE, "ja")


def test_is_mixed():
    assert is_mixed("Wait, let me check 等等")
    assert not is_mixed("Wait, let me check")
    assert not is_mixed("等等，我检查")
    assert not is_mixed("1+9=10 \\frac{1}{2}")
    assert not is_mixed("")
    assert is_mixed("hello Привет")
    # min_words: a single stray word is tolerated
    assert not is_mixed("Wait, let me check 等", min_words=2)
    assert is_mixed("Wait, let me check 等等", min_words=2)
    with pytest.raises(ValueError):
        is_mixed("x", min_words=0)


def test_reasoning_share_ignores_summary_and_answer():
    # reasoning: 1+9-2=9. 等等，我一步一步检查。 1+9=10, 10-2=8. 所以答案是 8。 -> zh 9 + 5 = 14, en 0
    assert reasoning_language_share(MIXED) == 0.0
    assert reasoning_language_share(MIXED, "zh") == 1.0
    assert reasoning_language_share(EN_READABLE) == 1.0
    # Chinese summary / answer outside think does not count
    assert reasoning_language_share(" <think> Wait, check. </think> 和是 8。 <answer> 八 </answer>") == 1.0
    # half-mixed reasoning: en 4 (Wait let me check), zh 2 (等等)
    half = "<think> Wait, let me check 等等 </think> <answer> 8 </answer>"
    assert reasoning_language_share(half) == pytest.approx(4 / 6)


def test_summary_text():
    assert summary_text(EN_READABLE) == "The sum is 8."
    assert summary_text(EN_NO_SUMMARY) == ""
    assert summary_text("no think tags <answer> 8 </answer>") == ""
    several = summary_text("<think> r </think> A. <answer> 8 </answer> B. <answer> 9 </answer> C.")
    assert several.split() == ["A.", "B.", "C."]
    assert summary_text("<think> r </think> Sum 8. <answer> 8") == "Sum 8."


# ---------------------------------------------------------------- readability

def test_readability_readable_english():
    assert readability(EN_READABLE) == {"has_summary": True, "single_language": True, "readable": True,
                                        "target_share": 1.0}


def test_readability_no_summary():
    r = readability(EN_NO_SUMMARY)
    assert r["has_summary"] is False and r["single_language"] is True and r["readable"] is False
    # a summary of digits/punctuation only has no words
    assert readability("<think> x </think> 8. <answer> 8 </answer>")["has_summary"] is False


def test_readability_mixed_reasoning():
    r = readability(MIXED)
    assert r["has_summary"] is True and r["single_language"] is False and r["readable"] is False
    # en: "The sum is" = 3; zh: 14 in the reasoning
    assert r["target_share"] == pytest.approx(3 / 17)


def test_readability_chinese_only_target_zh():
    r = readability(ZH_ONLY, target="zh")
    assert r == {"has_summary": True, "single_language": True, "readable": True, "target_share": 1.0}
    # the same completion for an English reader: single-language, but no English words
    assert readability(ZH_ONLY)["target_share"] == 0.0


# ---------------------------------------------------------------- registered reward

def test_reward_registered():
    assert "language_consistency" in REWARD_FUNCS
    (fn,) = get_reward_funcs(["language_consistency"])
    assert fn.__name__ == "language_consistency"


def test_reward_default_english():
    (fn,) = get_reward_funcs(["language_consistency"])
    half = "<think> Wait, let me check 等等 </think> <answer> 8 </answer>"
    out = fn([EN_READABLE, MIXED, half, "<think> 1+1=2 </think> <answer> 2 </answer>"], answer=["8"] * 4)
    assert out == pytest.approx([1.0, 0.0, 4 / 6, 0.0])  # word-free reasoning earns nothing
    assert all(isinstance(x, float) for x in out)


def test_reward_language_column_and_conversational():
    (fn,) = get_reward_funcs(["language_consistency"])
    conv = [{"role": "assistant", "content": MIXED}]
    out = fn([EN_READABLE, MIXED, conv, ZH_ONLY], language=["en", "zh", "zh", None])
    assert out == pytest.approx([1.0, 1.0, 1.0, 0.0])


def test_signed_reward_puts_word_free_reasoning_between_right_and_wrong_language():
    (signed, share) = get_reward_funcs(["language_consistency_signed", "language_consistency"])
    assert signed.__name__ == "language_consistency_signed"
    half = "<think> Wait, let me check 等等 </think> <answer> 8 </answer>"
    word_free = "<think> 1+1=2 </think> <answer> 2 </answer>"
    batch = [EN_READABLE, MIXED, half, word_free, ZH_ONLY]
    langs = ["en", "en", "en", "en", "zh"]
    assert signed(batch, language=langs) == pytest.approx([1.0, -1.0, 4 / 6 - 2 / 6, 0.0, 1.0])
    assert share(batch, language=langs) == pytest.approx([1.0, 0.0, 4 / 6, 0.0, 1.0])  # wrong = word-free
    assert signed([half], language=["zh"]) == pytest.approx([-1 / 3]) and signed([]) == []


@pytest.mark.parametrize("name", ["language_consistency", "language_consistency_signed"])
def test_reward_errors(name):
    (fn,) = get_reward_funcs([name])
    with pytest.raises(ValueError):
        fn([EN_READABLE], language=["en", "zh"])
    with pytest.raises(TypeError):
        fn([EN_READABLE], language="en")
    with pytest.raises(ValueError, match="supported"):
        fn([EN_READABLE], language=["fr"])
    assert fn([]) == []
