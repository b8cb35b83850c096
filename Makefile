# The commands of README.md: `make setup`, then `make run` or `make test`.

PYTHON ?= python3
VENV ?= .venv
# An Odoo 18.0 source tree enables the Odoo tier; /opt/odoo/18.0 when present.
ODOO_SRC ?= $(wildcard /opt/odoo/18.0)
export ODOO_SRC

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
DEBIAN_PACKAGES := \
	redis-server redis-sentinel postgresql memcached \
	swift swift-proxy swift-account swift-container swift-object \
	prometheus chromium \
	python3-venv build-essential libpq-dev libldap2-dev libsasl2-dev git
PIP := $(VENV)/bin/pip

.PHONY: setup debian-packages python-packages run run-check test lint readme screenshot

setup: debian-packages python-packages

debian-packages:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(DEBIAN_PACKAGES) >/dev/null

# With ODOO_SRC, Odoo's requirements go through the same resolver pass as ours
# (pins that a later pass would downgrade break moto's server), with the
# few pins of requirements-odoo.txt in place of its own.
python-packages:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(if $(ODOO_SRC),grep -viE '^(cryptography|pyopenssl|urllib3)\b' $(ODOO_SRC)/requirements.txt \
		> $(VENV)/odoo-requirements.txt)
	$(PIP) install -q --build-constraint build-constraints.txt \
		-r requirements.txt -r requirements-test.txt -e . \
		$(if $(ODOO_SRC),-r $(VENV)/odoo-requirements.txt -r requirements-odoo.txt)
	$(if $(ODOO_SRC),echo $(abspath $(ODOO_SRC)) > $$($(VENV)/bin/python -c \
		'import sysconfig; print(sysconfig.get_paths()["purelib"])')/odoo-src.pth)

# The whole platform on loopback, data in .run/ (tools/run_platform.py).
run:
	$(VENV)/bin/python tools/run_platform.py

run-check:
	$(VENV)/bin/python tools/run_platform.py --check

test:
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint:
	$(VENV)/bin/pre-commit run --all-files

readme:
	$(VENV)/bin/python tests/readme_reference.py --write

# docs/prometheus-request-rate.png, the README's picture of a real run (needs ODOO_SRC).
screenshot:
	$(VENV)/bin/python -m pytest tests/odoo/test_monitoring_dashboard.py \
		--prometheus-screenshot=docs/prometheus-request-rate.png
