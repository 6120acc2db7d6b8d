#!/usr/bin/env bash
# Wall time and peak memory of README command A (set-up + the micro pipeline) on this machine.
# Usage: bash benchmarks/pipeline_time.sh [clone-dir]   (default: a fresh clone in /tmp)
# Clones the current commit; the data root (../shared/data of this checkout) is
# passed explicitly. Writes benchmarks/results/pipeline_time.txt (the /usr/bin/time -v report).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$(mktemp -d)/r1-repro}
git clone -q "$repo" "$dest"
export R1_DATA_ROOT=${R1_DATA_ROOT:-$(cd "$repo/../shared/data" && pwd)}
mkdir -p "$repo/benchmarks/results"
cd "$dest"
/usr/bin/time -v -o "$repo/benchmarks/results/pipeline_time.txt" bash -c \
  'python3 -m venv .venv && . .venv/bin/activate && pip install -q torch==2.13.0 && pip install -q -e ".[dev]" && python -m r1lib --profile micro'
grep -E "Elapsed|Maximum resident" "$repo/benchmarks/results/pipeline_time.txt"
