# dvc-hub: `make run` (the demo) and `make test` do every set-up step on a fresh machine.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
DVCHUB := $(VENV)/bin/dvchub
PYTEST_ARGS ?=

.PHONY: run test install system-deps stack-up stop lint bench chaos clean

# DEV_SECRETS: the demo, the chaos tests and the benches run against the local simulators with
# the development secrets published in this repository; nothing else may (hub.secrets).
DEV_SECRETS := DVC_DEV_SECRETS=1
# The demo's driver, the chaos tests and the benches make topics of their own on the local stack,
# so they log in as its admin principal; the workers the demo starts log in as their own services.
STACK_ADMIN := DVC_KAFKA_USERNAME=admin

run: install stack-up
	$(DEV_SECRETS) $(STACK_ADMIN) $(DVCHUB) demo run

# The tests that stop, restart or reconfigure the shared stack (and the fault suite, on a stack
# of its own) run alone first, then the others on TEST_WORKERS processes (pytest-xdist, default
# 2; each test has its own topics; the kill tests, the demo and the other heavy ones one after
# another on one of them: tests/conftest.py). Exit status 5 is
# "nothing collected", as when PYTEST_ARGS names files of only one of the two kinds; the second
# part runs even when the first failed, so one run reports every failure.
TEST_WORKERS ?= 2
test: install stack-up lint
	@failed=0; \
	$(PY) -m pytest -m exclusive $(PYTEST_ARGS) || [ $$? -eq 5 ] || failed=1; \
	$(PY) -m pytest -m "not exclusive" -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS) \
		|| [ $$? -eq 5 ] || failed=1; \
	exit $$failed

install: system-deps $(VENV)/.installed

# Python packages: a venv of our own with every package pinned and hash-checked from
# requirements.lock (made by pip-compile from pyproject.toml, see its header), then the project
# itself, editable, without resolving anything more.
$(VENV)/.installed: pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q --require-hashes -r requirements.lock
	$(VENV)/bin/pip install -q --no-deps -e .
	touch $@

# OS packages: Java and Maven run the stack; SoftHSM2 is the PKCS#11 token of the signing tests;
# Prometheus (its server and promtool) is the monitoring tests' and `stack up --with-prometheus`'s.
# Chromium (headless) renders the public pages in tests/publish (a screenshot per page).
system-deps:
	@missing=""; \
	command -v java >/dev/null || missing="$$missing openjdk-17-jre-headless"; \
	command -v mvn >/dev/null || missing="$$missing maven"; \
	command -v softhsm2-util >/dev/null || missing="$$missing softhsm2"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$$missing fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
	  echo "installing OS packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	@# Prometheus and promtool (monitoring tests, `stack up --with-prometheus`). Debian's package
	@# would start its own server on :9090: a policy-rc.d denying starts keeps it off (honoured by
	@# invoke-rc.d and deb-systemd-invoke alike), and on a systemd host it is disabled too.
	@# --no-install-recommends keeps out the node exporter (another service, on :9100).
	@if [ ! -x /usr/bin/prometheus ] || [ ! -x /usr/bin/promtool ]; then \
	  echo "installing OS packages: prometheus"; \
	  if [ ! -e /usr/sbin/policy-rc.d ]; then \
	    trap 'rm -f /usr/sbin/policy-rc.d' EXIT; \
	    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d; \
	  fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends prometheus >/dev/null || exit 1; \
	  if [ -d /run/systemd/system ]; then systemctl disable --now prometheus >/dev/null 2>&1; fi; \
	  /usr/bin/promtool --version | head -1; \
	fi

stack-up: install
	$(DVCHUB) stack up

stop:
	@if [ -x $(DVCHUB) ]; then $(DVCHUB) stack down; fi

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The long form of every kill test (DVC_CHAOS_ROUNDS rounds, default 5; RUNS times each).
chaos: install stack-up
	$(DEV_SECRETS) $(STACK_ADMIN) bench/chaos.sh

bench: install stack-up
	$(DEV_SECRETS) $(STACK_ADMIN) $(PY) bench/serde.py
	$(DEV_SECRETS) $(STACK_ADMIN) $(PY) bench/produce.py

clean: stop
	rm -rf .cache $(VENV)
