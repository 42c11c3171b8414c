#!/usr/bin/env bash
# Benchmark at scale (issue 26): pra against its peers and the physical limits on a >= 5 GB
# database, one run of each command, side by side, on one scratch PostgreSQL.
#
#   logical:     pra backup --full (gzip 6, zstd, lz4: BACKUP_COMPRESSION)  vs  pg_dump | gzip -6 > f,
#                pg_dump | pigz -6 -pJ > f, pg_dump -Fd -jJ;  limit: pg_dump > /dev/null
#                pra restore of the gzip and the zstd dump (fresh database)  vs  pg_restore -jJ of
#                the -Fd dump, gunzip -c | psql
#   physical:    pra backup --base with BASE_BACKUP_COMPRESSION=gzip, lz4, zstd  vs
#                pgbackrest backup --type=full with compress-type=gz, lz4, zst (process-max=J);
#                limit: pg_basebackup -Ft -D - -X none > /dev/null
#                pra restore --pitr --target-dir D --stop  vs  pgbackrest restore + start,
#                replay, promotion, stop (both from their newest backup of the same codec)
#   incremental: after changing ~5 % of pgbench_accounts, pra backup --base --incremental-from
#                newest  vs  the full base backup of the same codec (time and size)
#   limits:      the disk's sequential write and read speed (dd, 2 GiB, direct I/O), and the
#                pg_dump / pg_basebackup limits above
# Each command: wall clock, peak RSS (GNU time %M of every process; pra also VmHWM polled),
# peak disk space (du of its output / working / scratch directories every 0.5 s, above what
# they held at the start). Prints the bars of issue 26 and a markdown table.
#
# Usage: bench/scale.sh [--scale N] [--akig-scale N] [--jobs N] [--keep DIR | --reuse DIR]
#                       [--only logical|physical|incremental|limits] [--spill-limit SIZE]
#                       [--base-read auto|local|stream] [--pra PATH]
#   --scale N         pgbench scale (default 300: ~4.4 GB)
#   --akig-scale N    akig fixture scale, loaded into the same database (default 20: ~0.8 GB)
#   --jobs N          PRA_JOBS, pgBackRest process-max, pg_dump/pg_restore -j, pigz -p (default 2)
#   --keep DIR        after the run, leave the loaded cluster stopped at DIR (must not exist)
#   --reuse DIR       use the cluster a --keep run left at DIR (no load; left stopped there)
#   --only SECTION    run one section (limits: dd, pg_dump and pg_basebackup to /dev/null)
#   --spill-limit S   RESTORE_SPILL_LIMIT for pra restore, when the build has it (default 512MiB)
#   --base-read MODE  BASE_BACKUP_READ for pra's base backups (default: pra's own, auto: an
#                     incremental reads the data directory, a full one streams pg_basebackup)
#   --pra PATH        this pra binary instead of a release build of the worktree (a debug
#                     build is fine for trying the script, not for the figures)
#
# Needs pgbackrest, pgbench, pigz (its row is skipped without it), GNU time (/usr/bin/time).
# Exits 0 once the benchmark ran (missed bars are printed as MISSED); 1 when the setup or a
# command fails; 2 for a usage error.

set -uo pipefail

scale=300
akig_scale=20
jobs=2
keep=""
reuse=""
only=""
spill_limit=512MiB
base_read=""
pra=""

usage() { sed -n '2,38p' "$0" | sed 's/^# \{0,1\}//'; }
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"

while [ $# -gt 0 ]; do
    case "$1" in
        --scale) scale=${2:?--scale needs a value}; shift 2 ;;
        --scale=*) scale=${1#*=}; shift ;;
        --akig-scale) akig_scale=${2:?--akig-scale needs a value}; shift 2 ;;
        --akig-scale=*) akig_scale=${1#*=}; shift ;;
        --jobs) jobs=${2:?--jobs needs a value}; shift 2 ;;
        --jobs=*) jobs=${1#*=}; shift ;;
        --keep) keep=${2:?--keep needs a directory}; shift 2 ;;
        --keep=*) keep=${1#*=}; shift ;;
        --reuse) reuse=${2:?--reuse needs a directory}; shift 2 ;;
        --reuse=*) reuse=${1#*=}; shift ;;
        --only) only=${2:?--only needs a value}; shift 2 ;;
        --only=*) only=${1#*=}; shift ;;
        --spill-limit) spill_limit=${2:?--spill-limit needs a value}; shift 2 ;;
        --spill-limit=*) spill_limit=${1#*=}; shift ;;
        --base-read) base_read=${2:?--base-read needs a value}; shift 2 ;;
        --base-read=*) base_read=${1#*=}; shift ;;
        --pra) pra=${2:?--pra needs a path}; shift 2 ;;
        --pra=*) pra=${1#*=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

usage_error() { echo "$*" >&2; exit 2; }
[[ $scale =~ ^[1-9][0-9]*$ ]] || usage_error "--scale must be a positive integer (pgbench scale)"
is_number "$akig_scale" || usage_error "--akig-scale must be a positive number"
[[ $jobs =~ ^[1-9][0-9]*$ ]] || usage_error "--jobs must be a positive integer"
case "$base_read" in ""|auto|local|stream) ;; *) usage_error "--base-read takes auto, local or stream" ;; esac
case "$only" in ""|logical|physical|incremental|limits) ;; *) usage_error "--only takes logical, physical, incremental or limits" ;; esac
[ -n "$keep" ] && [ -n "$reuse" ] && usage_error "--keep and --reuse exclude each other (a reused cluster is left where it is)"
if [ -n "$keep" ]; then
    [[ $keep = /* ]] || keep="$PWD/$keep"
    [ -e "$keep" ] && usage_error "--keep $keep: it exists (remove it, or --reuse it)"
    [ -d "$(dirname "$keep")" ] || usage_error "--keep $keep: no directory $(dirname "$keep")"
fi
if [ -n "$reuse" ]; then
    [[ $reuse = /* ]] || reuse="$PWD/$reuse"
    [ -f "$reuse/pra-cluster.json" ] && [ -f "$reuse/bench-scale.info" ] \
        || usage_error "--reuse $reuse: not a cluster left by bench/scale.sh --keep (no pra-cluster.json / bench-scale.info)"
fi
[[ $spill_limit =~ ^[0-9]+([KMGT]i?B?)?$ ]] || usage_error "--spill-limit takes a byte size such as 512MiB"
# RESTORE_SPILL_LIMIT as bytes, for the bar.
spill_limit_bytes=$(awk -v s="$spill_limit" 'BEGIN {
    n = s + 0; u = substr(s, length(n "") + 1); c = substr(u, 1, 1)
    m = 1; if (c == "K") m = 1024; if (c == "M") m = 1048576; if (c == "G") m = 1073741824; if (c == "T") m = 1099511627776
    printf "%.0f", n * m }')

want() { [ -z "$only" ] || [ "$only" = "$1" ]; }

script_start=$(date +%s.%N)

# Settings the benchmark controls; nothing inherited may change what pra does.
unset DATABASE_URL PGSERVICE PGSERVICEFILE PGPASSWORD PGPASSFILE PGOPTIONS PGHOST PGPORT PGUSER PGDATABASE \
      APP_HEALTH_URL API_ENDPOINTS CRITICAL_TABLES RESTORE_DB RESTORE_MAINTENANCE_DB REMOTE_TARGET \
      BACKUP_PREFIX BACKUP_RETENTION_DAYS BACKUP_MIN_KEEP BACKUP_TIMEOUT BASE_BACKUP_RETENTION_DAYS \
      BASE_BACKUP_MIN_KEEP ARCHIVE_WAIT_TIMEOUT RECOVERY_TIMEOUT HEALTH_TIMEOUT PG_BIN_DIR \
      SLACK_WEBHOOK ALERT_EMAIL ALERT_ON_SUCCESS BASE_BACKUP_COMPRESSION WAL_COMPRESSION \
      RESTORE_SPILL_LIMIT BACKUP_COMPRESSION_LEVEL BACKUP_COMPRESSION
export PRA_JOBS=$jobs

# ---------------------------------------------------------------- prerequisites
command -v pgbackrest >/dev/null || {
    echo "error: pgbackrest is not installed. Install it with:" >&2
    echo "    apt-get update && apt-get install -y pgbackrest" >&2
    exit 1
}
for tool in psql pg_dump pg_restore pg_basebackup pgbench createdb dropdb gzip gunzip dd setpriv du; do
    command -v "$tool" >/dev/null || die "$tool not found in PATH"
done
[ -n "$gnu_time" ] || die "GNU time (/usr/bin/time) is needed for the peers' peak RSS (apt-get install time)"
have_pigz=""
command -v pigz >/dev/null && have_pigz=1

work=""
clusters=()         # cluster directories to remove with pra cluster down (a fresh, not kept one)
server_user=""
bindir=""
S_dir=""
built=""            # set once the database is loaded (or reused): --keep keeps it from then on
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    local job dir
    for job in $(jobs -p); do kill "$job" 2>/dev/null; done
    wait 2>/dev/null
    stop_restored_servers
    if [ -n "$S_dir" ] && { [ -n "$reuse" ] || { [ -n "$keep" ] && [ -n "$built" ]; }; }; then
        leave_cluster
    fi
    for dir in "${clusters[@]}"; do
        "$pra" cluster down --dir "$dir" >/dev/null 2>&1 \
            || echo "warning: could not remove scratch cluster $dir" >&2
    done
    [ -n "$work" ] && rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

work=$(mktemp -d "${TMPDIR:-/tmp}/pra-scale-bench.XXXXXX") || die "cannot create a temp directory"
chmod 755 "$work"    # the servers' OS user reaches the repositories and restore targets below it
export REPORT_DIR="$work/reports"
mkdir -p "$REPORT_DIR" "$work/restores" "$work/logs" "$work/spill"
[[ $work =~ ^[A-Za-z0-9/._-]+$ ]] || die "the temp directory $work has characters archive_command would need quoted"

# ---------------------------------------------------------------- pra and what this build has
if [ -z "$pra" ]; then section "building pra (release)"; build_pra "$repo"; fi
[ -x "$pra" ] || die "no pra binary at $pra"
[[ $pra = /* ]] || pra="$PWD/$pra"     # commands run from $work
[[ $pra =~ ^[A-Za-z0-9/._-]+$ ]] || die "the pra path $pra has characters archive_command would need quoted"
# The features other branches of issue 26 add, detected in this build: the setting names are
# string constants in the binary, the option is in the help.
have_codecs=""; grep -qa BASE_BACKUP_COMPRESSION "$pra" && have_codecs=1
have_spill_limit=""; grep -qa RESTORE_SPILL_LIMIT "$pra" && have_spill_limit=1
have_incremental=""; help_text=$("$pra" backup --help 2>/dev/null); case $help_text in *--incremental-from*) have_incremental=1 ;; esac  # no grep -q in a pipe: its early exit fails the pipeline under pipefail
have_dump_codecs=""; case $help_text in *.sql.zst*) have_dump_codecs=1 ;; esac
na="not available in this build"
yes_no() { if [ -n "$1" ]; then echo yes; else echo no; fi; }
log "   $pra: BASE_BACKUP_COMPRESSION $(yes_no "$have_codecs"), BACKUP_COMPRESSION $(yes_no "$have_dump_codecs")," \
    "--incremental-from $(yes_no "$have_incremental"), RESTORE_SPILL_LIMIT $(yes_no "$have_spill_limit")"

# ---------------------------------------------------------------- the cluster
db=scale
sql_s() { sql S "$@"; }
# Before each timed command (untimed): the server's checkpoint, the archiver's backlog, and the
# kernel's dirty pages (sync), so that no command pays for the writeback of the one before it.
checkpoint() { sql S CHECKPOINT >/dev/null; settle_archive; sync; }
# Waits (untimed) until the archiver has no segment left to archive: the restores before the
# physical section write GBs of WAL, and a base backup waits for its own last segment behind that
# backlog (pg_basebackup -X none, pgbackrest's archive check), which is not the backup's cost.
settle_archive() {
    local waited=0 ready
    while :; do
        ready=$(sql S "SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'") || return 1
        [ "$ready" = 0 ] && break
        [ "$waited" -ge 3600 ] && die "the archiver still has $ready segments to archive after an hour"
        sleep 1; waited=$((waited + 1))
    done
    [ "$waited" -gt 1 ] && echo "   (waited ${waited}s, untimed, for the archiver's backlog to drain)"
    return 0
}
before_measure() { checkpoint; }
drop_db() { dropdb --if-exists --force "$1" >/dev/null 2>&1 || dropdb --if-exists "$1" >/dev/null; }
restart_s() {
    pg_ctl_as_pg -D "$S_data" -l "$S_dir/bench-server.log" -m fast -w -t 600 restart >/dev/null \
        || { tail -n 5 "$S_dir/bench-server.log" >&2; die "cannot restart the cluster on $S_data"; }
}

# A kept or reused cluster is left stopped with archiving off (a later run points archive_command
# at its own repositories); a kept one is moved to DIR and its pra-cluster.json follows.
leave_cluster() {
    sql S "ALTER SYSTEM SET archive_mode = 'off'" >/dev/null 2>&1
    sql S "ALTER SYSTEM RESET archive_command" >/dev/null 2>&1
    pg_ctl_as_pg -D "$S_data" -m fast -w -t 600 stop >/dev/null 2>&1 \
        || echo "warning: could not stop the cluster on $S_data" >&2
    if [ -n "$keep" ]; then
        clusters=()     # the only cluster: kept, not removed
        if mv "$S_dir" "$keep"; then
            sed -i "s|\"directory\" : \"[^\"]*\"|\"directory\" : \"$keep\"|" "$keep/pra-cluster.json"
            echo "kept the cluster (stopped) at $keep: reuse it with bench/scale.sh --reuse $keep;" \
                 "remove it with pra cluster down --dir $keep" >&2
        else
            echo "warning: could not move the cluster to $keep; it is at $S_dir" >&2
        fi
    else
        echo "left the reused cluster (stopped) at $reuse" >&2
    fi
}

if [ -n "$reuse" ]; then
    section "reusing the cluster at $reuse"
    # scale= akig_scale= db= (written by the run that built it), read, not sourced.
    scale=$(sed -n 's/^scale=//p' "$reuse/bench-scale.info")
    akig_scale=$(sed -n 's/^akig_scale=//p' "$reuse/bench-scale.info")
    db=$(sed -n 's/^db=//p' "$reuse/bench-scale.info")
    [[ $scale =~ ^[1-9][0-9]*$ ]] && is_number "$akig_scale" && [[ $db =~ ^[a-z_][a-z0-9_]*$ ]] \
        || die "$reuse/bench-scale.info does not hold scale=, akig_scale= and db="
    S_dir=$reuse; S_data=$reuse/data; S_port=$(free_port)
    server_account "$S_dir"
    [ -f "$S_data/postmaster.pid" ] && die "$S_data/postmaster.pid exists: is the cluster running? Stop it first."
    pg_ctl_as_pg -D "$S_data" -l "$S_dir/bench-server.log" -o "-c port=$S_port -c unix_socket_directories=$S_dir" \
        -w -t 600 start >/dev/null || { tail -n 5 "$S_dir/bench-server.log" >&2; die "cannot start the cluster at $reuse"; }
    built=1
else
    section "starting a scratch cluster and loading akig (scale $akig_scale) and pgbench (scale $scale) into database $db"
    start_cluster S
    server_account "$S_dir"
    (cd "$work" && PGHOST=$S_dir PGPORT=$S_port PGUSER=postgres \
        "$pra" fixtures load --scale "$akig_scale" --database "$db" --replace --quiet) \
        || die "pra fixtures load failed"
    log "   akig loaded: $(sql S "SELECT pg_size_pretty(pg_database_size('$db'))")"
    pgbench -i -q -s "$scale" -h "$S_dir" -p "$S_port" -U postgres "$db" >"$work/logs/pgbench-init.log" 2>&1 \
        || { tail -n 20 "$work/logs/pgbench-init.log" >&2; die "pgbench -i -s $scale failed"; }
    printf 'scale=%s\nakig_scale=%s\ndb=%s\n' "$scale" "$akig_scale" "$db" >"$S_dir/bench-scale.info"
    built=1
fi
export PGHOST=$S_dir PGPORT=$S_port PGUSER=postgres
naccounts=$(( scale * 100000 ))

# A reused cluster holds the data as built: rows a previous run added (and did not remove) go.
removed=$(sql S "WITH d AS (DELETE FROM pgbench_accounts WHERE aid > $naccounts RETURNING 1) SELECT count(*) FROM d" "$db") \
    || die "cannot read pgbench_accounts in $db"
sql S "SET client_min_messages = warning; DROP TABLE IF EXISTS bench_marker" "$db" >/dev/null
for leftover in $(sql S "SELECT datname FROM pg_database WHERE datname LIKE 'bench\_restore\_%'"); do
    log "   dropping $leftover, left by an interrupted run"; drop_db "$leftover"
done
[ "$removed" -gt 0 ] && { log "   removed $removed rows a previous run added"; sql S "VACUUM pgbench_accounts" "$db" >/dev/null; }
db_bytes=$(sql S "SELECT pg_database_size('$db')")
log "   $S_dir (port $S_port, server user $server_user): database $db $(bytes_mib "$db_bytes") MiB" \
    "(pgbench scale $scale, akig scale $akig_scale)"

# Both archives get every segment: archive_command runs pra wal push, then pgbackrest
# archive-push (PostgreSQL's shell line; both programs and paths are checked free of quotes).
pra_repo="$work/pra-repo"
pgbr="$work/pgbackrest"
mkdir -p "$pra_repo" "$pgbr/repo"
give_pg "$pra_repo"
B_data=$S_data; B_dir=$S_dir; B_port=$S_port       # write_pgbr_config's stanza [bench]
write_pgbr_config "repo1-path=$pgbr/repo"
section "archiving to both repositories (pra wal push, then pgbackrest archive-push), restart, stanza-create"
archive_command="$pra wal push %p --backup-dir $pra_repo --env-file /dev/null && pgbackrest --config=$pgbr_conf --stanza=bench archive-push %p"
for setting in "wal_level = 'replica'" "archive_mode = 'on'" "archive_timeout = '60'" "max_wal_senders = '4'" \
               "archive_command = '$archive_command'"; do
    sql S "ALTER SYSTEM SET $setting" >/dev/null || die "ALTER SYSTEM SET $setting failed"
done
restart_s
pgbackrest_pg --stanza=bench stanza-create >"$work/logs/stanza-create.log" 2>&1 \
    || { cat "$work/logs/stanza-create.log" >&2; die "pgbackrest stanza-create failed"; }
pgbackrest_pg --stanza=bench check >"$work/logs/check.log" 2>&1 \
    || { cat "$work/logs/check.log" >&2; die "pgbackrest check failed"; }

# ---------------------------------------------------------------- measuring helpers
# One row of the results per command: section, command, seconds, peak RSS KiB, peak disk bytes,
# output bytes, ratio text, bar text (joined with the unit separator: the texts hold "|").
# A row the build cannot run says so in the ratio.
us=$'\x1f'
rows=()
verdicts=()
add_row() { local IFS=$us; rows+=("$*"); }
# Records a bar: label ok(0/1) detail; printed with verdict() at the end.
bar() { verdicts+=("$1$us$2$us$3"); }
rss_bar() { # label kib
    awk -v k="$2" 'BEGIN { exit !(k < 64 * 1024) }'
    bar "pra peak RSS < 64 MiB: $1" $? "$(mib "$2") MiB"
}

# Runs a peer (a shell function whose processes run under tm) after a CHECKPOINT, watching
# the paths for disk space; sets run_secs, run_peak_kib, run_disk_bytes, run_spill_bytes.
measure_peer() { # name logfile "main paths" "spill paths" function args...
    local name=$1 logfile=$2 main=$3 spill=$4 t0 t1 rc; shift 4
    checkpoint
    rss_begin
    disk_watch_start "$main" "$spill"
    t0=$(now)
    "$@" >"$logfile" 2>&1; rc=$?
    t1=$(now)
    disk_watch_stop
    run_secs=$(elapsed "$t0" "$t1")
    run_peak_kib=$(rss_peak)
    [ "$rc" -eq 0 ] || { tail -n 20 "$logfile" >&2; die "$name failed (exit $rc)"; }
}
# measure_pra (lib.sh) with the disk watch; run_peak_kib = max(VmHWM of pra, %M of pra and children).
measure_pra_disk() { # name logfile "main paths" "spill paths" cmd...
    local name=$1 logfile=$2 main=$3 spill=$4; shift 4
    disk_watch_start "$main" "$spill"
    measure_pra "$name" "$logfile" "$@"
    disk_watch_stop
    run_peak_kib=$(max_of "$run_rss_kib" "$run_maxrss_kib")
}
fmt_row() { # prints the running line of a measured command
    log "   $(printf '%-44s' "$1") ${run_secs}s  peak RSS $(mib "$run_peak_kib") MiB  peak disk $(bytes_mib "$run_disk_bytes") MiB${2:+  $2}"
}

# ---------------------------------------------------------------- limits
limit_pgdump=""; limit_basebackup=""; disk_write=""; disk_read=""
dump_devnull() { tm pg_dump "$db" >/dev/null; }
basebackup_devnull() { tm pg_basebackup -Ft -D - -X none -c fast >/dev/null; }
measure_limit_pgdump() {
    measure_peer "pg_dump > /dev/null" "$work/logs/limit-pgdump.log" "" "" dump_devnull
    limit_pgdump=$run_secs
    fmt_row "limit: pg_dump > /dev/null"
    add_row limits "pg_dump > /dev/null" "$run_secs" "$run_peak_kib" 0 0 "" "" ""
}
measure_limit_basebackup() {
    measure_peer "pg_basebackup > /dev/null" "$work/logs/limit-basebackup.log" "" "" basebackup_devnull
    limit_basebackup=$run_secs
    fmt_row "limit: pg_basebackup -Ft -D - -X none > /dev/null"
    add_row limits "pg_basebackup -Ft -D - -X none -c fast > /dev/null" "$run_secs" "$run_peak_kib" 0 0 "" "" ""
}
# Sequential write and read of 2 GiB with direct I/O (zeros: a disk that compresses would flatter
# it; this one is a plain virtio disk) in $work, the benchmark's own file system.
measure_disk() {
    local file="$work/dd.bin" t0 t1 bytes=$(( 2048 * 1048576 )) write_secs read_secs
    t0=$(now)
    dd if=/dev/zero of="$file" bs=8M count=256 oflag=direct conv=fsync status=none || die "dd write failed"
    t1=$(now); write_secs=$(elapsed "$t0" "$t1"); disk_write=$(mib_per_s "$bytes" "$write_secs")
    t0=$(now)
    dd if="$file" of=/dev/null bs=8M iflag=direct status=none || die "dd read failed"
    t1=$(now); read_secs=$(elapsed "$t0" "$t1"); disk_read=$(mib_per_s "$bytes" "$read_secs")
    rm -f "$file"
    log "   disk: sequential write $disk_write MiB/s, read $disk_read MiB/s (dd 2 GiB, bs=8M, direct I/O)"
    add_row limits "dd 2 GiB write, bs=8M oflag=direct conv=fsync" "$write_secs" "" "" "" "$disk_write MiB/s" "" ""
    add_row limits "dd 2 GiB read, bs=8M iflag=direct" "$read_secs" "" "" "" "$disk_read MiB/s" "" ""
}

if want limits || want logical || want physical; then
    section "limits"
    if want limits || want physical; then measure_disk; fi
    if want limits || want logical; then measure_limit_pgdump; fi
    if want limits || want physical; then measure_limit_basebackup; fi
fi

# ---------------------------------------------------------------- logical
dump_gzip() { tm pg_dump "$db" | tm gzip -6 >"$1"; }
dump_pigz() { tm pg_dump "$db" | tm pigz -6 -p "$jobs" >"$1"; }
dump_dir() { tm pg_dump -Fd -j "$jobs" -f "$1" "$db"; }
restore_pg_restore() { tm createdb "$2" && tm pg_restore -j "$jobs" -d "$2" "$1"; }
restore_psql() { tm createdb "$2" && tm gunzip -c "$1" | tm psql -X -q -v ON_ERROR_STOP=1 -d "$2" >/dev/null; }

run_logical() {
    local dir="$work/logical" pra_archive pra_secs pgr_secs spill_env=() spill_row="" pra_peak_spill pra_zstd_archive codec archive
    section "logical backups ($jobs jobs)"
    # gzip at level 6 (the default), then the same dump in zstd and lz4 (BACKUP_COMPRESSION) when
    # the build has it; the gzip archive is compared with the peers and restored below, the zstd
    # one is restored too.
    pra_zstd_archive=""
    for codec in gzip zstd lz4; do
        if [ "$codec" != gzip ] && [ -z "$have_dump_codecs" ]; then
            add_row logical "pra backup --full, $codec" "" "" "" "" "BACKUP_COMPRESSION $na" "n/a" ""
            continue
        fi
        mkdir -p "$dir/pra-$codec"
        measure_pra_disk "pra backup --full, $codec" "$work/logs/pra-full-$codec.log" "$dir/pra-$codec" "" \
            env PGDATABASE="$db" BACKUP_DIR="$dir/pra-$codec" BACKUP_COMPRESSION="$codec" BACKUP_COMPRESSION_LEVEL=6 "$pra" backup --full --quiet
        archive=$(ls "$dir/pra-$codec"/*.sql.* 2>/dev/null | grep -v '\.json$' | head -n 1)
        [ -f "$archive" ] || die "pra backup --full ($codec) wrote no archive in $dir/pra-$codec"
        fmt_row "pra backup --full, $codec" "(pra VmHWM $(mib "$run_rss_kib") MiB)"
        add_row logical "pra backup --full (PRA_JOBS=$jobs, $codec$([ "$codec" = gzip ] && echo " 6"))" "$run_secs" "$run_peak_kib" "$run_disk_bytes" "$(fsize "$archive")" \
            "$(ratio "$run_secs" "${limit_pgdump:-0}") x pg_dump>/dev/null" "<= 1.20"
        if [ -n "$limit_pgdump" ]; then
            le "$(ratio "$run_secs" "$limit_pgdump")" 1.2
            bar "logical backup ($codec) <= 1.2 x pg_dump > /dev/null" $? "pra ${run_secs}s / pg_dump ${limit_pgdump}s = $(ratio "$run_secs" "$limit_pgdump")"
        fi
        rss_bar "pra backup --full ($codec)" "$run_peak_kib"
        case $codec in
            gzip) pra_archive=$archive; pra_secs=$run_secs ;;
            zstd) pra_zstd_archive=$archive ;;
            *) rm -rf "${dir:?}/pra-$codec" ;;
        esac
    done

    measure_peer "pg_dump | gzip -6" "$work/logs/dump-gzip.log" "$dir/dump.sql.gz" "" dump_gzip "$dir/dump.sql.gz"
    fmt_row "pg_dump | gzip -6 > f"
    add_row logical "pg_dump | gzip -6 > f" "$run_secs" "$run_peak_kib" "$run_disk_bytes" "$(fsize "$dir/dump.sql.gz")" \
        "pra $(ratio "$pra_secs" "$run_secs") x this" "" ""
    if [ -n "$have_pigz" ]; then
        measure_peer "pg_dump | pigz" "$work/logs/dump-pigz.log" "$dir/dump-pigz.sql.gz" "" dump_pigz "$dir/dump-pigz.sql.gz"
        fmt_row "pg_dump | pigz -6 -p $jobs > f"
        add_row logical "pg_dump | pigz -6 -p $jobs > f" "$run_secs" "$run_peak_kib" "$run_disk_bytes" "$(fsize "$dir/dump-pigz.sql.gz")" \
            "pra $(ratio "$pra_secs" "$run_secs") x this" "" ""
        rm -f "$dir/dump-pigz.sql.gz"
    else
        add_row logical "pg_dump | pigz -6 -p $jobs > f" "" "" "" "" "pigz not installed" "" ""
    fi
    measure_peer "pg_dump -Fd" "$work/logs/dump-dir.log" "$dir/dirdump" "" dump_dir "$dir/dirdump"
    fmt_row "pg_dump -Fd -j $jobs"
    add_row logical "pg_dump -Fd -j $jobs" "$run_secs" "$run_peak_kib" "$run_disk_bytes" "$(dsize "$dir/dirdump")" \
        "pra $(ratio "$pra_secs" "$run_secs") x this" "" ""

    section "logical restores ($jobs jobs), each into a fresh database, dropped afterwards"
    # pra's scratch space goes to its own TMPDIR, watched apart from the data directory's growth.
    if [ -n "$have_spill_limit" ]; then spill_env=(RESTORE_SPILL_LIMIT="$spill_limit"); fi
    drop_db bench_restore_pgr
    measure_peer "pg_restore -j" "$work/logs/pg-restore.log" "$S_data" "" restore_pg_restore "$dir/dirdump" bench_restore_pgr
    pgr_secs=$run_secs
    fmt_row "createdb + pg_restore -j $jobs (-Fd dump)"
    add_row logical "createdb + pg_restore -j $jobs of the -Fd dump" "$run_secs" "$run_peak_kib" "$run_disk_bytes" "" "" "" ""
    drop_db bench_restore_pgr
    rm -rf "$dir/dirdump"

    drop_db bench_restore_pra
    measure_pra_disk "pra restore" "$work/logs/pra-restore.log" "$S_data $work/spill" "$work/spill" \
        env PGDATABASE="$db" BACKUP_DIR="$dir/pra-gzip" TMPDIR="$work/spill" "${spill_env[@]}" \
        "$pra" restore --file "$pra_archive" --target-db bench_restore_pra --quiet --json
    fmt_row "pra restore (fresh database)" "(spill $(bytes_mib "$run_spill_bytes") MiB; $(phases_of "$work/logs/pra-restore.log"))"
    add_row logical "pra restore --file A --target-db X (PRA_JOBS=$jobs)" "$run_secs" "$run_peak_kib" "$run_disk_bytes" "" \
        "$(ratio "$run_secs" "$pgr_secs") x pg_restore -j $jobs" "<= 1.00" ""
    le "$(ratio "$run_secs" "$pgr_secs")" 1.0
    bar "logical restore <= 1.0 x pg_restore -j $jobs" $? "pra ${run_secs}s / pg_restore ${pgr_secs}s = $(ratio "$run_secs" "$pgr_secs")"
    rss_bar "pra restore" "$run_peak_kib"
    if [ -n "$have_spill_limit" ]; then
        # pra's own account of the bytes its spill files held at once (--json peakSpillBytes);
        # du of TMPDIR also counts the restore's scratch directory entry (4 KiB).
        pra_peak_spill=$(grep -o '"peakSpillBytes" : [0-9]*' "$work/logs/pra-restore.log" | grep -o '[0-9]*$' | head -n 1)
        [ -n "$pra_peak_spill" ] && [ "$pra_peak_spill" -le "$spill_limit_bytes" ]
        bar "restore scratch <= RESTORE_SPILL_LIMIT ($spill_limit)" $? "peak ${pra_peak_spill:-?} bytes reported by pra (du of TMPDIR: $(bytes_mib "$run_spill_bytes") MiB)"
        spill_row="peak $(bytes_mib "$run_spill_bytes") MiB"
    else
        spill_row="peak $(bytes_mib "$run_spill_bytes") MiB; RESTORE_SPILL_LIMIT $na"
    fi
    add_row logical "pra restore: scratch space under TMPDIR" "" "" "$run_spill_bytes" "" "$spill_row" "<= $spill_limit" ""
    drop_db bench_restore_pra
    if [ -n "$pra_zstd_archive" ]; then
        measure_pra_disk "pra restore (zstd dump)" "$work/logs/pra-restore-zstd.log" "$S_data $work/spill" "$work/spill" \
            env PGDATABASE="$db" BACKUP_DIR="$dir/pra-zstd" TMPDIR="$work/spill" "${spill_env[@]}" \
            "$pra" restore --file "$pra_zstd_archive" --target-db bench_restore_pra --quiet --json
        fmt_row "pra restore of the zstd dump" "($(phases_of "$work/logs/pra-restore-zstd.log"))"
        add_row logical "pra restore --file A.sql.zst --target-db X (PRA_JOBS=$jobs)" "$run_secs" "$run_peak_kib" "$run_disk_bytes" "" \
            "$(ratio "$run_secs" "$pgr_secs") x pg_restore -j $jobs" "<= 1.00" ""
        le "$(ratio "$run_secs" "$pgr_secs")" 1.0
        bar "logical restore (zstd dump) <= 1.0 x pg_restore -j $jobs" $? "pra ${run_secs}s / pg_restore ${pgr_secs}s = $(ratio "$run_secs" "$pgr_secs")"
        rss_bar "pra restore (zstd dump)" "$run_peak_kib"
        drop_db bench_restore_pra
    fi

    drop_db bench_restore_psql
    measure_peer "gunzip -c | psql" "$work/logs/psql-restore.log" "$S_data" "" restore_psql "$dir/dump.sql.gz" bench_restore_psql
    fmt_row "createdb + gunzip -c | psql"
    add_row logical "createdb + gunzip -c f | psql (the gzip -6 dump)" "$run_secs" "$run_peak_kib" "$run_disk_bytes" "" \
        "" "" ""
    drop_db bench_restore_psql
    rm -rf "$dir"
}

# ---------------------------------------------------------------- physical
# The files directly in $pra_repo (base backups, their manifests; not wal/), one per line.
pra_repo_files() { find "$pra_repo" -maxdepth 1 -type f -printf '%f\n' | sort; }
# What a base backup added to $pra_repo (given the listing before it): sets new_bytes (archive and
# manifests together, whatever the names) and new_archive (the largest new file).
new_in_repo() { # listing-before
    local name
    new_bytes=0; new_archive=""
    while read -r name; do
        [ -n "$name" ] || continue
        new_bytes=$(( new_bytes + $(fsize "$pra_repo/$name") ))
        if [ -z "$new_archive" ] || [ "$(fsize "$pra_repo/$name")" -gt "$(fsize "$pra_repo/$new_archive")" ]; then new_archive=$name; fi
    done < <(comm -13 <(printf '%s\n' "$1") <(pra_repo_files))
}
newest_pgbr_backup() { ls "$pgbr/repo/backup/bench" | grep -E '^[0-9]{8}-[0-9]{6}F$' | sort | tail -n 1; }
declare -A pra_full_secs=() pra_full_bytes=() pgbr_set=()
newest_codec=""
pra_base_args() { # codec -> the env assignments of pra backup --base with that codec
    base_env=(PGDATABASE="$db" BACKUP_DIR="$pra_repo")
    if [ "$1" = gzip ]; then base_env+=(BACKUP_COMPRESSION_LEVEL=6); fi
    # Without the codecs branch there is only gzip, and the variable is not set at all.
    [ -n "$have_codecs" ] && base_env+=(BASE_BACKUP_COMPRESSION="$1")
    [ -n "$base_read" ] && base_env+=(BASE_BACKUP_READ="$base_read")
    return 0
}
measure_pra_base() { # codec
    local codec=$1 before
    pra_base_args "$codec"
    before=$(pra_repo_files)
    measure_pra_disk "pra backup --base ($codec)" "$work/logs/pra-base-$codec.log" "$pra_repo" "" \
        env "${base_env[@]}" "$pra" backup --base --quiet --json
    new_in_repo "$before"
    [ -n "$new_archive" ] || die "pra backup --base wrote nothing in $pra_repo"
    pra_full_secs[$codec]=$run_secs
    pra_full_bytes[$codec]=$new_bytes
    newest_codec=$codec
    fmt_row "pra backup --base ($codec)" "($new_archive and manifests, $(bytes_mib "$new_bytes") MiB)"
}

run_physical() {
    local codec pgbr_type pgbr_level ratio_text pra_row_secs
    section "base backups: pra (PRA_JOBS=$jobs) vs pgBackRest (process-max=$jobs), gzip 6 / lz4 1 / zstd 3 both sides"
    for codec in gzip lz4 zstd; do
        case $codec in gzip) pgbr_type=gz; pgbr_level=6 ;; lz4) pgbr_type=lz4; pgbr_level=1 ;; zstd) pgbr_type=zst; pgbr_level=3 ;; esac
        if [ "$codec" = gzip ] || [ -n "$have_codecs" ]; then
            checkpoint
            measure_pra_base "$codec"
            pra_row_secs=$run_secs
            add_row physical "pra backup --base, BASE_BACKUP_COMPRESSION=$codec" "$run_secs" "$run_peak_kib" "$run_disk_bytes" \
                "${pra_full_bytes[$codec]}" "$(ratio "$run_secs" "${limit_basebackup:-0}") x pg_basebackup>/dev/null" "" ""
            rss_bar "pra backup --base ($codec)" "$run_peak_kib"
        else
            pra_row_secs=""
            add_row physical "pra backup --base, BASE_BACKUP_COMPRESSION=$codec" "" "" "" "" "$na" "" ""
        fi
        checkpoint
        disk_watch_start "$pgbr/repo" ""
        measure_pgbr "pgbackrest backup ($pgbr_type)" "$work/logs/pgbr-backup-$pgbr_type.log" --stanza=bench backup --type=full \
            --compress-type="$pgbr_type" --compress-level="$pgbr_level" --process-max="$jobs"
        disk_watch_stop
        run_peak_kib=$peer_maxrss_kib
        pgbr_set[$codec]=$(newest_pgbr_backup)
        [ -n "${pgbr_set[$codec]}" ] || die "no pgBackRest backup in $pgbr/repo/backup/bench"
        fmt_row "pgbackrest backup --type=full ($pgbr_type)" "(set ${pgbr_set[$codec]})"
        ratio_text=""
        [ -n "$pra_row_secs" ] && ratio_text="pra $(ratio "$pra_row_secs" "$run_secs") x this"
        add_row physical "pgbackrest backup --type=full, compress-type=$pgbr_type, process-max=$jobs" "$run_secs" "$run_peak_kib" \
            "$run_disk_bytes" "$(dsize "$pgbr/repo/backup/bench/${pgbr_set[$codec]}")" "$ratio_text" \
            "$([ "$codec" = gzip ] || echo "pra <= 1.00")" ""
        if [ "$codec" != gzip ]; then
            if [ -n "$pra_row_secs" ]; then
                le "$(ratio "$pra_row_secs" "$run_secs")" 1.0
                bar "base backup $codec <= 1.0 x pgBackRest $pgbr_type" $? "pra ${pra_row_secs}s / pgBackRest ${run_secs}s = $(ratio "$pra_row_secs" "$run_secs")"
            else
                bar "base backup $codec <= 1.0 x pgBackRest $pgbr_type" 1 "$na"
            fi
        fi
    done
}

# ~5 % of pgbench_accounts: UPDATE of a contiguous 2.5 % range of aid in the middle of the table
# (abalance + 1), INSERT of 2.5 % new rows after the last aid; and bench_marker, checked after
# the PITR restores. Archived before anything restores (pra backup --incremental, pgbackrest check).
change_applied=""
apply_change() {
    local part=$(( naccounts / 40 )) first=$(( naccounts / 2 )) before
    section "changing ~5 % of pgbench_accounts: UPDATE aid $first..$(( first + part - 1 )), INSERT $part rows"
    before=$(sql S "SELECT pg_current_wal_lsn()")
    sql S "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid BETWEEN $first AND $(( first + part - 1 ));
           INSERT INTO pgbench_accounts (aid, bid, abalance, filler)
               SELECT $naccounts + g, 1 + g % $scale, 0, '' FROM generate_series(1, $part) g;
           CREATE TABLE bench_marker AS SELECT 'scale-bench'::text AS tag, $part AS inserted;" "$db" >/dev/null \
        || die "the change of pgbench_accounts failed"
    change_wal=$(sql S "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$before')::bigint")
    inserted=$part
    (cd "$work" && PGDATABASE=$db BACKUP_DIR=$pra_repo "$pra" backup --incremental --quiet) >"$work/logs/incremental.log" 2>&1 \
        || { cat "$work/logs/incremental.log" >&2; die "pra backup --incremental failed"; }
    pgbackrest_pg --stanza=bench check >"$work/logs/check.log" 2>&1 \
        || { cat "$work/logs/check.log" >&2; die "pgbackrest check failed"; }
    log "   $(bytes_mib "$change_wal") MiB of WAL, archived in both repositories"
    change_applied=1
}

run_pitr() {
    local codec=$newest_codec target pra_secs
    restore_port=$(free_port)
    end_state_query="SELECT pg_is_in_recovery(), (SELECT count(*) FROM pgbench_accounts WHERE aid > $naccounts), (SELECT tag FROM bench_marker), (SELECT timeline_id FROM pg_control_checkpoint())"
    expected_state="f|$inserted|scale-bench"
    section "PITR restore to the latest point, promoted, stopped: pra's newest ($codec) vs pgBackRest set ${pgbr_set[$codec]}"
    target="$work/restores/pra"
    checkpoint
    measure_pra_disk "pra restore --pitr" "$work/logs/pra-pitr.log" "$target $work/spill" "" \
        env PGDATABASE="$db" BACKUP_DIR="$pra_repo" TMPDIR="$work/spill" \
        "$pra" restore --pitr --target-dir "$target" --stop --quiet --json
    pra_secs=$run_secs
    fmt_row "pra restore --pitr --stop ($codec)" "($(phases_of "$work/logs/pra-pitr.log"))"
    add_row physical "pra restore --pitr --target-dir D --stop (from $codec)" "$run_secs" "$run_peak_kib" "$run_disk_bytes" "" \
        "" "" ""
    rss_bar "pra restore --pitr" "$run_peak_kib"
    log "   checked: promoted, $inserted inserted rows replayed, timeline $(check_end_state "$target" "pra restore --pitr")"
    rm -rf "$target"
    sync

    target="$work/restores/pgbr"
    checkpoint
    disk_watch_start "$target" ""
    pgbr_restore "$target" "$work/logs/pgbr-restore.log" --set="${pgbr_set[$codec]}" --process-max="$jobs"
    disk_watch_stop
    run_peak_kib=$peer_maxrss_kib
    fmt_row "pgbackrest restore + replay + promote + stop" "(pgbackrest restore alone ${pgbr_restore_only}s)"
    add_row physical "pgbackrest restore --set=${pgbr_set[$codec]} --process-max=$jobs, start, replay, promote, stop" \
        "$run_secs" "$run_peak_kib" "$run_disk_bytes" "" "pra $(ratio "$pra_secs" "$run_secs") x this" "pra <= 1.00" ""
    le "$(ratio "$pra_secs" "$run_secs")" 1.0
    bar "PITR restore <= 1.0 x pgBackRest restore" $? "pra ${pra_secs}s / pgBackRest ${run_secs}s = $(ratio "$pra_secs" "$run_secs") ($codec)"
    log "   checked: promoted, $inserted inserted rows replayed, timeline $(check_end_state "$target" "pgBackRest restore")"
    if [ -n "$disk_write" ]; then
        cluster_bytes=$(sql S "SELECT sum(pg_database_size(datname))::bigint FROM pg_database")
        log "   extraction limit: the cluster's $(bytes_mib "$cluster_bytes") MiB of databases written at $disk_write MiB/s =" \
            "$(awk -v b="$cluster_bytes" -v r="$disk_write" 'BEGIN { printf "%.1f", b / 1048576 / r }')s"
        add_row limits "extraction at disk speed: the cluster's databases / dd write speed" \
            "$(awk -v b="$cluster_bytes" -v r="$disk_write" 'BEGIN { printf "%.2f", b / 1048576 / r }')" "" "" "$cluster_bytes" \
            "pra PITR $(ratio "$pra_secs" "$(awk -v b="$cluster_bytes" -v r="$disk_write" 'BEGIN { printf "%.2f", b / 1048576 / r }')") x this" ""
    fi
    rm -rf "$target"
}

run_incremental() {
    local codec before after full_secs full_bytes
    if [ -z "$newest_codec" ]; then
        section "incremental: a full base backup first (gzip)"
        checkpoint
        measure_pra_base gzip
        add_row incremental "pra backup --base (full, gzip), the reference" "$run_secs" "$run_peak_kib" "$run_disk_bytes" \
            "${pra_full_bytes[gzip]}" "" "" ""
    fi
    codec=$newest_codec
    [ -n "$change_applied" ] || apply_change
    full_secs=${pra_full_secs[$codec]}; full_bytes=${pra_full_bytes[$codec]}
    if [ -z "$have_incremental" ]; then
        add_row incremental "pra backup --base --incremental-from newest (after ~5 % changed)" "" "" "" "" "$na" "<= 0.15" ""
        bar "incremental <= 15 % of the full's time and size" 1 "$na"
        return 0
    fi
    section "incremental: pra backup --base --incremental-from newest ($codec) after the change"
    before=$(pra_repo_files)
    checkpoint
    pra_base_args "$codec"
    measure_pra_disk "pra backup --base --incremental-from newest" "$work/logs/pra-incremental.log" "$pra_repo" "" \
        env "${base_env[@]}" "$pra" backup --base --incremental-from newest --quiet --json
    new_in_repo "$before"
    [ -n "$new_archive" ] || die "pra backup --base --incremental-from newest wrote nothing in $pra_repo"
    after=$new_bytes
    fmt_row "pra backup --base --incremental-from newest" "($new_archive and manifests, $(bytes_mib "$after") MiB)"
    add_row incremental "pra backup --base --incremental-from newest ($codec, after ~5 % changed)" "$run_secs" "$run_peak_kib" \
        "$run_disk_bytes" "$after" "time $(ratio "$run_secs" "$full_secs"), size $(ratio "$after" "$full_bytes") x full" "<= 0.15" ""
    le "$(ratio "$run_secs" "$full_secs")" 0.15 && le "$(ratio "$after" "$full_bytes")" 0.15
    bar "incremental <= 15 % of the full's time and size" $? \
        "time ${run_secs}s / ${full_secs}s = $(ratio "$run_secs" "$full_secs"), size $(bytes_mib "$after") / $(bytes_mib "$full_bytes") MiB = $(ratio "$after" "$full_bytes")"
    rss_bar "pra backup --base --incremental-from" "$run_peak_kib"
}

if want logical; then run_logical; fi
if want physical; then run_physical; apply_change; run_pitr; fi
if want incremental; then run_incremental; fi

# A kept or reused cluster goes back to the data as built (untimed).
if [ -n "$change_applied" ] && { [ -n "$keep" ] || [ -n "$reuse" ]; }; then
    section "removing the change (the rows inserted, bench_marker) from the kept cluster"
    sql S "DELETE FROM pgbench_accounts WHERE aid > $naccounts; DROP TABLE IF EXISTS bench_marker" "$db" >/dev/null \
        || die "cannot remove the change"
    sql S "VACUUM pgbench_accounts" "$db" >/dev/null || die "VACUUM pgbench_accounts failed"
fi

# ---------------------------------------------------------------- results
echo
section "results: database $db $(bytes_mib "$db_bytes") MiB (pgbench scale $scale, akig scale $akig_scale), jobs $jobs, $(nproc) CPUs," \
    "$(pgbackrest version), PostgreSQL $(sql S 'SHOW server_version')"
log "machine load at the end: $(uptime | sed 's/.*load average/load average/')"
echo
echo "| section | command | wall s | peak RSS MiB | peak disk MiB | output MiB | ratio | bar |"
echo "|---------|---------|-------:|-------------:|--------------:|-----------:|-------|-----|"
for row in "${rows[@]}"; do
    IFS=$us read -r r_section r_command r_secs r_rss r_disk r_out r_ratio r_bar <<<"$row"
    r_command=${r_command//|/\\|}
    [ -n "$r_rss" ] && r_rss=$(mib "$r_rss")
    [ -n "$r_disk" ] && r_disk=$(bytes_mib "$r_disk")
    [ -n "$r_out" ] && [ "$r_out" != 0 ] && r_out=$(bytes_mib "$r_out")
    [ "$r_out" = 0 ] && r_out=""
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$r_section" "$r_command" "$r_secs" "$r_rss" "$r_disk" "$r_out" "$r_ratio" "$r_bar"
done
echo
for item in "${verdicts[@]}"; do
    IFS=$us read -r v_label v_ok v_detail <<<"$item"
    if [ "$v_detail" = "$na" ]; then printf '%-7s %-40s %s\n' "n/a" "$v_label" "$v_detail"; else verdict "$v_label" "$v_ok" "$v_detail"; fi
done
echo
log "total time $(elapsed "$script_start" "$(now)")s"
exit 0
