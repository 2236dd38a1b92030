#!/usr/bin/env bash
# The test command: set up, lint, then unit, integration (lab) and Molecule tests.
# What CI runs (.ci/run). Slow suites (`-m slow`: the Molecule scenarios, long lab cases) run
# deliberately: FLEET_TESTS=all ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
SECONDS=0
stage() { echo "== $1 (at ${SECONDS}s)"; }

# pytest exits 5 when a selection holds no test: that is a broken selection, not a pass.
run_pytest() { pytest -q -p no:cacheprovider --durations=15 "$@"; }

stage "lint"
ruff check fleet tests bench plugins
lint-imports --no-cache  # architecture contracts: .importlinter
yamllint -s .
# /dev/null inventory: the syntax check would otherwise parse all 180 generated site files (~100 s)
ANSIBLE_INVENTORY=/dev/null ANSIBLE_LINT_NODEPS=1 ansible-lint -q roles playbooks
fleet validate >/dev/null
fleet components site-yml --check
fleet inventory check
fleet --registry inventories/lab validate >/dev/null
fleet --registry inventories/lab inventory check

stage "unit tests"
run_pytest tests/unit -n 2

stage "lab images (built once, cached by recipe hash)"
fleet lab image base samba

marks="not slow"
[ "${FLEET_TESTS:-}" = all ] && marks=""
stage "integration tests: lab hosts, simulators, real clients, Molecule (-m '${marks:-all}')"
run_pytest tests/integration ${marks:+-m "$marks"}

stage "done"
