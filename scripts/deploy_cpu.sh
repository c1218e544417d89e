#!/usr/bin/env bash
# results/bench/deploy-cpu.md and its Pareto figure, from finished runs with their weights:
#   scripts/deploy_cpu.sh FILES_DIR RUN_DIR...
# FILES_DIR receives the ONNX files (megabytes each: not for the repository); TABLE (default
# results/bench/deploy-cpu.md) the table and its figure (.png), and the folder of the same name without .md the
# latency figures, one JSON file a run, and in runs/ each run's figures.
# Each run is exported to ONNX in float32, fp16 and int8 (calibrated on 64 train images), each file scored on the
# run's test split by `segbench evaluate --onnx` (into the run's eval/), then the run's Keras model and its files
# timed by `segbench bench latency` at 1 and 2 threads, and the table written over every run by `segbench bench
# deploy`. Files, scorings and timings already there are kept, so that a run added later, or an interrupted call,
# costs only what is new; LATENCY_OPTIONS go to `bench latency` (--budget 12). Latency wants a machine doing nothing else: nothing else should run while it is measured.
set -euo pipefail
out=$1; shift
table=${TABLE:-results/bench/deploy-cpu.md}
timings=${table%.md}
segbench=${SEGBENCH:-segbench}
mkdir -p "$out" "$timings"
for run in "$@"; do
  name=$(basename "$run")
  files=()
  for precision in float32 fp16 int8; do
    file="$out/$name-$precision.onnx"
    if [ ! -f "$file" ]; then
      quantize=(); [ "$precision" = float32 ] || quantize=(--quantize "$precision")
      $segbench export "$run" --format onnx --out "$file" "${quantize[@]}"
    fi
    [ -f "$run/eval/onnx-$precision.json" ] || $segbench evaluate "$run" --onnx "$file"
    files+=("$file")
  done
  # SCORE_ONLY=1: no timing, to time everything later on a quiet machine.
  [ -n "${SCORE_ONLY:-}" ] || [ -f "$timings/$name.json" ] || \
    $segbench bench latency "$run" "${files[@]}" --out "$timings/$name.json" ${LATENCY_OPTIONS:-}
done
# Each run's figures (not its weights) are kept in the timings folder's runs/, and the table is written over every
# run kept there: a run added later joins the earlier ones, and the table can be written again from the repository.
[ -n "${SCORE_ONLY:-}" ] || \
  $segbench bench deploy "$@" --keep "$timings/runs" --latency "$timings"/*.json --out "$table"
