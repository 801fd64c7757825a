# `make demo` and `make test` each create .venv when missing and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_DEMO := $(VENV)/.installed-demo
STAMP_DEV := $(VENV)/.installed-dev
# 2 workers: the CI machine has 2 cores.
PYTEST_WORKERS ?= 2

.PHONY: demo test test-quick docs oldest release-check typecheck bench bench-real conformance lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The first install downloads about 3 GB (TensorFlow, JAX, Keras, Sonnet): pip shows its progress.
$(STAMP_DEMO): pyproject.toml | $(BIN)/python
	@echo "Installing reusable-savedmodel[all] into $(VENV): about 3 GB, a few minutes the first time."
	$(BIN)/pip install -e ".[all]"
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	@echo "Installing reusable-savedmodel[dev] into $(VENV): about 3 GB, a few minutes the first time."
	$(BIN)/pip install -e ".[dev]"
	touch $@ $(STAMP_DEMO)

demo: $(STAMP_DEMO)
	$(BIN)/rsm demo

test: $(STAMP_DEV)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) tests

# The developer loop: leaves out the tests marked slow (child interpreters, large models).
test-quick: $(STAMP_DEV)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -m "not slow" tests

# The documentation site, into build/site; broken links and missing references fail it.
# The API pages read the package from build/api, where its two halves sit under one root.
docs: $(STAMP_DEV)
	mkdir -p build/api/reusable_savedmodel
	ln -sfn ../../../interface build/api/reusable_savedmodel/interface
	ln -sfn ../../../adapters build/api/reusable_savedmodel/adapters
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/site

# The subset on the oldest supported versions, in virtualenvs of its own (noxfile.py, ci/).
oldest: $(STAMP_DEV)
	$(BIN)/nox

# The wheel and sdist: built, twine-checked, members checked, each smoke-tested in a fresh
# virtualenv (ci/release_check.sh).
release-check: $(STAMP_DEV)
	BIN=$(BIN) ci/release_check.sh

# mypy over the package ([tool.mypy] in pyproject.toml): zero errors. mypy reads the
# package from build/typecheck, where links put its three folders under one root.
typecheck: $(STAMP_DEV)
	mkdir -p build/typecheck/reusable_savedmodel
	ln -sfn ../../../interface build/typecheck/reusable_savedmodel/interface
	ln -sfn ../../../adapters build/typecheck/reusable_savedmodel/adapters
	for f in toplevel/*.py toplevel/py.typed; do ln -sfn ../../../$$f build/typecheck/reusable_savedmodel/; done
	$(BIN)/mypy

# `make bench`: the small models (call overhead, memory, first output; 6 min of CPU time);
# `make bench-real`: the real models against the anchors (python -m benchmarks --real).
bench: $(STAMP_DEV)
	$(BIN)/python -m benchmarks

bench-real: $(STAMP_DEV)
	$(BIN)/python -m benchmarks --real

# Rewrites the compatibility page's table (docs/compatibility.md) from a fresh run of the exchange matrix.
conformance: $(STAMP_DEV)
	PYTHONPATH=tests $(BIN)/python -m conformance --readme docs/compatibility.md

lint: $(STAMP_DEV)
	$(BIN)/ruff check interface adapters tests benchmarks

clean:
	rm -rf $(VENV) .nox build *.egg-info
