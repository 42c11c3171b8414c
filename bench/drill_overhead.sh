#!/usr/bin/env bash
# Per-scenario overhead of a drill: starting a scratch cluster and seeding the fixture at a
# scale (default 1), then stopping it; and the whole catalogue's wall time.
#   bench/drill_overhead.sh [--scale N] [--runs N] [--no-catalogue]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
scale=1 runs=3 catalogue=1
while (($#)); do
    case "$1" in
        --scale) scale="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --no-catalogue) catalogue=0; shift ;;
        *) echo "usage: $0 [--scale N] [--runs N] [--no-catalogue]" >&2; exit 2 ;;
    esac
done
swift build -c release --product pra >/dev/null
pra="$(swift build -c release --show-bin-path)/pra"
work="$(mktemp -d /tmp/pra-overhead.XXXXXX)"
trap 'rm -rf "$work"' EXIT

echo "per-scenario overhead at scale $scale ($runs runs, $(nproc) CPUs)"
printf '%-4s %10s %10s %10s %10s\n' run "start s" "seed s" "stop s" "total s"
for i in $(seq "$runs"); do
    t0=$(now)
    "$pra" cluster up > "$work/env"
    t1=$(now)
    # shellcheck disable=SC1091
    (set -a; . "$work/env"; "$pra" fixtures load --scale "$scale" --database akig --quiet --env-file /dev/null >/dev/null)
    t2=$(now)
    dir=$(sed -n 's/^export PRA_CLUSTER_DIR=//p' "$work/env")
    "$pra" cluster down --dir "$dir" >/dev/null
    t3=$(now)
    printf '%-4s %10s %10s %10s %10s\n' "$i" "$(elapsed "$t0" "$t1")" "$(elapsed "$t1" "$t2")" "$(elapsed "$t2" "$t3")" "$(elapsed "$t0" "$t3")"
done

if ((catalogue)); then
    t0=$(now)
    "$pra" drill run scenarios --quiet --env-file /dev/null --junit "$work/junit.xml" --json "$work/run.json" --history "$work/history.jsonl" | tail -3
    echo "catalogue: $(ls scenarios/*.yaml | wc -l) scenarios in $(elapsed "$t0" "$(now)") s (budget 300 s)"
fi
