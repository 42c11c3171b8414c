#!/usr/bin/env bash
# The main job, until the drill runner lands: on a scratch PostgreSQL, seed the akig fixture,
# then back up → verify → restore → check status, and write the results to reports/.
# Installs missing system packages first (as root) or prints the command to do it.
#   SCALE=0.2 scripts/main-job.sh      (fixture scale; 1 ≈ 50 MB)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
swift build -c release --product pra
pra="$(swift build -c release --show-bin-path)/pra"
scale="${SCALE:-0.2}"
mkdir -p reports
work="$(mktemp -d /tmp/pra-main-job.XXXXXX)"

eval "$("$pra" cluster up)"
cleanup() { "$pra" cluster down --dir "$PRA_CLUSTER_DIR" >/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

export PGDATABASE=akig BACKUP_DIR="$work/backups" REPORT_DIR="$PWD/reports" RESTORE_DB=akig_restore
export CRITICAL_TABLES=users,contracts,properties,tenants,payments,invoices,audit_log
stamp="$(date -u +%Y%m%d_%H%M%S)"
started=$(date +%s)

"$pra" fixtures load --scale "$scale" --database akig
"$pra" backup --full --json > "reports/roundtrip-${stamp}-backup.json"
"$pra" verify --all --json > "reports/roundtrip-${stamp}-verify.json"
"$pra" restore --latest --json > "reports/roundtrip-${stamp}-restore.json"
status_rc=0
"$pra" status --json > "reports/roundtrip-${stamp}-status.json" || status_rc=$?

elapsed=$(( $(date +%s) - started ))
echo "main job: backup → verify → restore → status on a scratch PostgreSQL (scale $scale) finished in ${elapsed}s"
echo "reports: reports/roundtrip-${stamp}-*.json and $(ls -t reports/pra_restore_report_*.txt | head -1)"
exit "$status_rc"
