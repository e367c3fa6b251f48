#!/usr/bin/env bash
# The whole test suite: build, typecheck, lint, unit tests, VSIX packaging checks, extension-host
# tests inside a real VS Code, GUI end-to-end tests. Every stage runs even when an earlier one
# failed; the last line totals them all as `N passed, N failed, N skipped`. Exit code 0 only if
# nothing failed. Results and screenshots land in test-results/.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export ONNXRUNTIME_NODE_INSTALL=skip
results="${AUTOGLM_RESULT_DIR:-$PWD/test-results}"
export AUTOGLM_RESULT_DIR="$results"
rm -rf "$results"
mkdir -p "$results/screenshots"

# A stage that is a single check (build, typecheck, lint) records one pass or one failure.
check() {
  local name="$1"; shift
  echo "=== $name: $*"
  if "$@"; then
    printf '{"passed":1,"failed":0,"skipped":0}\n' > "$results/$name.json"
  else
    printf '{"passed":0,"failed":1,"skipped":0,"failures":[{"title":"%s","message":"command failed"}]}\n' "$name" > "$results/$name.json"
  fi
}

# A stage that runs a suite; the suite writes its own counts, and a crash counts as one failure.
suite() {
  local name="$1"; shift
  echo "=== $name: $*"
  AUTOGLM_RESULT_FILE="$results/$name.json" "$@"
  local code=$?
  if [ ! -s "$results/$name.json" ]; then
    printf '{"passed":0,"failed":1,"skipped":0,"failures":[{"title":"%s","message":"suite exited with %s before writing results"}]}\n' "$name" "$code" > "$results/$name.json"
  elif [ "$code" -ne 0 ] && node -e "process.exit(require('$results/$name.json').failed > 0 ? 1 : 0)"; then
    # It reported zero failures but exited non-zero: a crash after the tests, still a failure.
    printf '{"passed":0,"failed":1,"skipped":0,"failures":[{"title":"%s","message":"suite exited with %s"}]}\n' "$name-exit" "$code" > "$results/$name-exit.json"
  fi
}

[ -d node_modules ] || npm ci --no-audit --no-fund
check install-vscode bash tools/vscode/ensure.sh
check build node esbuild.mjs
check typecheck npm run --silent typecheck
check lint npx eslint . --max-warnings 0
suite unit npx mocha --config test/unit/.mocharc.json
# The built-in prompt pack is checked the way a team checks its own pack in CI.
check templates-lint node dist/cli.js templates lint prompts
check templates-test node dist/cli.js templates test prompts
check package node tools/package.mjs --target linux-x64
suite vsix npx mocha --config test/package/.mocharc.json
suite integration npx tsx test/harness/runIntegration.ts
suite e2e npx mocha --config test/e2e/.mocharc.json

node test/harness/summary.mjs "$results"
