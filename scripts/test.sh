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
# Count swift-testing's per-test result lines. A test that failed before it ran (a missing
# prerequisite under PRA_TEST_REQUIRE_ALL) only "recorded an issue"; a test that started and never
# finished (the test process crashed) counts as failed too.
awk '
    function name(line, start,   rest, end) {
        rest = substr(line, start)
        end = index(rest, "\" ")
        return end ? substr(rest, 1, end - 1) : rest
    }
    /^[^ ]+ Test "/ {
        start = index($0, "Test \"") + 6
        n = name($0, start)
        if ($0 ~ /" started\.$/) { started[n]++ }
        else if ($0 ~ /" (with [0-9]+ test cases? )?passed after /) { passed++; done[n]++ }
        else if ($0 ~ /" (with [0-9]+ test cases? )?failed after /) { failed++; done[n]++; failedNames[n] = 1 }
        else if ($0 ~ /" skipped/) { skipped++; done[n]++ }
        else if ($0 ~ /" recorded an issue/) { issue[n] = 1 }
    }
    # swift-testing'"'"'s own summary: present only when the test process ran to its end.
    /^[^ ]+ Test run with [0-9]+ tests? .* passed after / { runPassed = 1 }
    END {
        for (n in issue) if (!(n in done)) { failed++; done[n]++ }
        for (n in started) if (started[n] > done[n]) unfinished += started[n] - done[n]
        # A test that started and has no result line crashed the process, unless the run'"'"'s summary
        # says every test passed: then only its result line is missing from the output.
        if (unfinished > 0 && runPassed) {
            printf "note: %d result line(s) missing from the output; the run'"'"'s summary says every test passed\n", unfinished
            passed += unfinished
        } else {
            failed += unfinished
        }
        printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped
    }
' "$output"
exit "$status"
