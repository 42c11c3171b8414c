#!/usr/bin/env bash
# Benchmark: pra restore against gunzip | psql on a database of two large tables (issue 26),
# where parallelism by table alone gains little: one table dominates.
#
#   database: pgbench_accounts (pgbench -i -s SCALE: SCALE x 100,000 rows, its primary key)
#             plus `events`, ROWS rows with a primary key and a second index
#   restore:  pra restore --file A --target-db X     vs  createdb X && gunzip -c A | psql -X -q -v ON_ERROR_STOP=1 -d X
#             (A: one `pra backup --full` archive, gzip; with --compression zstd or lz4, pra restores
#             a second archive of the same database in that codec; each run into a fresh database)
#
# The two sides run alternately (pra, peer, pra, peer, ...); the best wall time of each is
# compared (bar: pra <= 0.75 x gunzip | psql). Also printed: every run, pra's peak RSS (VmHWM
# polled, and GNU time's %M, which folds in psql children) and the restore's peak spill
# (peakSpillBytes of --json) against RESTORE_SPILL_LIMIT.
#
# Usage: bench/two_tables.sh [--scale N] [--rows N] [--runs N] [--spill-limit SIZE] [--jobs N] [--compression C]
#   --scale N          pgbench scale (default 20: 2.0 M accounts, ~300 MB with its index)
#   --rows N           rows of the second table (default 1500000)
#   --runs N           timed runs per side (default 3)
#   --spill-limit SIZE RESTORE_SPILL_LIMIT for pra (default: pra's, 512MiB)
#   --jobs N           PRA_JOBS for pra (default: pra's, the number of CPU cores)
#   --compression C    BACKUP_COMPRESSION of pra's archive: gzip (default), zstd or lz4
#
# Always exits 0 once the benchmark ran (a missed bar is printed as MISSED);
# exits 1 only when the setup itself fails (build, cluster, data, a failing command), 2 on usage.

set -uo pipefail

scale=20
rows=1500000
runs=3
spill_limit=""
jobs=""
compression=gzip

usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; }
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"

while [ $# -gt 0 ]; do
    case "$1" in
        --scale) scale=${2:?--scale needs a value}; shift 2 ;;
        --scale=*) scale=${1#*=}; shift ;;
        --rows) rows=${2:?--rows needs a value}; shift 2 ;;
        --rows=*) rows=${1#*=}; shift ;;
        --runs) runs=${2:?--runs needs a value}; shift 2 ;;
        --runs=*) runs=${1#*=}; shift ;;
        --spill-limit) spill_limit=${2:?--spill-limit needs a value}; shift 2 ;;
        --spill-limit=*) spill_limit=${1#*=}; shift ;;
        --jobs) jobs=${2:?--jobs needs a value}; shift 2 ;;
        --jobs=*) jobs=${1#*=}; shift ;;
        --compression) compression=${2:?--compression needs a value}; shift 2 ;;
        --compression=*) compression=${1#*=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

[[ $scale =~ ^[1-9][0-9]*$ ]] || { echo "--scale must be a positive integer" >&2; exit 2; }
[[ $rows =~ ^[1-9][0-9]*$ ]] || { echo "--rows must be a positive integer" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "--runs must be a positive integer" >&2; exit 2; }
[ -z "$jobs" ] || [[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "--jobs must be a positive integer" >&2; exit 2; }
case $compression in gzip|zstd|lz4) ;; *) echo "--compression must be gzip, zstd or lz4" >&2; exit 2 ;; esac

script_start=$(date +%s.%N)

# Settings the benchmark controls; nothing inherited may change what pra does.
unset DATABASE_URL PGSERVICE PGSERVICEFILE PGPASSWORD PGPASSFILE PGOPTIONS \
      APP_HEALTH_URL API_ENDPOINTS CRITICAL_TABLES RESTORE_DB RESTORE_MAINTENANCE_DB \
      BACKUP_PREFIX BACKUP_RETENTION_DAYS BACKUP_MIN_KEEP BACKUP_TIMEOUT PG_BIN_DIR PRA_JOBS RESTORE_SPILL_LIMIT
export BACKUP_COMPRESSION_LEVEL=6
[ -n "$spill_limit" ] && export RESTORE_SPILL_LIMIT="$spill_limit"
[ -n "$jobs" ] && export PRA_JOBS="$jobs"

work=""
cluster_dir=""
pra=""
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

work=$(mktemp -d "${TMPDIR:-/tmp}/pra-bench.XXXXXX") || die "cannot create a temp directory"
export REPORT_DIR="$work/reports"
mkdir -p "$REPORT_DIR"

# ---------------------------------------------------------------- build
section "building pra (release)"
build_pra "$repo"
for tool in pgbench psql createdb dropdb gunzip; do
    command -v "$tool" >/dev/null || die "$tool not found in PATH"
done

# ---------------------------------------------------------------- cluster
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
log "   $cluster_dir (PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER)"

sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d postgres -c "$1"; }
checkpoint() { sql CHECKPOINT >/dev/null; }
drop_db() { dropdb --if-exists --force "$1" >/dev/null 2>&1 || dropdb --if-exists "$1" >/dev/null; }
before_measure() { checkpoint; }

# ---------------------------------------------------------------- data
db=twotables
section "building $db: pgbench -i -s $scale and events ($rows rows, two indexes)"
createdb "$db" || die "createdb $db failed"
pgbench -i -q -s "$scale" "$db" >"$work/pgbench.log" 2>&1 || { cat "$work/pgbench.log" >&2; die "pgbench -i failed"; }
psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<SQL || die "creating events failed"
CREATE TABLE events (
    id bigint PRIMARY KEY,
    account int NOT NULL,
    kind text NOT NULL,
    amount numeric(12,2) NOT NULL,
    at timestamptz NOT NULL
);
INSERT INTO events
SELECT i, (i * 7919) % ($scale * 100000) + 1, (ARRAY['deposit','withdrawal','transfer','fee'])[i % 4 + 1],
       ((i * 37) % 100000) / 100.0, timestamptz '2026-01-01' + i * interval '1 second'
FROM generate_series(1::bigint, $rows) i;
CREATE INDEX events_account_at ON events (account, at);
VACUUM ANALYZE;
SQL
db_bytes=$(sql "SELECT pg_database_size('$db')")
accounts=$(psql -X -At -d "$db" -c "SELECT count(*) FROM pgbench_accounts")
events=$(psql -X -At -d "$db" -c "SELECT count(*) FROM events")
log "   database size $(bytes_mib "$db_bytes") MiB; pgbench_accounts $accounts rows, events $events rows"

# ---------------------------------------------------------------- backup
section "pra backup --full"
mkdir -p "$work/backups"
measure_pra "pra backup" "$work/backup.log" env PGDATABASE="$db" BACKUP_DIR="$work/backups" "$pra" backup --full --quiet
archive=$(ls "$work"/backups/*.sql.gz 2>/dev/null | head -n 1)
[ -f "$archive" ] || die "pra backup wrote no archive"
log "   ${run_secs}s, $(bytes_mib "$(fsize "$archive")") MiB .gz; $(bytes_mib "$(gunzip -c "$archive" | wc -c)") MiB of SQL"
pra_archive=$archive
if [ "$compression" != gzip ]; then
    mkdir -p "$work/backups-$compression"
    measure_pra "pra backup ($compression)" "$work/backup-$compression.log" env PGDATABASE="$db" BACKUP_DIR="$work/backups-$compression" \
        BACKUP_COMPRESSION="$compression" "$pra" backup --full --quiet
    pra_archive=$(ls "$work/backups-$compression"/*.sql."${compression/zstd/zst}" 2>/dev/null | head -n 1)
    [ -f "$pra_archive" ] || die "pra backup ($compression) wrote no archive"
    log "   ${run_secs}s, $(bytes_mib "$(fsize "$pra_archive")") MiB in $compression: pra restores this one"
fi

# ---------------------------------------------------------------- restore
pra_restore() { # target logfile; sets run_*
    measure_pra "pra restore" "$2" env PGDATABASE="$db" BACKUP_DIR="$work/backups" \
        "$pra" restore --file "$pra_archive" --target-db "$1" --quiet --json
}
peer_restore() { # target; sets run_secs
    local t0 t1
    checkpoint
    t0=$(now)
    { createdb "$1" && gunzip -c "$archive" | psql -X -q -v ON_ERROR_STOP=1 -d "$1" >/dev/null; } \
        || die "createdb + gunzip -c | psql failed"
    t1=$(now)
    run_secs=$(elapsed "$t0" "$t1")
}
# The restore's phases from its --json document ("verify 0.01s load 4.10s ..."), for where the time went.
json_phases() { python3 -c 'import json, sys
text = open(sys.argv[1]).read()
doc = json.loads(text[text.index("{"):])
print(" ".join("%s %.2fs" % (p["name"], p["seconds"]) for p in doc.get("phases", [])))' "$1" 2>/dev/null || echo "n/a"; }
json_field() { sed -n "s/.*\"$2\" *: *\"\{0,1\}\([^,\"}]*\).*/\1/p" "$1" | head -n 1; }

section "restore: pra restore vs gunzip -c | psql ($runs runs each, alternating, fresh databases)"
pra_r=(); peer_r=(); pra_rss=(); pra_max=(); pra_spill=(); pra_conn=()
for i in $(seq 1 "$runs"); do
    drop_db pra_target
    pra_restore pra_target "$work/restore.$i.json"
    spill=$(json_field "$work/restore.$i.json" peakSpillBytes)
    limit=$(json_field "$work/restore.$i.json" spillLimitBytes)
    conn=$(json_field "$work/restore.$i.json" peakConnectionsPerTable)
    [ "$(psql -X -At -d pra_target -c "SELECT count(*) FROM pgbench_accounts")" = "$accounts" ] || die "pra restore: pgbench_accounts row count differs"
    [ "$(psql -X -At -d pra_target -c "SELECT count(*) FROM events")" = "$events" ] || die "pra restore: events row count differs"
    pra_r+=("$run_secs"); pra_rss+=("$run_rss_kib"); pra_max+=("$run_maxrss_kib"); pra_spill+=("${spill:-0}"); pra_conn+=("${conn:-0}")
    log "   run $i  pra  phases: $(json_phases "$work/restore.$i.json")"
    log "   run $i  pra  ${run_secs}s  (peak RSS $(mib "$run_rss_kib") MiB, %M $(mib "$run_maxrss_kib") MiB; peak spill $(bytes_mib "${spill:-0}") MiB of $(bytes_mib "${limit:-0}") MiB; up to ${conn:-?} connections on one table)"
    drop_db pra_target
    drop_db peer_target
    peer_restore peer_target
    peer_r+=("$run_secs")
    log "   run $i  peer ${run_secs}s"
    drop_db peer_target
done

best_pra=$(min_of "${pra_r[@]}"); best_peer=$(min_of "${peer_r[@]}")
r=$(ratio "$best_pra" "$best_peer")
echo
section "results: database $(bytes_mib "$db_bytes") MiB (pgbench scale $scale + events $rows rows), best of $runs, $(nproc) CPUs, PRA_JOBS=${PRA_JOBS:-default}, RESTORE_SPILL_LIMIT=${RESTORE_SPILL_LIMIT:-default}"
log "restore: pra ${best_pra}s, gunzip | psql ${best_peer}s"
log "pra peak RSS $(mib "$(max_of "${pra_rss[@]}")") MiB (VmHWM), $(mib "$(max_of "${pra_max[@]}")") MiB (%M, with psql children); peak spill $(bytes_mib "$(max_of "${pra_spill[@]}")") MiB"
log "all runs: pra ${pra_r[*]}; peer ${peer_r[*]}; connections on one table ${pra_conn[*]}"
log "machine load at the end: $(uptime | sed 's/.*load average/load average/')"
echo
if le "$r" 0.75; then ok=0; else ok=1; fi
verdict "restore ratio <= 0.75" "$ok" "pra ${best_pra}s / gunzip | psql ${best_peer}s = $r"
echo
log "total time $(elapsed "$script_start" "$(now)")s"
exit 0
