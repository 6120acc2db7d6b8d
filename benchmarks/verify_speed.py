"""Answer-verification throughput: r1lib's Verifier (1 and 2 worker processes) vs plain math-verify.

Usage:  python benchmarks/verify_speed.py [--gsm8k 400] [--math500 500] [--group 8] [--out PATH]

Workloads, built from the real gold answers of GSM8K (test) and MATH-500 under the data root
(``$R1_DATA_ROOT`` or ../shared/data):

* ``unique``: one check per (gold, candidate) pair: the gold itself, a reformatted equal answer
  (``$…$``, ``\\dfrac`` → ``\\frac``, spaces) and a wrong one (numbers + 1, or ``+1`` appended).
* ``repeated``: each pair ``--group`` times, as in a GRPO group of completions that mostly
  agree (and as every later epoch re-checks the same answers).
* ``adversarial``: power towers, 300-deep ``\\frac`` nesting and 4,000-digit numbers against
  MATH-500 golds: the worst case per call.

Each pair is scored as in RL: batches of ``--batch`` pairs (one GRPO step's completions).
``plain`` is what a reward function without r1lib would do: ``math_verify.verify(parse(gold),
parse(candidate))`` in one process, per pair, no cache (math-verify's own 5 s timeouts, which
work here because this is the main thread). ``per_core_speedup`` = (r1lib checks/s ÷ worker
processes) ÷ (plain checks/s). ``worst_call_s`` is the slowest single batch (r1lib) or pair
(plain): the longest one call blocked the caller (``adversarial`` is checked one pair per call).

Writes JSON (default ``benchmarks/results/verify_speed.json``) with the machine, package
versions and every figure; prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from r1lib.sources.benchmarks import load_benchmark  # noqa: E402
from r1lib.recipe.equivalence import Verifier  # noqa: E402

ADVERSARIAL = (["^".join(["9"] * n) for n in (3, 6, 12)]
               + ["2^{" * n + "2" + "}" * n for n in (4, 8)]
               + ["\\frac{" * 300 + "1" + "}{2}" * 300, "\\sqrt{" * 300 + "2" + "}" * 300, "9" * 4000,
                  "10^{10^{10^{10}}}", "(1+10^{-30})^{10^{30}}"])


def _wrong(ans: str) -> str:
    m = re.search(r"\d+", ans)
    return ans[:m.start()] + str(int(m.group()) + 1) + ans[m.end():] if m else ans + "+1"


def _reformat(ans: str) -> str:
    return "$" + ans.replace("\\dfrac", "\\frac").replace(",", ", ") + "$"


def workloads(n_gsm8k: int, n_math: int, group: int) -> dict[str, list[tuple[str, str]]]:
    golds = ([r["answer"] for r in load_benchmark("gsm8k_test", limit=n_gsm8k)]
             + [r["answer"] for r in load_benchmark("math500", limit=n_math)])
    unique = [(g, c) for g in golds for c in (g, _reformat(g), _wrong(g))]
    repeated = [p for p in unique for _ in range(group)]
    math_golds = [r["answer"] for r in load_benchmark("math500", limit=len(ADVERSARIAL))]
    adversarial = [(g, a) for g, a in zip(math_golds, ADVERSARIAL)]
    return {"unique": unique, "repeated": repeated, "adversarial": adversarial}


def run_plain(pairs: list[tuple[str, str]]) -> dict:
    from math_verify import parse, verify

    verify(parse("$1$"), parse("$1.0$"))  # imports and first-call set-up outside the timing
    worst, t0 = 0.0, time.perf_counter()
    for g, c in pairs:
        t = time.perf_counter()
        try:
            verify(parse(g if "$" in g else f"${g}$"), parse(c if "$" in c else f"${c}$"))
        except BaseException:  # noqa: BLE001 - its TimeoutException is a BaseException
            pass
        worst = max(worst, time.perf_counter() - t)
    wall = time.perf_counter() - t0
    return {"checks": len(pairs), "wall_s": round(wall, 3), "checks_per_s": round(len(pairs) / wall, 1),
            "worst_call_s": round(worst, 3)}


def run_verifier(pairs: list[tuple[str, str]], workers: int, batch: int, timeout_s: float) -> dict:
    worst = 0.0
    with Verifier(n_workers=workers, timeout_s=timeout_s) as v:
        v.equivalent("1", "1.0")  # start the pool outside the timing (once per run, not per call)
        t0 = time.perf_counter()
        for i in range(0, len(pairs), batch):
            t = time.perf_counter()
            v.equivalent_many(pairs[i:i + batch])
            worst = max(worst, time.perf_counter() - t)
        wall = time.perf_counter() - t0
        counters = dict(v.counters)
    return {"checks": len(pairs), "wall_s": round(wall, 3), "checks_per_s": round(len(pairs) / wall, 1),
            "worst_call_s": round(worst, 3), "counters": counters}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gsm8k", type=int, default=400, help="GSM8K test golds (default 400)")
    ap.add_argument("--math500", type=int, default=500, help="MATH-500 golds (default all 500)")
    ap.add_argument("--group", type=int, default=8, help="repeats per pair in 'repeated' (GRPO group size)")
    ap.add_argument("--batch", type=int, default=64, help="pairs per Verifier call (one GRPO step)")
    ap.add_argument("--timeout", type=float, default=5.0, help="Verifier timeout_s per check")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "verify_speed.json"))
    a = ap.parse_args(argv)
    loads = workloads(a.gsm8k, a.math500, a.group)
    results: dict = {}
    for name, pairs in loads.items():
        plain = run_plain(pairs)
        row = {"plain": plain}
        for w in (1, 2):
            batch = 1 if name == "adversarial" else a.batch  # one check per call: the worst case per call
            r = run_verifier(pairs, w, batch, a.timeout)
            r["per_core_speedup"] = round(r["checks_per_s"] / w / plain["checks_per_s"], 2)
            row[f"workers_{w}"] = r
        results[name] = row
        print(f"{name:12s} {len(pairs):6d} checks | plain {plain['checks_per_s']:8.1f}/s worst "
              f"{plain['worst_call_s']:6.2f} s | " + " | ".join(
                  f"{w} worker(s) {row[f'workers_{w}']['checks_per_s']:8.1f}/s "
                  f"x{row[f'workers_{w}']['per_core_speedup']:.2f}/core worst "
                  f"{row[f'workers_{w}']['worst_call_s']:5.2f} s" for w in (1, 2)), flush=True)
    out = {"command": "python benchmarks/verify_speed.py " + " ".join(argv if argv is not None else sys.argv[1:]),
           "settings": vars(a), "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                            "processor": platform.processor() or platform.machine()},
           "packages": {p: version(p) for p in ("math-verify", "sympy", "latex2sympy2_extended")},
           "results": results}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
