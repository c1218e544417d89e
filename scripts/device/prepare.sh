#!/usr/bin/env bash
# Here, before a session with the lent GPU (issue 13; docs/gpu.md): puts into ignored folders what that
# machine lacks, for `carry` to take along: .whl/ (keras, albumentations, pydantic and their needs, and
# segmentation_models_pytorch for the peer, all for its Python 3.12) and .device/camvid/ (the real CamVid). Ends by
# printing what will travel against the tool's 64 MiB limit.
set -euo pipefail
cd "$(dirname "$0")/../.."
CAMVID=${CAMVID:-../shared/data/camvid}
SMP=${SMP:-segmentation-models-pytorch==0.6.0}   # the version the CPU peer figures were measured with
bash ../shared/tools/device-wheels.sh "$SMP" > /dev/null
grep -qx '/.device/' .git/info/exclude 2>/dev/null || echo '/.device/' >> "$(git rev-parse --git-path info/exclude)"
mkdir -p .device
rm -rf .device/camvid && cp -r "$CAMVID" .device/camvid
tree=$(git ls-files -co --exclude-standard -z | du -cb --files0-from=- | tail -1 | cut -f1)
carried=$(du -cb .whl .device | tail -1 | cut -f1)
total=$(( (tree + carried) / 1048576 ))
printf 'working tree %d MiB + .whl %s + .device %s = %d MiB of 64\n' $(( tree / 1048576 )) \
  "$(du -sh .whl | cut -f1)" "$(du -sh .device | cut -f1)" "$total"
[ "$total" -lt 64 ] || { echo "too much to carry: leave something out" >&2; exit 1; }
