#!/usr/bin/env bash
# Benchmark: does the compliance report's RTO projection hold at production size?
#
#   1. the main job's drills (pra drill run scenarios --jobs N, as scripts/main-job.sh)
#   2. one calibration run (pra drill run scenarios/calibration: about 19 and 78 MB, one at a time)
#   3. a database about 30x the calibration fixture (>= 1 GB) on a scratch cluster; its size
#      becomes PRODUCTION_DB_SIZE, and pra report --json projects its restore from 1 and 2
#      (fixed cost + size / throughput, fitted) -- and the backup duration the same way
#   4. that database backed up (pra backup --full, timed) and restored
#      (pra restore --file A --target-db X, timed): the measured figures
#   5. projected vs measured; the bar: the restore within +-25 %
#
# Usage: bench/projection_fidelity.sh [--pra PATH] [--jobs N] [--big-scale N] [--runs N]
#   --pra PATH       use this pra binary (default: build it in release mode)
#   --jobs N         scenarios at a time in the main job's drill (default: as scripts/main-job.sh,
#                    2 per core, at most 8)
#   --big-scale N    fixture scale of the large database (default 52: about 2.4 GB, 30x the
#                    larger calibration fixture at scale 1.5)
#   --runs N         timed restores of the large database (default 2; the bar uses their mean)
#
# Always exits 0 once the benchmark ran (a missed bar is printed as MISSED); exits 1 only when
# the setup itself fails (build, cluster, fixture, a failing command), 2 on a usage error.

set -uo pipefail

jobs=""
big_scale=52
runs=2
pra=""

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"

while [ $# -gt 0 ]; do
    case "$1" in
        --pra) pra=${2:?--pra needs a path}; shift 2 ;;
        --pra=*) pra=${1#*=}; shift ;;
        --jobs) jobs=${2:?--jobs needs a value}; shift 2 ;;
        --jobs=*) jobs=${1#*=}; shift ;;
        --big-scale) big_scale=${2:?--big-scale needs a value}; shift 2 ;;
        --big-scale=*) big_scale=${1#*=}; shift ;;
        --runs) runs=${2:?--runs needs a value}; shift 2 ;;
        --runs=*) runs=${1#*=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
if [ -z "$jobs" ]; then jobs=$(( $(nproc) * 2 )); (( jobs > 8 )) && jobs=8; fi
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "--jobs must be a positive integer" >&2; exit 2; }
is_number "$big_scale" || { echo "--big-scale must be a positive number" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "--runs must be a positive integer" >&2; exit 2; }

script_start=$(date +%s.%N)

# Settings the benchmark controls; nothing inherited may change what pra does.
unset DATABASE_URL PGSERVICE PGSERVICEFILE PGPASSWORD PGPASSFILE PGOPTIONS PGDATABASE \
      APP_HEALTH_URL API_ENDPOINTS CRITICAL_TABLES RESTORE_DB RESTORE_MAINTENANCE_DB REMOTE_TARGET \
      BACKUP_PREFIX BACKUP_RETENTION_DAYS BACKUP_MIN_KEEP BACKUP_TIMEOUT PG_BIN_DIR PRA_JOBS \
      PRODUCTION_DB_SIZE BACKUP_INTERVAL RTO_TARGET RPO_TARGET

work=""
cluster_dir=""
cleanup() {
    local status=$?
    local job
    for job in $(jobs -p); do kill "$job" 2>/dev/null; done
    wait 2>/dev/null
    if [ -n "$cluster_dir" ] && [ -n "$pra" ]; then
        "$pra" cluster down --dir "$cluster_dir" >/dev/null 2>&1 \
            || echo "warning: could not remove scratch cluster $cluster_dir" >&2
    fi
    [ -n "$work" ] && rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

work=$(mktemp -d "${TMPDIR:-/tmp}/pra-fidelity.XXXXXX") || die "cannot create a temp directory"
export REPORT_DIR="$work/reports"
mkdir -p "$REPORT_DIR" "$work/logs"
history="$REPORT_DIR/history.jsonl"
calibration="$REPORT_DIR/calibration.jsonl"

if [ -n "$pra" ]; then
    [ -x "$pra" ] || die "no pra binary at $pra"
else
    section "building pra (release)"
    build_pra "$repo"
fi
command -v python3 >/dev/null || die "python3 not found (it reads pra report --json)"
log "   pra: $pra; load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- 1 and 2: the drills
section "the main job's drills: pra drill run scenarios --jobs $jobs"
(cd "$repo" && "$pra" drill run scenarios --jobs "$jobs" --env-file /dev/null --quiet \
    --history "$history" --junit "$work/junit.xml" --json "$work/drill.json") >"$work/logs/main.log" 2>&1
main_rc=$?
[ -s "$history" ] || { tail -n 30 "$work/logs/main.log" >&2; die "the main job wrote no history"; }
log "   exit $main_rc ($( [ $main_rc -eq 0 ] && echo 'every scenario passed' || echo 'a scenario failed: its restore is left out of the fit' ))"

section "the calibration run: pra drill run scenarios/calibration"
(cd "$repo" && "$pra" drill run scenarios/calibration --env-file /dev/null --quiet \
    --history "$calibration" --junit "$work/calibration-junit.xml" --json "$work/calibration.json") >"$work/logs/calibration.log" 2>&1 \
    || { tail -n 30 "$work/logs/calibration.log" >&2; die "the calibration run failed"; }

# Restores measured in a history: "size_bytes seconds name", one per line (as the report reads them).
restores_of() {
    python3 - "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    try:
        run = json.loads(line)
    except ValueError:
        continue
    for s in run.get("scenarios", []):
        rate = ((s.get("measurement") or {}).get("projections") or {}).get("restoreBytesPerSecond")
        steps = sorted(s.get("steps", []), key=lambda st: st["index"])
        disaster = next((st for st in steps if st["kind"] == "disaster"), None)
        if s.get("verdict") != "passed" or not rate or not disaster:
            continue
        step = next((st for st in steps if st["index"] > disaster["index"] and st["kind"] == "restore" and st.get("exitCode") == 0), None)
        if step:
            print("%.0f %.3f %s" % (rate * step["seconds"], step["seconds"], s["name"]))
PY
}
restores_of "$history" >"$work/drill-restores.txt"
restores_of "$calibration" >"$work/calibration-restores.txt"
[ -s "$work/calibration-restores.txt" ] || die "the calibration run measured no restore"
log "   drill restores: $(wc -l <"$work/drill-restores.txt") from $(awk '{ print $1 }' "$work/drill-restores.txt" | sort -n | head -n 1 | xargs -I{} awk -v b={} 'BEGIN { printf "%.1f", b / 1048576 }') to $(awk '{ print $1 }' "$work/drill-restores.txt" | sort -n | tail -n 1 | xargs -I{} awk -v b={} 'BEGIN { printf "%.1f", b / 1048576 }') MiB"
while read -r bytes secs name; do log "   calibration restore: $(bytes_mib "$bytes") MiB in ${secs} s ($name)"; done <"$work/calibration-restores.txt"
read -r calibration_bytes _ < <(sort -n "$work/calibration-restores.txt" | tail -n 1)

# ---------------------------------------------------------------- 3: the large database
section "starting a scratch cluster"
"$pra" cluster up >"$work/cluster.env" 2>"$work/cluster.err" \
    || { cat "$work/cluster.err" >&2; die "pra cluster up failed"; }
while read -r word assignment; do
    [ "$word" = export ] || continue
    key=${assignment%%=*}
    value=${assignment#*=}
    case "$key" in
        PGHOST|PGPORT|PGUSER) export "$key=$value" ;;
        PRA_CLUSTER_DIR) cluster_dir=$value ;;
    esac
done <"$work/cluster.env"
[ -n "$cluster_dir" ] || die "pra cluster up printed no PRA_CLUSTER_DIR"
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d postgres -c "$1"; }

section "loading the akig fixture at scale $big_scale (the 'production' database)"
(cd "$repo" && "$pra" fixtures load --scale "$big_scale" --database akig_big --replace --quiet --env-file /dev/null) \
    || die "pra fixtures load failed"
big_bytes=$(sql "SELECT pg_database_size('akig_big')")
log "   database size: $(bytes_mib "$big_bytes") MiB ($big_bytes bytes): $(ratio "$big_bytes" "$calibration_bytes")x the calibration fixture"

section "projection: PRODUCTION_DB_SIZE=$big_bytes pra report --json"
(cd "$work" && PRODUCTION_DB_SIZE="$big_bytes" "$pra" report --json --env-file /dev/null --history "$history" \
    --calibration "$calibration" --scenarios "$repo/scenarios" --html "$work/compliance.html" --markdown "$work/compliance.md") \
    >"$work/report.json" 2>"$work/logs/report.err"
[ -s "$work/report.json" ] || { cat "$work/logs/report.err" >&2; die "pra report --json printed nothing"; }
read -r projected low high old_model backup_projected status fixed rate count aside <<<"$(python3 - "$work/report.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))["report"]
model = doc["restoreModel"]
named = doc.get("rtoProjection") or {}
p = named.get("projection") or {}
inputs = p.get("inputs") or {}
overhead = max(0.0, inputs.get("recoveryOverheadSeconds") or 0.0)
restore = p.get("projectedRestoreSeconds")
low = p.get("projectedRTOLowSeconds")
high = p.get("projectedRTOHighSeconds")
size = inputs.get("productionBytes") or 0
rate = inputs.get("restoreBytesPerSecond")
old = size / rate if rate else None
# The backup schedule's projection (the RPO one may be continuous archiving's, with no backup).
backup = ((doc.get("scheduleProjection") or {}).get("projection") or {}).get("backupSeconds")
fmt = lambda v: "-" if v is None else "%.2f" % v
print(fmt(restore), fmt(None if low is None else low - overhead), fmt(None if high is None else high - overhead), fmt(old), fmt(backup),
      model["status"].replace(" ", "_"), fmt(model.get("fixedSeconds")),
      "-" if not model.get("secondsPerByte") else "%.1f" % (1 / model["secondsPerByte"] / 1048576), model["measurementCount"], model.get("setAsideShared", 0))
PY
)"
log "   restore model: $status over $count restores: fixed ${fixed} s + size / ${rate} MiB/s ($aside timed beside other scenarios set aside)"
log "   projected restore: ${projected} s (likely ${low} to ${high} s); the old throughput-only model: ${old_model} s"
log "   projected backup: ${backup_projected} s"

# ---------------------------------------------------------------- 4: the measurement
mkdir -p "$work/backups"
export BACKUP_DIR="$work/backups" PGDATABASE=akig_big
section "measured: pra backup --full of akig_big"
sql CHECKPOINT >/dev/null
t0=$(now)
(cd "$work" && "$pra" backup --full --quiet --env-file /dev/null) >"$work/logs/backup.log" 2>&1 \
    || { cat "$work/logs/backup.log" >&2; die "pra backup failed"; }
backup_secs=$(elapsed "$t0" "$(now)")
archive=$(ls "$work"/backups/*_backup_full_*.sql.gz | head -n 1)
log "   ${backup_secs} s ($(bytes_mib "$(fsize "$archive")") MiB archive)"

restore_times=()
for i in $(seq 1 "$runs"); do
    section "measured: pra restore --file ... --target-db akig_big_restore (run $i of $runs)"
    sql "DROP DATABASE IF EXISTS akig_big_restore WITH (FORCE)" >/dev/null
    sql CHECKPOINT >/dev/null
    t0=$(now)
    (cd "$work" && "$pra" restore --file "$archive" --target-db akig_big_restore --force --quiet --env-file /dev/null) \
        >"$work/logs/restore-$i.log" 2>&1 || { cat "$work/logs/restore-$i.log" >&2; die "pra restore failed"; }
    restore_times+=("$(elapsed "$t0" "$(now)")")
    log "   ${restore_times[-1]} s"
done
measured=$(printf '%s\n' "${restore_times[@]}" | awk '{ s += $1 } END { printf "%.2f", s / NR }')

# ---------------------------------------------------------------- 5: the verdict
section "projected vs measured at $(bytes_mib "$big_bytes") MiB"
error_of() { awk -v p="$1" -v m="$2" 'BEGIN { if (p == "-" || m <= 0) print "n/a"; else printf "%+.1f", (p - m) / m * 100 }'; }
restore_error=$(error_of "$projected" "$measured")
printf '%-34s %12s %12s %10s\n' "" "projected s" "measured s" "error %"
printf '%-34s %12s %12s %10s\n' "restore (model: $status)" "$projected" "$measured" "$restore_error"
printf '%-34s %12s %12s %10s\n' "restore (old throughput-only)" "$old_model" "$measured" "$(error_of "$old_model" "$measured")"
printf '%-34s %12s %12s %10s\n' "backup (fitted or scaled)" "$backup_projected" "$backup_secs" "$(error_of "$backup_projected" "$backup_secs")"
log "restore runs: ${restore_times[*]}; projection interval ${low} to ${high} s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
ok=1
[ "$restore_error" != n/a ] && le "${restore_error#[+-]}" 25 && ok=0
verdict "restore projected within +-25 %" "$ok" "projected $projected s, measured $measured s ($restore_error %)"
exit 0
