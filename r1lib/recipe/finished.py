"""Finished trainings are not redone.

A stage may train several models (05: two reward models, then GRPO; 06: the student's
pretraining, its SFT, then ``student_rl``). Trainer checkpoints let an *interrupted* training
resume, but they are removed once it finishes, so a stage that failed after one of its
trainings had finished used to train that model again from scratch. Each training function
(:func:`r1lib.recipe.training.pretrain`, :func:`~r1lib.recipe.training.run_grpo`,
:func:`r1lib.recipe.sft.run_sft`, :func:`r1lib.recipe.reward_models.train_reward_model`) now
writes ``<out_dir>/train_summary.json`` after saving its model: its returned summary and a key,
the sha256 of everything the result depends on (the function, its settings, the seed, the
training data, the starting weights' files or tensors, the reward models it scores with). Called
again with the same key, it returns the stored summary instead of training; any difference in
the key trains afresh (and overwrites the file). Inside ``accelerate launch`` processes nothing
is keyed, looked up or written: the process that launched them does it once.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch

from r1lib.engine import backends
from r1lib.engine import launcher as launch

SUMMARY = "train_summary.json"
_WEIGHT_FILES = ("*.safetensors", "*.bin", "*.gguf", "config.json")


def digest(obj) -> str:
    """sha256 (hex) of ``obj`` as canonical JSON (keys sorted; non-JSON values by ``str``)."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def fingerprint_path(path) -> str:
    """What a starting checkpoint is, for a key: the sha256 of its weight and config files for a
    local folder (a retrained upstream model gives a new key), else the string itself (hub id,
    ``pkg:`` GGUF resource)."""
    p = Path(str(path))
    if not p.is_dir():
        return str(path)
    h = hashlib.sha256()
    for pattern in _WEIGHT_FILES:
        for f in sorted(p.glob(pattern)):
            h.update(f.name.encode())
            with open(f, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()


def fingerprint_model(model) -> str:
    """sha256 of an in-memory model's parameters (names, shapes and float32 bytes)."""
    h = hashlib.sha256()
    for name, t in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return h.hexdigest()


def training_key(fn: str, **parts) -> str | None:
    """The key of one training: ``fn``, ``parts`` (already-fingerprinted values) and the
    profile's backend and runtime settings (dtype, autocast, … change the numbers), hashed.
    None in a launched process (nothing is looked up or written there)."""
    if launch.in_launched_process():
        return None
    cur = backends.current()
    runtime = cur.runtime.model_dump(mode="json", exclude={"parallel_jobs"})  # numbers do not depend on it
    return digest({"fn": fn, "backend": cur.model, "runtime": runtime, **parts})


def describe_reward_funcs(funcs) -> list:
    """What a GRPO run's reward functions are, for its key: the registry name, or for a reward
    model's reward (:func:`r1lib.recipe.reward_models.make_rm_reward`) also the fingerprint of
    its weights, its ``part`` and the category it is restricted to."""
    out = []
    for f in funcs:
        d = {"name": getattr(f, "__name__", str(f)), "only_for": getattr(f, "only_for", None)}
        if getattr(f, "rm_path", None):
            d.update(rm=fingerprint_path(f.rm_path), part=f.part)
        out.append(d)
    return out


def load_finished(out_dir, key: str | None) -> dict | None:
    """The stored summary when ``out_dir`` holds a finished training with ``key``, else None
    (always for ``key`` None).

    A summary file that does not parse, or a folder without model weights, counts as not
    finished (the training runs again)."""
    if key is None:
        return None
    f = Path(out_dir) / SUMMARY
    try:
        rec = json.loads(f.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if rec.get("key") != key or not any(Path(out_dir).glob("*.safetensors")):
        return None
    print(f"    {Path(out_dir).name}: already trained with these inputs ({SUMMARY}), not redone",
          flush=True)
    return rec["summary"]


def record_finished(out_dir, key: str | None, summary: dict) -> dict:
    """Write ``summary`` and ``key`` to ``<out_dir>/train_summary.json`` (atomically; nothing for
    ``key`` None); returns ``summary``."""
    if key is None:
        return summary
    f = Path(out_dir) / SUMMARY
    f.parent.mkdir(parents=True, exist_ok=True)
    tmp = f.with_suffix(".tmp")
    tmp.write_text(json.dumps({"key": key, "summary": summary}, indent=1, default=str))
    tmp.replace(f)
    return summary
