"""Records on disk: strict JSON Lines reading and writing, and file fingerprints.

Every layer hands data around as lists of plain dicts (one JSON object a line on disk); this
module reads them with errors that name the file and the line, and fingerprints files for the
provenance that each stage records (sha256).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["iter_jsonl", "read_jsonl", "sha256_file", "write_jsonl"]


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    """Yield ``(line_number, record)`` (1-based) for the non-blank lines of a JSONL file, read
    through gzip when its name ends in ``.gz``.

    Raises:
        FileNotFoundError: a missing file.
        ValueError: a line that is not a JSON object (file and 1-based line named).
    """
    if not path.is_file():
        raise FileNotFoundError(f"JSONL file not found: {path}")
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"{path}: line {lineno}: malformed JSON: {exc.msg}"
                ) from exc
            if not isinstance(obj, dict):
                raise ValueError(  # noqa: TRY004 - bad file content, not a bad argument
                    f"{path}: line {lineno}: expected a JSON object, got {type(obj).__name__}"
                )
            yield lineno, obj


def read_jsonl(path: str | os.PathLike[str]) -> list[dict]:
    """Read a JSON Lines file (UTF-8) into a list of dicts, one per non-blank line.

    Blank (whitespace-only) lines are skipped.

    Raises:
        FileNotFoundError: if ``path`` does not exist (the message names the path).
        ValueError: for a line that is not valid JSON or not a JSON object; the message names
            the file and the 1-based line number (``"<path>: line 3: malformed JSON: ..."``).
    """
    return [obj for _, obj in iter_jsonl(Path(path))]


def write_jsonl(records: list[dict], path) -> None:
    """Write records as JSON Lines (UTF-8, one object a line, non-ASCII kept as is)."""
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The sha256 of a file's bytes, as 64 hex digits (read in 1 MiB chunks).

    Raises:
        FileNotFoundError: ``path`` does not exist.
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
