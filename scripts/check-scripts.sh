#!/usr/bin/env bash
# Checks every shell script of the repository: `bash -n` (syntax) and shellcheck (Debian's
# package, installed when missing). A script that does not parse fails here in seconds, not
# after a long build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v shellcheck >/dev/null 2>&1; then
  echo "Installation de shellcheck"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends shellcheck
fi

mapfile -t scripts < <(git ls-files -- '*.sh' '.ci/run')
if [ "${#scripts[@]}" -eq 0 ]; then
  echo "ERREUR : aucun script trouvé (git ls-files)" >&2
  exit 1
fi
for script in "${scripts[@]}"; do
  bash -n "$script"
done
shellcheck "${scripts[@]}"
echo "ok : ${#scripts[@]} scripts (bash -n, shellcheck)"
