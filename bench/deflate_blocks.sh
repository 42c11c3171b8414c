#!/usr/bin/env bash
# The compressors behind `pra backup`, one thread each, on one plain-SQL dump:
#   gzip -6, zlib (pigz -p1 -6), libdeflate over the whole file (libdeflate-gzip -6), and
#   libdeflate in blocks joined into one gzip member as pra does (bench/deflate/blocks.c,
#   built against pra's block walker), at 512 KiB, 1 MiB and 2 MiB. Each output is checked
#   with gzip -t and compared with the dump. Then the walker's sanitizer run: the same harness
#   built with AddressSanitizer and UndefinedBehaviorSanitizer over truncated, bit-flipped and
#   random streams.
#
# usage: bench/deflate_blocks.sh [--file DUMP.sql | --scale N] [--fuzz-rounds N]
#   --file DUMP.sql   use this dump instead of making one
#   --scale N         make the dump from the akig fixture at scale N on a scratch cluster
#                     (default 20: 534 MiB of SQL, about 2 minutes in all)
#   --fuzz-rounds N   sanitizer rounds (default 30000; 0 skips it)
# Needs cc and libdeflate-dev; pigz and libdeflate-tools are used when installed.
# Exits 1 when a check fails, 2 on a usage error.
set -uo pipefail

file=""
scale=20
rounds=30000
usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --file) file=${2:?--file needs a path}; shift 2 ;;
        --scale) scale=${2:?--scale needs a value}; shift 2 ;;
        --fuzz-rounds) rounds=${2:?--fuzz-rounds needs a value}; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
[[ $rounds =~ ^[0-9]+$ ]] || { echo "--fuzz-rounds must be a number" >&2; exit 2; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/pra-deflate.XXXXXX") || exit 1
cluster_dir=""
pra=""
cleanup() {
    [ -n "$cluster_dir" ] && "$pra" cluster down --dir "$cluster_dir" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cpu_of() { # command... : prints the user+system seconds of the command (stdin/stdout as given)
    local start end self=$BASHPID  # this shell, which waits for the command
    start=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$self/stat")
    "$@" || return 1
    end=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$self/stat")
    awk -v a="$start" -v b="$end" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz }'
}

if [ -z "$file" ]; then
    (cd "$repo" && swift build -c release --product pra) >"$work/build.log" 2>&1 || { tail -20 "$work/build.log" >&2; die "swift build failed"; }
    pra="$(cd "$repo" && swift build -c release --show-bin-path)/pra"
    "$pra" cluster up >"$work/cluster.env" 2>"$work/cluster.err" || { cat "$work/cluster.err" >&2; die "pra cluster up failed"; }
    while read -r word assignment; do
        [ "$word" = export ] || continue
        case "${assignment%%=*}" in
            PGHOST|PGPORT|PGUSER) export "$assignment" ;;
            PRA_CLUSTER_DIR) cluster_dir=${assignment#*=} ;;
        esac
    done <"$work/cluster.env"
    echo "== loading the akig fixture at scale $scale and dumping it"
    (cd "$work" && "$pra" fixtures load --scale "$scale" --database akig --replace --quiet) || die "pra fixtures load failed"
    file="$work/dump.sql"
    pg_dump --no-password akig >"$file" || die "pg_dump failed"
fi
[ -r "$file" ] || die "cannot read $file"
echo "== $(awk -v b="$(stat -c %s "$file")" 'BEGIN { printf "%.1f", b / 1048576 }') MiB of SQL in $file"

cc -O2 -I"$repo/Sources/CDeflateBlocks/include" "$repo/bench/deflate/blocks.c" \
    "$repo/Sources/CDeflateBlocks/pra_deflate_blocks.c" -ldeflate -o "$work/blocks" || die "cannot build the harness (cc, libdeflate-dev)"

failed=0
check() { # label file.gz
    if gzip -t "$2" && cmp -s <(gzip -dc "$2") "$file"; then
        printf '%-44s %s bytes\n' "   $1" "$(stat -c %s "$2")"
    else
        echo "   $1: FAILED (gzip -t or content)"; failed=1
    fi
}
echo "== one thread each, level 6 (CPU seconds)"
for tool in "gzip -6" "pigz -p1 -6" "libdeflate-gzip -6"; do
    command -v "${tool%% *}" >/dev/null || { echo "   $tool: not installed"; continue; }
    # shellcheck disable=SC2086 # the tool's words are meant to split
    seconds=$(cpu_of sh -c "$tool -c <\"\$0\" >\"\$1\"" "$file" "$work/out.gz") || { echo "   $tool failed"; failed=1; continue; }
    echo "   $tool: $seconds s CPU"
    check "$tool" "$work/out.gz"
done
for block in 512 1024 2048; do
    "$work/blocks" time "$file" "$block" 6 "$work/out.gz" | sed 's/^/   /' || failed=1
    check "libdeflate blocks of $block KiB" "$work/out.gz"
done

if [ "$rounds" -gt 0 ]; then
    echo "== the walker under AddressSanitizer and UndefinedBehaviorSanitizer, $rounds rounds"
    cc -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -I"$repo/Sources/CDeflateBlocks/include" \
        "$repo/bench/deflate/blocks.c" "$repo/Sources/CDeflateBlocks/pra_deflate_blocks.c" -ldeflate -o "$work/blocks-asan" \
        || die "cannot build the sanitizer harness"
    head -c 8388608 "$file" >"$work/sample"
    ASAN_OPTIONS=detect_leaks=0 "$work/blocks-asan" fuzz "$work/sample" "$rounds" | sed 's/^/   /' || failed=1
fi
exit "$failed"
