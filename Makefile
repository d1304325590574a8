# make install: .venv with the product, its [phy], [ray] and [dev] extras, through uv (pyproject's
#               [tool.uv] overrides Sionna's numpy>=2.2.6: the product runs on numpy<2)
# make demo:    the main job on the embedded default -> runs/demo
# make test:    ruff + pytest (fast suite)
PY      ?= python3
VENV    ?= .venv
# local wheel folder for torch 2.14.1 (uv does not read pip's config); empty where none
UV_FIND_LINKS ?= $(firstword $(wildcard /opt/pypi-more/files))
export UV_FIND_LINKS
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
OUT     ?= runs/demo

.PHONY: install demo test test-slow lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q uv
	$(BIN)/uv pip install -q --python $(BIN)/python -e '.[phy,ray,dev]'  # [tool.uv]: numpy override
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
