# The whole set-up is `make demo` and `make test`; both install what they need first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-torch clean

install: $(STAMP)

# Re-installs only when the package metadata changed; the editable install picks up code edits by itself.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

# Two seeds of the small SegNet on the synthetic set, then their table.
DEMO_SEEDS := 0 1
demo: install
	@for seed in $(DEMO_SEEDS); do \
	  $(BIN)/segbench run configs/demo/segnet.yaml --set train.seed=$$seed --out results/demo/segnet-seed$$seed || exit $$?; \
	done
	$(BIN)/segbench results results/demo

test: install
	$(BIN)/python -m pytest

# The model tests again on Keras' PyTorch backend (CI runs this too). Here torch's CPU build comes from a local
# wheel; elsewhere pip may fetch the CUDA build, or install torch yourself first and this leaves it be.
TORCH := torch==2.13.0
test-torch: install
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q "$(TORCH)"
	KERAS_BACKEND=torch $(BIN)/python -m pytest tests/models

clean:
	rm -rf $(VENV) results/demo build *.egg-info .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
