#!/usr/bin/env bash
# Wall-clock budgets, kept out of the test suite (a loaded CI machine would fail them without a
# regression): the whole drill catalogue, run as the main job runs it (scripts/main-job.sh:
# --jobs = twice the cores, at most 8), within about a minute (75 s), and the compliance report over twelve runs
# of it within 1 second. Also prints the catalogue one scenario at a time (--jobs 1), for
# comparison (not a budget).
#   bench/budgets.sh [--catalogue-budget SECONDS] [--report-budget SECONDS] [--jobs N] [--no-sequential]
# Exit 0 when both are within budget, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
catalogue_budget=75 report_budget=1 jobs=$(( $(nproc) * 2 )) sequential=1
(( jobs > 8 )) && jobs=8
while (($#)); do
    case "$1" in
        --catalogue-budget) catalogue_budget="$2"; shift 2 ;;
        --report-budget) report_budget="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        --no-sequential) sequential=0; shift ;;
        *) echo "usage: $0 [--catalogue-budget SECONDS] [--report-budget SECONDS] [--jobs N] [--no-sequential]" >&2; exit 2 ;;
    esac
done
swift build -c release --product pra >/dev/null
pra="$(swift build -c release --show-bin-path)/pra"
work="$(mktemp -d /tmp/pra-budgets.XXXXXX)"
trap 'rm -rf "$work"' EXIT
status=0
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# catalogue JOBS NAME: runs the catalogue, prints its wall time, leaves the time in $seconds.
catalogue() {
    local t0 t1
    t0=$(now)
    PRA_FIXTURES_DIR="$PWD/fixtures" "$pra" drill run scenarios --quiet --env-file /dev/null --jobs "$1" \
        --junit "$work/$2.xml" --json "$work/$2.json" --history "$work/$2.jsonl" >"$work/$2.out" || true
    t1=$(now)
    seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    echo "catalogue, --jobs $1: ${seconds}s; $(grep -E 'passed, .* failed' "$work/$2.out" | tail -1)"
}
if ((sequential)) && ((jobs > 1)); then
    catalogue 1 sequential
fi
catalogue "$jobs" catalogue
echo "catalogue as the main job runs it (--jobs $jobs): ${seconds}s (budget ${catalogue_budget}s)"
le "$seconds" "$catalogue_budget" || { echo "catalogue: over budget" >&2; status=1; }
grep -q ' 0 failed' "$work/catalogue.out" || { echo "catalogue: a scenario failed" >&2; status=1; }

# Twelve runs of the catalogue in the history, then the report over them.
line=$(head -1 "$work/catalogue.jsonl")
for month in $(seq 1 12); do echo "$line"; done >"$work/year.jsonl"
t0=$(now)
"$pra" report --history "$work/year.jsonl" --html "$work/compliance.html" --markdown "$work/compliance.md" --env-file /dev/null >/dev/null 2>&1 || true
t1=$(now)
report=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
echo "report over 12 runs: ${report}s (budget ${report_budget}s)"
le "$report" "$report_budget" || { echo "report: over budget" >&2; status=1; }
[[ -s "$work/compliance.html" ]] || { echo "report: no HTML written" >&2; status=1; }
exit $status
