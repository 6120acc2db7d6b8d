"""Where the repository's own folders are (profiles, results), for every layer."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The checkout (or the source tree of an editable install)."""
PARAMS_DIR = REPO_ROOT / "params"
"""The run profiles, one YAML each."""
