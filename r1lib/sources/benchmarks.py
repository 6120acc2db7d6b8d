"""Benchmark loading through a configurable data root.

Benchmarks are read from JSON Lines files under a *data root* (default: the shared, read-only
``../shared/data`` next to the repository; see its README.md for the schema: one object per
line with string fields ``id``, ``problem``, ``answer``, ...), or, when no local file exists,
from the Hugging Face Hub via ``datasets.load_dataset``. Data is never copied into the repo.

Public API:

* :func:`resolve_data_root` -- argument > ``$R1_DATA_ROOT`` > ``<repo>/../shared/data``.
* :data:`BENCHMARKS` -- name -> :class:`BenchmarkSpec` (local path and hub coordinates).
* :func:`load_benchmark` -- uniform ``{"id", "problem", "answer"}`` string records (and the
  reference ``solution`` on request).
* :func:`benchmark_language`, :func:`tagged_problems` -- the language of a benchmark; one
  benchmark's problems as data-source records (the ``real`` source builds its RL prompts and
  held-out problems from them, within :func:`easy_enough`'s difficulty bounds).
"""

from __future__ import annotations

import os
import random
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from r1lib.core.paths import REPO_ROOT
from r1lib.core.records import iter_jsonl

__all__ = [
    "ANSWER_NORMALIZERS",
    "BENCHMARKS",
    "DATA_ROOT_ENV",
    "BenchmarkSpec",
    "balance_by",
    "benchmark_language",
    "easy_enough",
    "hub_unreachable",
    "load_benchmark",
    "resolve_data_root",
    "solution_steps",
    "tagged_problems",
]

DATA_ROOT_ENV = "R1_DATA_ROOT"
"""Environment variable that overrides the default data root."""


REQUIRED_FIELDS = ("id", "problem", "answer")
DIFFICULTY_FIELDS = ("level", "reasoning_step")  # MATH's level, CMATH's reasoning steps (kept with solutions)


# ----------------------------------------------------------------------------- data root


def resolve_data_root(data_root: str | os.PathLike[str] | None = None) -> Path:
    """Return the data root as an absolute :class:`~pathlib.Path` (existence is not checked).

    Precedence: the explicit ``data_root`` argument, else the environment variable
    ``R1_DATA_ROOT`` (if set and non-empty), else ``../shared/data`` relative to the repository
    root (the parent directory of the ``r1lib`` package), i.e. ``<repo>/../shared/data``.
    ``~`` is expanded and ``..`` components are normalised.
    """
    if data_root is not None and str(data_root) != "":
        root = Path(data_root).expanduser()
    elif os.environ.get(DATA_ROOT_ENV):
        root = Path(os.environ[DATA_ROOT_ENV]).expanduser()
    else:
        root = REPO_ROOT.parent / "shared" / "data"
    return Path(os.path.abspath(root))


# ----------------------------------------------------------------------------- answer normalisers


def _gsm8k_final_answer(value: Any) -> str:
    """GSM8K gold: the text after the last ``####``, thousands separators removed (``1,080`` -> ``1080``)."""
    text = str(value)
    if "####" in text:
        text = text.rsplit("####", 1)[1]
    return text.strip().replace(",", "")


_NUMBER_RE = re.compile(r"^[+-]?\d+(\.\d+)?$")


def _integer_answer(value: Any) -> str:
    """Numeric gold as a canonical string: ``27.0`` -> ``27``, ``025`` -> ``25``, ``1,080`` -> ``1080``.

    Non-numeric values are returned stripped and otherwise unchanged.
    """
    text = str(value).strip().replace(",", "")
    if not _NUMBER_RE.match(text):
        return str(value).strip()
    sign = "-" if text.startswith("-") else ""
    digits = text.lstrip("+-")
    whole, _, frac = digits.partition(".")
    if frac.strip("0"):
        return sign + (whole.lstrip("0") or "0") + "." + frac.rstrip("0")
    whole = whole.lstrip("0") or "0"
    return "0" if whole == "0" else sign + whole


ANSWER_NORMALIZERS: dict[str, Callable[[Any], str]] = {
    "gsm8k": _gsm8k_final_answer,
    "integer": _integer_answer,
}
"""Answer normalisers by name, applied to hub answers (local files are already normalised)."""


# ----------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class BenchmarkSpec:
    """Where a benchmark lives and how to map its fields to ``{"id", "problem", "answer"}``.

    Attributes:
        name: registry key.
        local_path: file path relative to the data root (JSONL in the shared schema, with
            string fields ``id``, ``problem``, ``answer``).
        hub_id: Hugging Face dataset id for ``source="hub"``.
        hub_config: dataset config name (None for the default config).
        hub_split: split name on the hub.
        problem_field: field of a hub row holding the problem statement.
        answer_field: field of a hub row holding the gold answer.
        answer_normalizer: name in :data:`ANSWER_NORMALIZERS` applied to hub answers, or None.
        id_field: field of a hub row used as ``id``; None -> ``id_format``.
        id_format: ``str.format`` template for hub ids with ``name`` and ``index`` (0-based row
            number); chosen to match the ids of the local files where possible.
        language: the language the problems are posed in (``"en"`` or ``"zh"``).
        solution_field: field of a hub row holding a reference solution, or None (local files
            name it ``solution`` where the source has one).
    """

    name: str
    local_path: str
    hub_id: str | None
    hub_config: str | None
    hub_split: str
    problem_field: str = "problem"
    answer_field: str = "answer"
    answer_normalizer: str | None = None
    id_field: str | None = None
    id_format: str = "{name}-{index:05d}"
    language: str = "en"
    solution_field: str | None = None


BENCHMARKS: dict[str, BenchmarkSpec] = {
    spec.name: spec
    for spec in (
        BenchmarkSpec(
            name="gsm8k_test",
            local_path="math/gsm8k_test.jsonl",
            hub_id="openai/gsm8k",
            hub_config="main",
            hub_split="test",
            problem_field="question",
            answer_field="answer",
            answer_normalizer="gsm8k",
            id_format="gsm8k-test-{index:05d}",
            solution_field="answer",
        ),
        BenchmarkSpec(
            name="gsm8k_train",
            local_path="math/gsm8k_train.jsonl",
            hub_id="openai/gsm8k",
            hub_config="main",
            hub_split="train",
            problem_field="question",
            answer_field="answer",
            answer_normalizer="gsm8k",
            id_format="gsm8k-train-{index:05d}",
            solution_field="answer",
        ),
        BenchmarkSpec(
            # the 4,500 MATH test problems outside MATH-500: the usual RL prompts of R1-Zero-style
            # studies on MATH (PRM800K trained on them); no hub split holds exactly these
            name="math_train",
            local_path="math/math_test_minus_math500.jsonl",
            hub_id=None,
            hub_config=None,
            hub_split="test",
            problem_field="problem",
            answer_field="answer",
            id_field="unique_id",
        ),
        BenchmarkSpec(
            name="math500",
            local_path="math/math500_test.jsonl",
            hub_id="HuggingFaceH4/MATH-500",
            hub_config=None,
            hub_split="test",
            problem_field="problem",
            answer_field="answer",
            id_field="unique_id",
            solution_field="solution",
        ),
        BenchmarkSpec(
            name="aime24",
            local_path="math/aime24.jsonl",
            hub_id="HuggingFaceH4/aime_2024",
            hub_config=None,
            hub_split="train",
            problem_field="problem",
            answer_field="answer",
            answer_normalizer="integer",
            id_format="aime24-{index:02d}",
            solution_field="solution",
        ),
        BenchmarkSpec(
            name="aime25",
            local_path="math/aime25.jsonl",
            hub_id="math-ai/aime25",
            hub_config=None,
            hub_split="test",
            problem_field="problem",
            answer_field="answer",
            answer_normalizer="integer",
            id_format="aime25-{index:02d}",
        ),
        BenchmarkSpec(
            name="amc23",
            local_path="math/amc23.jsonl",
            hub_id="math-ai/amc23",
            hub_config=None,
            hub_split="test",
            problem_field="question",
            answer_field="answer",
            answer_normalizer="integer",
            id_format="amc23-{index:02d}",
        ),
        BenchmarkSpec(
            name="mgsm_en",
            local_path="multilingual/mgsm_en.jsonl",
            hub_id="juletxara/mgsm",
            hub_config="en",
            hub_split="test",
            problem_field="question",
            answer_field="answer_number",
            answer_normalizer="integer",
            id_format="mgsm-{index:03d}-en",
        ),
        BenchmarkSpec(
            name="mgsm_zh",
            local_path="multilingual/mgsm_zh.jsonl",
            hub_id="juletxara/mgsm",
            hub_config="zh",
            hub_split="test",
            problem_field="question",
            answer_field="answer_number",
            answer_normalizer="integer",
            id_format="mgsm-{index:03d}-zh",
            language="zh",
        ),
        BenchmarkSpec(
            # CMATH (Wei et al. 2023) dev split: Chinese grade-school word problems, the Chinese RL
            # prompts of the real source (the language-consistency reward needs some, §2.3.2)
            name="cmath_dev",
            local_path="multilingual/cmath_dev_zh.jsonl",
            hub_id="weitianwen/cmath",
            hub_config=None,
            hub_split="validation",
            problem_field="question",
            answer_field="golden",
            id_format="cmath-dev-{index:03d}",
            language="zh",
        ),
    )
}
"""Known benchmarks. Local files: /work/shared/data README.md; hub ids are best-effort (untested
offline): GSM8K (Cobbe et al. 2021), MATH-500 (Lightman et al. 2023), AIME 2024/2025, AMC 2023,
MGSM (Shi et al. 2022), CMATH (Wei et al. 2023)."""


# ----------------------------------------------------------------------------- loading


def _field_str(value: Any) -> str | None:
    """A required field as a string, or None if it is missing/empty."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else None


def _load_local(spec: BenchmarkSpec, path: Path, limit: int | None, with_solution: bool = False) -> list[dict]:
    records: list[dict] = []
    for lineno, obj in iter_jsonl(path):
        if limit is not None and len(records) >= limit:
            break
        rec: dict[str, str] = {}
        for field in REQUIRED_FIELDS:
            value = _field_str(obj.get(field))
            if value is None:
                raise ValueError(
                    f"{path}: line {lineno}: required field {field!r} is missing or empty"
                )
            rec[field] = value
        solution = _field_str(obj.get("solution")) if with_solution else None
        if solution:
            rec["solution"] = solution
        if with_solution:  # difficulty, where the file has it (MATH level, CMATH reasoning steps)
            rec.update({k: int(obj[k]) for k in DIFFICULTY_FIELDS if isinstance(obj.get(k), int)})
        records.append(rec)
    return records


def solution_steps(record: dict) -> int | None:
    """How many steps a problem's reference takes: CMATH's ``reasoning_step``, else the lines of
    a GSM8K ``solution`` before its ``#### answer`` line (one step a line, 2 to 8 in GSM8K; the
    ``<<a*b=c>>`` calculator notes undercount, since steps like ``3/5 x 100 = 60`` carry none);
    None when neither is there (MATH has a ``level`` instead).

    Source: GSM8K's solution format (Cobbe et al. 2021: "2 to 8 steps", one per line);
    CMATH's ``reasoning_step`` field (Wei et al. 2023)."""
    if isinstance(record.get("reasoning_step"), int):
        return record["reasoning_step"]
    sol = record.get("solution") or ""
    if "####" not in sol:
        return None
    return sum(1 for line in sol.split("####")[0].splitlines() if line.strip())


def easy_enough(record: dict, max_steps: int | None, max_level: int | None) -> bool:
    """Whether a problem passes ``problems.max_steps`` / ``problems.max_level``: each bound
    applies to the problems that have its measure (:func:`solution_steps` for GSM8K and CMATH,
    ``level`` for MATH), so one profile can bound both kinds; None: no bound."""
    steps = solution_steps(record)
    if max_steps is not None and steps is not None and steps > max_steps:
        return False
    return not (max_level is not None and record.get("level", 0) > max_level)


def _load_hub(
    spec: BenchmarkSpec, limit: int | None, missing_local: Path | None = None, with_solution: bool = False
) -> list[dict]:
    """Load from the hub; with ``missing_local`` (auto mode) a failed download becomes a
    FileNotFoundError that also names the missing local file."""
    try:
        if spec.hub_id is None:
            raise ValueError(
                f"benchmark {spec.name!r} has no hub_id; use source='local'"
            )
        import datasets  # lazy: heavy import, and only needed for hub loading

        ds = datasets.load_dataset(spec.hub_id, spec.hub_config, split=spec.hub_split)
    except Exception as exc:
        if missing_local is None:
            raise
        raise FileNotFoundError(
            f"benchmark {spec.name!r}: local file {missing_local} not found and loading "
            f"{spec.hub_id} from the hub failed: {type(exc).__name__}: {exc}"
        ) from exc
    where = (
        f"hub dataset {spec.hub_id} (config {spec.hub_config}, split {spec.hub_split})"
    )
    normalize = (
        ANSWER_NORMALIZERS[spec.answer_normalizer] if spec.answer_normalizer else None
    )
    records: list[dict] = []
    for index, row in enumerate(ds):
        if limit is not None and index >= limit:
            break
        rec: dict[str, str] = {}
        for out_field, in_field in (
            ("problem", spec.problem_field),
            ("answer", spec.answer_field),
        ):
            raw = row.get(in_field)
            value = _field_str(raw)
            if value is not None and out_field == "answer" and normalize is not None:
                value = _field_str(normalize(raw))
            if value is None:
                raise ValueError(
                    f"{where}: row {index + 1}: required field {in_field!r} is missing or empty"
                )
            rec[out_field] = value
        if spec.id_field is not None:
            rid = _field_str(row.get(spec.id_field))
            if rid is None:
                raise ValueError(
                    f"{where}: row {index + 1}: id field {spec.id_field!r} is missing or empty"
                )
        else:
            rid = spec.id_format.format(name=spec.name, index=index)
        solution = _field_str(row.get(spec.solution_field)) if with_solution and spec.solution_field else None
        out = {"id": rid, "problem": rec["problem"], "answer": rec["answer"]}
        records.append({**out, "solution": solution} if solution else out)
    return records


def load_benchmark(
    name: str,
    data_root: str | os.PathLike[str] | None = None,
    limit: int | None = None,
    source: str = "auto",
    with_solution: bool = False,
) -> list[dict]:
    """Load a benchmark as a list of ``{"id": str, "problem": str, "answer": str}`` records.

    Args:
        name: a key of :data:`BENCHMARKS` (e.g. ``"gsm8k_test"``, ``"math500"``).
        data_root: data root (see :func:`resolve_data_root`).
        limit: keep only the first ``limit`` records in file/split order (deterministic);
            None keeps all. Only the returned records are validated.
        source: ``"local"`` reads ``<data_root>/<spec.local_path>`` (shared schema, answers
            already normalised); ``"hub"`` calls ``datasets.load_dataset(hub_id, hub_config,
            split=hub_split)`` and maps ``problem_field``/``answer_field`` (applying
            ``answer_normalizer``) and the id; ``"auto"`` uses the local file if it exists,
            else the hub.
        with_solution: also keep the reference solution (``solution``; on the hub
            ``spec.solution_field``) on the records that have a non-empty one.

    Returns:
        The records, in file order, with exactly the keys ``id``, ``problem``, ``answer`` (and,
        with ``with_solution``, ``solution`` where present and the integer difficulty fields of
        :data:`DIFFICULTY_FIELDS` where the local file has them).

    Raises:
        KeyError: unknown ``name`` (the message lists the known names).
        ValueError: invalid ``source`` or negative ``limit``; a malformed JSONL line; a record
            missing a required field (the message names the file, 1-based line and field, or
            the hub dataset, row and field).
        FileNotFoundError: ``source="local"`` and the file is missing; or ``source="auto"``,
            the file is missing and hub loading failed (the cause is chained).
    """
    if name not in BENCHMARKS:
        raise KeyError(
            f"unknown benchmark {name!r}; known: {', '.join(sorted(BENCHMARKS))}"
        )
    if source not in ("auto", "local", "hub"):
        raise ValueError(f"source must be 'auto', 'local' or 'hub', got {source!r}")
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0 or None, got {limit}")
    spec = BENCHMARKS[name]
    path = resolve_data_root(data_root) / spec.local_path
    if source == "local":
        return _load_local(spec, path, limit, with_solution)
    if source == "hub":
        return _load_hub(spec, limit, with_solution=with_solution)
    if path.is_file():
        return _load_local(spec, path, limit, with_solution)
    offline = hub_unreachable()
    if offline:
        raise FileNotFoundError(
            f"benchmark {name!r}: local file {path} not found, and the hub cannot be tried "
            f"({offline}); set data_root in the profile or $R1_DATA_ROOT to a folder that holds "
            f"{spec.local_path}")
    return _load_hub(spec, limit, missing_local=path, with_solution=with_solution)


def hub_unreachable(timeout_s: float = 3.0) -> str | None:
    """Why the Hugging Face Hub cannot be reached, or None when it might be.

    ``HF_HUB_OFFLINE`` / ``HF_DATASETS_OFFLINE`` set to a true value, or no TCP connection to the
    hub's host (``$HF_ENDPOINT``, default huggingface.co, port 443) within ``timeout_s`` seconds.
    Checked before a hub download, so that an offline machine fails in milliseconds instead of
    after ``datasets``' ~20 s of retries.

    Returns:
        ``str`` naming the reason, or ``None``.
    """
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in ("1", "true", "yes", "on"):
            return f"{var}={os.environ[var]}"
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    host, port = url.hostname or "huggingface.co", url.port or (80 if url.scheme == "http" else 443)
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        return f"{host}:{port} unreachable: {type(exc).__name__}: {exc}"
    return None


def benchmark_language(name: str) -> str:
    """The language a benchmark's questions are posed in: the target of its ``mixed_language_rate``.

    Args:
        name: a benchmark name; a key of :data:`BENCHMARKS` gives its spec's ``language``
            (``"zh"`` for ``cmath_dev`` and ``mgsm_zh``), any other name (``micro_test``) ``"zh"``
            when it ends in ``_zh``, else ``"en"``.

    Returns:
        ``"en"`` or ``"zh"``.
    """
    if name in BENCHMARKS:
        return BENCHMARKS[name].language
    return "zh" if name.endswith("_zh") else "en"


def balance_by(records: list[dict], key: str, seed: int) -> list[dict]:
    """Equal numbers of records for each value of ``records[i][key]`` (missing: ``"en"``): every
    group is subsampled, seeded, to the smallest group's size; order is shuffled.

    Returns:
        ``n_groups * min_group_size`` records. Used to give RL prompts of each language equal
        weight (notebook 03).
    """
    groups: dict = {}
    for r in records:
        groups.setdefault(r.get(key) or "en", []).append(r)
    if not groups:
        return []
    n = min(len(g) for g in groups.values())
    rng = random.Random(f"balance-{key}-{seed}")
    out = [r for k in sorted(groups) for r in rng.sample(groups[k], n)]
    rng.shuffle(out)
    return out


def tagged_problems(name: str, data_root: str | os.PathLike[str] | None = None,
                    limit: int | None = None, keep: Callable[[dict], bool] | None = None) -> list[dict]:
    """One benchmark's problems as records of the data-source interface.

    Args:
        name: a key of :data:`BENCHMARKS`.
        data_root: see :func:`resolve_data_root`.
        limit: the first ``limit`` problems (None: all), counted after ``keep``.
        keep: a filter on the loaded records (e.g. :func:`easy_enough`); None keeps all.

    Returns:
        ``{"id", "problem", "answer", "language", "source"}`` (+ ``solution`` where the file has
        one) in file order; ``id`` is prefixed by ``name/`` so ids are unique across benchmarks.

    Raises:
        KeyError / FileNotFoundError / ValueError: as :func:`load_benchmark`.
    """
    recs = load_benchmark(name, data_root, None if keep else limit, with_solution=True)
    if keep is not None:
        recs = [r for r in recs if keep(r)][:limit]
    return [{**r, "id": f"{name}/{r['id']}", "language": benchmark_language(name), "source": name}
            for r in recs]
