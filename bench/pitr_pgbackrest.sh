#!/usr/bin/env bash
# Benchmark: pra's physical backup, point-in-time restore and WAL archiving against pgBackRest,
# side by side on the same data (two scratch PostgreSQL clusters loaded with the same fixture).
#
#   base backup:  pra backup --base                        vs  pgbackrest backup --type=full
#   PITR restore: pra restore --pitr --target-dir D --stop vs  pgbackrest restore --type=default
#                 (latest point, promoted, then stopped)       + pg_ctl start, wait for promotion, pg_ctl stop
#   wal push:     pra wal push FILE (x segments)           vs  pgbackrest archive-push FILE (same files)
#
# The restores replay the WAL of writes made after the last base backups; every restored server
# is started again afterwards (untimed) to check it was promoted and holds those writes.
# Peak RSS of pra wal push is measured in a separate untimed pass over 20 segments.
#
# Both sides compress with gzip level 6 (BACKUP_COMPRESSION_LEVEL=6; compress-type=gz,
# compress-level=6) and pgBackRest runs with process-max=1. Each pair runs alternately (pra,
# pgBackRest, pra, ...) and the best wall time of each side is compared. Peak RSS of pra is
# measured as in backup_restore.sh (VmHWM polled from /proc and GNU time's %M).
#
# Usage: bench/pitr_pgbackrest.sh [--scale N] [--runs N] [--segments N] [--extra-process-max N]
#   --scale N              fixture scale (default 20: ~816 MiB database; 1 is ~52 MB)
#   --runs N               timed runs per side and operation (default 3)
#   --segments N           WAL segments pushed one by one in the wal push comparison (default 100)
#   --extra-process-max N  also one pgBackRest backup and restore with process-max=N, as a
#                          reference outside the bars (default 2; 0 skips it)
#
# Needs pgBackRest: apt-get update && apt-get install -y pgbackrest
# Always exits 0 once the benchmark ran (missed bars are printed as MISSED);
# exits 1 when the setup or a command fails, 2 for a usage error.

set -uo pipefail

scale=20
runs=3
segments=100
extra_pm=2

usage() { sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; }
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"

while [ $# -gt 0 ]; do
    case "$1" in
        --scale) scale=${2:?--scale needs a value}; shift 2 ;;
        --scale=*) scale=${1#*=}; shift ;;
        --runs) runs=${2:?--runs needs a value}; shift 2 ;;
        --runs=*) runs=${1#*=}; shift ;;
        --segments) segments=${2:?--segments needs a value}; shift 2 ;;
        --segments=*) segments=${1#*=}; shift ;;
        --extra-process-max) extra_pm=${2:?--extra-process-max needs a value}; shift 2 ;;
        --extra-process-max=*) extra_pm=${1#*=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

is_number "$scale" || { echo "--scale must be a positive number" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "--runs must be a positive integer" >&2; exit 2; }
[[ $segments =~ ^[1-9][0-9]*$ ]] || { echo "--segments must be a positive integer" >&2; exit 2; }
[[ $extra_pm =~ ^[0-9]+$ ]] || { echo "--extra-process-max must be a non-negative integer" >&2; exit 2; }

script_start=$(date +%s.%N)

# Settings the benchmark controls; nothing inherited may change what pra does.
unset DATABASE_URL PGSERVICE PGSERVICEFILE PGPASSWORD PGPASSFILE PGOPTIONS PGHOST PGPORT PGUSER PGDATABASE \
      APP_HEALTH_URL API_ENDPOINTS CRITICAL_TABLES RESTORE_DB RESTORE_MAINTENANCE_DB REMOTE_TARGET \
      BACKUP_PREFIX BACKUP_RETENTION_DAYS BACKUP_MIN_KEEP BACKUP_TIMEOUT BASE_BACKUP_RETENTION_DAYS \
      BASE_BACKUP_MIN_KEEP ARCHIVE_WAIT_TIMEOUT RECOVERY_TIMEOUT HEALTH_TIMEOUT PG_BIN_DIR \
      SLACK_WEBHOOK ALERT_EMAIL ALERT_ON_SUCCESS
export BACKUP_COMPRESSION_LEVEL=6


# ---------------------------------------------------------------- prerequisites
command -v pgbackrest >/dev/null || {
    echo "error: pgbackrest is not installed. Install it with:" >&2
    echo "    apt-get update && apt-get install -y pgbackrest" >&2
    exit 1
}
for tool in psql setpriv; do
    command -v "$tool" >/dev/null || die "$tool not found in PATH"
done

work=""
pra=""
clusters=()         # cluster directories to remove with pra cluster down
server_user=""
bindir=""
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    local job
    for job in $(jobs -p); do kill "$job" 2>/dev/null; done
    wait 2>/dev/null
    stop_restored_servers
    local dir
    for dir in "${clusters[@]}"; do
        "$pra" cluster down --dir "$dir" >/dev/null 2>&1 \
            || echo "warning: could not remove scratch cluster $dir" >&2
    done
    [ -n "$work" ] && rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


work=$(mktemp -d "${TMPDIR:-/tmp}/pra-pitr-bench.XXXXXX") || die "cannot create a temp directory"
chmod 755 "$work"    # the servers' OS user reaches the repositories and restore targets below it
export REPORT_DIR="$work/reports"
mkdir -p "$REPORT_DIR" "$work/restores" "$work/logs"

# ---------------------------------------------------------------- build
section "building pra (release)"
build_pra "$repo"

# ---------------------------------------------------------------- clusters

# The two clusters: A archives with pra wal push, B with pgbackrest archive-push.
section "starting two scratch clusters (A: pra archiving, B: pgBackRest archiving)"
pra_repo="$work/pra-repo"
start_cluster A --archive-to "$pra_repo" --archive-timeout 60
start_cluster B
server_account "$A_dir"
checkpoint_both() { sql A CHECKPOINT >/dev/null && sql B CHECKPOINT >/dev/null; }

log "   A: $A_dir (port $A_port): archive_command = $(sql A 'SHOW archive_command')"

# pgBackRest: configuration, repository, lock and spool paths under $work, owned by the server user.
pgbr="$work/pgbackrest"
mkdir -p "$pgbr/repo"
write_pgbr_config "repo1-path=$pgbr/repo"
cat >>"$pgbr_conf" <<EOF

[walpush]
pg1-path=$A_data
pg1-socket-path=$A_dir
pg1-port=$A_port
pg1-user=postgres
EOF

section "cluster B: archive_command = pgbackrest archive-push, restart, stanza-create"
archive_b_with_pgbackrest
pgbackrest_pg --stanza=bench check >"$work/logs/check.log" 2>&1 \
    || { cat "$work/logs/check.log" >&2; die "pgbackrest check failed"; }

# Settings that differ between A and B, apart from what locates each server.
settings_query="SELECT name || ' = ' || setting FROM pg_settings
                WHERE source NOT IN ('default', 'override', 'client')
                  AND name NOT IN ('archive_command', 'port', 'unix_socket_directories', 'data_directory',
                                   'config_file', 'hba_file', 'ident_file', 'application_name')
                ORDER BY name"
sql A "$settings_query" >"$work/settings-A"
sql B "$settings_query" >"$work/settings-B"
if diff -q "$work/settings-A" "$work/settings-B" >/dev/null; then
    log "   A and B settings identical apart from archive_command ($(wc -l <"$work/settings-A") non-default settings compared)"
else
    diff "$work/settings-A" "$work/settings-B" >&2
    die "clusters A and B differ in more than archive_command"
fi

# ---------------------------------------------------------------- measuring helpers


# ---------------------------------------------------------------- fixture
db=akig
load_fixture() { # cluster
    local dir_var="${1}_dir" port_var="${1}_port"
    (cd "$work" && PGHOST=${!dir_var} PGPORT=${!port_var} PGUSER=postgres \
        "$pra" fixtures load --scale "$scale" --database "$db" --replace --quiet) \
        || die "pra fixtures load failed on cluster $1"
}
section "loading the akig fixture at scale $scale into A and B (both archive the load's WAL)"
load_fixture A
load_fixture B
log "   database size: A $(sql A "SELECT pg_size_pretty(pg_database_size('$db'))"), B $(sql B "SELECT pg_size_pretty(pg_database_size('$db'))")"
db_bytes=$(sql A "SELECT pg_database_size('$db')")

# pra backup --incremental and pgbackrest check: a WAL switch, then wait until it is archived.
pra_incremental() {
    (cd "$work" && PGHOST=$A_dir PGPORT=$A_port PGUSER=postgres PGDATABASE=$db BACKUP_DIR=$pra_repo \
        "$pra" backup --incremental --quiet) >"$work/logs/incremental.log" 2>&1 \
        || { cat "$work/logs/incremental.log" >&2; die "pra backup --incremental failed"; }
}
pgbr_check() {
    pgbackrest_pg --stanza=bench check >"$work/logs/check.log" 2>&1 \
        || { cat "$work/logs/check.log" >&2; die "pgbackrest check failed"; }
}
section "waiting until both archives hold the load's WAL (pra backup --incremental, pgbackrest check)"
pra_incremental
pgbr_check

# Same data: exact row count and an order-independent hash of every row, per table.
content_query="SELECT 'SELECT * FROM (' || string_agg(format('SELECT %L, count(*), coalesce(sum(hashtext(t::text)::bigint), 0) FROM %I.%I t',
                                        c.relname, n.nspname, c.relname), ' UNION ALL ' ORDER BY c.relname) || ') u ORDER BY 1'
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relkind = 'r' AND n.nspname = 'public'"
section "checking that A and B hold the same data (row counts and row hashes of every table)"
union_a=$(sql A "$content_query" "$db"); union_b=$(sql B "$content_query" "$db")
[ -n "$union_a" ] && [ "$union_a" = "$union_b" ] || die "A and B do not have the same tables"
sql A "$union_a" "$db" >"$work/content-A" & job_a=$!
sql B "$union_b" "$db" >"$work/content-B" & job_b=$!
wait "$job_a" || die "content query failed on A"
wait "$job_b" || die "content query failed on B"
cmp -s "$work/content-A" "$work/content-B" || { diff "$work/content-A" "$work/content-B" >&2; die "A and B hold different data"; }
log "   identical: $(wc -l <"$work/content-A") tables, $(awk -F'|' '{ s += $2 } END { print s }' "$work/content-A") rows"

# ---------------------------------------------------------------- base backup
pra_base() { # logfile; sets run_*
    measure_pra "pra backup --base" "$1" env PGHOST="$A_dir" PGPORT="$A_port" PGUSER=postgres PGDATABASE="$db" \
        BACKUP_DIR="$pra_repo" "$pra" backup --base --quiet --json
}
newest_pgbr_backup() { ls "$pgbr/repo/backup/bench" | grep -E '^[0-9]{8}-[0-9]{6}F$' | sort | tail -n 1; }

section "base backup: pra backup --base vs pgbackrest backup --type=full ($runs runs each, alternating)"
pra_b=(); peer_b=(); pra_b_rss=(); pra_b_max=(); pra_b_cpu=(); peer_b_rss=()
for i in $(seq 1 "$runs"); do
    checkpoint_both
    pra_base "$work/logs/pra-base.$i.log"
    pra_b+=("$run_secs"); pra_b_rss+=("$run_rss_kib"); pra_b_max+=("$run_maxrss_kib"); pra_b_cpu+=("$run_cpu_secs")
    log "   run $i  pra        ${run_secs}s  (pra CPU ${run_cpu_secs}s, peak RSS $(mib "$run_rss_kib") MiB, %M $(mib "$run_maxrss_kib") MiB)"
    checkpoint_both
    measure_pgbr "pgbackrest backup" "$work/logs/pgbr-backup.$i.log" --stanza=bench backup --type=full
    peer_b+=("$run_secs"); peer_b_rss+=("$peer_maxrss_kib")
    log "   run $i  pgBackRest ${run_secs}s  (%M $(mib "$peer_maxrss_kib") MiB)"
done
pra_base_archive=$(ls -t "$pra_repo"/*_backup_base_*.tar.gz | head -n 1)
pra_base_bytes=$(stat -c %s "$pra_base_archive")
pgbr_set=$(newest_pgbr_backup)
[ -n "$pgbr_set" ] || die "no pgBackRest backup in $pgbr/repo/backup/bench"
pgbr_base_bytes=$(dsize "$pgbr/repo/backup/bench/$pgbr_set")
log "   sizes: pra $(bytes_mib "$pra_base_bytes") MiB ($(basename "$pra_base_archive")), pgBackRest $(bytes_mib "$pgbr_base_bytes") MiB ($pgbr_set)"

extra_b=""; extra_b_rss=""
if [ "$extra_pm" -gt 0 ]; then
    checkpoint_both
    measure_pgbr "pgbackrest backup --process-max=$extra_pm" "$work/logs/pgbr-backup.pm.log" \
        --stanza=bench backup --type=full --process-max="$extra_pm"
    extra_b=$run_secs; extra_b_rss=$peer_maxrss_kib
    log "   reference: pgBackRest process-max=$extra_pm ${run_secs}s (%M $(mib "$peer_maxrss_kib") MiB); restores use set $pgbr_set"
fi

# ---------------------------------------------------------------- writes after the base backups
# The same statements on both clusters, then both archives are brought up to date: each
# restore replays the WAL of these writes from its archive.
largest=$(sql A "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY pg_relation_size(c.oid) DESC, c.relname LIMIT 1" "$db")
after_sql="CREATE TABLE bench_after AS SELECT * FROM public.$largest WHERE id % 4 = 0;
           ALTER TABLE bench_after ADD PRIMARY KEY (id);
           UPDATE public.$largest SET id = id WHERE id % 10 = 0;
           CREATE TABLE bench_marker AS SELECT 'pitr-bench'::text AS tag, count(*) AS after_rows, now() AS written_at FROM bench_after;"
section "writes after the base backups on A and B (copy of a quarter of $largest, update of a tenth), then archive"
write_wal() { # cluster -> bytes of WAL the writes produced
    local before
    before=$(sql "$1" "SELECT pg_current_wal_lsn()") || die "cannot read the WAL position of $1"
    sql "$1" "$after_sql" "$db" >/dev/null || die "the writes after the base backup failed on $1"
    sql "$1" "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$before')::bigint"
}
wal_after_a=$(write_wal A); wal_after_b=$(write_wal B)
after_rows=$(sql A "SELECT after_rows FROM bench_marker" "$db")
pra_incremental
pgbr_check
log "   bench_after: $after_rows rows; the writes made $(bytes_mib "$wal_after_a") MiB of WAL on A, $(bytes_mib "$wal_after_b") MiB on B"

# ---------------------------------------------------------------- PITR restore
restore_port=$(( A_port + 7 ))

pra_restore() { # target logfile; sets run_*
    measure_pra "pra restore --pitr" "$2" env PGUSER=postgres PGDATABASE="$db" BACKUP_DIR="$pra_repo" \
        "$pra" restore --pitr --target-dir "$1" --stop --quiet --json
}


expected_state="f|$after_rows|pitr-bench"

section "PITR restore to the latest point, promoted, stopped ($runs runs each, alternating)"
pra_r=(); peer_r=(); pra_r_rss=(); pra_r_max=(); pra_r_cpu=(); peer_r_rss=(); peer_r_only=()
best_restore_log=""; best_restore_secs=""
for i in $(seq 1 "$runs"); do
    target="$work/restores/pra-$i"
    checkpoint_both
    pra_restore "$target" "$work/logs/pra-restore.$i.log"
    pra_r+=("$run_secs"); pra_r_rss+=("$run_rss_kib"); pra_r_max+=("$run_maxrss_kib"); pra_r_cpu+=("$run_cpu_secs")
    if [ -z "$best_restore_secs" ] || le "$run_secs" "$best_restore_secs"; then
        best_restore_secs=$run_secs; best_restore_log="$work/logs/pra-restore.$i.log"
    fi
    line="   run $i  pra        ${run_secs}s  (pra CPU ${run_cpu_secs}s, peak RSS $(mib "$run_rss_kib") MiB, %M $(mib "$run_maxrss_kib") MiB; $(phases_of "$work/logs/pra-restore.$i.log"))"
    tl=$(check_end_state "$target" "pra restore run $i")
    log "$line; checked: promoted, $after_rows rows, timeline $tl"
    rm -rf "$target"

    target="$work/restores/pgbr-$i"
    checkpoint_both
    pgbr_restore "$target" "$work/logs/pgbr-restore.$i.log" --set="$pgbr_set"
    peer_r+=("$run_secs"); peer_r_rss+=("$peer_maxrss_kib"); peer_r_only+=("$pgbr_restore_only")
    tl=$(check_end_state "$target" "pgBackRest restore run $i")
    log "   run $i  pgBackRest ${run_secs}s  (pgbackrest restore ${pgbr_restore_only}s, %M $(mib "$peer_maxrss_kib") MiB; then recovery+promote+stop); checked: promoted, $after_rows rows, timeline $tl"
    rm -rf "$target"
done

extra_r=""
if [ "$extra_pm" -gt 0 ]; then
    target="$work/restores/pgbr-pm"
    checkpoint_both
    pgbr_restore "$target" "$work/logs/pgbr-restore.pm.log" --set="$pgbr_set" --process-max="$extra_pm"
    extra_r=$run_secs
    check_end_state "$target" "pgBackRest restore process-max=$extra_pm" >/dev/null
    log "   reference: pgBackRest process-max=$extra_pm ${run_secs}s (pgbackrest restore ${pgbr_restore_only}s)"
    rm -rf "$target"
fi

# ---------------------------------------------------------------- wal push
# Real segments: WAL written on A by copying rows of the fixture's largest table, archived by
# A's archive_command, then fetched back with pra wal get. pgBackRest's stanza "walpush"
# belongs to A, so archive-push accepts them (it checks the system identifier).
seg_size=$(sql A "SELECT setting::bigint * (CASE unit WHEN '8kB' THEN 8192 WHEN 'MB' THEN 1048576 ELSE 1 END) FROM pg_settings WHERE name = 'wal_segment_size'")
section "generating $segments WAL segments on A ($(bytes_mib $(( (segments + 2) * seg_size ))) MiB of WAL from rows of $largest)"
seg_dir="$work/segments"
mkdir -p "$seg_dir"
lsn0=$(sql A "SELECT pg_current_wal_lsn()")
sql A "CREATE TABLE bench_wal (LIKE public.$largest)" "$db" >/dev/null || die "cannot create bench_wal"
sql A "DO \$\$ BEGIN
         LOOP
           INSERT INTO bench_wal SELECT * FROM public.$largest;
           EXIT WHEN pg_wal_lsn_diff(pg_current_wal_lsn(), '$lsn0') > $(( (segments + 2) * seg_size ));
         END LOOP;
       END \$\$" "$db" >/dev/null || die "generating WAL failed"
pra_incremental
names=$(sql A "SELECT pg_walfile_name('$lsn0'::pg_lsn + (k * $seg_size)::numeric) FROM generate_series(1, $segments) k")
for name in $names; do
    (cd "$work" && "$pra" wal get "$name" "$seg_dir/$name" --backup-dir "$pra_repo" --env-file /dev/null --quiet) \
        || die "pra wal get $name failed"
done
sql A "DROP TABLE bench_wal" "$db" >/dev/null
give_pg "$seg_dir"
seg_files=("$seg_dir"/*)
[ "${#seg_files[@]}" -eq "$segments" ] || die "expected $segments segment files, found ${#seg_files[@]}"
seg_bytes=$(dsize "$seg_dir")
log "   ${#seg_files[@]} segments ${names%%$'\n'*} .. ${names##*$'\n'}, $(bytes_mib "$seg_bytes") MiB"

push_pra() { # destination; sets run_secs
    local t0 t1 f
    mkdir -p "$1" && give_pg "$1"
    t0=$(now)
    for f in "${seg_files[@]}"; do
        (cd "$work" && as_pg "$pra" wal push "$f" --backup-dir "$1" --env-file /dev/null --quiet) \
            || die "pra wal push $f failed"
    done
    t1=$(now)
    run_secs=$(elapsed "$t0" "$t1")
}
push_pgbr() { # repository; sets run_secs
    local t0 t1 f
    mkdir -p "$1" && give_pg "$1"
    pgbackrest_pg --stanza=walpush --repo1-path="$1" stanza-create >"$work/logs/walpush-stanza.log" 2>&1 \
        || { cat "$work/logs/walpush-stanza.log" >&2; die "pgbackrest stanza-create (walpush) failed"; }
    t0=$(now)
    for f in "${seg_files[@]}"; do
        (cd "$work" && as_pg pgbackrest --config="$pgbr_conf" --stanza=walpush --repo1-path="$1" archive-push "$f") \
            || die "pgbackrest archive-push $f failed"
    done
    t1=$(now)
    run_secs=$(elapsed "$t0" "$t1")
}

section "wal push of $segments segments, one process per segment, as $server_user ($runs runs each, alternating; fresh archive per run)"
pra_w=(); peer_w=()
for i in $(seq 1 "$runs"); do
    checkpoint_both
    push_pra "$work/walpush/pra-$i"
    pra_w+=("$run_secs")
    pra_w_bytes=$(dsize "$work/walpush/pra-$i/wal")
    log "   run $i  pra        ${run_secs}s  ($(bytes_mib "$pra_w_bytes") MiB archived)"
    rm -rf "$work/walpush/pra-$i"
    checkpoint_both
    push_pgbr "$work/walpush/pgbr-$i"
    peer_w+=("$run_secs")
    peer_w_bytes=$(dsize "$work/walpush/pgbr-$i/archive")
    log "   run $i  pgBackRest ${run_secs}s  ($(bytes_mib "$peer_w_bytes") MiB archived)"
    rm -rf "$work/walpush/pgbr-$i"
done

# Peak RSS of pra wal push, in a separate untimed pass (polling would slow the timed loop),
# over the first rss_segments segments; and of one pra wal get (recovery's restore_command).
rss_segments=$(( segments < 20 ? segments : 20 ))
section "peak RSS of pra wal push ($rss_segments segments) and pra wal get; reference points"
push_rss=0; push_max=0
mkdir -p "$work/walpush/pra-rss" && give_pg "$work/walpush/pra-rss"
for f in "${seg_files[@]:0:$rss_segments}"; do
    measure_pra "pra wal push" "$work/logs/push-rss.log" "${as_pg_cmd[@]}" "$pra" wal push "$f" \
        --backup-dir "$work/walpush/pra-rss" --env-file /dev/null --quiet
    [ "$run_rss_kib" -gt "$push_rss" ] && push_rss=$run_rss_kib
    [ "$run_maxrss_kib" -gt "$push_max" ] && push_max=$run_maxrss_kib
done
measure_pra "pra wal get" "$work/logs/get-rss.log" "$pra" wal get "$(basename "${seg_files[0]}")" "$work/get-rss.seg" \
    --backup-dir "$pra_repo" --env-file /dev/null --quiet
get_rss=$run_rss_kib; get_max=$run_maxrss_kib
rm -f "$work/get-rss.seg"
mkdir -p "$work/walpush/pgbr-rss" && give_pg "$work/walpush/pgbr-rss"
pgbackrest_pg --stanza=walpush --repo1-path="$work/walpush/pgbr-rss" stanza-create >/dev/null 2>&1 \
    || die "pgbackrest stanza-create (walpush) failed"
measure_pgbr "pgbackrest archive-push" "$work/logs/pgbr-push-rss.log" --stanza=walpush \
    --repo1-path="$work/walpush/pgbr-rss" archive-push "${seg_files[0]}"
peer_push_rss=$peer_maxrss_kib
log "   pra wal push: VmHWM $(mib "$push_rss") MiB, %M $(mib "$push_max") MiB (max over $rss_segments pushes);" \
    "pra wal get: VmHWM $(mib "$get_rss") MiB, %M $(mib "$get_max") MiB; pgbackrest archive-push %M $(mib "$peer_push_rss") MiB"

# Reference points (single runs): what one process start costs, and gzip -6 / SHA-256 of
# the first 10 segments with the stock tools.
ref_n=$(( segments < 10 ? segments : 10 ))
t0=$(now); for i in $(seq 1 20); do "$pra" --version >/dev/null; done; t1=$(now)
ref_pra_start=$(awk -v s="$(elapsed "$t0" "$t1")" 'BEGIN { printf "%.0f", s * 1000 / 20 }')
t0=$(now); for i in $(seq 1 20); do pgbackrest version >/dev/null; done; t1=$(now)
ref_pgbr_start=$(awk -v s="$(elapsed "$t0" "$t1")" 'BEGIN { printf "%.0f", s * 1000 / 20 }')
t0=$(now); for f in "${seg_files[@]:0:$ref_n}"; do gzip -6 -c "$f" >/dev/null; done; t1=$(now)
ref_gzip=$(elapsed "$t0" "$t1")
t0=$(now); for f in "${seg_files[@]:0:$ref_n}"; do sha256sum "$f" >/dev/null; done; t1=$(now)
ref_sha=$(elapsed "$t0" "$t1")
log "   process start: pra --version ${ref_pra_start} ms, pgbackrest version ${ref_pgbr_start} ms;" \
    "first $ref_n segments: gzip -6 ${ref_gzip}s, sha256sum ${ref_sha}s"

# ---------------------------------------------------------------- results
best_pra_b=$(min_of "${pra_b[@]}");  best_peer_b=$(min_of "${peer_b[@]}")
best_pra_r=$(min_of "${pra_r[@]}");  best_peer_r=$(min_of "${peer_r[@]}")
best_pra_w=$(min_of "${pra_w[@]}");  best_peer_w=$(min_of "${peer_w[@]}")
rss_b=$(max_of "${pra_b_rss[@]}" "${pra_b_max[@]}")
rss_r=$(max_of "${pra_r_rss[@]}" "${pra_r_max[@]}")
rss_w=$(max_of "$push_rss" "$push_max")
ratio_b=$(ratio "$best_pra_b" "$best_peer_b")
ratio_r=$(ratio "$best_pra_r" "$best_peer_r")
ratio_w=$(ratio "$best_pra_w" "$best_peer_w")

echo
section "results: scale $scale, database $(bytes_mib "$db_bytes") MiB, best of $runs, $(nproc) CPUs," \
    "$(pgbackrest version), PostgreSQL $(sql A 'SHOW server_version')"
fmt='%-13s %9s %12s %7s %6s %12s %14s\n'
printf "$fmt" operation "pra s" "pgBackRest s" ratio bar "pra RSS MiB" "pgBR %M MiB"
printf "$fmt" "base backup" "$best_pra_b" "$best_peer_b" "$ratio_b" "1.00" "$(mib "$rss_b")" "$(mib "$(max_of "${peer_b_rss[@]}")")"
printf "$fmt" "PITR restore" "$best_pra_r" "$best_peer_r" "$ratio_r" "1.20" "$(mib "$rss_r")" "$(mib "$(max_of "${peer_r_rss[@]}")")"
printf "$fmt" "wal push x$segments" "$best_pra_w" "$best_peer_w" "$ratio_w" "1.00" "$(mib "$rss_w")" "$(mib "$peer_push_rss")"
if [ "$extra_pm" -gt 0 ]; then
    log "reference (one run each, not a bar): pgBackRest process-max=$extra_pm: base backup ${extra_b}s" \
        "(ratio pra/pgBR $(ratio "$best_pra_b" "$extra_b")), PITR restore ${extra_r}s (ratio $(ratio "$best_pra_r" "$extra_r"))"
fi
log "sizes: base backup pra $(bytes_mib "$pra_base_bytes") MiB, pgBackRest $(bytes_mib "$pgbr_base_bytes") MiB;" \
    "$segments segments ($(bytes_mib "$seg_bytes") MiB) archived: pra $(bytes_mib "$pra_w_bytes") MiB, pgBackRest $(bytes_mib "$peer_w_bytes") MiB"
log "pra restore --pitr phases (best run): $(phases_of "$best_restore_log")"
log "wal push per segment (best run): pra $(awk -v s="$best_pra_w" -v n="$segments" 'BEGIN { printf "%.0f", s * 1000 / n }') ms," \
    "pgBackRest $(awk -v s="$best_peer_w" -v n="$segments" 'BEGIN { printf "%.0f", s * 1000 / n }') ms;" \
    "gzip -6 alone $(awk -v s="$ref_gzip" -v n="$ref_n" 'BEGIN { printf "%.0f", s * 1000 / n }') ms, sha256sum alone" \
    "$(awk -v s="$ref_sha" -v n="$ref_n" 'BEGIN { printf "%.0f", s * 1000 / n }') ms; process start: pra ${ref_pra_start} ms, pgBackRest ${ref_pgbr_start} ms"
log "pgbackrest restore alone (before starting the server): ${peer_r_only[*]}"
log "all runs: pra base ${pra_b[*]}; pgBR base ${peer_b[*]}; pra restore ${pra_r[*]}; pgBR restore ${peer_r[*]};" \
    "pra push ${pra_w[*]}; pgBR push ${peer_w[*]}"
log "peak RSS of pra, VmHWM polled [GNU time %M = max of pra and its reaped children]:" \
    "base backup $(mib "$(max_of "${pra_b_rss[@]}")") [$(mib "$(max_of "${pra_b_max[@]}")")]," \
    "PITR restore $(mib "$(max_of "${pra_r_rss[@]}")") [$(mib "$(max_of "${pra_r_max[@]}")")]," \
    "wal push $(mib "$push_rss") [$(mib "$push_max")], wal get $(mib "$get_rss") [$(mib "$get_max")]"

echo
le "$ratio_b" 1.0; verdict "base backup ratio <= 1.00" $? "pra ${best_pra_b}s / pgBackRest ${best_peer_b}s = $ratio_b"
le "$ratio_r" 1.2; verdict "PITR restore ratio <= 1.20" $? "pra ${best_pra_r}s / pgBackRest ${best_peer_r}s = $ratio_r"
le "$ratio_w" 1.0; verdict "wal push ratio <= 1.00" $? "pra ${best_pra_w}s / pgBackRest ${best_peer_w}s = $ratio_w"
for item in "base backup:$rss_b" "PITR restore:$rss_r" "wal push:$rss_w"; do
    awk -v k="${item##*:}" 'BEGIN { exit !(k < 64 * 1024) }'
    verdict "pra peak RSS < 64 MiB: ${item%%:*}" $? "$(mib "${item##*:}") MiB"
done
echo
log "total time $(elapsed "$script_start" "$(now)")s"
exit 0
