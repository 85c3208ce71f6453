# slt-nb — two commands:
#   make reproduce            # all notebooks on the embedded default (params/default.yaml) -> results/
#   make test                 # the whole test suite
# `make reproduce PARAMS=params/paper.yaml` runs the same notebooks on the real datasets/checkpoints.
SHELL := /bin/bash
VENV ?= .venv
PARAMS ?= params/default.yaml
PY := $(VENV)/bin/python

.PHONY: env reproduce test lab clean-data

env:
	@VENV=$(VENV) bash tools/ensure-env.sh

reproduce: env
	$(PY) -m slt_nb reproduce --params $(PARAMS)

test: env
	$(PY) -m pytest -q

lab: env  ## JupyterLab on the notebooks (jupytext opens the .py files as notebooks)
	$(VENV)/bin/jupyter lab --notebook-dir=. $(if $(filter 0,$(shell id -u)),--allow-root,)

clean-data:  ## remove generated data and runs (results/ stays)
	rm -rf data runs
