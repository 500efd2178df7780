#!/usr/bin/env bash
# Proves that Vigie works with no network at all: runs the CLI inside a fresh network namespace
# (only a loopback interface, left down), on the test data directory.
#   bash scripts/offline-check.sh [path/to/vigie]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${1:-target/debug/vigie}"
shared="${VIGIE_OFFLINE_DATA_DIR:-target/test-data}"
# A fresh data directory (journal, collections) that reuses the shared index.
data=$(mktemp -d /tmp/vigie-offline.XXXXXX)
trap 'rm -rf "$data"' EXIT
[ -d "$shared/index" ] || "$bin" --data-dir "$shared" index
ln -s "$(realpath "$shared")/index" "$data/index"
cp "$shared/verified.json" "$data/" 2>/dev/null || true
if [ "$(id -u)" = 0 ]; then ns=(unshare -n); else ns=(unshare -r -n); fi

"${ns[@]}" bash -s "$bin" "$data" <<'INNER'
set -euo pipefail
bin="$1"; data="$2"
# Nothing but a loopback interface, and it is down (/proc/net/dev follows the namespace;
# /sys/class/net would show the host's until sysfs is remounted).
interfaces=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\n' ' ')
if [ "$interfaces" != "lo " ]; then echo "ERREUR : interfaces réseau présentes : $interfaces" >&2; exit 1; fi
if ip -o link show up 2>/dev/null | grep -q .; then echo "ERREUR : une interface est active" >&2; exit 1; fi
"$bin" --data-dir "$data" index
out=$("$bin" --data-dir "$data" search --json -k 3 "Que prévoit l'article 414 ?")
echo "$out" | grep -q '"id":"CD-art-414"' || { echo "ERREUR : recherche hors ligne inattendue : $out" >&2; exit 1; }
out=$("$bin" --data-dir "$data" ask --json --model smollm2 --max-tokens 16 --context-tokens 1200 "Que prévoit l'article 414 du code des douanes ?")
echo "$out" | grep -q '"CD-art-414"' || { echo "ERREUR : réponse hors ligne inattendue : $out" >&2; exit 1; }
# A service note imported into a collection, then found beside the articles...
notes=$(mktemp -d)
printf 'Note de service : les scellés posés sur les conteneurs en transit sont vérifiés par la brigade de surveillance à chaque escale.\n' >"$notes/note-scelles.txt"
"$bin" --data-dir "$data" import "$notes" --collection notes --label interne
out=$("$bin" --data-dir "$data" search --json -k 3 "vérification des scellés des conteneurs en transit")
echo "$out" | grep -q '"document":"note-scelles.txt"' || { echo "ERREUR : document importé introuvable hors ligne : $out" >&2; exit 1; }
# ... and given to the model with the articles when a question concerns it.
out=$("$bin" --data-dir "$data" ask --json --model smollm2 --max-tokens 16 --context-tokens 1200 "Qui vérifie les scellés des conteneurs en transit ?")
echo "$out" | grep -q '"DOC:notes:' || { echo "ERREUR : document importé non fourni au modèle hors ligne : $out" >&2; exit 1; }
rm -rf "$notes"
"$bin" --data-dir "$data" audit verify
echo "ok : index, recherche, réponse du modèle, import de documents et journal fonctionnent sans aucune interface réseau."
INNER
