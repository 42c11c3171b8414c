#!/usr/bin/env bash
# The test suite: unit tests and integration tests on scratch PostgreSQL clusters.
# Installs missing system packages first (as root) or prints the command to do it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh --tests
swift build --build-tests
swift test "$@"
