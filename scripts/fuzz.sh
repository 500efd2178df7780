#!/usr/bin/env bash
# Fuzzes every reader of untrusted bytes for a bounded time each, then replays the committed
# inputs (seeds and past crashers) with a normal `cargo test`.
#   bash scripts/fuzz.sh [seconds per target, default 60] [target…]
# A crash stops the script; its input is in fuzz/artifacts/<target>/: fix the reader, then
# copy the input to fuzz/regressions/<target>/ so that the replay test keeps it fixed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${1:-60}"
targets=(corpus_reader gguf_metadata e5s1_reader import_text import_markdown import_html import_pdf import_docx import_legi)
if [ "$#" -gt 1 ]; then targets=("${@:2}"); fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
(
  # Only a stable toolchain is installed: cargo-fuzz's flags are accepted with RUSTC_BOOTSTRAP
  # (set only here: it changes every crate's fingerprint, so the replay below must not see it).
  export RUSTC_BOOTSTRAP=1
  cd fuzz
  # The fuzz crate has its own target directory (instrumented builds).
  unset CARGO_TARGET_DIR
  mkdir -p logs
  cargo fuzz build -s none
  for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    cp -n seeds/"$target"/* "corpus/$target/" 2>/dev/null || true
    if [ -d "regressions/$target" ]; then cp -n regressions/"$target"/* "corpus/$target/" 2>/dev/null || true; fi
    echo "== fuzz $target (${seconds} s)"
    cargo fuzz run -s none "$target" "corpus/$target" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 \
      -print_final_stats=1 >"logs/$target.log" 2>&1 || { tail -n 40 "logs/$target.log"; exit 1; }
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|Done [0-9]+ runs" "logs/$target.log" || true
  done
)
echo "== replay of committed fuzz inputs"
cargo test -p vigie-engine --test fuzz_regressions
