"""The data sources behind one interface (r1lib.sources): micro and real, and decontamination.

The real source reads the shared data root (read-only) with small limits; error cases and the
planted duplicates use copies under ``tmp_path``.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from pathlib import Path

import pytest

from r1lib.core.formats import split_readable, summary_of
from r1lib.core.profile import Profile
from r1lib.machinery.config import load_profile
from r1lib.sources.base import (PAIR_FIELDS, PROBLEM_FIELDS, PROMPT_FIELDS, SFT_FIELDS, StudentSpec, check_fields,
                               split_pairs)
from r1lib.sources.benchmarks import resolve_data_root, tagged_problems
from r1lib.sources.decontamination import Decontaminator, ngrams, normalize, words
from r1lib.sources.micro.source import MicroSource
from r1lib.sources.real import REFUSAL, RealSource, gsm8k_reasoning, load_sft_data, math_reasoning
from r1lib.sources.registry import open_source

SHARED = resolve_data_root()
pytestmark = pytest.mark.skipif(not (SHARED / "math" / "gsm8k_train.jsonl").is_file(),
                                reason=f"shared data root {SHARED} not available")
HELDOUT = ["math500", "gsm8k_test", "mgsm_zh"]
TRAIN = ["gsm8k_train", "math_train", "cmath_dev"]
SHA = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture(autouse=True)
def _no_env_root(monkeypatch):
    monkeypatch.delenv("R1_DATA_ROOT", raising=False)


def real_profile(data_root: str | None = None, heldout=tuple(HELDOUT), train=tuple(TRAIN), **real) -> Profile:
    """The smoke profile on the real source with small limits (``heldout`` may be a list: the
    profile is re-validated with it after ``load_profile``'s checks)."""
    real = {"sft_limit": 40, "preference_limit": 200, "safety": 20, **real}
    p = load_profile("smoke", {"data_root": data_root, "data": {"source": "real", "real": real},
                               "problems": {"train": list(train), "train_limit": 150, "heldout": "math500",
                                            "heldout_limit": 30}})
    raw = p.model_dump(mode="json")
    raw["problems"]["heldout"] = list(heldout) if not isinstance(heldout, str) else heldout
    return Profile.model_validate(raw)


@pytest.fixture(scope="module")
def real():
    """One real source and everything it returns."""
    src = open_source(real_profile())
    out = {"problems": src.reasoning_problems(), "sft": src.non_reasoning_sft(),
           "pairs": {k: src.preference_pairs(k, 0.2) for k in ("helpfulness", "harmlessness")},
           "prompts": {p: src.general_prompts(60, 0.5, p)
                       for p in ("general-rl", "distill-general", "general-eval", "general-test")}}
    out["seeds"] = src.seed_examples(out["problems"][0], 6, random.Random(0))
    return src, out


# ----------------------------------------------------------------------------- decontamination


def test_normalize_and_ngrams():
    assert normalize("  What IS $x^2$,\tif x=３? ") == "what is x 2 if x 3"
    assert ngrams("one two three", 8) == {"one two three"}      # short: the whole text
    assert ngrams("", 8) == set()
    assert len(ngrams(" ".join(str(i) for i in range(10)), 8)) == 3
    assert words("小明有5个苹果") == ["小", "明", "有", "5", "个", "苹", "果"]
    with pytest.raises(ValueError):
        ngrams("x", 0)


def test_decontaminator_catches_reformatted_duplicate_and_keeps_others():
    held = [r["problem"] for r in tagged_problems("math500", limit=50)]
    d = Decontaminator(held)
    planted = "  " + held[7].upper().replace("$", "").replace(" ", "  ") + " "
    novel = "A farmer keeps 17 llamas and sells a third of the rest of his goats on a sunny Tuesday."
    kept, removed = d.filter([{"problem": planted}, {"problem": novel}, {"problem": "Compute 1+2"}], ("problem",))
    assert removed == 1 and [r["problem"] for r in kept] == [novel, "Compute 1+2"]
    assert d.contaminated("求 " + "小明有5个苹果，给了小红2个，还剩几个？") is False
    assert Decontaminator(["小明有5个苹果，给了小红2个，还剩几个？"]).contaminated("小明有5个苹果, 给了小红2个")


def _copy_root(tmp_path: Path, replace: dict[str, list[dict] | bytes]) -> Path:
    """A data root of links to the shared files, with the files in ``replace`` written anew."""
    root = tmp_path / "data"
    for src in SHARED.rglob("*"):
        if src.is_file():
            dst = root / src.relative_to(SHARED)
            dst.parent.mkdir(parents=True, exist_ok=True)
            rel = str(src.relative_to(SHARED))
            if rel not in replace:
                dst.symlink_to(src)
    for rel, content in replace.items():
        dst = root / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            dst.write_bytes(content)
        else:
            dst.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in content), encoding="utf-8")
    return root


def _rows(rel: str, n: int) -> list[dict]:
    with open(SHARED / rel, encoding="utf-8") as f:
        return [json.loads(next(f)) for _ in range(n)]


def test_planted_duplicate_is_removed_and_counted(tmp_path):
    math500 = _rows("math/math500_test.jsonl", 20)
    planted = {**_rows("math/math_test_minus_math500.jsonl", 1)[0], "id": "planted",
               "problem": "  " + math500[3]["problem"].upper().replace("$", " ").replace(" ", "  ")}
    novel = {**planted, "id": "novel", "problem": "A farmer keeps 17 llamas; how many legs do 17 llamas have?"}
    base = _rows("math/math_test_minus_math500.jsonl", 30)
    counts = {}
    for label, rows in (("clean", base + [novel]), ("planted", base + [planted, novel])):
        root = _copy_root(tmp_path / label, {"math/math_test_minus_math500.jsonl": rows})
        src = RealSource(real_profile(str(root), train=["math_train"]))
        train, _ = src.reasoning_problems()
        counts[label] = src.provenance["train_problems"]["decontamination"]
        ids = {r["id"] for r in train}
        assert "math_train/novel" in ids and "math_train/planted" not in ids
    assert counts["planted"]["removed"] == counts["clean"]["removed"] + 1
    assert counts["planted"]["checked"] == counts["clean"]["checked"] + 1 == 32
    assert counts["planted"]["against"][:3] == HELDOUT and counts["planted"]["ngram"] == 8


def test_planted_benchmark_problem_in_sft_data_is_removed(tmp_path):
    gsm_test = _rows("math/gsm8k_test.jsonl", 5)
    alpaca = _rows("sft/llamafactory_alpaca_en_demo.jsonl", 10)
    alpaca.append({**alpaca[0], "id": "planted", "prompt": "Solve this: " + gsm_test[2]["problem"]})
    root = _copy_root(tmp_path, {"sft/llamafactory_alpaca_en_demo.jsonl": alpaca})
    src = RealSource(real_profile(str(root), benign_eval_share=0.01))
    sft = src.non_reasoning_sft()
    assert not any(r["id"].endswith("/planted") for r in sft)
    assert src.provenance["non_reasoning_sft"]["decontamination"]["removed"] >= 1


# ----------------------------------------------------------------------------- both sources, one interface


def test_micro_source_interface():
    p = load_profile("smoke")
    src = open_source(p)
    assert isinstance(src, MicroSource)
    train, held = src.reasoning_problems()
    assert (len(train), len(held)) == (p.world.n_train, p.world.n_test)
    check_fields(train + held, tuple(f for f in PROBLEM_FIELDS if f != "source"), "micro problems")
    check_fields(src.non_reasoning_sft(), SFT_FIELDS, "micro sft")
    check_fields(src.preference_pairs("helpfulness", 0.2)[0], PAIR_FIELDS, "micro pairs")
    check_fields(src.general_prompts(12, 0.5, "general-eval"), PROMPT_FIELDS, "micro prompts")
    check_fields(src.seed_examples(train, 2, random.Random(0)), ("id", "problem", "completion"), "seeds")
    assert src.provenance and all("generator" in e and "files" not in e for e in src.provenance.values())


def test_micro_problems_have_source():
    train, held = MicroSource(load_profile("smoke")).reasoning_problems()
    check_fields(train[:5] + held[:5], PROBLEM_FIELDS, "micro problems")


def _pair(prompt, chosen, rejected):
    return {"prompt": prompt, "chosen": f"<think> r </think> {chosen}", "rejected": f"<think> r </think> {rejected}"}


def test_split_pairs_drops_heldout_good_answers_taught_as_bad():
    pairs = [_pair(f"greet {n}", f"Hello {n}", f"Hello {m}") for n, m in
             [("Ann", "Tom"), ("Tom", "Ann"), ("Bob", "Ann"), ("Eve", "Bob"), ("Ann", "Eve")]]
    pairs += [_pair("steal", "I can't help.", "Sure."), _pair("greet Max", "Hello Max", "I can't help.")]
    train, held, dropped = split_pairs(pairs, 0.0, 0)
    assert (len(train), held, dropped) == (7, [], 0)
    # hold out every pair whose prompt greets Ann: "Hello Ann" becomes a held-out good answer
    order = [p["prompt"] for p in pairs]
    for seed in range(200):
        train, held, dropped = split_pairs(pairs, 1 / 6, seed)
        if {p["prompt"] for p in held} == {"greet Ann"}:
            break
    else:
        pytest.fail("no seed held out exactly 'greet Ann'")
    # "Hello Ann" is the rejected answer of the pairs of Tom and Bob: both go; the refusal,
    # good in training (steal) and bad for Max, stays
    assert dropped == 2 and [p["prompt"] for p in train] == [q for q in order if q not in
                                                             ("greet Ann", "greet Tom", "greet Bob")]
    assert all(p["prompt"] == "greet Ann" for p in held) and len(held) == 2


def test_micro_preference_split_records_what_it_dropped():
    src = MicroSource(load_profile("micro"))
    train, held = src.preference_pairs("helpfulness", 0.25)
    bad_in_train = {summary_of(p["rejected"]) for p in train}
    good_in_train = {summary_of(p["chosen"]) for p in train}
    heldout_good = {summary_of(p["chosen"]) for p in held}
    assert not (heldout_good - good_in_train) & bad_in_train
    counts = src.provenance["preference_helpfulness"]
    assert counts["dropped_heldout_answer_as_rejected"] > 0
    assert counts["train"] + counts["heldout"] + counts["dropped_heldout_answer_as_rejected"] == counts["count"]


def test_real_counts_fields_and_languages(real):
    src, out = real
    train, held = out["problems"]
    assert isinstance(src, RealSource)
    assert 400 < len(train) <= 450 and len(held) == 90
    assert {r["source"] for r in train} == set(TRAIN) and {r["source"] for r in held} == set(HELDOUT)
    check_fields(train + held, PROBLEM_FIELDS, "real problems")
    assert {r["language"] for r in train} == {"en", "zh"} and {r["language"] for r in held} == {"en", "zh"}
    assert all(r.get("solution") for r in train if r["source"] != "cmath_dev")
    sft = check_fields(out["sft"], SFT_FIELDS, "real sft")
    cats = {c: sum(r["category"] == c for r in sft) for c in ("self_cognition", "general_instruction", "harmful")}
    assert 0 < cats["self_cognition"] <= 40 and 40 < cats["general_instruction"] <= 80 and cats["harmful"] == 20
    assert {r["language"] for r in sft} == {"en", "zh"}
    assert not any("{{" in r["prompt"] + r["completion"] for r in sft)
    assert all(split_readable(r["completion"]) for r in sft)
    ident = [r for r in sft if r["category"] == "self_cognition"]
    assert all((r["expected"] == "R1-micro") == ("R1-micro" in r["completion"]) for r in ident)
    assert all(split_readable(r["completion"])[1] == REFUSAL["en"] for r in sft if r["category"] == "harmful")
    for kind, (tr, te) in out["pairs"].items():
        check_fields(tr + te, PAIR_FIELDS, kind)
        dropped = src.provenance[f"preference_{kind}"]["dropped_heldout_answer_as_rejected"]
        assert len(tr) + len(te) + dropped == 200 and dropped <= 5 and 30 <= len(te) <= 50
        assert {p["kind"] for p in tr} == {kind}
    assert {p["language"] for p in out["pairs"]["helpfulness"][0]} == {"en", "zh"}


def test_real_general_prompts(real):
    src, out = real
    for purpose, recs in out["prompts"].items():
        check_fields(recs, PROMPT_FIELDS, purpose)
        assert len(recs) == 60 and sum(r["category"] == "harmful" for r in recs) == 30
        assert all(r["expected"] is None for r in recs if r["category"] != "self_cognition")
        assert all(r["expected"] == "R1-micro" for r in recs if r["category"] == "self_cognition")
        assert any(r["category"] == "self_cognition" for r in recs)
    assert src.general_prompts(60, 0.5, "general-rl") == out["prompts"]["general-rl"]  # deterministic
    big = src.general_prompts(100_000, 0.5, "general-eval")
    entry = src.provenance["general_prompts/general-eval"]
    assert len(big) == entry["count"] < entry["requested"] == 100_000


def test_real_heldout_disjointness(real):
    src, out = real
    train, held = out["problems"]
    d = Decontaminator([r["problem"] for r in held])
    assert not {normalize(r["problem"]) for r in train} & {normalize(r["problem"]) for r in held}
    assert not any(d.contaminated(r["problem"]) for r in train)
    prompts = out["prompts"]
    train_side = {r["prompt"] for p in ("general-rl", "distill-general") for r in prompts[p]}
    sft = {r["prompt"] for r in out["sft"]}
    for p in ("general-eval", "general-test"):
        held_side = {r["prompt"] for r in prompts[p]}
        assert not held_side & train_side and not held_side & sft
    for tr, te in out["pairs"].values():
        assert not {r["prompt"] for r in tr} & {r["prompt"] for r in te}


def test_real_provenance_names_files(real):
    src, _ = real
    assert set(src.provenance) >= {"train_problems", "heldout_problems", "seed_examples", "non_reasoning_sft",
                                   "preference_helpfulness", "preference_harmlessness", "general_prompts/general-rl"}
    for name, entry in src.provenance.items():
        assert "generator" not in entry and entry["files"], name
        assert all(SHA.match(f["sha256"]) and Path(f["path"]).is_file() for f in entry["files"]), name
    for name in ("train_problems", "non_reasoning_sft", "preference_harmlessness", "general_prompts/general-rl"):
        dec = src.provenance[name]["decontamination"]
        assert set(dec) >= {"checked", "removed", "against", "ngram"} and dec["checked"] >= dec["removed"]
        assert {"math500", "gsm8k_test", "mgsm_zh", "aime24"} <= set(dec["against"])


def test_real_seed_examples(real):
    src, out = real
    train = out["problems"][0]
    seeds = out["seeds"]
    assert len(seeds) == 6 and seeds == src.seed_examples(train, 6, random.Random(0))
    for s in seeds:
        reasoning, summary = split_readable(s["completion"])
        assert "<<" not in reasoning and "####" not in reasoning and "\\boxed" not in reasoning
        assert summary == f"So the answer is \\boxed{{{s['answer']}}}."
    zh_only = [r for r in train if r["source"] == "cmath_dev"]  # no solutions: no seeds
    assert src.seed_examples(zh_only, 3, random.Random(0)) == []
    assert gsm8k_reasoning("a = <<2*3=6>>6 b.\n#### 6") == "a = 6 b."
    assert math_reasoning("So $x=\\boxed{\\frac{1}{2}}$.") == "So $x=\\frac{1}{2}$."


def test_real_student():
    assert RealSource(real_profile()).student() == StudentSpec("layer_drop", keep_layers=None)
    p = real_profile().model_dump(mode="json")
    p["distillation"]["student"]["base"] = "Qwen/Qwen2.5-0.5B"
    assert RealSource(Profile.model_validate(p)).student() == StudentSpec("checkpoint", "Qwen/Qwen2.5-0.5B")


# ----------------------------------------------------------------------------- errors


def test_real_missing_file_names_file_and_variable(tmp_path):
    root = _copy_root(tmp_path, {})
    (root / "sft" / "llamafactory_identity.jsonl").unlink()
    (root / "preference" / "llamafactory_dpo_zh_demo.jsonl").unlink()
    src = RealSource(real_profile(str(root)))
    with pytest.raises(FileNotFoundError, match=r"sft/llamafactory_identity\.jsonl.*R1_DATA_ROOT"):
        src.non_reasoning_sft()
    with pytest.raises(FileNotFoundError, match=r"llamafactory_dpo_zh_demo\.jsonl.*R1_DATA_ROOT"):
        src.preference_pairs("helpfulness", 0.2)
    with pytest.raises(ValueError, match="unknown reward model"):
        src.preference_pairs("honesty", 0.2)
    with pytest.raises(ValueError, match="unknown purpose"):
        src.general_prompts(4, 0.5, "general-train")


def test_real_bad_records_name_file_and_line(tmp_path):
    alpaca = _rows("sft/llamafactory_alpaca_zh_demo.jsonl", 3)
    alpaca[1] = {k: v for k, v in alpaca[1].items() if k != "response"}
    good = gzip.decompress((SHARED / "preference/hh_rlhf_harmless_base_test.jsonl.gz").read_bytes())
    bad_gz = gzip.compress(b"\n".join(good.split(b"\n")[:2] + [b'{"chosen": "x",,}']))
    root = _copy_root(tmp_path, {"sft/llamafactory_alpaca_zh_demo.jsonl": alpaca,
                                 "preference/hh_rlhf_harmless_base_test.jsonl.gz": bad_gz})
    src = RealSource(real_profile(str(root)))
    with pytest.raises(ValueError, match=r"alpaca_zh_demo\.jsonl: line 2 .*'response' is missing"):
        src.non_reasoning_sft()
    with pytest.raises(ValueError, match=r"hh_rlhf_harmless_base_test\.jsonl\.gz: line 3: malformed JSON"):
        src.preference_pairs("harmlessness", 0.2)


# ----------------------------------------------------------------------------- load_sft_data (from recipe.sft)


def test_load_identity_data():
    recs = load_sft_data(None, ["sft/llamafactory_identity.jsonl"], name="MicroR1", author="the r1lib team")
    assert len(recs) == 91
    assert all(set(r) == {"id", "prompt", "response", "category", "language", "file"} for r in recs)
    assert not any("{{" in r["prompt"] or "{{" in r["response"] for r in recs)
    assert sum("MicroR1" in r["response"] for r in recs) > 50
    assert sum("the r1lib team" in r["response"] for r in recs) > 40
    assert {r["category"] for r in recs} == {"self_cognition"} and {r["language"] for r in recs} == {"en", "zh"}
    assert recs[0]["prompt"] == "hi" and recs[0]["language"] == "en"


def test_load_sft_data_limit_and_several_files():
    recs = load_sft_data(str(SHARED), ["sft/llamafactory_identity.jsonl", "sft/llamafactory_alpaca_en_demo.jsonl"],
                         "N", "A", limit=3)
    assert [r["category"] for r in recs] == ["self_cognition"] * 3 + ["general_instruction"] * 3
    with pytest.raises(ValueError, match="limit"):
        load_sft_data(None, [], "N", "A", limit=-1)


def _write(root: Path, name: str, rows: list[dict]) -> None:
    (root / "sft").mkdir(exist_ok=True)
    (root / "sft" / name).write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_load_sft_data_errors(tmp_path):
    ok = {"id": "r0", "prompt": "Who are you?", "response": "I am {{name}} by {{author}}.",
          "category": "self_cognition", "language": "en"}
    _write(tmp_path, "good.jsonl", [ok])
    assert load_sft_data(str(tmp_path), ["sft/good.jsonl"], "N", "A")[0]["response"] == "I am N by A."
    _write(tmp_path, "left.jsonl", [ok, {**ok, "id": "r1", "response": "v{{version}}"}])
    with pytest.raises(ValueError, match=r"left\.jsonl: line 2 \(id r1\).*version"):
        load_sft_data(str(tmp_path), ["sft/left.jsonl"], "N", "A")
    _write(tmp_path, "noresp.jsonl", [{"id": "r7", "prompt": "hi"}])
    with pytest.raises(ValueError, match=r"noresp\.jsonl: line 1 \(id r7\).*'response'"):
        load_sft_data(str(tmp_path), ["sft/noresp.jsonl"], "N", "A")
    _write(tmp_path, "empty.jsonl", [{"id": "r8", "prompt": " ", "response": "x"}])
    with pytest.raises(ValueError, match=r"empty\.jsonl: line 1 \(id r8\).*'prompt'"):
        load_sft_data(str(tmp_path), ["sft/empty.jsonl"], "N", "A")
    with pytest.raises(FileNotFoundError, match=r"missing\.jsonl.*R1_DATA_ROOT"):
        load_sft_data(str(tmp_path), ["sft/missing.jsonl"], "N", "A")
