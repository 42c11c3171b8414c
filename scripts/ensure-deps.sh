#!/usr/bin/env bash
# Installs what pra needs to build, test and run drills, when it is missing:
# the PostgreSQL server and client, libpq and zlib headers, pkg-config, util-linux (setpriv).
# As root it installs them with apt-get; otherwise it prints the exact command and fails.
set -euo pipefail

missing=()
have() { command -v "$1" >/dev/null 2>&1; }
server_installed() {
    have initdb || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}

server_installed || missing+=(postgresql)
have pg_dump && have psql || missing+=(postgresql-client)
have pkg-config || missing+=(pkg-config)
if have pkg-config; then
    pkg-config --exists libpq || missing+=(libpq-dev)
    pkg-config --exists zlib || missing+=(zlib1g-dev)
else
    missing+=(libpq-dev zlib1g-dev)
fi
have setpriv || missing+=(util-linux)
have gzip || missing+=(gzip)

if ((${#missing[@]})); then
    command="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
    if [[ $(id -u) -eq 0 ]] && have apt-get; then
        echo "ensure-deps: installing ${missing[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "ensure-deps: missing ${missing[*]}; run as root:" >&2
        echo "  sudo sh -c '$command'" >&2
        exit 1
    fi
fi

if ! have swift; then
    for candidate in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
        if [[ -x $candidate/swift ]]; then
            echo "ensure-deps: swift is in $candidate; add it to PATH: export PATH=$candidate:\$PATH" >&2
            exit 1
        fi
    done
    echo "ensure-deps: Swift 6 is not installed (Debian has no Swift 6 package); install a Swift 6 toolchain for Linux and put its usr/bin on PATH" >&2
    exit 1
fi
