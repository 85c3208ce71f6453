# slt-nb — two commands:
#   make reproduce            # all notebooks on the embedded default (params/default.yaml) -> results/
#   make test                 # the whole test suite
# `make reproduce PARAMS=params/paper.yaml` runs the same notebooks on the real datasets/checkpoints.
SHELL := /bin/bash
VENV ?= .venv
PARAMS ?= params/default.yaml
JOBS ?= 2  # notebooks run at once (each after the notebooks it reads from); the default machine has 2 cores
LAB_ARGS ?=  # jupyter lab options, e.g. LAB_ARGS="--no-browser --port 8888 --ip 127.0.0.1" (remote node: then ssh -N -L 8888:127.0.0.1:8888 you@node)
ARGS ?=  # more slt-nb reproduce options, e.g. ARGS=--share-gpu (notebooks that train share one GPU) or ARGS="--only 05_metrics"
PY := $(VENV)/bin/python

.PHONY: env reproduce test lab lab-check clean-data bench standins

env:
	@VENV=$(VENV) bash tools/ensure-env.sh

reproduce: env
	$(PY) -m slt_nb reproduce --params $(PARAMS) --jobs $(JOBS) $(ARGS)

test: env
	$(PY) -m pytest -q

bench: env  ## the CPU benchmarks (data path, training step, generation, pipeline, compute budget) -> results/benchmarks/
	$(PY) benchmarks/run_all.py

standins: env  ## retrain the tiny models' shipped vision stages (src/slt_nb/standins/shipped/) and check they are byte-identical (~5 min, 1 thread); STANDINS_ARGS=--ship replaces them
	$(PY) -m slt_nb.standins.shipped $(STANDINS_ARGS)

gpu-check:  ## GPU readiness, no network needed (.venv's python, else python3): <= 8 min on one H100/H200 -> results/benchmarks/gpu/; without CUDA a tiny smoke run -> results/benchmarks/gpu-cpu-smoke/
	$(if $(wildcard $(PY)),$(PY),python3) benchmarks/gpu_check.py $(GPU_CHECK_ARGS)

lab: env  ## JupyterLab on the notebooks (a double-click opens notebooks/*.py as notebooks: configs/jupyterlab/overrides.json)
	$(VENV)/bin/jupyter lab --notebook-dir=. $(if $(filter 0,$(shell id -u)),--allow-root,) $(LAB_ARGS)

lab-check: env  ## JupyterLab in headless Chromium: double-click notebooks/02, Run All, save; PASS/FAIL lines + screenshots in results/lab-check/ (needs: apt-get install chromium chromium-driver, and make reproduce's data)
	$(PY) tools/lab_check.py $(LAB_CHECK_ARGS)

clean-data:  ## remove generated data and runs (results/ stays)
	rm -rf data runs
