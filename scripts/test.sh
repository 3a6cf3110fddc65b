#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh machine, then runs every test.
#   ./scripts/test.sh
# Rust crates come from crates.io through Cargo.lock. Nothing is installed outside the repository
# except Cargo's own download cache.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "toolchain"
cargo --version
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "build binaries (the end-to-end tests run them)"
cargo build --workspace --bins --locked

step "tests"
cargo test --workspace --locked
