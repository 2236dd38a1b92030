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

LAB=(fleet --registry inventories/lab)
echo "== 5. the lab: Debian hosts in podman (sshd on 127.0.0.1 only) and the API simulators"
fleet lab up
echo "== 6. deploy the base role to the demo collège and lycée"
"${LAB[@]}" deploy 0180120H 0450050K --component base --yes
echo "== 7. drift check (read-only): expect no drift"
set +e
"${LAB[@]}" drift 0180120H 0450050K --component base \
  --report "$DEMO/drift.html" --junit "$DEMO/drift.xml" --metrics "$DEMO/drift.prom"
code=$?
set -e
case $code in
  0) echo "   no drift (exit 0)" ;;
  2) echo "   drift found (exit 2): see the report" ;;
  *) echo "   drift check failed (exit $code)" >&2; exit "$code" ;;
esac
echo "== 8. reports"
echo "   HTML report:  $PWD/$DEMO/drift.html"
echo "   JUnit XML:    $PWD/$DEMO/drift.xml"
echo "   Prometheus:   $PWD/$DEMO/drift.prom"
echo "   run history:  fleet runs list"
echo "   the lab stays up: fleet lab status; fleet lab down removes it"
