#!/usr/bin/env bash
# End-to-end test of the desktop app in its real webview.
#   bash scripts/e2e.sh            # with the machine's network
#   bash scripts/e2e.sh --offline  # inside a network namespace with no interface but loopback
# Builds the front end and the app (debug), prepares a fresh data directory that reuses the
# test index (built by the CLI if missing), then drives the app with tauri-driver under Xvfb.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=/dev/null  # rustup's environment, outside the repository
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
mkdir -p "$work/data" "$work/exports" "$work/xdg" "$work/models" "$work/usb"
# A models folder of its own (the test adds a model to its manifest), sharing the weights.
cp "$root/models/manifest.toml" "$work/models/"
for f in "$root"/models/*.gguf "$root"/models/*.bin "$root"/models/*.json; do
  [ -e "$f" ] && ln -s "$f" "$work/models/"
done
# The file an agent would bring on a USB key.
ln -s "$root/models/SmolLM2-135M-Instruct.Q4_1.gguf" "$work/usb/petit-modele.gguf"
export VIGIE_E2E_IMPORT_GGUF="$work/usb/petit-modele.gguf"
ln -s "$shared/index" "$work/data/index"
cp "$shared/verified.json" "$work/data/" 2>/dev/null || true
export VIGIE_APP="$app"
export VIGIE_DATA_DIR="$work/data"
export VIGIE_CORPUS_DIR="$root/../shared/corpus"
export VIGIE_MODELS_DIR="$work/models"
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
