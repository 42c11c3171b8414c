#!/usr/bin/env bash
# The test suite: unit tests and integration tests on scratch PostgreSQL clusters, then the
# campaigns in short mode (corruption fuzz inside the suite, kill loop and hostile inputs after it).
# Installs missing system packages first (as root) or prints the command to do it.
# Arguments go to `swift test` (for example --filter, --parallel). The last line printed is
# "N passed, N failed, N skipped"; the exit code is swift test's own.
# PRA_TEST_REQUIRE_ALL=1 (set by .ci/run) turns a test whose prerequisite is missing from a skip
# into a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh --tests
swift build --build-tests
output=$(mktemp "${TMPDIR:-/tmp}/pra-test-output.XXXXXX")
trap 'rm -f "$output"' EXIT
# swift test writes to a regular file (a pipe to tee lost result lines under load, when writes
# met a full pipe); tail -f shows it live.
tail -n +1 -f "$output" &
tailer=$!
# The corruption fuzz runs in its short mode inside the suite (CorruptionFuzzTests, 200 cases);
# long mode: scripts/fuzz-corruption.sh.
set +e
swift test --skip-build "$@" >"$output" 2>&1
status=$?
set -e
sleep 1
kill "$tailer" 2>/dev/null || true
wait "$tailer" 2>/dev/null || true
# Kill-loop campaign, short mode (4 kills per command), on a full run; long mode: scripts/kill-loop.sh.
if [ $# -eq 0 ]; then
    scripts/kill-loop.sh --rounds 4 --scale 0.05 || status=1
    # Hostile-input campaign, quick mode (about 60 cases: dumps, plain SQL, forged base backups);
    # full mode (more than 1,000 cases): scripts/fuzz-hostile.sh.
    scripts/fuzz-hostile.sh --quick --pra "$(swift build --show-bin-path)/pra" || status=1
fi
# Count swift-testing's per-test result lines (quoted display names and bare function names alike).
awk -f scripts/test-summary.awk "$output"
exit "$status"
