#!/usr/bin/env bash
# Fails if the default build's dependency tree (the CLI, the engine and the desktop app)
# contains an HTTP client or telemetry crate.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
forbidden='^(reqwest|hyper|hyper-util|ureq|isahc|surf|attohttpc|curl|curl-sys|h2|http-body|tungstenite|tokio-tungstenite|hf-hub|sentry|opentelemetry|opentelemetry-otlp|tracing-opentelemetry|posthog-rs|segment|rustls|native-tls|openssl|openssl-sys)$'
found=$(cargo tree --workspace -e normal --prefix none --format '{p}' | awk '{print $1}' | sort -u | grep -E "$forbidden" || true)
if [ -n "$found" ]; then
  echo "ERREUR : dépendances réseau interdites dans la construction par défaut :" >&2
  echo "$found" >&2
  exit 1
fi
echo "ok : aucun client HTTP ni crate de télémétrie dans l'arbre des dépendances par défaut."
