#!/usr/bin/env bash
# Kill-loop campaign (issue 9): kill -9 of `pra backup --full`, `pra restore --latest` and
# `pra wal push` at seeded moments (by time, and by bytes written / loaded), then check:
#   - no archive looks complete without a valid manifest (every archive with a manifest verifies);
#   - every earlier backup is byte-identical (archive and manifest);
#   - the restore target is absent, or complete (every table's row count equals the source's);
#   - every WAL file in the archive matches the SHA-256 in its name;
#   - the next run succeeds.
#
# Usage: scripts/kill-loop.sh [--rounds N] [--seed S] [--scale X]
#   --rounds N   kills per command (default 50: the long mode; scripts/test.sh runs 4)
#   --seed S     seed of the kill moments (default 9)
#   --scale X    fixture scale of the source database (default 0.1)
#
# Prints one line per command with the counts and exits 1 when any check failed.
set -uo pipefail

rounds=50
seed=9
scale=0.1
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=${2:?}; shift 2 ;;
        --seed) seed=${2:?}; shift 2 ;;
        --scale) scale=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
pra="${PRA_BINARY:-$(swift build --show-bin-path)/pra}"
[ -x "$pra" ] || { swift build --product pra >/dev/null || exit 1; }
unset DATABASE_URL PGSERVICE PGPASSWORD BACKUP_PREFIX RESTORE_DB LOG_DIR REMOTE_TARGET APP_HEALTH_URL API_ENDPOINTS CRITICAL_TABLES SLACK_WEBHOOK ALERT_EMAIL
RANDOM=$seed
started=$(date +%s)
failures=0
work=$(mktemp -d /tmp/pra-killloop-XXXXXX)
chmod 755 "$work"
cleanup() {
    [ -n "${PRA_CLUSTER_DIR:-}" ] && "$pra" cluster down --dir "$PRA_CLUSTER_DIR" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ms_sleep() { sleep "$(awk -v m="$1" 'BEGIN { printf "%.3f", m / 1000 }')"; }

eval "$("$pra" cluster up --archive-to "$work/wal-source" --archive-timeout 1)" || exit 1
export BACKUP_DIR="$work/backups" REPORT_DIR="$work/reports"
"$pra" fixtures load --scale "$scale" --database killsrc >/dev/null || exit 1
export PGDATABASE=killsrc
"$pra" backup --full --quiet >/dev/null || exit 1

counts() {
    psql -X -Atq -d "$1" -c "SELECT coalesce(string_agg(table_schema || '.' || table_name || '=' || (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text, ',' ORDER BY table_schema, table_name), '') FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'"
}
source_counts=$(counts killsrc)
expected_size=$(stat -c %s "$(ls "$BACKUP_DIR"/*.sql.gz | head -1)")

fingerprints() { (cd "$BACKUP_DIR" && for m in *.manifest.json; do sha256sum "$m" "${m%.manifest.json}"; done) 2>/dev/null | sort; }

check_backups() {
    local archive
    for archive in "$BACKUP_DIR"/*.sql.gz; do
        [ -e "$archive" ] || continue
        if [ -e "$archive.manifest.json" ]; then
            "$pra" verify --quiet "$archive" >/dev/null 2>&1 || fail "round $1: $archive has a manifest but does not verify"
        fi
    done
}

# --- backup ---------------------------------------------------------------------------
backup_kills=0
for round in $(seq 1 "$rounds"); do
    before=$(fingerprints)
    "$pra" backup --full --quiet >/dev/null 2>&1 &
    pid=$!
    if [ $((round % 2)) -eq 0 ]; then
        ms_sleep $((RANDOM % 1500))
        how="time"
    else
        threshold=$((RANDOM % (expected_size + 1)))
        how="bytes>=$threshold"
        for _ in $(seq 1 600); do
            size=$(stat -c %s "$BACKUP_DIR"/.*.partial 2>/dev/null | head -1)
            [ -n "$size" ] && [ "$size" -ge "$threshold" ] && break
            kill -0 "$pid" 2>/dev/null || break
            ms_sleep 5
        done
    fi
    kill -9 "$pid" 2>/dev/null && backup_kills=$((backup_kills + 1))
    wait "$pid" 2>/dev/null
    after=$(fingerprints)
    # Every earlier backup is still there, byte for byte (the killed one may have completed).
    missing=$(comm -23 <(echo "$before") <(echo "$after"))
    [ -z "$missing" ] || fail "backup round $round ($how): an earlier backup changed: $missing"
    check_backups "$round"
    "$pra" backup --full --quiet >/dev/null 2>&1 || fail "backup round $round ($how): the next backup failed"
done
leftover=$(ls -A "$BACKUP_DIR" | grep -c '\.partial$')
echo "kill loop: pra backup killed $backup_kills/$rounds times (half by time, half by bytes written); $(ls "$BACKUP_DIR"/*.manifest.json | wc -l) complete backups, all verified; partial files left now: $leftover"

# --- restore --------------------------------------------------------------------------
restore_kills=0
absent=0
complete=0
for round in $(seq 1 "$rounds"); do
    "$pra" restore --latest --target-db killtarget --force --quiet >/dev/null 2>&1 &
    pid=$!
    if [ $((round % 2)) -eq 0 ]; then
        ms_sleep $((RANDOM % 2500))
        how="time"
    else
        threshold=$((RANDOM % 12000000))
        how="loaded>=$threshold"
        for _ in $(seq 1 600); do
            size=$(psql -X -Atq -d postgres -c "SELECT pg_database_size(datname) FROM pg_database WHERE datname = 'killtarget__pra_restoring'" 2>/dev/null)
            [ -n "$size" ] && [ "$size" -ge "$threshold" ] && break
            kill -0 "$pid" 2>/dev/null || break
            ms_sleep 10
        done
    fi
    kill -9 "$pid" 2>/dev/null && restore_kills=$((restore_kills + 1))
    wait "$pid" 2>/dev/null
    ms_sleep 200  # the server notices the closed connection and ends psql's session
    if [ "$(psql -X -Atq -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = 'killtarget'")" = 1 ]; then
        [ "$(counts killtarget)" = "$source_counts" ] && complete=$((complete + 1)) || fail "restore round $round ($how): killtarget exists but is incomplete"
    else
        absent=$((absent + 1))
    fi
    "$pra" restore --latest --target-db killtarget --force --quiet >/dev/null 2>&1 || fail "restore round $round ($how): the next restore failed"
    [ "$(counts killtarget)" = "$source_counts" ] || fail "restore round $round ($how): the next restore is incomplete"
done
echo "kill loop: pra restore killed $restore_kills/$rounds times (half by time, half by bytes loaded); target afterwards: $complete complete (the old or new copy), $absent absent, 0 partial; every next restore succeeded and matched the source"

# --- wal push -------------------------------------------------------------------------
psql -X -q -d killsrc -c "CREATE TABLE wal_ballast AS SELECT g, md5(g::text) AS h FROM generate_series(1, 200000) g" >/dev/null
psql -X -Atq -d postgres -c "SELECT pg_switch_wal()" >/dev/null
sleep 3
segment_dir="$work/segments"
mkdir -p "$segment_dir"
data_dir="$PRA_CLUSTER_DIR/data"
for name in $(ls "$data_dir/pg_wal/archive_status" 2>/dev/null | grep '\.done$' | sed 's/\.done$//' | grep -E '^[0-9A-F]{24}$' | head -4); do
    cp "$data_dir/pg_wal/$name" "$segment_dir/" 2>/dev/null
done
segments=($(ls "$segment_dir"))
push_kills=0
if [ ${#segments[@]} -eq 0 ]; then
    fail "no archived WAL segment to push"
else
    for round in $(seq 1 "$rounds"); do
        segment="$segment_dir/${segments[$((round % ${#segments[@]}))]}"
        target="$work/walkill-$round"
        "$pra" wal push "$segment" --backup-dir "$target" --env-file /dev/null >/dev/null 2>&1 &
        pid=$!
        ms_sleep $((RANDOM % 600))
        kill -9 "$pid" 2>/dev/null && push_kills=$((push_kills + 1))
        wait "$pid" 2>/dev/null
        for file in $(find "$target" -name '*.gz' 2>/dev/null); do
            want=$(basename "$file" .gz); want=${want##*-}
            got=$(gunzip -c "$file" 2>/dev/null | sha256sum | cut -d' ' -f1)
            [ "$want" = "$got" ] || fail "wal push round $round: $file looks complete but its content does not match its name"
        done
        "$pra" wal push "$segment" --backup-dir "$target" --env-file /dev/null >/dev/null 2>&1 || fail "wal push round $round: the next push failed"
        [ "$(find "$target" -name "$(basename "$segment")-*.gz" | wc -l)" = 1 ] || fail "wal push round $round: the segment is not archived once"
        rm -rf "$target"
    done
fi
echo "kill loop: pra wal push killed $push_kills/$rounds times (by time); no WAL file in the archive without its full content; every next push succeeded"

echo "kill loop: $((backup_kills + restore_kills + push_kills)) kills, $failures failed checks, $(( $(date +%s) - started )) s (seed $seed, scale $scale)"
[ "$failures" -eq 0 ]
