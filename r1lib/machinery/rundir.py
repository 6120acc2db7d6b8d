"""The run directory: ``results/<run>/manifest.json`` and one folder per stage with ``stage.json``.

Stages talk only through these files (DESIGN.md §3), so any notebook can be re-run alone.
``stage.json`` holds ``status`` (running | complete | failed), ``config_hash``, ``artifacts``
(paths relative to the run directory), ``timings`` (seconds) and ``metrics``.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import time
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

from r1lib.core.paths import REPO_ROOT
from r1lib.core.profile import Profile
from r1lib.core.timing import phase_totals
from r1lib.core.timing import reset as reset_phases
from r1lib.engine import backends
from r1lib.machinery.config import STAGES, load_profile, stage_hash
from r1lib.recipe import finished
from r1lib.recipe.equivalence import default_counters
from r1lib.recipe.models import use_prompt_format
from r1lib.sources.registry import open_source

PACKAGES = ["torch", "transformers", "trl", "datasets", "math-verify", "papermill", "tokenizers",
            "accelerate", "numpy", "pandas"]


def default_run_dir(profile_name: str) -> Path:
    """``<repo>/results/<profile>``: where a profile's run lands unless told otherwise."""
    return REPO_ROOT / "results" / profile_name


def _git_sha() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                             text=True, timeout=10)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def _versions() -> dict[str, str | None]:
    out = {}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    return out


def write_manifest(run_dir: Path, profile: Profile) -> dict:
    """Write ``manifest.json``: profile, resolved params, git sha, versions, hardware, seed."""
    import torch

    manifest = {
        "profile": profile.name,
        "seed": profile.seed,
        "params": profile.model_dump(mode="json"),
        "git_sha": _git_sha(),
        "packages": _versions(),
        "python": platform.python_version(),
        "hardware": {
            "machine": platform.machine(), "cpus": os.cpu_count(),
            "cpu": backends.cpu_info()["model"],  # the CPU type decides a micro run's numbers
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),  # ATen's vector kernels
            "cpu_bf16": backends.cpu_has_bf16(),
            "torch_threads": torch.get_num_threads(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        },
        "stage_hashes": {s: stage_hash(profile, s) for s in STAGES},
        "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json(run_dir / "manifest.json", manifest)
    return manifest


def read_stage(run_dir: str | Path, stage: str) -> dict | None:
    """The parsed ``stage.json`` of ``stage`` in ``run_dir``, or None if it has none."""
    path = Path(run_dir) / stage / "stage.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: corrupt stage.json ({e}); delete it to re-run the stage") from None


def complete_metrics(run_dir: str | Path) -> dict[str, dict]:
    """``{stage: metrics}`` of every complete stage of :data:`STAGES` in ``run_dir`` (its
    ``stage.json``), in pipeline order.

    Raises:
        FileNotFoundError: ``run_dir`` does not exist.
        ValueError: a corrupt ``stage.json`` (:func:`read_stage`).
    """
    if not Path(run_dir).is_dir():
        raise FileNotFoundError(f"run directory {run_dir} does not exist")
    recs = {st: read_stage(run_dir, st) for st in STAGES}
    return {st: rec.get("metrics", {}) for st, rec in recs.items() if rec and rec.get("status") == "complete"}


def stage_is_complete(run_dir: str | Path, stage: str, expected_hash: str) -> bool:
    """True when ``stage`` finished with the same config hash and all its artifacts exist, and no
    optional upstream stage (e.g. 03 for 07) has completed since without being used."""
    rec = read_stage(run_dir, stage)
    if not rec or rec.get("status") != "complete" or rec.get("config_hash") != expected_hash:
        return False
    if not all((Path(run_dir) / p).exists() for p in rec.get("artifacts", {}).values()):
        return False
    used = rec.get("inputs")  # absent in records written before optional upstreams: all were used
    if used is not None:
        for up in STAGES[stage].get("optional", []):
            if up not in used and (read_stage(run_dir, up) or {}).get("status") == "complete":
                return False
    return True


class Stage:
    """One stage's view of the run: its config, folder, upstream hand-offs and ``stage.json``.

    A notebook's second cell does ``stage = Stage.open("01_r1_zero_grpo", profile, run_dir)``,
    then reads ``stage.cfg``, writes under ``stage.dir``, and ends with ``stage.complete(...)``.
    """

    def __init__(self, name: str, cfg: Profile, run_dir: Path):
        self.name, self.cfg, self.run_dir = name, cfg, run_dir
        self.dir = run_dir / name
        self.config_hash = stage_hash(cfg, name)
        self.timings: dict[str, float] = {}
        self.artifacts: dict[str, str] = {}
        self.inputs: list[str] = []  # optional upstream stages that are complete (used)
        self.source = open_source(cfg)  # everything the stage consumes (data.source: micro | real)

    @classmethod
    def open(cls, name: str, profile: str = "micro", run_dir: str | None = None,
             overrides: dict | None = None) -> Stage:
        """Load the profile, check that upstream stages are complete, mark this one running.

        Raises:
            ConfigError: bad profile.
            RuntimeError: an upstream stage has not completed with the current settings; the
                message says which notebook to run first.
        """

        cfg = load_profile(profile, overrides)
        reset_phases()  # this stage's phases only (a kernel may open several stages)
        backends.use(cfg)  # model.backend and runtime: hf/unsloth, hf/vllm, GPUs
        rd = Path(run_dir) if run_dir else default_run_dir(cfg.name)
        use_prompt_format(cfg, rd)  # model.template: chat renders prompts with the base's chat template
        st = cls(name, cfg, rd)
        st.inputs = [up for up in STAGES[name].get("optional", [])
                     if stage_is_complete(rd, up, stage_hash(cfg, up))]
        for up in STAGES[name]["upstream"]:
            if not stage_is_complete(rd, up, stage_hash(cfg, up)):
                raise RuntimeError(
                    f"stage {name} needs {up}, which is not complete in {rd} with the current "
                    f"settings: run notebooks/{up}.ipynb (or `python -m r1lib "
                    f"--profile {cfg.name}`) first")
        prev = read_stage(rd, name)
        if prev and prev.get("config_hash") != st.config_hash:
            # settings changed: a half-finished training of the old settings must not resume
            # (a stage may train several models: checkpoint, checkpoint_no_lang, …)
            for ck in [*st.dir.glob("checkpoint*"), st.dir / "runs"]:  # runs/: 09's one folder per run
                shutil.rmtree(ck, ignore_errors=True)
            for log in [*st.dir.glob("metrics*.jsonl"), *st.dir.rglob(finished.SUMMARY)]:
                log.unlink()
        elif prev is None or prev.get("status") == "complete":
            # a fresh run logs afresh and trains everything again; resuming a failed or
            # interrupted run keeps its finished trainings and their logs (r1lib.recipe.finished)
            for log in [*st.dir.glob("metrics*.jsonl"), *st.dir.rglob(finished.SUMMARY)]:
                log.unlink()
        st.dir.mkdir(parents=True, exist_ok=True)
        (st.dir / "figures").mkdir(exist_ok=True)
        if not (rd / "manifest.json").exists():
            write_manifest(rd, cfg)
        st._write({"status": "running", "config_hash": st.config_hash, "artifacts": {},
                    "timings": {}, "metrics": {}})
        return st

    def has(self, stage: str) -> bool:
        """Whether ``stage`` (required or optional upstream) is complete and used by this stage."""
        return stage in STAGES[self.name]["upstream"] or stage in self.inputs

    def upstream(self, stage: str, artifact: str) -> Path:
        """Absolute path of ``artifact`` written by an upstream ``stage``."""
        rec = read_stage(self.run_dir, stage) or {}
        try:
            return self.run_dir / rec["artifacts"][artifact]
        except KeyError:
            raise KeyError(f"{stage}/stage.json has no artifact {artifact!r}; it has "
                           f"{sorted(rec.get('artifacts', {}))}") from None

    def path(self, *parts: str) -> Path:
        """A path inside this stage's folder."""
        return self.dir.joinpath(*parts)

    def add_artifact(self, key: str, path: Path) -> None:
        """Record an output file or folder (stored relative to the run directory)."""
        self.artifacts[key] = str(Path(path).resolve().relative_to(self.run_dir.resolve()))

    @contextmanager
    def timer(self, key: str):
        """Add the wall time (seconds) of the ``with`` block to ``timings[key]``."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[key] = round(self.timings.get(key, 0.0) + time.perf_counter() - t0, 2)

    def complete(self, metrics: dict) -> dict:
        """Mark the stage complete with its final scalar metrics; returns the record.

        ``timings`` holds the notebook's own ``stage.timer`` blocks and ``phases``: the seconds
        this process spent per phase (training, generation, verification, reward_model, loading;
        :mod:`r1lib.core.timing`). The pipeline adds ``wall``, the whole stage's seconds.

        The record's ``provenance`` is what the stage took from its data source
        (:attr:`r1lib.sources.base.DataSource.provenance`: per artifact the files with their sha256,
        or the generator and seed, the counts and the decontamination counts).

        When this process verified answers (:func:`r1lib.recipe.equivalence.get_verifier` was used), the
        verifier's counters (calls, cache hits, timeouts, parse failures, unparseable golds,
        errors, pool restarts) are added as ``metrics["verifier"]`` unless already there.
        """

        counters = default_counters()
        if counters is not None and "verifier" not in metrics:
            metrics = {**metrics, "verifier": counters}
        timings = {**self.timings, "phases": phase_totals()}
        rec = {"status": "complete", "config_hash": self.config_hash,
               "artifacts": self.artifacts, "timings": timings, "metrics": metrics,
               "data_source": self.source.name, "provenance": self.source.provenance}
        if STAGES[self.name].get("optional"):
            rec["inputs"] = self.inputs
        self._write(rec)
        return rec

    def _write(self, rec: dict) -> None:
        write_stage(self.run_dir, self.name, rec)


def write_json(path: str | Path, obj: dict) -> None:
    """Write ``obj`` as indented JSON atomically (a temporary file beside it, then a rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, default=float) + "\n")
    os.replace(tmp, path)


def write_stage(run_dir: str | Path, stage: str, rec: dict) -> None:
    """Write ``stage``'s ``stage.json`` atomically (:func:`write_json`)."""
    write_json(Path(run_dir) / stage / "stage.json", rec)
