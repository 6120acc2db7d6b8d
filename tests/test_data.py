"""Tests for r1lib.sources.benchmarks on the real shared files (read-only) and on temporary files."""

from __future__ import annotations

import json
import os
import sys
import types
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# Make the repo root importable when running plain `pytest` (no install, no conftest).
sys.path.insert(0, str(REPO_ROOT))

from r1lib.sources import benchmarks as data
from r1lib.sources.benchmarks import BENCHMARKS, BenchmarkSpec, load_benchmark, resolve_data_root
from r1lib.core.records import read_jsonl

SHARED = resolve_data_root()
needs_shared = pytest.mark.skipif(
    not (SHARED / "math" / "gsm8k_test.jsonl").is_file(),
    reason=f"shared data root {SHARED} not available",
)


@pytest.fixture(autouse=True)
def _no_env_root(monkeypatch):
    monkeypatch.delenv("R1_DATA_ROOT", raising=False)


# ----------------------------------------------------------------------------- data root


def test_resolve_data_root_precedence(monkeypatch, tmp_path):
    default = resolve_data_root()
    assert default.is_absolute()
    # normalised, not resolved: a ../shared that is a symlink stays as the user named it
    assert default == Path(os.path.abspath(REPO_ROOT.parent / "shared" / "data"))
    monkeypatch.setenv("R1_DATA_ROOT", str(tmp_path / "env"))
    assert resolve_data_root() == tmp_path / "env"
    assert resolve_data_root(str(tmp_path / "arg")) == tmp_path / "arg"
    monkeypatch.setenv("R1_DATA_ROOT", "")
    assert resolve_data_root() == default


def test_resolve_data_root_relative_argument_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_data_root("some/dir") == tmp_path / "some" / "dir"


# ----------------------------------------------------------------------------- registry


def test_registry_contents():
    expected = {
        "gsm8k_test": "math/gsm8k_test.jsonl",
        "gsm8k_train": "math/gsm8k_train.jsonl",
        "math_train": "math/math_test_minus_math500.jsonl",
        "math500": "math/math500_test.jsonl",
        "aime24": "math/aime24.jsonl",
        "aime25": "math/aime25.jsonl",
        "amc23": "math/amc23.jsonl",
        "mgsm_en": "multilingual/mgsm_en.jsonl",
        "mgsm_zh": "multilingual/mgsm_zh.jsonl",
        "cmath_dev": "multilingual/cmath_dev_zh.jsonl",
    }
    assert {k: v.local_path for k, v in BENCHMARKS.items()} == expected
    assert {k for k, v in BENCHMARKS.items() if v.language == "zh"} == {"cmath_dev", "mgsm_zh"}
    assert [data.benchmark_language(n) for n in ("cmath_dev", "mgsm_zh", "mgsm_en", "micro_test")] == [
        "zh", "zh", "en", "en"]
    g = BENCHMARKS["gsm8k_test"]
    assert (g.hub_id, g.hub_config, g.hub_split) == ("openai/gsm8k", "main", "test")
    assert (g.problem_field, g.answer_field) == ("question", "answer")
    assert BENCHMARKS["gsm8k_train"].hub_split == "train"
    m = BENCHMARKS["math500"]
    assert (m.hub_id, m.hub_split, m.problem_field, m.answer_field) == (
        "HuggingFaceH4/MATH-500",
        "test",
        "problem",
        "answer",
    )
    for spec in BENCHMARKS.values():
        assert (
            spec.answer_normalizer is None
            or spec.answer_normalizer in data.ANSWER_NORMALIZERS
        )
    with pytest.raises(AttributeError):
        g.name = "x"  # frozen


def test_answer_normalizers():
    gsm = data.ANSWER_NORMALIZERS["gsm8k"]
    assert gsm("She makes 9 * 2 = $18.\n#### 18") == "18"
    assert gsm("blah\n#### 1,080") == "1080"
    assert gsm("18") == "18"  # idempotent
    num = data.ANSWER_NORMALIZERS["integer"]
    assert num(27.0) == "27"
    assert num("27.0") == "27"
    assert num("025") == "25"
    assert num(18) == "18"
    assert num("0") == "0"
    assert num("-3.50") == "-3.5"
    assert num("\\frac{1}{2}") == "\\frac{1}{2}"


# ----------------------------------------------------------------------------- real shared files


@needs_shared
def test_load_gsm8k_test_local():
    recs = load_benchmark("gsm8k_test", source="local")
    assert len(recs) == 1319
    first = recs[0]
    assert set(first) == {"id", "problem", "answer"}
    assert first["answer"] == "18"
    assert first["id"] == "gsm8k-test-00000"
    assert first["problem"].startswith("Janet")
    assert all(isinstance(v, str) for r in recs for v in r.values())
    assert len({r["id"] for r in recs}) == 1319


@needs_shared
def test_load_math500_local():
    recs = load_benchmark("math500")  # auto -> local file exists
    assert len(recs) == 500
    assert recs[0]["id"] == "test/precalculus/807.json"
    assert recs[0]["answer"] == "\\left( 3, \\frac{\\pi}{2} \\right)"


@needs_shared
@pytest.mark.parametrize(
    ("name", "count"),
    [("aime24", 30), ("aime25", 30), ("amc23", 40), ("mgsm_en", 250), ("mgsm_zh", 250), ("cmath_dev", 600)],
)
def test_load_small_benchmarks(name, count):
    recs = load_benchmark(name, source="local")
    assert len(recs) == count
    assert all(r["problem"] and r["answer"] for r in recs)


@needs_shared
def test_limit_takes_first_records():
    full = load_benchmark("gsm8k_test", source="local")
    first5 = load_benchmark("gsm8k_test", source="local", limit=5)
    assert first5 == full[:5]
    assert load_benchmark("gsm8k_test", source="local", limit=5) == first5
    assert load_benchmark("gsm8k_test", source="local", limit=0) == []
    assert len(load_benchmark("aime24", limit=1000)) == 30
    with pytest.raises(ValueError):
        load_benchmark("gsm8k_test", limit=-1)


@needs_shared
def test_explicit_data_root_and_env_var(tmp_path, monkeypatch):
    (tmp_path / "math").mkdir()
    lines = [
        {"id": "x0", "problem": "1+1?", "answer": "2", "extra": 1},
        {"id": "x1", "problem": "2+2?", "answer": 4},
    ]
    (tmp_path / "math" / "aime24.jsonl").write_text(
        "\n".join(json.dumps(x) for x in lines) + "\n\n", encoding="utf-8"
    )
    expected = [
        {"id": "x0", "problem": "1+1?", "answer": "2"},
        {"id": "x1", "problem": "2+2?", "answer": "4"},
    ]
    assert load_benchmark("aime24", data_root=str(tmp_path), source="local") == expected
    monkeypatch.setenv("R1_DATA_ROOT", str(tmp_path))
    assert load_benchmark("aime24", source="local") == expected
    # explicit argument wins over the env var
    assert len(load_benchmark("aime24", data_root=str(SHARED), source="local")) == 30


# ----------------------------------------------------------------------------- read_jsonl errors


def test_read_jsonl_roundtrip_and_blank_lines(tmp_path):
    p = tmp_path / "ok.jsonl"
    p.write_text('{"a": 1}\n\n  \n{"a": "é"}\n', encoding="utf-8")
    assert read_jsonl(p) == [{"a": 1}, {"a": "é"}]
    assert read_jsonl(str(p)) == [{"a": 1}, {"a": "é"}]


def test_read_jsonl_missing_file(tmp_path):
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(FileNotFoundError, match="nope.jsonl"):
        read_jsonl(missing)


def test_read_jsonl_malformed_line(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"a": 1}\n{"a": 2}\n{"a": 3,,}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl: line 3") as exc:
        read_jsonl(p)
    assert str(p) in str(exc.value)


def test_read_jsonl_non_object_line(tmp_path):
    p = tmp_path / "list.jsonl"
    p.write_text('{"a": 1}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(
        ValueError, match=r"list\.jsonl: line 2: expected a JSON object"
    ):
        read_jsonl(p)


# ----------------------------------------------------------------------------- load_benchmark errors


def test_missing_field_error_names_file_line_field(tmp_path):
    (tmp_path / "math").mkdir()
    p = tmp_path / "math" / "amc23.jsonl"
    p.write_text(
        json.dumps({"id": "a", "problem": "p", "answer": "1"})
        + "\n"
        + json.dumps({"id": "b", "problem": "p"})
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(
        ValueError, match=r"amc23\.jsonl: line 2: required field 'answer'"
    ):
        load_benchmark("amc23", data_root=tmp_path, source="local")
    # only returned records are validated
    assert (
        len(load_benchmark("amc23", data_root=tmp_path, source="local", limit=1)) == 1
    )


def test_empty_field_is_an_error(tmp_path):
    (tmp_path / "math").mkdir()
    (tmp_path / "math" / "amc23.jsonl").write_text(
        json.dumps({"id": "a", "problem": "  ", "answer": "1"}) + "\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"line 1: required field 'problem'"):
        load_benchmark("amc23", data_root=tmp_path, source="local")


def test_malformed_benchmark_file(tmp_path):
    (tmp_path / "math").mkdir()
    (tmp_path / "math" / "aime25.jsonl").write_text(
        json.dumps({"id": "a", "problem": "p", "answer": "1"}) + "\nnot json\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"aime25\.jsonl: line 2: malformed JSON"):
        load_benchmark("aime25", data_root=tmp_path, source="local")


def test_unknown_benchmark_lists_known_names():
    with pytest.raises(KeyError) as exc:
        load_benchmark("gsm9k")
    msg = str(exc.value)
    assert "gsm9k" in msg
    for name in ("gsm8k_test", "math500", "aime24", "mgsm_zh"):
        assert name in msg


def test_bad_source():
    with pytest.raises(ValueError, match="source"):
        load_benchmark("gsm8k_test", source="web")


def test_local_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="gsm8k_test.jsonl"):
        load_benchmark("gsm8k_test", data_root=tmp_path, source="local")


# ----------------------------------------------------------------------------- hub path (fake datasets)


class _FakeDatasets(types.ModuleType):
    def __init__(self, rows, fail=False):
        super().__init__("datasets")
        self.rows = rows
        self.fail = fail
        self.calls = []

    def load_dataset(self, path, name=None, split=None):
        self.calls.append((path, name, split))
        if self.fail:
            raise ConnectionError("offline")
        return list(self.rows)


def test_hub_gsm8k_mapping(monkeypatch, tmp_path):
    fake = _FakeDatasets(
        [
            {"question": "Q0", "answer": "step\n#### 1,080"},
            {"question": "Q1", "answer": "x\n#### 18"},
        ]
    )
    monkeypatch.setitem(sys.modules, "datasets", fake)
    recs = load_benchmark("gsm8k_test", source="hub")
    assert fake.calls == [("openai/gsm8k", "main", "test")]
    assert recs == [
        {"id": "gsm8k-test-00000", "problem": "Q0", "answer": "1080"},
        {"id": "gsm8k-test-00001", "problem": "Q1", "answer": "18"},
    ]
    assert load_benchmark("gsm8k_test", source="hub", limit=1) == recs[:1]
    # auto with no local file falls back to the hub (when the hub is reachable)
    monkeypatch.setattr(data, "hub_unreachable", lambda timeout_s=3.0: None)
    assert load_benchmark("gsm8k_test", data_root=tmp_path) == recs


def test_auto_offline_fails_fast_naming_the_file(monkeypatch, tmp_path):
    fake = _FakeDatasets([], fail=True)
    monkeypatch.setitem(sys.modules, "datasets", fake)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert data.hub_unreachable() == "HF_HUB_OFFLINE=1"
    with pytest.raises(FileNotFoundError) as e:
        load_benchmark("gsm8k_test", data_root=tmp_path)
    msg = str(e.value)
    assert str(tmp_path / "math" / "gsm8k_test.jsonl") in msg and "HF_HUB_OFFLINE=1" in msg
    assert "R1_DATA_ROOT" in msg and fake.calls == []  # no download was attempted
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: refused at once
    assert "127.0.0.1:9 unreachable" in data.hub_unreachable(timeout_s=1.0)


def test_hub_math500_id_field_and_missing_field(monkeypatch):
    fake = _FakeDatasets(
        [
            {"problem": "P", "answer": "3", "unique_id": "test/algebra/1.json"},
            {"problem": "P2", "unique_id": "test/algebra/2.json"},
        ]
    )
    monkeypatch.setitem(sys.modules, "datasets", fake)
    assert load_benchmark("math500", source="hub", limit=1) == [
        {"id": "test/algebra/1.json", "problem": "P", "answer": "3"}
    ]
    with pytest.raises(ValueError, match=r"HuggingFaceH4/MATH-500.*row 2.*'answer'"):
        load_benchmark("math500", source="hub")


def test_hub_mgsm_integer_answers(monkeypatch):
    fake = _FakeDatasets([{"question": "Q", "answer": None, "answer_number": 18}])
    monkeypatch.setitem(sys.modules, "datasets", fake)
    assert load_benchmark("mgsm_zh", source="hub") == [
        {"id": "mgsm-000-zh", "problem": "Q", "answer": "18"}
    ]
    assert fake.calls == [("juletxara/mgsm", "zh", "test")]


def test_auto_without_local_or_hub(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "datasets", _FakeDatasets([], fail=True))
    monkeypatch.setattr(data, "hub_unreachable", lambda timeout_s=3.0: None)  # reachable, then fails
    with pytest.raises(FileNotFoundError, match="amc23.jsonl.*ConnectionError"):
        load_benchmark("amc23", data_root=tmp_path)
    with pytest.raises(ConnectionError):
        load_benchmark("amc23", data_root=tmp_path, source="hub")


def test_benchmark_spec_defaults():
    spec = BenchmarkSpec(
        name="t", local_path="t.jsonl", hub_id=None, hub_config=None, hub_split="test"
    )
    assert spec.problem_field == "problem" and spec.answer_field == "answer"
    assert spec.answer_normalizer is None
