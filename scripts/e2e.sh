#!/usr/bin/env bash
# End-to-end test of the desktop app in its real webview.
#   bash scripts/e2e.sh            # with the machine's network
#   bash scripts/e2e.sh --offline  # inside a network namespace with no interface but loopback
# Builds the front end and the app (debug), prepares a fresh data directory that reuses the
# test index (built by the CLI if missing), then drives the app with tauri-driver under Xvfb.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi

offline=0
[ "${1:-}" = "--offline" ] && offline=1

(cd ui && npm run build >/dev/null)
# Build as the workspace does so that the test build reuses the same artifacts.
cargo build --workspace --all-targets
root=$(pwd)
app="$root/target/debug/vigie-desktop"

# The shared test index (the engine's tests build it too); built here when missing.
shared="$root/target/test-data"
"$root/target/debug/vigie" --data-dir "$shared" --corpus "$root/../shared/corpus" \
  --models "$root/models" index >/dev/null

work=$(mktemp -d /tmp/vigie-e2e.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data" "$work/exports" "$work/xdg"
ln -s "$shared/index" "$work/data/index"
cp "$shared/verified.json" "$work/data/" 2>/dev/null || true
export VIGIE_APP="$app"
export VIGIE_DATA_DIR="$work/data"
export VIGIE_CORPUS_DIR="$root/../shared/corpus"
export VIGIE_MODELS_DIR="$root/models"
export VIGIE_EXPORT_DIR="$work/exports"
export VIGIE_SCREENSHOTS="$root/tests/screenshots"
export XDG_DATA_HOME="$work/xdg"
export PYTHON="$root/target/e2e-venv/bin/python"

if [ "$offline" = 1 ]; then
  echo "== end-to-end test inside a network namespace with no interface"
  if [ "$(id -u)" = 0 ]; then
    unshare -n bash scripts/e2e-run.sh
  else
    unshare -rn bash scripts/e2e-run.sh
  fi
else
  bash scripts/e2e-run.sh
fi
