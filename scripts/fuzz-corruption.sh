#!/usr/bin/env bash
# Corruption fuzz campaign (issue 9), long mode: seeded corruptions of a real pra archive and
# its manifest (bit flips, byte runs, truncations, insertions, gzip header and trailer edits,
# extra gzip members, zeroed blocks, manifest edits). `pra verify` must reject every one and
# no restore may create its target from any of them.
#
# Usage: scripts/fuzz-corruption.sh [--cases N] [--seed S] [--restore-every K]
#   --cases N          corruptions to try (default 1000; the test suite runs 200)
#   --seed S           seed (default 20261201): the same seed gives the same campaign
#   --restore-every K  also run pra restore on every K-th case (default 10)
#
# Prints the figures (cases tried, caught, time) and exits 1 when one corruption got through.
set -euo pipefail
cases=1000
seed=20261201
every=10
while [ $# -gt 0 ]; do
    case "$1" in
        --cases) cases=${2:?}; shift 2 ;;
        --seed) seed=${2:?}; shift 2 ;;
        --restore-every) every=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.."
report=$(mktemp /tmp/pra-fuzz-XXXXXX.txt)
trap 'rm -f "$report"' EXIT
swift build --build-tests >/dev/null
status=0
PRA_FUZZ_CASES=$cases PRA_FUZZ_SEED=$seed PRA_FUZZ_RESTORE_EVERY=$every PRA_FUZZ_REPORT=$report \
    swift test --skip-build --filter CorruptionFuzzTests >/dev/null 2>&1 || status=$?
cat "$report" 2>/dev/null || echo "the campaign did not finish (swift test exit $status)"
exit $status
