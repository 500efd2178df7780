#!/usr/bin/env bash
# Fails if building the CLI alone (`scripts/demo.sh`) and building the whole workspace (the
# tests and the desktop app) would compile any unit differently: Cargo resolves features per
# selection of packages, and one feature more on serde would rebuild candle, tokenizers, tantivy
# and the engine a second time (about 13 minutes on 2 cores). The fix is a feature in
# `crates/vigie-workspace-hack/Cargo.toml`. Compares Cargo's unit graphs; builds nothing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unit_graph() { RUSTC_BOOTSTRAP=1 cargo build --unit-graph -Z unstable-options "$@"; }
unit_graph -p vigie-cli >"$work/cli.json"
unit_graph --workspace --all-targets >"$work/workspace.json"
python3 - "$work/cli.json" "$work/workspace.json" <<'PY'
import hashlib, json, sys

def unit_ids(path):
    """Every unit's identity: package, target, mode, features, profile settings, platform
    and, recursively, the identities of its dependencies (what Cargo's artifact hash covers)."""
    units = json.load(open(path))["units"]
    memo = {}

    def ident(i):
        if i not in memo:
            u = units[i]
            profile = {k: v for k, v in u["profile"].items() if k != "name"}
            deps = sorted(ident(d["index"]) for d in u["dependencies"])
            key = [u["pkg_id"], u["target"]["name"], u["target"]["kind"], u["mode"],
                   u["features"], profile, u["platform"], deps]
            memo[i] = hashlib.sha256(json.dumps(key).encode()).hexdigest()
        return memo[i]

    return {(u["pkg_id"].split("#")[-1], u["target"]["name"], u["mode"], ident(i))
            for i, u in enumerate(units)}

cli, workspace = unit_ids(sys.argv[1]), unit_ids(sys.argv[2])
apart = sorted({f"{pkg} ({target}, {mode})" for pkg, target, mode, _ in cli - workspace})
if apart:
    print("ERREUR : la CLI seule et l'espace de travail compileraient ces unités deux fois :",
          file=sys.stderr)
    for unit in apart:
        print(f"  {unit}", file=sys.stderr)
    print("Ajouter les fonctionnalités manquantes dans crates/vigie-workspace-hack/Cargo.toml.",
          file=sys.stderr)
    sys.exit(1)
print(f"ok : les {len(cli)} unités de la CLI sont celles de l'espace de travail (une seule construction).")
PY
