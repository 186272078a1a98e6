# snaplab: everything a fresh Debian 12 machine needs, as root.
#   make demo   set up LXD and Incus, then run the snapshot lab end to end and grade it
#   make test   lint, unit tests, then integration tests against both real daemons
#   make bench  speed figures, as ratios against a baseline measured in the same run
#               (make bench SECTION=class: only that section; see bench/run.py --only)
#   make site   the bilingual guide site, in build/site (make capture refreshes its outputs)

VENV    ?= /opt/snaplab/venv
PY      := $(VENV)/bin/python
SNAPLAB := $(VENV)/bin/snaplab
# Debian's own Python, so the book's unprivileged users (lxdadmin, incusadmin)
# can run the same installed snaplab: a pyenv under /root is not theirs to read.
BASEPY  ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)

.PHONY: install host demo demo-snapshot-server test unit integration lint bench storage-figures clean site capture chromium tmux sshd

$(VENV)/.deps: pyproject.toml
	@command -v apt-get >/dev/null && ! $(BASEPY) -c 'import ensurepip' 2>/dev/null && \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv; } || true
	$(BASEPY) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q hatchling ".[dev,docs,bench]"
	touch $@

# Reinstalled as a wheel each time: proves labs/checks/guides ship as package data,
# and lets other users run it from a place they can read.
install: $(VENV)/.deps
	$(PY) -m pip install -q --no-deps --no-build-isolation --force-reinstall .

host: install
	$(SNAPLAB) host setup --backend all --snapshot-server

# The lab end to end on both daemons, in its own instance and state directory so
# that a learner's own ubuntu-test lab is never touched.
DEMO_STATE := build/demo-state
demo: host
	$(SNAPLAB) doctor --backend all
	@mkdir -p build
	@set -e; for b in lxd incus; do \
	  echo; echo "=== the snapshot lab on $$b ==="; \
	  export XDG_STATE_HOME=$(CURDIR)/$(DEMO_STATE); \
	  $(SNAPLAB) finish snapshots --backend $$b --instance snaplab-demo >/dev/null; \
	  $(SNAPLAB) start snapshots --backend $$b --instance snaplab-demo; \
	  $(SNAPLAB) check snapshots --backend $$b --instance snaplab-demo || true; \
	  $(SNAPLAB) solve snapshots --backend $$b --instance snaplab-demo; \
	  $(SNAPLAB) grade snapshots --backend $$b --instance snaplab-demo \
	    --junit build/demo-$$b.xml --json build/demo-$$b.json; \
	  $(SNAPLAB) --lang ko check snapshots --backend $$b --instance snaplab-demo; \
	  $(SNAPLAB) finish snapshots --backend $$b --instance snaplab-demo; \
	done
	@echo; echo "grades written to build/demo-lxd.{xml,json} and build/demo-incus.{xml,json}"
	@echo; echo "chapter 9 (the snapshot server) end to end: make demo-snapshot-server (about 2 minutes)"
	@echo "chapter 10 (automating): as lxdadmin, snaplab start automating && snaplab solve automating (README)"
	@echo; $(SNAPLAB) guides build

# Chapter 9 on LXD, in a client config of its own (build/demo-conf: the remote and the trust it
# adds are never root's own), forgotten again afterwards. The scheduler runs once a minute.
demo-snapshot-server: host
	@mkdir -p build/demo-conf
	@set -e; export XDG_STATE_HOME=$(CURDIR)/$(DEMO_STATE) LXD_CONF=$(CURDIR)/build/demo-conf; \
	  $(SNAPLAB) finish snapshot-server --instance snaplab-demo-9 >/dev/null; \
	  $(SNAPLAB) start snapshot-server --instance snaplab-demo-9; \
	  $(SNAPLAB) solve snapshot-server --instance snaplab-demo-9; \
	  $(SNAPLAB) check snapshot-server --instance snaplab-demo-9; \
	  $(SNAPLAB) finish snapshot-server --instance snaplab-demo-9
	$(PY) -c 'from pathlib import Path; from snaplab.backends import get_backend; \
	  from snaplab.host import snapshot_server as s; s.forget(get_backend("lxd"), Path("build/demo-conf"))'
	rm -rf build/demo-conf

lint: install
	$(VENV)/bin/ruff check snaplab tests checks bench
	$(VENV)/bin/ruff format --check snaplab tests checks bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

unit: install
	$(PY) -m pytest -m "not integration" -q

integration: host tmux sshd
	$(PY) -m pytest -m integration -q -n 2 --dist loadgroup

# Two xdist workers, one per daemon (tests/conftest.py groups each test by the daemon it
# drives): the daemon-bound tests mostly wait, so LXD's and Incus's halves overlap.
test: lint host chromium tmux sshd
	$(PY) -m pytest -q --durations=25 -n 2 --dist loadgroup

# The guide site, rendered from labs/ and built with mkdocs --strict into build/site.
site: install
	$(SNAPLAB) guides build

# Runs every command block of the guide for real (as lxdadmin and incusadmin) and stores
# the outputs in guides/captured/, to be committed. Run it after changing a lab.
capture: host
	$(SNAPLAB) guides capture

# Debian's chromium and its driver, for the guide's browser test (browsers cannot be
# downloaded), and a Korean font so that its screenshots show Korean, not boxes.
chromium:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && \
	  test -d /usr/share/fonts/truetype/nanum || \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    chromium chromium-driver fonts-nanum; }

# Debian's tmux, for `snaplab watch`'s test: a real terminal (a pane) to read the checklist from.
tmux:
	@command -v tmux >/dev/null || \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q tmux; }

# Debian's openssh-server, for checks/test_host.py's test over ssh: the test starts its own
# sshd on 127.0.0.1 and stops it. policy-rc.d keeps the package from starting one on :22.
sshd:
	@test -x /usr/sbin/sshd || { \
	  guard=; test -e /usr/sbin/policy-rc.d || { guard=1; \
	    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; }; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssh-server; \
	  rc=$$?; test -z "$$guard" || rm -f /usr/sbin/policy-rc.d; exit $$rc; }

# SECTION=class (or check,solve,...): only those sections of the bench
bench: host
	$(PY) bench/run.py $(if $(SECTION),--only $(SECTION))

# The host page's storage figures and charts (a few minutes): run on the machine the page
# should describe, then commit guides/captured/storage.*
storage-figures: host
	$(PY) bench/run.py --only storage --publish

clean:
	rm -rf build dist site .mypy_cache .ruff_cache
