#!/usr/bin/env bash
# Installs what the tests need (host packages, libvirtd, the virtualenv, the rOCCI client), then
# runs every test: lint, types, import contracts, unit and contract tests on libvirt's test
# driver, and real-guest integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-host.sh
scripts/setup-python.sh
scripts/setup-rocci.sh
.venv/bin/ruff format --check .
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/lint-imports
exec .venv/bin/python -m pytest "$@"
