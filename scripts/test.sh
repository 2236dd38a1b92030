#!/usr/bin/env bash
# The test command: set up, lint, then unit, integration (lab) and Molecule tests.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

echo "== lint"
ruff check fleet tests bench plugins
yamllint -s .
fleet validate >/dev/null
fleet inventory check
fleet --registry inventories/lab validate >/dev/null

echo "== unit tests"
pytest -q tests/unit -p no:cacheprovider -n 2
