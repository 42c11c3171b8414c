#!/usr/bin/env bash
# Wall-clock budgets, kept out of the test suite (a loaded CI machine would fail them without a
# regression): the whole drill catalogue within 5 minutes, and the compliance report over twelve
# runs of it within 1 second.
#   bench/budgets.sh [--catalogue-budget SECONDS] [--report-budget SECONDS]
# Exit 0 when both are within budget, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
catalogue_budget=300 report_budget=1
while (($#)); do
    case "$1" in
        --catalogue-budget) catalogue_budget="$2"; shift 2 ;;
        --report-budget) report_budget="$2"; shift 2 ;;
        *) echo "usage: $0 [--catalogue-budget SECONDS] [--report-budget SECONDS]" >&2; exit 2 ;;
    esac
done
swift build -c release --product pra >/dev/null
pra="$(swift build -c release --show-bin-path)/pra"
work="$(mktemp -d /tmp/pra-budgets.XXXXXX)"
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
within() { awk -v s="$1" -v b="$2" 'BEGIN { exit !(s <= b) }'; }
status=0

t0=$(now)
PRA_FIXTURES_DIR="$PWD/fixtures" "$pra" drill run scenarios --quiet --env-file /dev/null \
    --junit "$work/junit.xml" --json "$work/run.json" --history "$work/history.jsonl" >"$work/catalogue.out" || true
t1=$(now)
catalogue=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
echo "catalogue: ${catalogue}s (budget ${catalogue_budget}s); $(tail -1 "$work/catalogue.out")"
within "$catalogue" "$catalogue_budget" || { echo "catalogue: over budget" >&2; status=1; }

# Twelve runs of the catalogue in the history, then the report over them.
line=$(head -1 "$work/history.jsonl")
for month in $(seq 1 12); do echo "$line"; done >"$work/year.jsonl"
t0=$(now)
"$pra" report --history "$work/year.jsonl" --html "$work/compliance.html" --markdown "$work/compliance.md" --env-file /dev/null >/dev/null 2>&1 || true
t1=$(now)
report=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
echo "report over 12 runs: ${report}s (budget ${report_budget}s)"
within "$report" "$report_budget" || { echo "report: over budget" >&2; status=1; }
[[ -s "$work/compliance.html" ]] || { echo "report: no HTML written" >&2; status=1; }
exit $status
