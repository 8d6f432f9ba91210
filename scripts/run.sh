#!/usr/bin/env bash
# Installs what Cloudgate needs, builds and registers the tiny-linux image, and runs the gateway.
# Extra arguments go to `cloudgate serve` (e.g. --host 127.0.0.1 --port 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-host.sh
scripts/setup-python.sh
.venv/bin/cloudgate init
.venv/bin/cloudgate image build-tiny
exec .venv/bin/cloudgate serve "$@"
