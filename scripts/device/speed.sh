#!/usr/bin/env bash
# On the lent GPU (issue 13): the speed table, ours against the peer in the same call: `segbench bench suite` on
# JAX at 352x480, batch 16, mixed bfloat16, and segmentation_models_pytorch (scripts/peer_smp.py) on PyTorch at the
# same settings. Writes $OUT/peer.json and segbench's table (md + json) into $OUT.
#
#   bash scripts/device/speed.sh                      SIZE=96x128 BATCH=2 STEPS=2 for a dry run
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/device/setup.sh
SIZE=${SIZE:-352x480}
BATCH=${BATCH:-16}
STEPS=${STEPS:-10}
H=${SIZE%x*}
W=${SIZE#*x}
PEER_PY=${PEER_PY:-$PY}
"$PEER_PY" scripts/peer_smp.py --input-size "$SIZE" --batch "$BATCH" --precision mixed_bfloat16 --steps "$STEPS" \
  > "$OUT/peer.json"
PEER=()
if [ -s "$OUT/peer.json" ]; then cat "$OUT/peer.json"; PEER=(--peer "$OUT/peer.json"); else rm -f "$OUT/peer.json"; fi
"$PY" -m segbench bench suite --suite camvid --steps "$STEPS" --set "model.input_size=[$H,$W]" \
  --set "train.batch_size=$BATCH" --set train.precision=mixed_bfloat16 "${PEER[@]}" --out "$OUT"
ls -l "$OUT"
