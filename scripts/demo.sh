#!/usr/bin/env bash
# Sets up the machine, builds Vigie (the same build as the tests and the app), builds the indexes of the default corpus
# with the default embedding model, and answers a question with the default generation model,
# citing the articles it relies on.
#   bash scripts/demo.sh ["question"]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# shellcheck source=/dev/null  # rustup's environment, outside the repository
if [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi
cargo build -p vigie-cli
default_question="Un passager refuse un examen radiologique alors qu'on le soupçonne de transporter des stupéfiants : que prévoit le code ?"
question="${1:-$default_question}"
./target/debug/vigie index
./target/debug/vigie ask "$question"
