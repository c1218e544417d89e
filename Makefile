# The whole set-up is `make demo` and `make test`; both install what they need first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install lock demo test test-latest test-torch test-jax test-cluster camvid sitting suim paper smoke \
	reference-cpu bench clean

install: $(STAMP)

# Exactly the versions requirements.lock pins, each file checked against its hash, then segbench itself (editable:
# code edits need no re-install). Re-installs only when the lock or the package metadata changed. The open ranges
# of pyproject.toml are for users who install segbench into an environment of their own.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --require-hashes -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	sed -e 's/ \\$$//' -e '/--hash/d' requirements.lock > $(CONSTRAINTS)
	touch $@

# The extras the backend and cluster targets add are installed under the lock's versions as constraints (pip takes
# no hashes there), so that they never move a locked package.
CONSTRAINTS := $(VENV)/constraints.txt

# Renews requirements.lock: the newest versions pyproject.toml's ranges allow for CPython 3.11 on x86-64 Linux, the
# supported platform, with the hashes of every file of each. uv is pinned so that the lock's form does not change.
UV := uv==0.13.9
lock:
	test -x $(VENV)-lock/bin/uv || { $(PYTHON) -m venv $(VENV)-lock && $(VENV)-lock/bin/pip install -q "$(UV)"; }
	$(VENV)-lock/bin/uv pip compile pyproject.toml --extra test --generate-hashes --upgrade --python-version 3.11 \
	  --python-platform x86_64-manylinux_2_28 -o requirements.lock

# What the next releases break, found by one command (not in .ci/run): a venv of its own with the newest versions
# the ranges allow, then the tests that need no trained run (the metrics, data, configs, the model zoo).
LATEST := $(VENV)-latest
FAST_TESTS := tests/test_metrics.py tests/test_bootstrap.py tests/test_boundary.py tests/test_calibration.py \
	tests/test_config.py tests/test_registry.py tests/test_imports.py tests/test_versions.py tests/test_docs.py \
	tests/models tests/data/test_augment.py tests/data/test_camvid.py tests/data/test_suim.py \
	tests/data/test_sitting.py tests/engine/test_losses.py tests/engine/test_optim.py tests/engine/test_inference.py
test-latest:
	rm -rf $(LATEST) && $(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install -q --upgrade pip
	$(LATEST)/bin/python -m pip install -q --upgrade -e '.[test]'
	$(LATEST)/bin/segbench env
	$(LATEST)/bin/python -m pytest -n $(TEST_WORKERS) $(FAST_TESTS)

# Two seeds of the small SegNet on the synthetic set, then their table.
DEMO_SEEDS := 0 1
demo: install
	@for seed in $(DEMO_SEEDS); do \
	  $(BIN)/segbench run configs/demo/segnet.yaml --set train.seed=$$seed --out results/demo/segnet-seed$$seed || exit $$?; \
	done
	$(BIN)/segbench results results/demo

# The paper's tables, one suite each, at the recipe of configs/_base/paper.yaml (a GPU's work: see docs/reproduction.md), run
# folders in results/<dataset>/, each ending in its table. Extra arguments go in ARGS, e.g.
#   make camvid ARGS="--seeds 3 --set dataset.root=/data/CamVid"
# The pretrained files the rows start from are fetched into $KERAS_HOME/models before the first run (docs/reproduction.md:
# Reproducing Table 1 on your machine).
ARGS ?=
camvid sitting suim paper: install
	$(BIN)/segbench sweep --suite $@ $(ARGS)

# Every paper config at CI size (configs/smoke/), then the three tables: CamVid on the real frames where
# ../shared/data has them, otherwise (and for Sitting People and SUIM) on synthetic scenes in the dataset's format.
SMOKE := results/smoke
smoke: install
	@for ds in camvid sitting suim; do \
	  root=$(SMOKE)/data/$$ds; \
	  if [ $$ds = camvid ] && [ -d ../shared/data/camvid/testannot ]; then root=../shared/data/camvid; \
	  elif [ ! -d $$root ]; then $(BIN)/segbench datasets imitate $$ds --root $$root || exit $$?; fi; \
	  $(BIN)/segbench sweep configs/smoke/$$ds/*.yaml --results $(SMOKE) --set dataset.root=$$root || exit $$?; \
	done
	$(BIN)/segbench report --suite paper --results $(SMOKE)

# The suite on TEST_WORKERS processes (pytest-xdist). worksteal hands each worker a contiguous half and lets an idle
# one take tests from the other's end, so a module's shared fixtures (one trained run read by many tests) are
# mostly built once and no long file decides the end. 2 fits CI's two cores.
TEST_WORKERS ?= 2
test: install
	$(BIN)/segbench env --check
	$(BIN)/ruff check segbench tests scripts
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

# The model tests, test-time views and ONNX export again on Keras' PyTorch backend (CI runs this too). Here torch's
# CPU build comes from a local wheel; elsewhere pip may fetch the CUDA build, or install torch yourself first and
# this leaves it be.
TORCH := torch==2.13.0
# The model tests on each backend, but for what is the same code on every backend and so `make test` alone runs:
# the pretrained files' download (test_fetch.py) and the committed table of parameters (test_catalog.py). torch runs
# on one worker: its two workers' start-up cost more than they saved (2 min 50 s against 1 min 57 s), JAX's compiles
# gain from two (7 min 18 s against 9 min 55 s).
BACKEND_TESTS := tests/models --ignore=tests/models/test_fetch.py --ignore=tests/models/test_catalog.py
test-torch: install
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q -c $(CONSTRAINTS) "$(TORCH)"
	KERAS_BACKEND=torch $(BIN)/python -m pytest $(BACKEND_TESTS) tests/engine/test_inference.py \
		tests/engine/test_export.py

# The model tests, test-time views and ONNX export on JAX, and data-parallel training on two JAX CPU devices (CI
# runs this too).
JAX := jax[cpu]==0.10.2
test-jax: install
	$(BIN)/python -c "import jax" 2>/dev/null || $(BIN)/python -m pip install -q -c $(CONSTRAINTS) "$(JAX)"
	$(BIN)/python -c "import jax2onnx" 2>/dev/null || $(BIN)/python -m pip install -q -c $(CONSTRAINTS) -e ".[export-jax]"
	KERAS_BACKEND=jax $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(BACKEND_TESTS) \
		tests/engine/test_distribute.py tests/engine/test_inference.py tests/engine/test_export.py

# The sweep's launchers on their real engines (CI runs this too): a local Ray with logical GPUs, a worker killed
# mid-run; the Slurm job array on submitit's local executor, a task preempted mid-run; TensorBoard logs. A few
# minutes on two cores; `make test` skips these where the engines are not installed.
CLUSTER := .[cluster]
test-cluster: install
	$(BIN)/python -c "import ray, submitit, tensorboard" 2>/dev/null || \
	  $(BIN)/python -m pip install -q -c $(CONSTRAINTS) -e "$(CLUSTER)"
	$(BIN)/python -m pytest tests/cluster

# Table 1 on the development machine's CPU (results/reference/camvid-cpu; its README has the recipe): the five rows
# at the CPU recipe of configs/reference/camvid-cpu, then SegNet at the paper's recipe over three seeds, then the
# report, then the resolution ablation of configs/reference/ablations (SegNet at 192x256; NOTES.md there says what
# it shows). About 12 hours on two cores: call it again after an interruption, finished runs are skipped and an
# interrupted one resumes. Each config gets a process of its own: memory one run leaves behind in TensorFlow is
# then given back before the next. CAMVID is the real CamVid in the SegNet layout (360x480).
CAMVID ?= ../shared/data/camvid
REFERENCE ?= results/reference
REFERENCE_ROWS := $(filter-out %/segnet.yaml,$(wildcard configs/reference/camvid-cpu/*.yaml))
reference-cpu: install
	@status=0; \
	for config in $(REFERENCE_ROWS); do \
	  $(BIN)/segbench sweep $$config --results $(REFERENCE) --set dataset.root=$(CAMVID) $(ARGS) || status=1; \
	done; \
	$(BIN)/segbench sweep configs/reference/camvid-cpu/segnet.yaml --seeds 3 --results $(REFERENCE) \
	  --set dataset.root=$(CAMVID) $(ARGS) || status=1; \
	$(BIN)/segbench report --suite camvid-cpu --results $(REFERENCE) --worst 3 || status=1; \
	$(BIN)/segbench sweep configs/reference/ablations/*.yaml --results $(REFERENCE) --set dataset.root=$(CAMVID) \
	  $(ARGS) || status=1; \
	exit $$status

# `segbench bench` at CPU size, a few minutes on two cores, into results/bench/: the metrics; the input pipeline on
# the real CamVid frames where ../shared/data has them, else on synthetic scenes of their size, with SegNet training
# on its batches for the data-wait share; the CamVid suite's models at 96x128, batch 2.
BENCH_CAMVID := ../shared/data/camvid
bench: install
	$(BIN)/segbench bench metrics --out results/bench/metrics.json
	@if [ -d $(BENCH_CAMVID)/trainannot ]; then data="camvid --root $(BENCH_CAMVID)"; \
	else data="synthetic --set image_size=[360,480] --set num_images.train=96"; fi; \
	set -x; $(BIN)/segbench bench loader $$data --workers 0,1,2 --model segnet --steps 3 --out results/bench/loader.json
	$(BIN)/segbench bench suite --suite camvid --cpu

clean:
	rm -rf $(VENV) $(VENV)-lock $(LATEST) results/demo $(SMOKE) build *.egg-info .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
