#!/usr/bin/env bash
# The Debian package, tested as a user meets it (run as root on a Debian machine; .ci/run does):
#  1. scripts/package-deb.sh builds pra_<version>_<arch>.deb; lintian reports no error;
#  2. `apt-get install ./pra_*.deb`; then, with no Swift toolchain on PATH
#     (env -i PATH=/usr/bin:/bin): pra --version names version and commit, ldd resolves only
#     packages named in Depends:, man pra-backup, completions, systemd-analyze verify on the
#     units (whose schedules must be those of `pra schedule print --systemd`), logrotate -d,
#     the env example's mode, /var/lib/pra owned by postgres;
#  3. a real session on a scratch server with the installed binary: cluster up with continuous
#     archiving, fixture, full + base + incremental backups with an off-site copy, verify,
#     restore into a new database (row counts compared table by table), status --prometheus,
#     one drill scenario with --prometheus;
#  4. `apt-get purge pra`: every file the package installed is gone, and /etc/pra, /var/lib/pra,
#     /var/log/pra; what stays is what Debian policy keeps (the postgres account);
#  5. monitoring/: promtool check rules, promtool test rules, promtool check metrics on pra's
#     real output, and every metric of the dashboard and the rules found in that output.
# Prints the duration of each part; exit 0 when everything passed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
start=$SECONDS
[[ $(id -u) -eq 0 ]] || { echo "test-package: run as root (it installs and purges the package)" >&2; exit 1; }
for tool in lintian promtool systemd-analyze man col objdump dpkg-shlibdeps logrotate python3; do
    command -v "$tool" >/dev/null || { echo "test-package: $tool is missing (.ci/run installs it: lintian prometheus systemd man-db bsdextrautils binutils dpkg-dev logrotate)" >&2; exit 1; }
done
work=$(mktemp -d /tmp/pra-test-package.XXXXXX)
chmod 755 "$work"   # the scratch server (postgres) archives WAL under it
installed=0
# On failure the package is purged too: the suite that runs next must not find a pra on PATH.
cleanup() {
    if ((installed)) && dpkg -s pra >/dev/null 2>&1; then DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq pra >/dev/null 2>&1 || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
step() { echo "test-package: $* ($((SECONDS - start)) s)" >&2; }
fail() { echo "test-package: FAILED: $*" >&2; exit 1; }
clean_env=(env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb)

# 1. Build and lint.
step "building the package"
built=$SECONDS
deb=$(scripts/package-deb.sh "$work/dist" | tail -n 1)
[[ -f $deb ]] || fail "scripts/package-deb.sh printed no package"
build_seconds=$((SECONDS - built))
step "built $(basename "$deb") in ${build_seconds} s; lintian"
lintian --fail-on error --tag-display-limit 0 "$deb" >"$work/lintian.txt" 2>&1 || { cat "$work/lintian.txt" >&2; fail "lintian reports errors"; }
sed 's/^/  lintian: /' "$work/lintian.txt" >&2
! grep -q '^E: ' "$work/lintian.txt" || fail "lintian reports errors"

# 2. Install as a user would, and check what it installed.
if dpkg -s pra >/dev/null 2>&1; then apt-get purge -y -qq pra >/dev/null; fi
step "apt-get install ./$(basename "$deb")"
(cd "$(dirname "$deb")" && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$(basename "$deb")" >"$work/apt.txt" 2>&1) || { cat "$work/apt.txt" >&2; fail "apt-get install"; }
installed=1
dpkg -L pra >"$work/files.txt"

"${clean_env[@]}" sh -c '! command -v swift >/dev/null' || fail "swift is on PATH=/usr/bin:/bin: the checks would not prove the package needs no toolchain"
version=$("${clean_env[@]}" pra --version)
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+\ \((commit\ [0-9a-f]{12}(-dirty)?|unknown\ commit)\)$ ]] || fail "pra --version printed '$version'"
if git rev-parse --short=12 HEAD >/dev/null 2>&1; then
    [[ $version == *"commit $(git rev-parse --short=12 HEAD)"* ]] || fail "pra --version ($version) does not name the commit $(git rev-parse --short=12 HEAD)"
fi
step "pra --version: $version"

# What the binary loads directly (NEEDED) must come from packages Depends: names; what those
# libraries load in turn (ldd's full list) from their own dependencies, installed by apt.
names() { tr ',|' '\n\n' | sed -E 's/^ *//; s/[ (].*//; s/:.*//' | grep -v '^$' | sort -u; }
depends=$(dpkg-query -W -f='${Depends}' pra | names)
closure=$depends
queue=$depends
while [[ -n $queue ]]; do
    next=
    for package in $queue; do
        for dependency in $(dpkg-query -W -f='${Depends},${Pre-Depends}' "$package" 2>/dev/null | names); do
            dpkg-query -W -f='${Status}' "$dependency" 2>/dev/null | grep -q 'ok installed' || continue
            grep -qx "$dependency" <<<"$closure" || { closure+=$'\n'$dependency; next+=" $dependency"; }
        done
    done
    queue=$next
done
# The package owning a library: dpkg knows one spelling of the path (/lib or /usr/lib: usrmerge).
owner() {
    local real candidate found
    real=$(readlink -f "$1")
    for candidate in "$1" "$real" "${1#/usr}" "/usr$1" "${real#/usr}" "/usr${real#/usr}" "$(dirname "$real")/$(basename "$1")" "$(dirname "${real#/usr}")/$(basename "$1")"; do
        found=$(dpkg -S "$candidate" 2>/dev/null | grep -v '^diversion' | head -n 1 | cut -d: -f1) || true
        [[ -z $found ]] || { echo "$found"; return; }
    done
}
ldd /usr/bin/pra >"$work/ldd.txt"
! grep -q 'not found' "$work/ldd.txt" || { cat "$work/ldd.txt" >&2; fail "ldd: a library is not found"; }
! grep -qi swift "$work/ldd.txt" || { cat "$work/ldd.txt" >&2; fail "the binary loads a Swift runtime library"; }
for needed in $(objdump -p /usr/bin/pra | awk '$1 == "NEEDED" {print $2}'); do
    library=$(awk -v lib="$needed" '($1 == lib && $3 ~ /^\//) {print $3} ($1 ~ /^\// && substr($1, length($1) - length(lib)) == "/" lib) {print $1}' "$work/ldd.txt" | head -n 1)
    [[ -n $library ]] || fail "ldd does not resolve $needed"
    package=$(owner "$library")
    [[ -n $package ]] || fail "$library ($needed) belongs to no Debian package"
    grep -qx "$package" <<<"$depends" || fail "the binary loads $needed from $package, which Depends: does not name"
done
for library in $(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' "$work/ldd.txt"); do
    package=$(owner "$library")
    [[ -n $package ]] || fail "ldd: $library belongs to no Debian package"
    grep -qx "$package" <<<"$closure" || fail "ldd: $library comes from $package, outside the dependencies of pra"
done
for package in libpq5 libdeflate0 zlib1g postgresql-client gzip tar util-linux; do
    grep -qx "$package" <<<"$depends" || fail "Depends: does not name $package"
done
step "ldd: what pra loads comes from Depends: ($(tr '\n' ' ' <<<"$depends")), the rest from their dependencies ($(wc -l <<<"$closure") packages)"

"${clean_env[@]}" man -w pra-backup >/dev/null || fail "man -w pra-backup"
page=$("${clean_env[@]}" MANWIDTH=100 man pra-backup 2>"$work/man.err" | col -b) || { cat "$work/man.err" >&2; fail "man pra-backup"; }
grep -q 'pra backup' <<<"$page" && grep -q -- '--full' <<<"$page" || fail "man pra-backup does not describe pra backup --full"
for manual in pra pra-restore pra-status pra-drill-run pra-wal-push; do
    "${clean_env[@]}" man -w "$manual" >/dev/null || fail "no manual page $manual"
done
bash -n /usr/share/bash-completion/completions/pra || fail "bash completion does not parse"
grep -q '^#compdef pra' /usr/share/zsh/vendor-completions/_pra || fail "zsh completion"
grep -q "^complete -c 'pra'" /usr/share/fish/vendor_completions.d/pra.fish || fail "fish completion"
step "man pra-backup, completions ok"

[[ $(stat -c %a /etc/pra/pra.env.example) == 600 ]] || fail "/etc/pra/pra.env.example is not mode 600"
(umask 022 && cp /etc/pra/pra.env.example "$work/pra.env")
[[ $(stat -c %a "$work/pra.env") == 600 ]] || fail "a copy of pra.env.example is not mode 600"
for dir in /var/lib/pra /var/lib/pra/backups /var/lib/pra/reports /var/lib/pra/metrics /var/log/pra; do
    [[ $(stat -c %U "$dir") == postgres ]] || fail "$dir is not owned by postgres"
done
systemd-analyze verify /lib/systemd/system/pra-*.service /lib/systemd/system/pra-*.timer 2>"$work/verify.txt" ||
    { cat "$work/verify.txt" >&2; fail "systemd-analyze verify"; }
! grep -i 'pra-' "$work/verify.txt" || fail "systemd-analyze verify warns about pra's units"
# The units keep the plan's schedule: the same jobs and times as `pra schedule print --systemd`.
# (pra schedule print wants the env file to exist: the copy stands in for /etc/pra/pra.env.)
"${clean_env[@]}" pra schedule print --systemd --user postgres --env-file "$work/pra.env" --drill-dir /usr/share/pra >"$work/schedule.raw" ||
    fail "pra schedule print --systemd"
sed "s|$work/pra.env|/etc/pra/pra.env|g" "$work/schedule.raw" >"$work/schedule.txt"
jobs=0
while read -r unit; do
    name=${unit#/etc/systemd/system/}
    [[ -f /lib/systemd/system/$name ]] || fail "the package has no $name (pra schedule print has it)"
    expected=$(awk -v unit="$unit" '$0 == "# ==> " unit " <==" {on=1; next} /^# ==> / {on=0} on && /^(OnCalendar|ExecStart|User|WorkingDirectory)=/' "$work/schedule.txt")
    while read -r line; do
        [[ -n $line ]] || continue
        key=${line%%=*}
        actual=$(grep "^$key=" "/lib/systemd/system/$name")
        # A unit may add options after pra schedule print's (status and drill write Prometheus files).
        [[ $actual == "$line" || $actual == "$line "* ]] || fail "$name: '$actual', pra schedule print says '$line'"
    done <<<"$expected"
    jobs=$((jobs + 1))
done < <(sed -n 's/^# ==> \(.*\) <==$/\1/p' "$work/schedule.txt")
((jobs == 14)) || fail "pra schedule print --systemd printed $jobs units, expected 14"
logrotate -d /etc/logrotate.d/pra >"$work/logrotate.txt" 2>&1 || { cat "$work/logrotate.txt" >&2; fail "logrotate -d /etc/logrotate.d/pra"; }
! grep -qiE '^error' "$work/logrotate.txt" || { cat "$work/logrotate.txt" >&2; fail "logrotate reports an error"; }
step "units verified and on the plan's schedule, logrotate file parses, /var/lib/pra owned by postgres"

# 3. A real session with the installed binary, nothing but /usr/bin:/bin on PATH.
session=$SECONDS
"${clean_env[@]}" WORK="$work" bash -euo pipefail -c '
    cd /usr/share/pra                              # the fixture and the scenarios the package ships
    ! command -v swift >/dev/null
    [[ $(command -v pra) == /usr/bin/pra ]]
    eval "$(pra cluster up --archive-to "$WORK/backups")"
    trap '\''eval "$(pra cluster down)" >/dev/null || true'\'' EXIT
    export BACKUP_DIR=$WORK/backups REPORT_DIR=$WORK/reports REMOTE_TARGET=$WORK/offsite
    pra fixtures load --scale 0.05 --database akig
    export PGDATABASE=akig
    pra backup --full
    pra backup --base
    pra backup --incremental
    pra verify --all
    pra restore --latest --target-db akig_restore_test --force
    tables=$(psql -XAt -d akig -c "SELECT format('"'"'%I.%I'"'"', schemaname, tablename) FROM pg_tables WHERE schemaname NOT IN ('"'"'pg_catalog'"'"', '"'"'information_schema'"'"') ORDER BY 1")
    [[ $(wc -l <<<"$tables") -ge 40 ]] || { echo "only $(wc -l <<<"$tables") tables in akig" >&2; exit 1; }
    rows=0
    for table in $tables; do
        source=$(psql -XAt -d akig -c "SELECT count(*) FROM $table")
        restored=$(psql -XAt -d akig_restore_test -c "SELECT count(*) FROM $table")
        [[ $source == "$restored" ]] || { echo "$table: $source rows in akig, $restored restored" >&2; exit 1; }
        rows=$((rows + source))
    done
    echo "test-package: restored $(wc -l <<<"$tables") tables, $rows rows, equal to the source" >&2
    pra status --prometheus "$WORK/pra.prom" || [[ $? == 2 ]]   # OK, or WARNING
    pra drill run --only baseline-drop-database --scale 0.02 --prometheus "$WORK/pra-drill.prom" \
        --junit "$WORK/junit.xml" --json "$WORK/drill.json" --history "$WORK/history.jsonl"
' || fail "the backup and restore session with the installed pra"
for metric in pra_backup_age_seconds pra_wal_archive_age_seconds pra_remote_copy_age_seconds pra_restore_test_timestamp_seconds pra_recoverable_to_timestamp_seconds pra_verification_valid; do
    grep -q "^$metric " "$work/pra.prom" || { cat "$work/pra.prom" >&2; fail "pra status --prometheus wrote no $metric"; }
done
grep -q '^pra_drill_passed 1$' "$work/pra-drill.prom" || { cat "$work/pra-drill.prom" >&2; fail "the drill did not pass"; }
session_seconds=$((SECONDS - session))
step "backup, verify, restore, status and drill with the installed pra: ${session_seconds} s"

# 4. Purge: nothing left but what Debian policy keeps.
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq pra >"$work/purge.txt" 2>&1 || { cat "$work/purge.txt" >&2; fail "apt-get purge pra"; }
! dpkg -s pra >/dev/null 2>&1 || fail "dpkg still knows pra after the purge"
while read -r path; do
    [[ $path != /. ]] && [[ -e $path || -L $path ]] || continue
    # A directory stays when another package owns it or something else lives in it (/lib, /usr/share/man...).
    if [[ -d $path ]] && { dpkg -S "$path" >/dev/null 2>&1 || [[ -n $(ls -A "$path") ]]; }; then continue; fi
    fail "$path is left after the purge"
done <"$work/files.txt"
for path in /etc/pra /var/lib/pra /var/log/pra /usr/share/pra /usr/share/doc/pra; do
    [[ ! -e $path ]] || fail "$path is left after the purge"
done
getent passwd postgres >/dev/null || fail "the postgres account is gone"
step "purged: no file of the package left (the postgres account stays, as Debian policy wants)"

# 5. Monitoring assets.
monitoring=$SECONDS
promtool check rules monitoring/pra-alerts.yml >&2 || fail "promtool check rules"
promtool test rules monitoring/tests/pra-alerts.test.yml >&2 || fail "promtool test rules"
for file in "$work/pra.prom" "$work/pra-drill.prom"; do
    promtool check metrics <"$file" >&2 || fail "promtool check metrics $(basename "$file")"
done
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["panels"] and all(t["expr"] for p in d["panels"] for t in p.get("targets", []))' monitoring/grafana-dashboard.json ||
    fail "monitoring/grafana-dashboard.json is not a dashboard"
monitoring/check-metrics.sh "$work/pra.prom" "$work/pra-drill.prom" || fail "the dashboard or the rules use a metric pra does not write"
step "monitoring: rules checked and tested, dashboard metrics found in pra's output in $((SECONDS - monitoring)) s"
echo "test-package: passed in $((SECONDS - start)) s (package build ${build_seconds} s, session ${session_seconds} s)"
