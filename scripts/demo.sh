#!/usr/bin/env bash
# The demo: set up, build a 180-site sample registry, validate it, generate its inventories and
# show them with ansible-inventory; then bring up the lab and deploy/drift-check a demo site.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
DEMO=.fleet/demo
mkdir -p "$DEMO"

echo "== 1. a 180-site sample registry in $DEMO/registry"
python -m fleet.registry.sample "$DEMO/registry" 180
echo "== 2. validate it"
fleet --registry "$DEMO/registry" validate
echo "== 3. generate inventories"
fleet --registry "$DEMO/registry" inventory build --out "$DEMO/generated"
echo "== 4. ansible-inventory --graph (one department)"
ansible-inventory -i "$DEMO/generated" --graph dept_36 | head -40
echo "   … $(ls "$DEMO/generated" | wc -l) inventory files in $DEMO/generated"
