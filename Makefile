# make install: .venv with torch 2.14.1 + the product (+ Sionna PHY without its deps)
# make demo:    the main job on the embedded default -> runs/demo
# make test:    ruff + pytest (fast suite)
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
OUT     ?= runs/demo

.PHONY: install demo test test-slow lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.14.1 torchvision==0.29.1
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q --no-deps sionna-no-rt==2.2.0
	$(BIN)/pip install -q h5py importlib-resources
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/issc demo --out $(OUT)

lint: $(STAMP)
	$(BIN)/ruff check semcodec linksim optim scripts tests

test: $(STAMP) lint
	$(BIN)/python -m pytest -q -p no:cacheprovider

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

clean:
	rm -rf $(VENV) runs
