#!/usr/bin/env bash
# Installs what the desktop app needs to build and to be tested on Debian 12: WebKitGTK and
# its WebDriver, Xvfb, the front end's npm packages (DSFR assets are copied locally by their
# postinstall step), tauri-driver and the Python WebDriver client. Idempotent.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

packages=(libwebkit2gtk-4.1-dev libxdo-dev libayatana-appindicator3-dev librsvg2-dev
  webkit2gtk-driver xvfb xauth imagemagick iproute2 util-linux)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installation des paquets système du poste de travail : ${missing[*]}"
  as_root apt-get update -qq
  # webkit2gtk-driver needs the exact version of libwebkit2gtk-4.1-0: install them together.
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" libwebkit2gtk-4.1-0
fi

# shellcheck source=/dev/null  # rustup's environment, outside the repository
if [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi
if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "Installation de tauri-driver"
  cargo install tauri-driver --locked --version '^2'
fi

# Vite needs Node.js 20 or newer; Debian 12's own package is Node 18.
if ! command -v npm >/dev/null 2>&1 ||
  ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
  echo "ERREUR : l'interface se construit avec Node.js 20 ou plus récent et npm (Debian 12 fournit Node 18) : installez Node.js 20 (nodejs.org ou dépôt NodeSource), puis relancez." >&2
  exit 1
fi
if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "Installation des paquets npm de l'interface"
  (cd ui && npm ci --no-audit --no-fund)
fi
[ -f ui/public/dsfr/dsfr.min.css ] || (cd ui && npx copy-dsfr-to-public)

venv=target/e2e-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
# selenium 4.52 needs a certifi newer than the registry has: keep 4.51.0.
"$venv/bin/python" -c 'import selenium' 2>/dev/null || "$venv/bin/pip" install -q 'selenium==4.51.0'
