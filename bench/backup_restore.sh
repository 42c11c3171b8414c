#!/usr/bin/env bash
# Benchmark: pra backup/restore against the stock peers on a scratch PostgreSQL.
#
#   backup:   pra backup --full              vs  pg_dump DB | gzip -6 > FILE
#                                            (and, beside it, pg_dump DB | pigz -p2 -6 > FILE)
#   restore:  pra restore --file A --target-db X
#                                            vs  createdb X && gunzip -c A | psql -X -q -v ON_ERROR_STOP=1 -d X
#                                            (and, beside it, createdb X && pg_restore -j2 -d X DIR
#                                             of a pg_dump -Fd -j2 directory dump)
#   verify:   pra verify A                   vs  gzip -t A
#
# Each pair runs alternately (pra, peer, pra, peer, ...) and the best wall time of each
# side is compared. Peak RSS of the pra process (VmHWM polled from /proc, cross-checked
# with GNU time's %M; see measure_pra) is reported at the chosen scale and at a smaller
# one to show it does not grow with the database.
#
# Usage: bench/backup_restore.sh [--scale N] [--runs N] [--small-scale N] [--only backup]
#   --scale N        fixture scale (default 20: ~0.8 GB database, ~0.5 GB SQL; 1 is ~52 MB)
#   --runs N         timed runs per side and operation (default 3; use at least 2)
#   --small-scale N  second scale for the RSS comparison (default scale/4)
#   --only backup    only the backup comparison and its reference points (pg_dump > file,
#                    gzip -6 of it); no restore, verify or second-scale RSS
#
# Always exits 0 once the benchmark ran (missed bars are printed as MISSED);
# exits 1 only when the setup itself fails (build, cluster, fixture, a failing command).

set -uo pipefail

scale=20
runs=3
small_scale=""
only=""

usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; }
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"

while [ $# -gt 0 ]; do
    case "$1" in
        --scale) scale=${2:?--scale needs a value}; shift 2 ;;
        --scale=*) scale=${1#*=}; shift ;;
        --runs) runs=${2:?--runs needs a value}; shift 2 ;;
        --runs=*) runs=${1#*=}; shift ;;
        --small-scale) small_scale=${2:?--small-scale needs a value}; shift 2 ;;
        --small-scale=*) small_scale=${1#*=}; shift ;;
        --only) only=${2:?--only needs a value}; shift 2 ;;
        --only=*) only=${1#*=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

is_number "$scale" || { echo "--scale must be a positive number" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "--runs must be a positive integer" >&2; exit 2; }
case "$only" in ""|backup) ;; *) echo "--only takes backup" >&2; exit 2 ;; esac
if [ -z "$small_scale" ]; then
    small_scale=$(awk -v s="$scale" 'BEGIN { v = s / 4; if (v < 0.05) v = 0.05; printf "%g", v }')
fi
is_number "$small_scale" || { echo "--small-scale must be a positive number" >&2; exit 2; }

script_start=$(date +%s.%N)

# Settings the benchmark controls; nothing inherited may change what pra does.
unset DATABASE_URL PGSERVICE PGSERVICEFILE PGPASSWORD PGPASSFILE PGOPTIONS \
      APP_HEALTH_URL API_ENDPOINTS CRITICAL_TABLES RESTORE_DB RESTORE_MAINTENANCE_DB \
      BACKUP_PREFIX BACKUP_RETENTION_DAYS BACKUP_MIN_KEEP BACKUP_TIMEOUT PG_BIN_DIR PRA_JOBS
export BACKUP_COMPRESSION_LEVEL=6

work=""
cluster_dir=""
pra=""
cleanup() {
    local status=$?
    # Stop anything of ours still running (an interrupted run), by pid.
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
for tool in pg_dump pg_restore psql createdb dropdb gzip gunzip; do
    command -v "$tool" >/dev/null || die "$tool not found in PATH"
done
# pigz is only a reference beside the bars (apt-get install pigz).
have_pigz=""
command -v pigz >/dev/null && have_pigz=1

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

load_fixture() { # database scale
    section "loading the akig fixture at scale $2 into $1"
    (cd "$repo" && "$pra" fixtures load --scale "$2" --database "$1" --replace --quiet) \
        || die "pra fixtures load failed"
    log "   database size: $(sql "SELECT pg_size_pretty(pg_database_size('$1'))")" \
        "($(sql "SELECT pg_database_size('$1')") bytes)"
}

# ---------------------------------------------------------------- measuring helpers
# measure_pra (bench/lib.sh) runs a CHECKPOINT before each measured pra command.
before_measure() { checkpoint; }

peer_backup() { # database outfile; sets run_secs
    local t0 t1
    checkpoint
    t0=$(now)
    pg_dump "$1" | gzip -6 >"$2" || die "pg_dump | gzip failed"
    t1=$(now)
    run_secs=$(elapsed "$t0" "$t1")
}

peer_backup_pigz() { # database outfile; sets run_secs
    local t0 t1
    checkpoint
    t0=$(now)
    pg_dump "$1" | pigz -p2 -6 >"$2" || die "pg_dump | pigz failed"
    t1=$(now)
    run_secs=$(elapsed "$t0" "$t1")
}

peer_pg_restore() { # directory-dump database; sets run_secs
    local t0 t1
    checkpoint
    t0=$(now)
    { createdb "$2" && pg_restore -j2 -d "$2" "$1"; } || die "createdb + pg_restore -j2 failed"
    t1=$(now)
    run_secs=$(elapsed "$t0" "$t1")
}

peer_verify() { # archive; sets run_secs
    local t0 t1
    t0=$(now)
    gzip -t "$1" || die "gzip -t failed"
    t1=$(now)
    run_secs=$(elapsed "$t0" "$t1")
}

pra_verify() { # archive logfile; sets run_*
    measure_pra "pra verify" "$2" env BACKUP_DIR="$(dirname "$1")" "$pra" verify "$1" --quiet
}

peer_restore() { # archive database; sets run_secs
    local t0 t1
    checkpoint
    t0=$(now)
    { createdb "$2" && gunzip -c "$1" | psql -X -q -v ON_ERROR_STOP=1 -d "$2" >/dev/null; } \
        || die "createdb + gunzip -c | psql failed"
    t1=$(now)
    run_secs=$(elapsed "$t0" "$t1")
}

pra_backup() { # database backupdir logfile; sets run_* and backup_archive
    rm -rf "$2"; mkdir -p "$2"
    measure_pra "pra backup" "$3" env PGDATABASE="$1" BACKUP_DIR="$2" "$pra" backup --full --quiet
    backup_archive=$(ls "$2"/*.sql.gz 2>/dev/null | head -n 1)
    [ -f "$backup_archive" ] || die "pra backup wrote no archive in $2"
}

pra_restore() { # database(source) archive target logfile; sets run_*
    measure_pra "pra restore" "$4" env PGDATABASE="$1" BACKUP_DIR="$(dirname "$2")" \
        "$pra" restore --file "$2" --target-db "$3" --quiet --json
}


# ---------------------------------------------------------------- fixture
db=akig
load_fixture "$db" "$scale"
db_bytes=$(sql "SELECT pg_database_size('$db')")

# ---------------------------------------------------------------- backup
section "backup: pra backup --full vs pg_dump | gzip -6 ${have_pigz:+(and pg_dump | pigz -p2) }($runs runs each, alternating)"
pra_b=(); peer_b=(); pigz_b=(); pra_b_rss=(); pra_b_cpu=(); pra_b_max=()
for i in $(seq 1 "$runs"); do
    pra_backup "$db" "$work/pra-backup" "$work/pra-backup.$i.log"
    pra_b+=("$run_secs"); pra_b_rss+=("$run_rss_kib"); pra_b_cpu+=("$run_cpu_secs"); pra_b_max+=("$run_maxrss_kib")
    log "   run $i  pra  ${run_secs}s  (pra CPU ${run_cpu_secs}s, peak RSS $(mib "$run_rss_kib") MiB, %M $(mib "$run_maxrss_kib") MiB)"
    peer_backup "$db" "$work/peer.sql.gz"
    peer_b+=("$run_secs")
    log "   run $i  peer ${run_secs}s"
    if [ -n "$have_pigz" ]; then
        peer_backup_pigz "$db" "$work/pigz.sql.gz"
        pigz_b+=("$run_secs")
        log "   run $i  pigz ${run_secs}s"
    fi
done
rm -f "$work/pigz.sql.gz"
gzip -t "$backup_archive" || die "pra's archive does not pass gzip -t"
pra_archive="$work/restore-source/$(basename "$backup_archive")"
mkdir -p "$work/restore-source"
mv "$backup_archive" "$backup_archive.manifest.json" "$work/restore-source/"
pra_archive_bytes=$(fsize "$pra_archive")
peer_archive_bytes=$(fsize "$work/peer.sql.gz")
rm -rf "$work/pra-backup"

if [ "$only" = backup ]; then
    # Backup only: its reference points (what bounds the pipeline), then its verdict.
    section "reference points (single runs)"
    checkpoint
    t0=$(now); pg_dump "$db" >"$work/plain.sql" || die "pg_dump failed"; t1=$(now)
    ref_pgdump=$(elapsed "$t0" "$t1")
    sql_bytes=$(fsize "$work/plain.sql")
    t0=$(now); gzip -6 -c "$work/plain.sql" >/dev/null; t1=$(now)
    ref_gzip=$(elapsed "$t0" "$t1")
    rm -f "$work/plain.sql"
    log "   pg_dump > file ${ref_pgdump}s ($(bytes_mib "$sql_bytes") MiB SQL); gzip -6 of that file ${ref_gzip}s"
    best_pra_b=$(min_of "${pra_b[@]}"); best_peer_b=$(min_of "${peer_b[@]}")
    ratio_b=$(ratio "$best_pra_b" "$best_peer_b")
    best_pigz_b=""; [ -n "$have_pigz" ] && best_pigz_b=$(min_of "${pigz_b[@]}")
    ratio_pigz="n/a"; [ -n "$best_pigz_b" ] && ratio_pigz=$(ratio "$best_pigz_b" "$best_peer_b")
    echo
    section "results (backup only): scale $scale, database $(bytes_mib "$db_bytes") MiB, SQL dump $(bytes_mib "$sql_bytes") MiB, best of $runs, $(nproc) CPUs"
    log "backup: pra ${best_pra_b}s (pra CPU $(min_of "${pra_b_cpu[@]}")s, peak RSS $(mib "$(max_of "${pra_b_rss[@]}" "${pra_b_max[@]}")") MiB," \
        "$(bytes_mib "$pra_archive_bytes") MiB .gz), peer ${best_peer_b}s ($(bytes_mib "$peer_archive_bytes") MiB .gz)"
    log "peer beside (not a bar): pg_dump | pigz -p2 ${best_pigz_b:-n/a}s = $ratio_pigz x pg_dump | gzip"
    log "machine load at the end: $(uptime | sed 's/.*load average/load average/')"
    log "all runs: pra backup ${pra_b[*]}; peer backup ${peer_b[*]}; pigz backup ${pigz_b[*]:-n/a}"
    echo
    if le "$ratio_b" 0.60; then ok=0; else ok=1; fi
    if [ "$ok" -eq 0 ]; then mark=MET; else mark=MISSED; fi
    printf '%-7s %-40s %s\n' "$mark" "backup ratio <= 0.60" "pra ${best_pra_b}s / peer ${best_peer_b}s = $ratio_b"
    echo
    log "total time $(elapsed "$script_start" "$(now)")s"
    exit 0
fi

# ---------------------------------------------------------------- restore
section "pg_dump -Fd -j2 (the directory dump pg_restore -j2 reads)"
checkpoint
t0=$(now)
pg_dump -Fd -j2 -f "$work/dirdump" "$db" || die "pg_dump -Fd -j2 failed"
t1=$(now)
log "   pg_dump -Fd -j2 $(elapsed "$t0" "$t1")s"

section "restore: pra restore vs createdb + gunzip -c | psql, beside pg_restore -j2 ($runs runs each, alternating; pra and psql restore the pra archive)"
pra_r=(); peer_r=(); pgr_r=(); pra_r_rss=(); pra_r_cpu=(); pra_r_max=()
best_restore_log=""; best_restore_secs=""
for i in $(seq 1 "$runs"); do
    target="bench_pra_$i"
    drop_db "$target"
    pra_restore "$db" "$pra_archive" "$target" "$work/pra-restore.$i.log"
    pra_r+=("$run_secs"); pra_r_rss+=("$run_rss_kib"); pra_r_cpu+=("$run_cpu_secs"); pra_r_max+=("$run_maxrss_kib")
    log "   run $i  pra  ${run_secs}s  (pra CPU ${run_cpu_secs}s, peak RSS $(mib "$run_rss_kib") MiB, %M $(mib "$run_maxrss_kib") MiB;" \
        "$(phases_of "$work/pra-restore.$i.log"))"
    if [ -z "$best_restore_secs" ] || le "$run_secs" "$best_restore_secs"; then
        best_restore_secs=$run_secs; best_restore_log="$work/pra-restore.$i.log"
    fi
    drop_db "$target"
    target="bench_peer_$i"
    drop_db "$target"
    peer_restore "$pra_archive" "$target"
    peer_r+=("$run_secs")
    log "   run $i  peer ${run_secs}s"
    drop_db "$target"
    target="bench_pgr_$i"
    drop_db "$target"
    peer_pg_restore "$work/dirdump" "$target"
    pgr_r+=("$run_secs")
    log "   run $i  pg_restore -j2 ${run_secs}s"
    drop_db "$target"
done
rm -rf "$work/dirdump"

section "verify: pra verify vs gzip -t ($runs runs each, alternating; the pra archive)"
pra_v=(); peer_v=(); pra_v_rss=(); pra_v_cpu=()
for i in $(seq 1 "$runs"); do
    pra_verify "$pra_archive" "$work/pra-verify.$i.log"
    pra_v+=("$run_secs"); pra_v_rss+=("$(max_of "$run_rss_kib" "$run_maxrss_kib")"); pra_v_cpu+=("$run_cpu_secs")
    log "   run $i  pra  ${run_secs}s  (pra CPU ${run_cpu_secs}s, peak RSS $(mib "$run_rss_kib") MiB)"
    peer_verify "$pra_archive"
    peer_v+=("$run_secs")
    log "   run $i  peer ${run_secs}s"
done

# ---------------------------------------------------------------- reference points
# Single runs of the pieces, to tell which stage bounds each pipeline.
section "reference points (single runs)"
checkpoint
ref_pgdump_rss=""
t0=$(now)
if [ -n "$gnu_time" ]; then
    "$gnu_time" -o "$work/pgdump.maxrss" -f %M pg_dump "$db" >"$work/plain.sql" || die "pg_dump failed"
    ref_pgdump_rss=$(tail -n 1 "$work/pgdump.maxrss")
else
    pg_dump "$db" >"$work/plain.sql" || die "pg_dump failed"
fi
t1=$(now)
ref_pgdump=$(elapsed "$t0" "$t1")
sql_bytes=$(fsize "$work/plain.sql")
t0=$(now); gzip -6 -c "$work/plain.sql" >/dev/null; t1=$(now)
ref_gzip=$(elapsed "$t0" "$t1")
rm -f "$work/plain.sql"
t0=$(now); gunzip -c "$pra_archive" >/dev/null; t1=$(now)
ref_gunzip=$(elapsed "$t0" "$t1")
t0=$(now); sha256sum "$pra_archive" >/dev/null; t1=$(now)
ref_sha=$(elapsed "$t0" "$t1")
log "   pg_dump > file ${ref_pgdump}s ($(bytes_mib "$sql_bytes") MiB SQL${ref_pgdump_rss:+, pg_dump peak RSS $(mib "$ref_pgdump_rss") MiB});" \
    "gzip -6 of that file ${ref_gzip}s;" \
    "gunzip -c of the archive ${ref_gunzip}s; sha256sum of the archive ${ref_sha}s"

# ---------------------------------------------------------------- RSS at a second scale
small_db=akig_small
load_fixture "$small_db" "$small_scale"
small_db_bytes=$(sql "SELECT pg_database_size('$small_db')")
pra_backup "$small_db" "$work/small-backup" "$work/small-backup.log"
small_b_rss=$run_rss_kib; small_b_max=$run_maxrss_kib
drop_db bench_small_restore
pra_restore "$small_db" "$backup_archive" bench_small_restore "$work/small-restore.log"
small_r_rss=$run_rss_kib; small_r_max=$run_maxrss_kib
drop_db bench_small_restore
drop_db "$small_db"
log "   scale $small_scale: pra backup peak RSS $(mib "$small_b_rss") MiB (%M $(mib "$small_b_max")),"\
    "pra restore peak RSS $(mib "$small_r_rss") MiB (%M $(mib "$small_r_max"))"

# ---------------------------------------------------------------- results
best_pra_b=$(min_of "${pra_b[@]}");  best_peer_b=$(min_of "${peer_b[@]}")
best_pra_r=$(min_of "${pra_r[@]}");  best_peer_r=$(min_of "${peer_r[@]}")
best_pra_v=$(min_of "${pra_v[@]}");  best_peer_v=$(min_of "${peer_v[@]}")
best_pgr_r=$(min_of "${pgr_r[@]}")
best_pigz_b=""; [ -n "$have_pigz" ] && best_pigz_b=$(min_of "${pigz_b[@]}")
rss_b=$(max_of "${pra_b_rss[@]}");   rss_r=$(max_of "${pra_r_rss[@]}")
max_b=$(max_of "${pra_b_max[@]}");   max_r=$(max_of "${pra_r_max[@]}")
# Conservative peaks (see measure_pra): max of the polled VmHWM and %M.
big_b=$(max_of "$rss_b" "$max_b"); big_r=$(max_of "$rss_r" "$max_r")
sm_b=$(max_of "$small_b_rss" "$small_b_max"); sm_r=$(max_of "$small_r_rss" "$small_r_max")
cpu_b=$(min_of "${pra_b_cpu[@]}");   cpu_r=$(min_of "${pra_r_cpu[@]}")
ratio_b=$(ratio "$best_pra_b" "$best_peer_b")
ratio_r=$(ratio "$best_pra_r" "$best_peer_r")
ratio_v=$(ratio "$best_pra_v" "$best_peer_v")
ratio_pgr=$(ratio "$best_pgr_r" "$best_peer_r")
ratio_pigz="n/a"; [ -n "$best_pigz_b" ] && ratio_pigz=$(ratio "$best_pigz_b" "$best_peer_b")
cpu_v=$(min_of "${pra_v_cpu[@]}"); rss_v=$(max_of "${pra_v_rss[@]}")

echo
section "results: scale $scale, database $(bytes_mib "$db_bytes") MiB, SQL dump $(bytes_mib "$sql_bytes") MiB," \
    "best of $runs, $(nproc) CPUs"
fmt='%-9s %10s %10s %8s %10s %12s %14s %14s\n'
printf "$fmt" operation "pra s" "peer s" ratio "pra CPU s" "pra RSS MiB" "pra .gz MiB" "peer .gz MiB"
printf "$fmt" backup "$best_pra_b" "$best_peer_b" "$ratio_b" "$cpu_b" "$(mib "$big_b")" \
    "$(bytes_mib "$pra_archive_bytes")" "$(bytes_mib "$peer_archive_bytes")"
printf "$fmt" restore "$best_pra_r" "$best_peer_r" "$ratio_r" "$cpu_r" "$(mib "$big_r")" \
    "$(bytes_mib "$pra_archive_bytes")" "(same file)"
printf "$fmt" verify "$best_pra_v" "$best_peer_v" "$ratio_v" "$cpu_v" "$(mib "$rss_v")" \
    "$(bytes_mib "$pra_archive_bytes")" "(same file)"
log "peers beside (not bars): pg_dump | pigz -p2 ${best_pigz_b:-n/a}s = $ratio_pigz x pg_dump | gzip;" \
    "pg_restore -j2 of a directory dump ${best_pgr_r}s = $ratio_pgr x gunzip | psql"
log "machine load at the end: $(uptime | sed 's/.*load average/load average/')"
log "pra restore phases (best run): $(phases_of "$best_restore_log")"
log "all runs: pra backup ${pra_b[*]}; peer backup ${peer_b[*]}; pigz backup ${pigz_b[*]:-n/a};" \
    "pra restore ${pra_r[*]}; peer restore ${peer_r[*]}; pg_restore -j2 ${pgr_r[*]};" \
    "pra verify ${pra_v[*]}; gzip -t ${peer_v[*]}"
log "peak RSS of the pra process, VmHWM polled [GNU time %M = max of pra and its children]:"
log "   scale $small_scale ($(bytes_mib "$small_db_bytes") MiB db): backup $(mib "$small_b_rss") MiB [$(mib "$small_b_max")]," \
    "restore $(mib "$small_r_rss") MiB [$(mib "$small_r_max")]"
log "   scale $scale ($(bytes_mib "$db_bytes") MiB db): backup $(mib "$rss_b") MiB [$(mib "$max_b")]," \
    "restore $(mib "$rss_r") MiB [$(mib "$max_r")]"

echo
le "$ratio_b" 0.60; verdict "backup ratio <= 0.60" $? "pra ${best_pra_b}s / peer ${best_peer_b}s = $ratio_b"
le "$ratio_r" 0.75; verdict "restore ratio <= 0.75" $? "pra ${best_pra_r}s / peer ${best_peer_r}s = $ratio_r"
le "$ratio_v" 1.2; verdict "verify ratio <= 1.20" $? "pra ${best_pra_v}s / gzip -t ${best_peer_v}s = $ratio_v"
# RSS bars are judged on the conservative peaks (larger of VmHWM and %M).
peak=$(max_of "$big_b" "$big_r" "$sm_b" "$sm_r" "$rss_v")
awk -v k="$peak" 'BEGIN { exit !(k <= 64 * 1024) }'
verdict "peak RSS <= 64 MiB" $? "max $(mib "$peak") MiB over backup and restore at both scales, and verify"
# "Not growing": at most 4 MiB more at the larger scale than at the smaller one.
growth_b=$(( big_b - sm_b )); growth_r=$(( big_r - sm_r ))
[ "$growth_b" -le 4096 ] && [ "$growth_r" -le 4096 ]
verdict "RSS not growing with scale (<=4 MiB)" $? \
    "scale $small_scale -> $scale: backup $(mib "$growth_b") MiB, restore $(mib "$growth_r") MiB"
echo
log "total time $(elapsed "$script_start" "$(now)")s"
exit 0
