#!/usr/bin/env bash
# Sets up the machine and runs every check and test of the project.
#   bash scripts/test.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
bash scripts/setup-desktop.sh
# shellcheck source=/dev/null  # rustup's environment, outside the repository
if [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi

echo "== shell scripts: syntax and shellcheck"
bash scripts/check-scripts.sh
echo "== front end: type check, bundle (the shell embeds ui/dist), unit tests"
(cd ui && npm run build && npx vitest run)
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== no HTTP client in the default build (CLI and desktop app)"
bash scripts/check-offline-deps.sh
echo "== cargo test"
cargo test --workspace --no-fail-fast
echo "== offline: the CLI inside a network namespace with no interface"
bash scripts/offline-check.sh target/debug/vigie
echo "== desktop app end to end, in its webview, inside a network namespace with no interface"
bash scripts/e2e.sh --offline
echo "== Debian package of the app (from the debug build above)"
ui/node_modules/.bin/tauri bundle --debug --bundles deb
deb=target/debug/bundle/deb/Vigie_0.1.0_amd64.deb
dpkg-deb -f "$deb" Depends | grep -q libwebkit2gtk-4.1-0
dpkg-deb -c "$deb" | grep -q ' usr/bin/vigie-desktop$'
echo "ok : $deb"
