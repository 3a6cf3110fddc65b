#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh machine, then runs every test.
#   ./scripts/test.sh
# Rust crates come from crates.io through Cargo.lock. Python tools come from PyPI at pinned versions
# into .venv/ in the repository (reused when present): moto_server, an AWS API emulator, and
# cargo-lambda, whose `cargo lambda watch` serves the Lambda Runtime API. Nothing is installed
# outside the repository except Cargo's and pip's download caches.
#
# The end-to-end tests against the emulator only talk to 127.0.0.1. Every background process this
# script starts (moto_server; cargo lambda watch and the functions, which the tests start and stop
# themselves) is stopped when it exits, whether the tests pass or not.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

MOTO_VERSION=5.2.5
CARGO_LAMBDA_VERSION=1.9.2

started=$(date +%s)
step() { printf '\n== %s  [%ss]\n' "$*" "$(($(date +%s) - started))"; }

# Scratch space and clean-up of background processes.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/logpipe-test.XXXXXX")
mkdir -p "$scratch/pids"
moto_pid=
cleanup() {
    local status=$?
    # Process groups the emulator tests started and could not stop (e.g. the test process was killed).
    for f in "$scratch"/pids/*; do
        [ -e "$f" ] || continue
        kill -TERM -- "-${f##*/}" 2>/dev/null || true
    done
    if [ -n "$moto_pid" ] && kill -0 "$moto_pid" 2>/dev/null; then
        kill -TERM "$moto_pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$moto_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$moto_pid" 2>/dev/null || true
        wait "$moto_pid" 2>/dev/null || true
    fi
    rm -rf "$scratch"
    printf '\n== %s after %ss\n' "$([ "$status" -eq 0 ] && echo passed || echo "FAILED (exit $status)")" \
        "$(($(date +%s) - started))"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "toolchain"
cargo --version
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "python tools in .venv: moto[server]==$MOTO_VERSION, cargo-lambda==$CARGO_LAMBDA_VERSION"
want="moto[server]==$MOTO_VERSION cargo-lambda==$CARGO_LAMBDA_VERSION"
if [ ! -x .venv/bin/python ]; then
    "${PYTHON:-python3}" -m venv .venv
fi
# A stamp records what was installed, so a second run does not ask PyPI again.
if [ "$(cat .venv/.logpipe-tools 2>/dev/null)" != "$want" ]; then
    # shellcheck disable=SC2086 # two requirements, split on purpose
    .venv/bin/python -m pip install --quiet --disable-pip-version-check $want
    echo "$want" >.venv/.logpipe-tools
fi
export PATH="$ROOT/.venv/bin:$PATH"
.venv/bin/python -c 'import moto; print("moto", moto.__version__)'
cargo lambda -V

step "format"
cargo fmt --all -- --check

step "lint (all features: the emulator tests too)"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

step "build binaries (the end-to-end tests run them)"
cargo build --workspace --bins --locked

step "tests"
cargo test --workspace --locked

step "build the function binaries as \`cargo lambda watch\` runs them (cargo run --bin <function>)"
# `--bin` resolves features for the function crates alone, unlike `--workspace` above, so this is
# the build watch would otherwise make on the first invocation of each function.
cargo build --locked --bin s3-access-logs --bin cloudwatch-forwarder --bin kinesis-relay

step "AWS templates: cfn-lint, checkov, sam validate --lint, template assertions (tools in .venv-tools/)"
./scripts/check-templates.sh

step "moto_server on 127.0.0.1"
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
.venv/bin/moto_server -H 127.0.0.1 -p "$port" >"$scratch/moto.log" 2>&1 &
moto_pid=$!
for i in $(seq 1 60); do
    if .venv/bin/python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/moto-api/', timeout=2)" \
        2>/dev/null; then
        echo "moto_server (pid $moto_pid) answers on 127.0.0.1:$port"
        break
    fi
    if ! kill -0 "$moto_pid" 2>/dev/null || [ "$i" -eq 60 ]; then
        echo "moto_server did not start:" >&2
        cat "$scratch/moto.log" >&2
        exit 1
    fi
    sleep 0.5
done

step "end-to-end tests against moto and the Lambda Runtime API (cargo lambda watch)"
env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_DEFAULT_REGION \
    AWS_ENDPOINT_URL="http://127.0.0.1:$port" \
    AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 \
    AWS_EC2_METADATA_DISABLED=true \
    LOGPIPE_E2E_FIGURES="$scratch/figures.ndjson" LOGPIPE_E2E_PIDS="$scratch/pids" \
    cargo test -p logpipe-e2e --features emulator --locked --test emulator_pipeline --test emulator_lambda

step "figures of the end-to-end tests (one JSON line per test)"
cat "$scratch/figures.ndjson"
