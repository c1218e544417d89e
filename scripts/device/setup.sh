# Sourced first by every script of scripts/device/ on the lent machine: installs the carried wheels once per
# machine (a warm machine keeps /tmp/site between calls), then sets the backend. On a machine that already has
# segbench's environment (a dry run here), SEGBENCH_LOCAL=1 skips the install and PY names its Python.
if [ -z "${SEGBENCH_LOCAL:-}" ]; then
  if [ ! -d /tmp/site/keras ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  fi
  export PYTHONPATH="/tmp/site:$PWD"
fi
PY=${PY:-python3}
export KERAS_BACKEND=${KERAS_BACKEND:-jax} PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
# Where runs live between the calls of one warm machine (each call is at most 10 minutes).
RESULTS=${RESULTS:-/tmp/segbench-results}
