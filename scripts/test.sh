#!/usr/bin/env bash
# The test suite: unit tests and integration tests on scratch PostgreSQL clusters, then the
# campaigns of issue 9 in short mode (corruption fuzz inside the suite, kill loop after it).
# Installs missing system packages first (as root) or prints the command to do it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh --tests
swift build --build-tests
# The corruption fuzz runs in its short mode inside the suite (CorruptionFuzzTests, 200 cases);
# long mode: scripts/fuzz-corruption.sh.
swift test "$@"
# Kill-loop campaign, short mode (4 kills per command); long mode: scripts/kill-loop.sh.
if [ $# -eq 0 ]; then
    scripts/kill-loop.sh --rounds 4 --scale 0.05
fi
