#!/usr/bin/env bash
# Builds the Debian package pra_<version>_<arch>.deb from a release build:
#   /usr/bin/pra (Swift runtime linked statically: `swift build -c release --static-swift-stdlib`;
#   what it still loads dynamically is in Depends:, computed by dpkg-shlibdeps), man pages
#   generated from the command definitions by swift-argument-parser's generate-manual (the tool
#   behind its GenerateManual plugin), bash/zsh/fish completions from
#   `pra --generate-completion-script`, /etc/pra/pra.env.example (mode 600: a copy made with cp
#   stays 600), systemd service + timer units (packaging/systemd), a logrotate file for LOG_DIR,
#   the drill catalogue and fixture in /usr/share/pra, the monitoring assets in
#   /usr/share/pra/monitoring, /var/lib/pra (owned by postgres, set by postinst).
#
# Usage: scripts/package-deb.sh [OUTPUT_DIR]      (default: dist/; prints the package's path last)
# Needs: a Swift 6 toolchain, dpkg-dev (dpkg-shlibdeps), the build's -dev packages (ensure-deps).
# `pra --version` names the commit: this script writes the git-ignored
# Sources/pra/BuildCommit.generated.swift for the build and removes it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
output=${1:-dist}
mkdir -p "$output"
output=$(cd "$output" && pwd)

if ! command -v swift >/dev/null && [[ -x /opt/swift/usr/bin/swift ]]; then
    export PATH=/opt/swift/usr/bin:$PATH
fi
scripts/ensure-deps.sh >&2
# --static-swift-stdlib links Foundation's URLSession statically: it needs libcurl's link library.
if [[ ! -e /usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/libcurl.so ]]; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "package-deb: installing libcurl4-openssl-dev (static Foundation links libcurl)" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libcurl4-openssl-dev >/dev/null
    else
        echo "package-deb: libcurl4-openssl-dev is missing (static Foundation links libcurl); run as root:" >&2
        echo "  sudo apt-get install -y --no-install-recommends libcurl4-openssl-dev" >&2
        exit 1
    fi
fi
for tool in dpkg-deb dpkg-shlibdeps; do
    command -v "$tool" >/dev/null || { echo "package-deb: $tool is missing (apt-get install dpkg-dev)" >&2; exit 1; }
done

# The commit, compiled in (a tarball without .git builds "unknown commit").
generated=Sources/pra/BuildCommit.generated.swift
cleanup() { rm -f "$root/$generated"; [[ -z ${staging:-} ]] || rm -rf "$staging"; }
trap cleanup EXIT
if commit=$(git rev-parse --short=12 HEAD 2>/dev/null); then
    git diff --quiet HEAD -- 2>/dev/null || commit+="-dirty"
    printf '// Written by scripts/package-deb.sh for its build; removed afterwards (git-ignored).\nextension BuildCommit { static var commit: String { "commit %s" } }\n' "$commit" >"$generated"
    epoch=$(git log -1 --format=%ct)
else
    epoch=$(date +%s)
fi
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$epoch}

build=(swift build -c release --static-swift-stdlib)
echo "package-deb: ${build[*]} --product pra (the first release build takes 10+ minutes)" >&2
# Build output goes to stderr: stdout is the package's path only.
"${build[@]}" --product pra >&2
"${build[@]}" --product generate-manual >&2
bin=$("${build[@]}" --show-bin-path)
rm -f "$root/$generated"

version=$("$bin/pra" --version | awk '{print $1}')
[[ $version =~ ^[0-9][0-9A-Za-z.+~-]*$ ]] || { echo "package-deb: cannot read the version from pra --version" >&2; exit 1; }
arch=$(dpkg --print-architecture)
staging=$(mktemp -d "${TMPDIR:-/tmp}/pra-deb.XXXXXX")
pkg=$staging/pra_${version}_${arch}
umask 022

# Binary, stripped.
install -D -m 755 "$bin/pra" "$pkg/usr/bin/pra"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$pkg/usr/bin/pra"

# Man pages: one per command (pra.1, pra.backup.1, pra.drill.run.1 ... from generate-manual),
# installed as git does: pra-backup(1), pra-drill-run(1).
man=$staging/man
mkdir -p "$man" "$pkg/usr/share/man/man1"
"$bin/generate-manual" "$pkg/usr/bin/pra" --multi-page --section 1 \
    --date "$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)" --authors 'pra maintainers<maintainers@users.noreply.b-seed-50ca5f6b.example>' \
    --output-directory "$man"
for page in "$man"/*.1; do
    name=$(basename "$page" .1)
    dashed=${name//./-}
    # Title, NAME and cross references follow the file name (packaging/manpage.pl).
    perl packaging/manpage.pl "$page" | gzip -9n >"$pkg/usr/share/man/man1/$dashed.1.gz"
done

# Completions.
install -d "$pkg/usr/share/bash-completion/completions" "$pkg/usr/share/zsh/vendor-completions" "$pkg/usr/share/fish/vendor_completions.d"
# (bash-completion sources the file: no #! line)
"$pkg/usr/bin/pra" --generate-completion-script bash | sed '1{/^#!/d}' >"$pkg/usr/share/bash-completion/completions/pra"
"$pkg/usr/bin/pra" --generate-completion-script zsh >"$pkg/usr/share/zsh/vendor-completions/_pra"
"$pkg/usr/bin/pra" --generate-completion-script fish >"$pkg/usr/share/fish/vendor_completions.d/pra.fish"

# Configuration example: the repository's .env.example with the package's paths.
install -d -m 755 "$pkg/etc/pra" "$pkg/etc/logrotate.d"
{
    echo "# /etc/pra/pra.env.example, installed by the pra package. Copy it to /etc/pra/pra.env,"
    echo "# readable by the account the units run as (postgres) and by nobody else:"
    echo "#   install -m 600 -o postgres -g postgres /etc/pra/pra.env.example /etc/pra/pra.env"
    echo "#"
    sed -e 's|^BACKUP_DIR=./backups|BACKUP_DIR=/var/lib/pra/backups|' \
        -e 's|^REPORT_DIR=./reports  |REPORT_DIR=/var/lib/pra/reports|' \
        -e 's|^# LOG_DIR=/var/log/pra  |LOG_DIR=/var/log/pra    |' .env.example
} >"$pkg/etc/pra/pra.env.example"
grep -q '^BACKUP_DIR=/var/lib/pra/backups' "$pkg/etc/pra/pra.env.example" && grep -q '^REPORT_DIR=/var/lib/pra/reports' "$pkg/etc/pra/pra.env.example" &&
    grep -q '^LOG_DIR=/var/log/pra' "$pkg/etc/pra/pra.env.example" || { echo "package-deb: .env.example changed; update the paths sed" >&2; exit 1; }
chmod 600 "$pkg/etc/pra/pra.env.example"
install -m 644 packaging/logrotate "$pkg/etc/logrotate.d/pra"

# systemd units (not enabled: the operator picks the timers, docs/packaging.md).
install -d "$pkg/lib/systemd/system"
install -m 644 packaging/systemd/*.service packaging/systemd/*.timer "$pkg/lib/systemd/system/"

# The drill catalogue, the fixture and the monitoring assets.
install -d "$pkg/usr/share/pra/scenarios" "$pkg/usr/share/pra/fixtures/akig" "$pkg/usr/share/pra/monitoring"
install -m 644 scenarios/*.yaml "$pkg/usr/share/pra/scenarios/"
install -m 644 fixtures/akig/schema.sql fixtures/akig/generate.sql "$pkg/usr/share/pra/fixtures/akig/"
install -m 644 monitoring/grafana-dashboard.json monitoring/pra-alerts.yml "$pkg/usr/share/pra/monitoring/"

# Documentation.
install -d "$pkg/usr/share/doc/pra"
install -m 644 packaging/debian/copyright "$pkg/usr/share/doc/pra/copyright"
install -D -m 644 packaging/lintian-overrides "$pkg/usr/share/lintian/overrides/pra"
{
    echo "pra ($version) unstable; urgency=medium"
    echo
    echo "  * Release ${commit:-built from a source tree without git}."
    echo
    echo " -- pra maintainers <maintainers@users.noreply.b-seed-50ca5f6b.example>  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$pkg/usr/share/doc/pra/changelog.gz"

# State directories (postinst gives them to postgres).
install -d -m 755 "$pkg/var/lib/pra" "$pkg/var/lib/pra/metrics"

# Control files.
install -d -m 755 "$pkg/DEBIAN"
install -m 644 packaging/debian/conffiles "$pkg/DEBIAN/conffiles"
install -m 755 packaging/debian/postinst packaging/debian/postrm "$pkg/DEBIAN/"
shlibs=$(cd "$staging" && mkdir -p debian && printf 'Source: pra\n\nPackage: pra\nArchitecture: any\n' >debian/control &&
    dpkg-shlibdeps -O "$pkg/usr/bin/pra" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[[ -n $shlibs ]] || { echo "package-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$size/" -e "s/@SHLIBS_DEPENDS@/$shlibs/" \
    packaging/debian/control.in >"$pkg/DEBIAN/control"
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum >DEBIAN/md5sums)
chmod 644 "$pkg/DEBIAN/md5sums"
find "$pkg" -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

deb=$output/pra_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "package-deb: built $(du -h "$deb" | cut -f1) package, Depends: $(sed -n 's/^Depends: //p' "$pkg/DEBIAN/control")" >&2
echo "$deb"
