#!/usr/bin/env bash
# The main job: run the drill catalogue (scenarios/) on scratch PostgreSQL clusters — backups,
# injected failures, disasters, restores — measure RTO/RPO against the targets and write
# reports/junit.xml, reports/drill-<stamp>.json, a line in reports/history.jsonl and the
# compliance report (reports/compliance.html and .md).
# Installs missing system packages first (as root) or prints the command to do it.
# Extra arguments go to `pra drill run` (e.g. --only baseline-drop-database --keep).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
swift build -c release --product pra
pra="$(swift build -c release --show-bin-path)/pra"
mkdir -p reports
# Scenarios mostly wait (timeouts, archive_timeout, the steps' own sleeps): two per core, at
# most 8, each on its own cluster, run the catalogue in about a minute (bench/budgets.sh).
jobs=$(( $(nproc) * 2 )); (( jobs > 8 )) && jobs=8
exec "$pra" drill run scenarios --report --env-file /dev/null --jobs "$jobs" "$@"
