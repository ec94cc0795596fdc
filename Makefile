# Tool chain of the alletra.storage collection. `make test` is what CI runs (.ci/run).
# Every target is idempotent and cheap when nothing changed. Needs python3.11, git, and PyPI.
# Galaxy is not needed: dependency collections come from the PyPI `ansible` wheel.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.NOTPARALLEL:

# Environment hygiene: one locale (only C.UTF-8 exists here), no colour codes in logs, and pip
# without this machine's /etc/pip.conf (local wheel dirs and constraints that CI does not have).
export LANG := C.UTF-8
export LC_ALL := C.UTF-8
export PYTHONUTF8 := 1
export PIP_CONFIG_FILE := /dev/null
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export NO_COLOR := 1
export PY_COLORS := 0
export ANSIBLE_FORCE_COLOR := 0
export ANSIBLE_NOCOLOR := 1
export ANSIBLE_RETRY_FILES_ENABLED := 0

# The venv's Python: the distribution's python3.11 when it can make venvs (Debian builds it with PGO
# and LTO: every test, module run and check runs about a quarter faster than on a pyenv build without
# them), else the python3.11 on PATH. PYTHON_BASE=... chooses another; the venv is rebuilt when it changes.
ifeq ($(origin PYTHON_BASE),undefined)
PYTHON_BASE := $(or $(shell /usr/bin/python3.11 -c 'import ensurepip, venv' >/dev/null 2>&1 && echo /usr/bin/python3.11),python3.11)
endif
# Exported: the sub-makes of `make test` (checks, pytest) take the choice instead of probing again.
export PYTHON_BASE
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PY := $(BIN)/python
export PATH := $(BIN):$(PATH)
# Modules on localhost run with the venv's Python; interpreter discovery could otherwise pick
# another pyenv shim that does not even run.
export ANSIBLE_PYTHON_INTERPRETER := $(PY)

TREE := $(CURDIR)/build/tree
COLL := $(TREE)/ansible_collections/alletra/storage
DEP_COLLECTIONS := community/general ansible/posix ansible/netcommon ansible/utils
export ANSIBLE_COLLECTIONS_PATH := $(TREE)

# Host packages that tests need from apt: mkfs.xfs for the attach tests' file systems (mkfs.ext4,
# losetup and mount come with the base system), rsync for the migrate tests (alletra_data_copy).
# The initiator role's packages (nvme-cli, open-iscsi, multipath-tools) come with its issue.
# Installed by `make apt-deps` only when CI=true.
APT_PACKAGES := xfsprogs rsync

# `make sim` / `make demo`: the simulator's demo credentials (not a secret; override freely).
SIM_LISTEN ?= 127.0.0.1:8443
SIM_USER ?= 3paradm
SIM_PASSWORD ?= alletra-demo-Pa55
SIM_TLS_DIR := build/sim-tls
export SIM_USER SIM_PASSWORD

VENV_STAMP := $(VENV)/.stamp-requirements-$(subst /,_,$(PYTHON_BASE))
SIM_STAMP := $(VENV)/.stamp-simulator
DL_STAMP := build/dl/.stamp
DEPS_STAMP := $(TREE)/.stamp-collections
PYTEST_DIRS = $(wildcard simulator/tests tests/unit tests/fabric tests/playbooks)

.PHONY: help apt-deps venv tree checks sanity lint molecule build docs pytest test test-fast sim demo bench clean distclean

help:
	@echo "make demo      the whole lifecycle (playbooks/lifecycle.yml) against the simulator and the emulated fabric"
	@echo "make test      everything CI runs: venv, tree, then pytest with sanity lint molecule build beside it"
	@echo "make checks    sanity lint molecule build, one after another, logs in build/logs"
	@echo "make test-fast the edit loop: simulator, unit and in-process module tests (no playbooks, no sanity)"
	@echo "make venv      .venv with requirements/ci.txt and the simulator (editable)"
	@echo "make tree      copy the collection and its dependencies to build/tree"
	@echo "make sanity    ansible-test sanity (no ignore files)"
	@echo "make lint      ansible-lint, production profile, offline"
	@echo "make molecule  molecule scenarios under extensions/molecule"
	@echo "make build     build the collection, install it offline, render every module's doc"
	@echo "make docs      docs/modules/ again from the modules' own documentation (antsibull-docs)"
	@echo "make pytest    simulator/tests, tests/unit, tests/playbooks (PYTEST_ARGS=... to pass more)"
	@echo "make bench     benchmarks against the simulator; figures to benchmarks/results.md and results/latest.json"
	@echo "make sim       run the simulator on https://$(SIM_LISTEN) (user $(SIM_USER), password \$$SIM_PASSWORD)"
	@echo "make apt-deps  install APT_PACKAGES (only with CI=true)"
	@echo "make clean     remove build/ and test caches; make distclean also removes .venv"

apt-deps:
ifeq ($(strip $(APT_PACKAGES)),)
	@echo "apt-deps: no apt packages needed"
else
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "apt-deps: $(APT_PACKAGES) installed"; \
	elif [ "$${CI:-}" = true ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	else echo "apt-deps: missing $$missing; run: sudo apt-get install -y $$missing"; exit 1; fi
endif

# The venv is rebuilt from scratch whenever the pinned requirements change. pip installs only uv
# (requirements/bootstrap.txt); uv installs the tool chain in parallel and prints a line a package.
UV := $(BIN)/uv
$(VENV_STAMP): requirements/ci.txt requirements/bootstrap.txt
	rm -rf $(VENV)
	@echo "venv: creating $(VENV) with $(PYTHON_BASE) and the pinned tool chain (requirements/ci.txt, about 15 s)"
	$(PYTHON_BASE) -m venv $(VENV)
	$(PY) -m pip install --progress-bar off -q -r requirements/bootstrap.txt
	$(UV) pip install --python $(PY) --no-config -r requirements/ci.txt
	@$(UV) pip check --python $(PY) >/dev/null || { $(UV) pip check --python $(PY); echo "venv: the installed tool chain is inconsistent" >&2; exit 1; }
	touch $@

# Editable in setuptools' compat mode: a plain path in a .pth file. The default mode installs an
# import finder that every Python process of the venv loads at start (20 ms each: every module run).
$(SIM_STAMP): $(VENV_STAMP) $(wildcard simulator/pyproject.toml)
	@test -f simulator/pyproject.toml || { echo "venv: simulator/pyproject.toml is missing: the simulator package is part of the tool chain" >&2; exit 1; }
	$(UV) pip install --python $(PY) --no-config -q -e simulator --config-settings editable_mode=compat
	@echo "venv: simulator installed (alletra-sim)"
	touch $@

venv: $(SIM_STAMP)

$(DL_STAMP): requirements/collections.txt $(VENV_STAMP)
	rm -rf build/dl
	$(PY) -m pip download -q --no-deps -d build/dl -r requirements/collections.txt
	touch $@

$(DEPS_STAMP): $(DL_STAMP)
	$(PY) tools/extract_collections.py build/dl $(TREE) $(DEP_COLLECTIONS)
	touch $@

tree: venv $(DEPS_STAMP)
	$(PY) tools/sync_tree.py $(CURDIR) $(COLL)

# ansible-test bootstraps pip in its venvs with a script from ci-files.testing.ansible.com, which
# is unreachable; .ci/get_pip_shim.py stands in, under the name of the pip version it pins.
sanity: tree
	@if ls tests/sanity/ignore-*.txt >/dev/null 2>&1; then echo "sanity: ignore files are not allowed: fix the code" >&2; exit 1; fi
	pip_version=$$($(PY) -c 'import ansible_test, pathlib, re; text = (pathlib.Path(ansible_test.__file__).parent / "_internal/python_requirements.py").read_text(); print(re.search(r"pip=.([0-9.]+).", text).group(1))'); \
	mkdir -p $(HOME)/.ansible/test/cache; \
	cp .ci/get_pip_shim.py $(HOME)/.ansible/test/cache/get_pip_$${pip_version//./_}.py
	cd $(COLL) && ansible-test sanity --python 3.11 --color no

lint: tree
	cd $(COLL) && ansible-lint --offline --project-dir . --nocolor

# The scenario runs the role on this machine; so does one playbook test (it takes the same lock).
HOST_LOCK := $(CURDIR)/build/host-role.lock
molecule: tree
	@if ls $(COLL)/extensions/molecule/*/molecule.yml >/dev/null 2>&1; then \
		cd $(COLL) && flock $(HOST_LOCK) molecule test --all; \
	else echo "molecule: no scenario under extensions/molecule"; fi

build: tree
	rm -rf build/dist build/installed
	cd $(COLL) && ansible-galaxy collection build --force --output-path $(CURDIR)/build/dist
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build/installed:$(TREE) \
		ansible-galaxy collection install --offline --force -p build/installed build/dist/alletra-storage-*.tar.gz
	test -f build/installed/ansible_collections/alletra/storage/MANIFEST.json
	@modules=$$(for f in $(COLL)/plugins/modules/*.py; do n=$$(basename $$f .py); [ "$$n" = __init__ ] || [ "$$n" = '*' ] || echo alletra.storage.$$n; done); \
	for m in $$modules; do \
		ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build/installed:$(TREE) ansible-doc -t module $$m >/dev/null || { echo "build: ansible-doc $$m failed" >&2; exit 1; }; \
	done; \
	echo "build: ansible-doc renders $$(echo $$modules | wc -w) module(s) of the installed collection"

# The reference pages of the modules, filters and role in docs/modules, from their own documentation
# in the collection tree. tests/unit/test_module_docs_current.py runs the same command and fails
# when the committed pages differ.
DOCS_OPTIONS := --use-current --squash-hierarchy --output-format simplified-rst --no-add-antsibull-docs-version --fail-on-error
docs: tree
	rm -rf docs/modules
	mkdir -p docs/modules
	antsibull-docs collection $(DOCS_OPTIONS) --dest-dir docs/modules alletra.storage

# pytest exits 5 when it collects nothing: not a failure while the test directories are empty.
# One worker more than cores: tests wait too (array tasks, fault timeouts, the fabric's loop devices,
# the engine between tasks), and the extra worker fills those waits. The slowest tests are listed at the end.
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
PYTEST_ARGS ?=
pytest: tree
	@if [ -z "$(PYTEST_DIRS)" ]; then echo "pytest: no test directory yet"; exit 0; fi; \
	rc=0; $(PY) -m pytest -n $(PYTEST_WORKERS) --maxschedchunk 1 --durations=15 $(PYTEST_ARGS) $(PYTEST_DIRS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest: no tests collected yet"; rc=0; fi; exit $$rc

# The edit loop: the simulator, logic and every module's main() in-process; no ansible-playbook,
# no sanity, no fault matrix (tests marked slow). Under two minutes on 2 cores.
test-fast: tree
	$(PY) -m pytest -n $(PYTEST_WORKERS) --durations=5 -m "not slow" simulator/tests tests/unit tests/fabric

# `make test`: the checks run one after another in the background, each into build/logs/<check>.log
# with one line when it ends, while pytest runs in the foreground (on 2 cores, neither keeps both
# busy alone). A failed check's log is printed once pytest is done; any failure fails the target.
CHECKS := sanity lint molecule build
LOGS := build/logs
checks: tree
	@mkdir -p $(LOGS); rc=0; \
	for check in $(CHECKS); do \
		start=$$(date +%s); \
		if $(MAKE) --no-print-directory $$check > $(LOGS)/$$check.log 2>&1; then result=passed; else result=FAILED; rc=1; fi; \
		echo "$$result" > $(LOGS)/$$check.result; \
		echo "[checks] $$check $$result in $$(( $$(date +%s) - start )) s ($(LOGS)/$$check.log)"; \
	done; exit $$rc

test: apt-deps venv tree
	@rm -rf $(LOGS) && mkdir -p $(LOGS)
	@echo "test: $(CHECKS) run in the background (a line each when done), pytest meanwhile"
	@$(MAKE) --no-print-directory checks & lane=$$!; \
	rc=0; $(MAKE) --no-print-directory pytest || rc=$$?; \
	wait $$lane || true; \
	for check in $(CHECKS); do \
		if [ "$$(cat $(LOGS)/$$check.result 2>/dev/null)" != passed ]; then \
			rc=1; echo; echo "test: $$check failed; its log ($(LOGS)/$$check.log):"; cat $(LOGS)/$$check.log; \
		fi; \
	done; \
	if [ $$rc -eq 0 ]; then echo "test: pytest and $(CHECKS) passed"; fi; exit $$rc

sim: venv
	alletra-sim --listen $(SIM_LISTEN) --tls-dir $(SIM_TLS_DIR) --user $(SIM_USER) --password "$$SIM_PASSWORD"

# The whole lifecycle (playbooks/lifecycle.yml) with real bytes: the simulator (TLS verified)
# keeps volume data in files, the emulated fabric (tests/fabric) attaches them as loop devices.
# xfs, since this kind of container may not grow a mounted ext4 (no CAP_SYS_RESOURCE). Only
# changes and the summary are shown; build/demo/ holds the mounts, records and summary.
DEMO_DIR := $(CURDIR)/build/demo
demo: apt-deps venv tree
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	@echo "demo: playbooks/lifecycle.yml against the simulator and the emulated fabric (about a minute)"
	ANSIBLE_DISPLAY_OK_HOSTS=false ANSIBLE_DISPLAY_SKIPPED_HOSTS=false ANSIBLE_LOCALHOST_WARNING=false \
	$(PY) tools/with_sim.py --fabric --seed-cpg SSD_r6 --task-seconds 0.2 -- bash -c 'exec ansible-playbook -i localhost, -c local \
		playbooks/lifecycle.yml -e alletra_cpg=SSD_r6 -e block_filesystem=xfs -e lifecycle_mount_dir=$(DEMO_DIR)/mnt \
		-e alletra_state_dir=$(DEMO_DIR)/state -e lifecycle_summary_file=$(DEMO_DIR)/summary.txt \
		-e "{\"alletra_initiator_setup\": false}" -e alletra_host_nqn="$$ALLETRA_HOST_NQN"'
	@echo; echo "demo: summary ($(DEMO_DIR)/summary.txt)"; sed 's/^/  /' $(DEMO_DIR)/summary.txt

# Figures, not pass/fail: see benchmarks/bench.py. BENCH_ARGS=--quick for a short run.
bench: venv tree
	$(PY) benchmarks/bench.py $(BENCH_ARGS)

clean:
	rm -rf build tests/output .pytest_cache collections .ansible
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
