# Two commands for a newcomer: `make demo` (see it work) and `make test` (test everything).
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
SUDO    := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: demo test init lint bench system-deps clean

$(VENV)/.base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.dev: $(VENV)/.base
	$(PY) -m pip install -q -e '.[test,lint]'
	touch $@

# The tests run a real OpenSSH sshd and a tiny LD_PRELOAD helper built with gcc.
system-deps:
	@missing=""; \
	[ -x /usr/sbin/sshd ] || missing="$$missing openssh-server"; \
	command -v ssh >/dev/null || missing="$$missing openssh-client"; \
	command -v git >/dev/null || missing="$$missing git"; \
	command -v gcc >/dev/null || missing="$$missing gcc libc6-dev"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

demo: $(VENV)/.dev
	$(PY) -m sandbox.demo

test: $(VENV)/.dev system-deps
	$(PY) -m pytest -n 4

init: $(VENV)/.base
	$(VENV)/bin/bootstrap init

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# The manual path it compares against needs the aws CLI: the bench extra installs it.
bench: $(VENV)/.dev system-deps
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) -m bench --output bench/results.md

clean:
	rm -rf $(VENV) .sandbox-build build *.egg-info
