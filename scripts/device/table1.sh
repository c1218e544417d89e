#!/usr/bin/env bash
# On the lent GPU (issue 13): Table 1 at the paper's recipe, from scratch (configs/reference/camvid-gpu/), on JAX in
# mixed bfloat16 (`train.precision: auto`), on the carried real CamVid. Rows run one after another, each in a
# process of its own, until BUDGET seconds are spent (the tool stops a command at 10 minutes): a row cut short
# resumes in the next call while the machine is warm; finished rows are skipped. Every call ends by packing the
# finished run folders (no weights, no checkpoints) and a log into $OUT/table1.tar.gz.
#
#   bash scripts/device/table1.sh [ROW ...]          default: all six rows of the paper's order
#   SEEDS=3 EXTRA="--set train.epochs=1" BUDGET=540 ...
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/device/setup.sh
BUDGET=${BUDGET:-540}
SEEDS=${SEEDS:-1}
CAMVID=${CAMVID:-.device/camvid}
ROWS=("$@")
[ ${#ROWS[@]} -gt 0 ] || ROWS=(segnet mobilenet_unet vgg_unet resnet50_unet resnet50_pspnet psp_pretrained)
start=$(date +%s)
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | tee "$OUT/device.txt"
for row in "${ROWS[@]}"; do
  left=$(( BUDGET - ($(date +%s) - start) ))
  if [ "$left" -lt 30 ]; then echo "budget spent before $row"; break; fi
  # shellcheck disable=SC2086  # EXTRA holds several --set arguments
  timeout --signal=INT --kill-after=20 "$left" "$PY" -m segbench sweep "configs/reference/camvid-gpu/$row.yaml" \
    --seeds "$SEEDS" --results "$RESULTS" --set "dataset.root=$CAMVID" ${EXTRA:-} 2>&1 | tee -a "$OUT/table1.log"
done
# The runs without their weights: what results/reference/camvid-gpu/ keeps.
tar -czf "$OUT/table1.tar.gz" -C "$RESULTS" --exclude='*.h5' --exclude=checkpoints . 2>/dev/null
ls -l "$OUT"
