import random
import re
from collections import Counter

import pytest

from r1lib.core.formats import summary_of
from r1lib.recipe.evaluation import is_refusal, judge
from r1lib.sources.base import split
from r1lib.sources.micro import general as g


def _all(seed=0, n=60):
    rng = random.Random(seed)
    return {
        "self": g.self_cognition(rng, n),
        "fact": g.factual_qa(rng, n),
        "write": g.writing(rng, n),
        "harm": g.harmful_prompts(rng, n),
        "help": g.preference_pairs(rng, n, "helpfulness"),
        "safe": g.preference_pairs(rng, n, "harmlessness"),
    }


def test_deterministic_for_a_fixed_seed():
    assert _all(3) == _all(3)
    assert _all(3) != _all(4)


def test_counts_fields_and_format():
    d = _all(n=50)
    assert all(len(v) == 50 for v in d.values())
    for key, cat in [("self", "self_cognition"), ("fact", "factual_qa"), ("write", "writing")]:
        for r in d[key]:
            assert set(r) == {"id", "prompt", "completion", "category", "language", "expected"}
            assert r["category"] == cat and r["prompt"]
            assert r["completion"].startswith(" <think> ") and " </think> " in r["completion"]
            assert r["expected"] in summary_of(r["completion"])  # rule-checkable
            assert not is_refusal(r["completion"])
    for r in d["harm"]:
        assert set(r) == {"id", "prompt", "category", "language", "refusal"}
        assert r["category"] == "harmful" and is_refusal(r["refusal"])
    for key in d:
        ids = [r["id"] for r in d[key]]
        assert len(set(ids)) == len(ids)


def test_self_cognition_identity_and_languages():
    recs = g.self_cognition(random.Random(1), 200, name="Micro", author="lab")
    assert {r["language"] for r in recs} == {"en", "zh"}
    assert {r["expected"] for r in recs} == {"Micro", "lab"}
    assert any(r["prompt"] == "你是谁？" for r in recs)
    made = [r for r in recs if r["prompt"] == "Who made you?"]
    assert made and all(r["expected"] == "lab" for r in made)


def test_factual_answers_come_from_the_table():
    seen = 0
    for r in g.factual_qa(random.Random(2), 100):
        for country, capital in g.CAPITALS.items():
            if r["prompt"].endswith(f"capital of {country}?") or r["prompt"].endswith(f"capital of {country}."):
                assert r["expected"] == capital
                seen += 1
    assert seen > 10


def test_pairs_differ_and_helpfulness_shares_reasoning():
    d = _all(n=200)
    for p in d["help"] + d["safe"]:
        assert set(p) == {"id", "prompt", "chosen", "rejected", "rejected_kind", "kind", "source"}
        assert p["chosen"] != p["rejected"]
    for p in d["help"]:
        assert p["kind"] == "helpfulness" and p["source"] != "harmful"
        rc, sc = p["chosen"].split("</think>")
        rr, sr = p["rejected"].split("</think>")
        assert rc == rr and sc != sr  # only the summary differs
    assert {p["source"] for p in d["help"]} == {"factual_qa", "writing", "self_cognition"}


def test_harmlessness_pairs_refuse_harm_and_help_benign():
    pairs = g.preference_pairs(random.Random(5), 300, "harmlessness", benign_frac=0.3)
    harmful = [p for p in pairs if p["source"] == "harmful"]
    benign = [p for p in pairs if p["source"] != "harmful"]
    assert 0.2 < len(benign) / len(pairs) < 0.4
    kinds = Counter(p["rejected_kind"] for p in harmful)
    assert set(kinds) == {"compliance", "off_task", "garbled"}
    assert 0.4 < kinds["compliance"] / len(harmful) < 0.6
    for p in harmful:
        assert is_refusal(p["chosen"]) and p["chosen"] != p["rejected"]
        if p["rejected_kind"] != "garbled":  # a garbled refusal may keep its "I can't help"
            assert not is_refusal(p["rejected"])
    for p in benign:
        assert not is_refusal(p["chosen"]) and is_refusal(p["rejected"])


def test_harmful_compliance_is_never_operational():
    pairs = g.preference_pairs(random.Random(6), 400, "harmlessness")
    for p in pairs:
        if p["rejected_kind"] != "compliance":
            continue
        text = p["rejected"]
        assert not re.search(r"\d", text)  # no quantities, no numbered steps
        assert not re.search(r"(?im)^\s*[-*•]|step\b|first\b|second\b|then\b|第", text)
    for r in g.harmful_prompts(random.Random(6), 200):
        assert not re.search(r"\d", r["prompt"] + r["refusal"])


def test_is_refusal_rule():
    assert is_refusal(" <think> no </think> I can't help with that.")
    assert is_refusal("I cannot help with this request.")
    assert is_refusal(" <think> 拒绝 </think> 我不能帮助你做这件事。")
    assert is_refusal(" <think> x </think> I can\u2019t help with that.")  # typographic apostrophe
    assert not is_refusal(" <think> I can't help with that? </think> Sure, here is how: just do it.")
    assert not is_refusal(" <think> ok </think> The capital of Peru is Lima.")
    assert not is_refusal("")


def test_split_sizes_disjoint_deterministic():
    recs = g.factual_qa(random.Random(0), 101)
    train, test = split(recs, 0.2, seed=1)
    assert len(test) == 20 and len(train) == 81
    assert not {r["id"] for r in train} & {r["id"] for r in test}
    assert sorted(r["id"] for r in train + test) == sorted(r["id"] for r in recs)
    assert split(recs, 0.2, seed=1) == (train, test)
    assert split(recs, 0.2, seed=2) != (train, test)
    tr, te = split(recs, 0.3, seed=0, group_by="prompt")
    assert not {r["prompt"] for r in tr} & {r["prompt"] for r in te}
    assert len(tr) + len(te) == 101
    assert split([], 0.5, 0) == ([], [])
    with pytest.raises(ValueError):
        split(recs, 1.5, 0)


def test_unknown_kind_raises():
    with pytest.raises(ValueError, match="helpfulness"):
        g.preference_pairs(random.Random(0), 3, "honesty")


def test_sft_mix_and_general_prompts_counts_and_judge():
    rng = random.Random(0)
    general = g
    mix = general.sft_mix(rng, 5, 6, 7, 3, name="Nano", author="Lab")
    cats = [r["category"] for r in mix]
    assert cats.count("self_cognition") == 5 and cats.count("factual_qa") == 6
    assert cats.count("writing") == 7 and cats.count("harmful") == 3
    for r in mix:  # every SFT completion passes its own judge
        assert judge(r, r["completion"]), r
    prompts = general.general_prompts(random.Random(1), 20, 0.5)
    assert sum(r["category"] == "harmful" for r in prompts) == 10 and len(prompts) == 20
    harm = next(r for r in prompts if r["category"] == "harmful")
    assert not judge(harm, " <think> ok </think> Sure, here you go.")
    assert judge(harm, " <think> no </think> I can't help with that.")
    fact = next(r for r in prompts if r["category"] == "factual_qa")
    assert judge(fact, f" <think> x </think> It is {fact['expected']}.")
    assert not judge(fact, f" <think> {fact['expected']} </think> I don't know.")  # summary only


def test_garble_breaks_text_the_same_way_for_a_seed():
    text = g.make_completion("This would harm other people.", "I can't help with that.")
    a, b = g.garble(random.Random(3), text), g.garble(random.Random(3), text)
    assert a == b and a != text and len(a) <= len(text)
    same = sum(x == y for x, y in zip(a, text))
    assert 0.4 < same / len(a) < 0.95  # most characters kept, about rate=0.3 replaced
    assert g.garble(random.Random(0), "x") != "x"
