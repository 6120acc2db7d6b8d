"""Run a profile's notebooks in order with papermill: ``python -m r1lib.machinery.pipeline --profile micro``.

Each stage's executed notebook lands in ``results/<run>/<stage>/<stage>.ipynb``. A stage whose
``stage.json`` is complete with the same config hash (and whose artifacts exist) is skipped;
a stage below one that ran is re-run, since its inputs changed. Training inside a stage resumes
from its last checkpoint when the stage was interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml
from tqdm.std import tqdm

from r1lib.core.paths import REPO_ROOT
from r1lib.core.progress import ENV as PROGRESS_ENV
from r1lib.machinery.config import STAGES, ConfigError, load_profile, stage_hash
from r1lib.machinery.rundir import (
    default_run_dir,
    read_stage,
    stage_is_complete,
    write_json,
    write_manifest,
    write_stage,
)

NOTEBOOKS = REPO_ROOT / "notebooks"


def plan(profile: str, run_dir: Path, stages: list[str] | None = None, force: bool = False,
         overrides: dict | None = None) -> list[tuple[str, bool]]:
    """Which stages run and which are skipped, in order: ``[(stage, will_run), …]``."""
    cfg = load_profile(profile, overrides)
    chosen = stages or list(STAGES)
    out, ran = [], set()
    for st in STAGES:
        if st not in chosen:
            continue
        upstream_ran = any(u in ran for u in STAGES[st]["upstream"] + STAGES[st].get("optional", []))
        run = force or upstream_ran or not stage_is_complete(run_dir, st, stage_hash(cfg, st))
        if run:
            ran.add(st)
        out.append((st, run))
    return out


# figures shown in the one-line summary of a finished stage (dotted paths into its metrics)
HEADLINES = {
    "00_base_model": ["pass@1", "greedy_acc", "final_loss"],
    "01_r1_zero_grpo": ["grpo_steps", "final_accuracy", "last_length", "last_reflection_rate"],
    "02_cold_start": ["examples", "final_loss"],
    "03_reasoning_rl": ["runs.reasoning_rl.final_accuracy", "runs.reasoning_rl_no_lang.final_accuracy"],
    "04_rejection_sampling_sft": ["examples", "final_loss"],
    "05_all_scenario_rl": ["final_accuracy", "reward_models.helpfulness.heldout_pairwise_acc",
                           "reward_models.harmlessness.heldout_pairwise_acc"],
    "06_distillation": ["table6.student_distilled.pass@1", "table6.student_rl.pass@1", "student_rl.grpo_steps"],
    "07_evaluation": ["samples_per_benchmark.micro_test"],
    "08_aha_moment": ["base_reflection_rate", "aha_episodes"],
    "09_grpo_variants": ["by_variant.grpo.pass@1", "by_variant.dr_grpo.pass@1", "by_variant.dapo.pass@1",
                         "by_variant.gspo.pass@1", "by_variant.cispo.pass@1",
                         "by_variant.grpo_clip_higher.pass@1"],
}


def headline(stage: str, metrics: dict) -> str:
    """``name=value`` for each of the stage's :data:`HEADLINES` figures that its metrics hold
    (``runs.`` / ``table6.`` / ``by_variant.`` prefixes dropped from the names)."""
    parts = []
    for path in HEADLINES.get(stage, []):
        node = metrics
        for key in path.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, (int, float)) and not isinstance(node, bool):
            name = path.split(".", 1)[1] if path.startswith(("runs.", "table6.", "by_variant.")) else path
            parts.append(f"{name}={node:.4g}" if isinstance(node, float) else f"{name}={node}")
    return " ".join(parts)


def _kernel_manager(kernel: str, sock_dir: str):
    """A kernel manager whose kernel talks over local IPC sockets in ``sock_dir`` (not TCP):
    nothing crosses the network, and ipykernel has no reason to warn that TCP traffic is
    unencrypted."""
    from jupyter_client.manager import KernelManager

    return KernelManager(kernel_name=kernel, transport="ipc", ip=str(Path(sock_dir) / "kernel"))


def run(profile: str = "micro", run_dir: str | None = None, stages: list[str] | None = None,
        force: bool = False, overrides: dict | None = None, kernel: str = "python3",
        live: bool | None = None) -> dict:
    """Execute the planned stages with papermill; returns ``{stage: seconds or "skipped"}``.

    Each stage's wall time (kernel start-up and notebook writing included) is written into its
    ``stage.json`` as ``timings.wall`` and, with the run's total, into ``manifest.json →
    timings``. While a stage runs, the terminal shows a bar of its cells and one bar per
    training or sampling loop (:mod:`r1lib.core.progress`, drawn by :class:`LiveView`);
    ``live=None`` draws them when stderr is a terminal, and always prints one line per loop
    and per stage when it ends.

    Raises:
        ConfigError: invalid profile (before anything runs).
        papermill.PapermillExecutionError: a notebook failed; its partial output is saved in
            the stage folder for inspection, and the next run resumes from there.
    """
    import papermill as pm

    cfg = load_profile(profile, overrides)
    rd = Path(run_dir) if run_dir else default_run_dir(cfg.name)
    rd.mkdir(parents=True, exist_ok=True)
    write_manifest(rd, cfg)
    steps = plan(profile, rd, stages, force, overrides)
    live = sys.stderr.isatty() if live is None else live
    report: dict = {}
    total = len(steps)
    for i, (st, will_run) in enumerate(steps, 1):
        if not will_run:
            print(f"[{i}/{total}] {st}: complete with the same config, skipped", flush=True)
            report[st] = "skipped"
            continue
        print(f"[{i}/{total}] {st}: running …", flush=True)
        t0 = time.perf_counter()
        (rd / st).mkdir(parents=True, exist_ok=True)
        with LiveView(live), tempfile.TemporaryDirectory(prefix="r1-kernel-") as socks:
            km = _kernel_manager(kernel, socks)
            try:
                pm.execute_notebook(
                    str(NOTEBOOKS / f"{st}.ipynb"), str(rd / st / f"{st}.ipynb"),
                    parameters={"profile": profile, "run_dir": str(rd),
                                "overrides": json.dumps(overrides or {})},
                    kernel_name=kernel, cwd=str(NOTEBOOKS), km=km,
                    progress_bar={"desc": f"{st} cells", "position": 0, "leave": False,
                                  "file": sys.stderr, "ncols": 100} if live else False,
                )
            finally:  # nbclient leaves a kernel it was handed running
                if km.has_kernel:
                    km.shutdown_kernel(now=True)
        wall = round(time.perf_counter() - t0, 1)
        report[st] = wall
        rec = record_wall(rd, st, wall)
        print(f"[{i}/{total}] {st}: done in {wall} s "
              f"{headline(st, rec.get('metrics', {}))}".rstrip(), flush=True)
    return report


def record_wall(run_dir: Path, stage: str, wall: float) -> dict:
    """Add ``timings.wall`` (seconds) to ``stage``'s ``stage.json`` and the run's per-stage
    walls and their total to ``manifest.json → timings``; returns the stage record."""
    rec = read_stage(run_dir, stage) or {}
    rec.setdefault("timings", {})["wall"] = wall
    write_stage(run_dir, stage, rec)
    man_path = run_dir / "manifest.json"
    man = json.loads(man_path.read_text()) if man_path.exists() else {}
    walls = {s: (read_stage(run_dir, s) or {}).get("timings", {}).get("wall") for s in STAGES}
    walls = {s: w for s, w in walls.items() if isinstance(w, (int, float))}
    man["timings"] = {"wall": walls, "total_wall": round(sum(walls.values()), 1)}
    write_json(man_path, man)
    return rec


class LiveView:
    """The terminal's view of a running stage: it sets ``$R1_PROGRESS`` for the notebook's
    kernel and, in a thread, turns the events the kernel appends there into tqdm bars (one per
    loop, below the stage's cell bar). Without a terminal (``live=False``) it draws no bars and
    prints one line per finished loop. ``loops`` counts the loops seen."""

    def __init__(self, live: bool, poll_s: float = 0.3):
        self.live, self.poll_s = live, poll_s
        self.path = Path(tempfile.mkdtemp(prefix="r1-progress-")) / "events.jsonl"
        self.bars: dict = {}
        self.loops = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._prev_env = None

    def __enter__(self) -> LiveView:
        self.path.touch()
        self._prev_env = os.environ.get(PROGRESS_ENV)
        os.environ[PROGRESS_ENV] = str(self.path)  # the kernel inherits the environment
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        for bar in self.bars.values():
            bar.close()
        if self._prev_env is None:
            os.environ.pop(PROGRESS_ENV, None)
        else:
            os.environ[PROGRESS_ENV] = self._prev_env
        shutil.rmtree(self.path.parent, ignore_errors=True)

    def _follow(self) -> None:
        with open(self.path) as f:
            buf = ""
            while True:
                chunk = f.read()
                if chunk:
                    buf += chunk
                    *lines, buf = buf.split("\n")
                    for line in lines:
                        self._show(line)
                elif self._stop.is_set():
                    return
                else:
                    time.sleep(self.poll_s)

    def _show(self, line: str) -> None:
        try:
            ev = json.loads(line)
        except json.JSONDecodeError:
            return
        if ev["id"] not in self.bars:
            self.loops += 1
            self.bars[ev["id"]] = None if not self.live else tqdm(
                total=ev["total"], desc=f"  {ev['desc']}", unit=ev["unit"], initial=ev["n"],
                position=1 + len([b for b in self.bars.values() if b is not None]),
                leave=False, file=sys.stderr, ncols=110, mininterval=0.5)
        bar = self.bars[ev["id"]]
        if bar is not None:
            bar.update(ev["n"] - bar.n)
            if ev["postfix"]:
                bar.set_postfix_str(ev["postfix"], refresh=False)
        if ev["done"]:
            if bar is not None:
                bar.close()
            self.bars.pop(ev["id"], None)
            rate = (f", {ev['n'] / ev['elapsed']:.3g} {ev['unit']}/s" if ev["elapsed"] and ev["n"] else "")
            msg = (f"    {ev['desc']}: {ev['n']}/{ev['total']} {ev['unit']}s in {ev['elapsed']:.1f} s{rate}"
                   f"{'; ' + ev['postfix'] if ev['postfix'] else ''}")
            (tqdm.write(msg, file=sys.stderr) if self.live else print(msg, flush=True))


def parse_sets(items: list[str]) -> dict:
    """``["grpo.steps=20", "seed=1"]`` (``--set`` options, values in YAML) as nested profile
    overrides ``{"grpo": {"steps": 20}, "seed": 1}``."""
    overrides: dict = {}
    for item in items:
        key, _, val = item.partition("=")
        node = overrides
        parts = key.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = yaml.safe_load(val)
    return overrides


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="micro", help="params/<profile>.yaml (default: micro)")
    ap.add_argument("--run-dir", default=None, help="default: results/<profile>")
    ap.add_argument("--stages", default=None,
                    help=f"comma-separated subset of {','.join(STAGES)} (default: all)")
    ap.add_argument("--force", action="store_true", help="re-run even complete stages")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="override a profile value, e.g. --set grpo.steps=20 (YAML value)")
    ap.add_argument("--dry-run", action="store_true", help="print the plan and exit")
    a = ap.parse_args(argv)
    overrides = parse_sets(a.set)
    stages = a.stages.split(",") if a.stages else None
    if stages:
        bad = [s for s in stages if s not in STAGES]
        if bad:
            print(f"error: unknown stage(s) {bad}; known: {list(STAGES)}", file=sys.stderr)
            return 2
    try:
        rd = Path(a.run_dir) if a.run_dir else default_run_dir(load_profile(a.profile).name)
        if a.dry_run:
            for st, will in plan(a.profile, rd, stages, a.force, overrides):
                print(f"{st}: {'run' if will else 'skip'}")
            return 0
        t0 = time.perf_counter()
        report = run(a.profile, a.run_dir, stages, a.force, overrides)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"pipeline finished in {time.perf_counter() - t0:.1f} s: {report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
