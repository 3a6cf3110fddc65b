#!/usr/bin/env bash
# Checks the AWS templates offline: cfn-lint, checkov, sam validate --lint and the project's own
# template assertions (tests/template, pytest). With --build, also builds the arm64 bootstrap
# binaries the way `sam build` does (cargo lambda, zig as cross-linker).
#
#   ./scripts/check-templates.sh            lint + tests (a few minutes; part of scripts/test.sh)
#   ./scripts/check-templates.sh --build    the same, then `sam build` (long on a cold target/)
#   ./scripts/check-templates.sh --build-only
#
# Tools come from PyPI into separate virtualenvs under .venv-tools/ (aws-sam-cli, checkov and
# cfn-lint pin different versions of the same libraries), pinned in tests/template/requirements-*.txt.
# A virtualenv is rebuilt when its requirements file changes. Nothing else is installed, except the
# aarch64 Rust standard library (rustup) for --build. Needs python3 (3.11+) with venv.
set -euo pipefail
cd "$(dirname "$0")/.."

lint=1
build=0
case "${1:-}" in
  "") ;;
  --build) build=1 ;;
  --build-only) lint=0; build=1 ;;
  *) echo "usage: $0 [--build | --build-only]" >&2; exit 2 ;;
esac

TOOLS=.venv-tools
REQS=tests/template
TEMPLATES=(template.yaml templates/member-account.yaml)
export SAM_CLI_TELEMETRY=0
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" # sam validate wants a Region; no call is made
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in tests/template

step() { printf '\n== %s\n' "$*"; }
timed() {
  local name=$1 start=$SECONDS
  shift
  "$@"
  printf -- '-- %s: %ss\n' "$name" $((SECONDS - start))
}

# venv NAME: .venv-tools/NAME with tests/template/requirements-NAME.txt installed.
venv() {
  local name=$1 dir=$TOOLS/$1 req=$REQS/requirements-$1.txt stamp
  stamp=$(sha256sum "$req" | cut -d' ' -f1)
  if [[ ! -f $dir/.installed ]] || [[ $(cat "$dir/.installed") != "$stamp" ]]; then
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet -r "$req"
    echo "$stamp" >"$dir/.installed"
  fi
}

venvs() { for v in "$@"; do venv "$v"; done; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

if ((lint)); then
  step "tools (.venv-tools/)"
  timed "install or reuse" venvs lint checkov sam
  "$TOOLS/lint/bin/cfn-lint" --version
  echo "checkov $("$TOOLS/checkov/bin/checkov" --version)"
  "$TOOLS/sam/bin/sam" --version

  # The templates as written, plus copies whose parameter defaults take the other branches of the
  # conditions (VPC, existing buckets, organization senders, ...): tests/template/variants.py.
  "$TOOLS/lint/bin/python" tests/template/variants.py "$scratch/variants" >/dev/null
  all=("${TEMPLATES[@]}" "$scratch"/variants/*.yaml)

  step "cfn-lint (errors and warnings fail)"
  timed cfn-lint "$TOOLS/lint/bin/cfn-lint" "${all[@]}"

  step "checkov (every failed check fails; skips are inline, with reasons)"
  checkov_args=()
  for t in "${all[@]}"; do checkov_args+=(-f "$t"); done
  run_checkov() {
    # Exit status 1 means failed checks: the report below decides.
    "$TOOLS/checkov/bin/checkov" "${checkov_args[@]}" --framework cloudformation --skip-download \
      -o json --output-file-path "$scratch/checkov" >/dev/null || [[ $? == 1 ]]
  }
  timed checkov run_checkov
  "$TOOLS/lint/bin/python" - "$scratch/checkov/results_json.json" <<'EOF'
import json, sys
reports = json.load(open(sys.argv[1]))
reports = reports if isinstance(reports, list) else [reports]
total = {k: sum(r["summary"].get(k, 0) for r in reports) for k in ("passed", "failed", "skipped", "parsing_errors")}
for r in reports:
    for c in r["results"].get("failed_checks", []):
        print(f"FAILED {c['check_id']} {c['check_name']}: {c['resource']} ({c['file_path']}:{c['file_line_range'][0]})")
skips = sorted({(c["check_id"], c["resource"].split(".")[-1]) for r in reports for c in r["results"].get("skipped_checks", [])})
for check, resource in skips:
    print(f"  skipped inline: {check} on {resource}")
print(f"checkov: {total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped inline, "
      f"{total['parsing_errors']} parsing errors")
sys.exit(1 if total["failed"] or total["parsing_errors"] or not total["passed"] else 0)
EOF

  step "sam validate --lint"
  timed "sam validate" "$TOOLS/sam/bin/sam" validate --lint --template template.yaml

  step "template assertions (tests/template)"
  timed pytest "$TOOLS/lint/bin/python" -m pytest -q -p no:cacheprovider tests/template
fi

if ((build)); then
  step "sam build: arm64 bootstrap binaries with cargo lambda"
  timed "install or reuse" venvs lambda sam
  rustup target add aarch64-unknown-linux-gnu
  # cargo-lambda and the zig cross-linker (python -m ziglang) come from the lambda virtualenv.
  PATH="$PWD/$TOOLS/lambda/bin:$PATH" timed "sam build" "$TOOLS/sam/bin/sam" build --template template.yaml
  for fn in AlbLogsFunction CloudFrontLogsFunction CloudWatchForwarderFunction KinesisRelayFunction OpenSearchSetupFunction; do
    bin=.aws-sam/build/$fn/bootstrap
    [[ -x $bin ]] || { echo "missing $bin" >&2; exit 1; }
    # ELF header: class 64-bit (byte 4 = 2), machine AArch64 (bytes 18-19 = 0xb7 0x00).
    header=$(od -An -tx1 -j4 -N1 "$bin" | tr -d ' ')$(od -An -tx1 -j18 -N2 "$bin" | tr -d ' ')
    [[ $header == 02b700 ]] || { echo "$bin is not an arm64 ELF ($header)" >&2; exit 1; }
    printf '%s: arm64 ELF, %s bytes\n' "$bin" "$(stat -c %s "$bin")"
  done
fi

step "templates: all checks passed"
