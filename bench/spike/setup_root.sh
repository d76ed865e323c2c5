#!/bin/bash
# Lays out the spike's web root: Pyodide npm files, the sample app's wheels, the app and the bridge.
set -e
ROOT=${1:-/tmp/snap-serve}; WHEELS=${2:-$HOME/.cache/live-asgi-docs/resolved/8c2e8eb805266b2e198f}
HERE=$(cd "$(dirname "$0")" && pwd); REPO=$(cd "$HERE/../.." && pwd)
mkdir -p "$ROOT/pyodide" "$ROOT/wheels" "$ROOT/app"
cp "$HOME/.cache/live-asgi-docs/pyodide-npm-314.0.7/"* "$ROOT/pyodide/"
cp "$WHEELS"/*.whl "$ROOT/wheels/"
(cd "$ROOT/wheels" && python3 -c "import json,glob; print(json.dumps(sorted(glob.glob('*.whl'))))" > index.json)
cp "$REPO/sample-docs/examples/todo/main.py" "$ROOT/app/main.py"
cp "$REPO/live_asgi_docs/bridge.py" "$ROOT/app/bridge.py"
ln -sf "$HERE/index.html" "$HERE/worker.js" "$ROOT/"
