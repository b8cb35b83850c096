# The commands of README.md: `make setup`, then `make run` or `make test`.

PYTHON ?= python3
VENV ?= .venv
# The Odoo source trees of the Odoo tier and of make run, one per series,
# separated by spaces; each gets its own environment, $(VENV)/odoo-<series>.
ODOO_SRC ?=
export ODOO_SRC

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
DEBIAN_PACKAGES := \
	redis-server redis-sentinel postgresql memcached \
	swift swift-proxy swift-account swift-container swift-object \
	prometheus chromium haproxy nginx nodejs curl \
	python3-venv build-essential libpq-dev libldap2-dev libsasl2-dev libmagic1 git \
	podman runc debootstrap
PIP := $(VENV)/bin/pip

.PHONY: setup debian-packages python-packages npm-packages odoo-environments run run-check test lint reference screenshots image

setup: debian-packages python-packages npm-packages odoo-environments

debian-packages:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(DEBIAN_PACKAGES) >/dev/null

python-packages:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q --build-constraint build-constraints.txt \
		-r requirements.txt -r requirements-test.txt -e .

# Azurite, Azure Storage's emulator that the tests run the Azure store on, with
# the machine's Node.js: local_platform/azurite_server.py looks in $(VENV)/npm.
# Debian's nodejs comes without npm; NodeSource's carries it. 3.35.0 is the
# last Azurite whose engines take the Node.js of Debian 12 (18) and of
# NodeSource 20 (3.36 asks for 21): the same one for every run.
npm-packages:
	command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends npm >/dev/null
	npm install --prefix $(VENV)/npm --no-audit --no-fund --silent azurite@3.35.0

# Odoo's requirements as each tree pins them, in an environment of its own.
odoo-environments: python-packages
	$(VENV)/bin/python -m local_platform.odoo_trees

# The whole platform on loopback, data in .run/ (local_platform/serve.py).
run:
	$(VENV)/bin/python -m local_platform.serve

run-check:
	$(VENV)/bin/python -m local_platform.check

# The container image of each tree of ODOO_SRC, odoo-cloud:<series>, built with
# podman from the Containerfile (local_platform/image.py).
image:
	$(VENV)/bin/python -m local_platform.image

# Two test processes: one alone leaves the cores idle about 40% of the time,
# waiting for servers. Each runs the Odoo tier of whole series (tests/conftest.py),
# so that a series' databases are built once (docs/development.md).
TEST_PROCESSES ?= 2
test:
	$(VENV)/bin/python -m pytest -n $(TEST_PROCESSES) $(PYTEST_ARGS)

lint:
	$(VENV)/bin/pre-commit run --all-files

# The configuration table of docs/configuration.md, written from the code
# (odoo_cloud.config.reference); tests/unit/test_configuration_reference.py
# fails when the two disagree.
reference:
	$(VENV)/bin/python tests/configuration_reference.py --write

# The pictures of real runs that docs/ and README.md show, into docs/ (needs
# ODOO_SRC): Prometheus' graph page, and the web client served by make run.
screenshots:
	$(VENV)/bin/python -m pytest tests/odoo/test_monitoring_dashboard.py \
		tests/odoo/test_run_command.py --screenshots=docs
