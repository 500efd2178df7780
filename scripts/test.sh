#!/usr/bin/env bash
# Sets up the machine and runs every check and test of the project.
#   bash scripts/test.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
bash scripts/setup-desktop.sh
# shellcheck source=/dev/null  # rustup's environment, outside the repository
if [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi

# Each step says when it starts, in minutes since the start: the cost of each part of the run.
started=$SECONDS
step() { echo "== [$(( (SECONDS - started) / 60 )) min] $*"; }

step "shell scripts: syntax and shellcheck"
bash scripts/check-scripts.sh
step "front end: type check, bundle (the shell embeds ui/dist), unit tests"
(cd ui && npm run build && npx vitest run)
step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
step "no HTTP client in the default build (CLI and desktop app)"
bash scripts/check-offline-deps.sh
step "one build: the CLI alone compiles its dependencies as the workspace does"
bash scripts/check-one-build.sh
step "cargo test"
# The full-corpus index the demo built (same corpus, same models) serves the tests too; it
# validates itself on opening (corpus, model checksum, parameters) and is rebuilt if stale.
# Where the demo wrote it: VIGIE_DATA_DIR, else the engine's default data folder on Linux.
default_index="${VIGIE_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/vigie}/index"
if [ ! -e target/test-data/index ] && [ -d "$default_index" ]; then
  mkdir -p target/test-data
  cp -a "$default_index" target/test-data/index
fi
cargo test --workspace --no-fail-fast
step "offline: the CLI inside a network namespace with no interface"
bash scripts/offline-check.sh target/debug/vigie
step "desktop app end to end, in its webview, inside a network namespace with no interface"
bash scripts/e2e.sh --offline
step "Debian package of the app (from the debug build above)"
ui/node_modules/.bin/tauri bundle --debug --bundles deb
deb=target/debug/bundle/deb/Vigie_0.1.0_amd64.deb
dpkg-deb -f "$deb" Depends | grep -q libwebkit2gtk-4.1-0
dpkg-deb -c "$deb" | grep -q ' usr/bin/vigie-desktop$'
echo "ok : $deb"
step "done"
