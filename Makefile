# make install: .venv with the product, its [phy], [ray], [dev] and [docs] extras, through uv
#               (pyproject's [tool.uv] overrides Sionna's numpy>=2.2.6: the product runs on
#               numpy<2; [docs]: the suite builds the API reference and runs the tutorials)
# make demo:    the main job on the embedded default -> runs/demo
# make test:    ruff + pytest (fast suite; tests/test_docs.py builds the docs as `make docs`)
# make docs:    the API reference and the pages, warnings as errors -> docs/_build/html
PY      ?= python3
VENV    ?= .venv
# local wheel folder for torch 2.14.1 (uv does not read pip's config); empty where none
UV_FIND_LINKS ?= $(firstword $(wildcard /opt/pypi-more/files))
export UV_FIND_LINKS
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
OUT     ?= runs/demo

.PHONY: install demo test test-slow lint docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q uv
	$(BIN)/uv pip install -q --python $(BIN)/python -e '.[phy,ray,dev,docs]'  # [tool.uv]: numpy override
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/issc demo --out $(OUT)

lint: $(STAMP)
	$(BIN)/ruff check semcodec linksim optim scripts tests

# -W: a warning (broken docstring markup, a missing page) fails the build
docs: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -q -b html -d docs/_build/doctrees docs docs/_build/html

test: $(STAMP) lint
	$(BIN)/python -m pytest -q -p no:cacheprovider

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

clean:
	rm -rf $(VENV) runs docs/_build
