#!/usr/bin/env bash
# Every pra_ metric the Grafana dashboard and the alerting rules use must appear in what pra
# really writes: pass the files `pra status --prometheus` and `pra drill run --prometheus` wrote
# (scripts/test-package.sh does, from a scratch cluster). Exit 1 naming each missing metric.
# Usage: monitoring/check-metrics.sh EXPOSITION_FILE...
set -euo pipefail
cd "$(dirname "$0")"
(($#)) || { echo "usage: $0 EXPOSITION_FILE..." >&2; exit 2; }
emitted=$(cat "$@" | grep -v '^#' | sed -E 's/[{ ].*//' | sort -u)
[[ -n $emitted ]] || { echo "check-metrics: no samples in $*" >&2; exit 1; }
dashboard=$(python3 -c '
import json, sys
def walk(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("expr", "query", "definition") and isinstance(value, str): print(value)
            elif isinstance(value, dict) and key == "query" and "query" in value: print(value["query"])
            walk(value)
    elif isinstance(node, list):
        for item in node: walk(item)
walk(json.load(open("grafana-dashboard.json")))
' | grep -o 'pra_[a-z0-9_]*' | sort -u)
rules=$(grep -v '^\s*#' pra-alerts.yml | grep -o 'pra_[a-z0-9_]*' | sort -u)
[[ -n $dashboard && -n $rules ]] || { echo "check-metrics: found no metric in the dashboard or the rules" >&2; exit 1; }
status=0
for metric in $(printf '%s\n%s\n' "$dashboard" "$rules" | sort -u); do
    if ! grep -qx "$metric" <<<"$emitted"; then
        users=()
        grep -qx "$metric" <<<"$dashboard" && users+=("the dashboard")
        grep -qx "$metric" <<<"$rules" && users+=("the rules")
        echo "check-metrics: $metric is used by ${users[0]}${users[1]:+ and ${users[1]}} but pra did not write it" >&2
        status=1
    fi
done
used=$(printf '%s\n%s\n' "$dashboard" "$rules" | sort -u | wc -l)
((status)) || echo "check-metrics: the $used metrics the dashboard ($(wc -l <<<"$dashboard")) and the rules ($(wc -l <<<"$rules")) use all appear in pra's output ($(wc -l <<<"$emitted") metrics)"
exit "$status"
