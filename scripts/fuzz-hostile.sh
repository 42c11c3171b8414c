#!/usr/bin/env bash
# Hostile-input campaign: dumps and base backups written by an attacker, run through the real
# `pra` against a real scratch PostgreSQL (`pra cluster up --archive-to`). Sibling of
# scripts/fuzz-corruption.sh (which corrupts pra's own archives at random); here every input is
# crafted to make a restore execute something, write outside its target, or restore silently.
#
# Families:
#   dump     gzip plain-SQL dumps restored with `pra restore --file F --target-db X --force`,
#            once with PRA_JOBS=1 (one psql) and once with PRA_JOBS=2 (the parallel loader):
#            a psql meta-command (\! \o \w \copy \g \gexec \i \lo_export \setenv \c) placed in
#            every lexical context (standard_conforming_strings off, E'' strings, dollar quotes
#            with tricky tags, nested comments, -- comments, COPY ... FROM stdin look-alikes,
#            CR/LF, SJIS multibyte, forged \restrict/\unrestrict pairs...).
#   sql      server-side side effects without any meta-command (COPY TO file / PROGRAM,
#            lo_export, ALTER SYSTEM, CREATE ROLE, ALTER ROLE, ALTER/COMMENT ON/DROP another
#            database, CREATE DATABASE): what a superuser restore runs for the attacker.
#   base     forged base backups (a real `pra backup --base` rewritten with python's tarfile, its
#            pra manifest's sizes and SHA-256 recomputed so it is well-formed, or left stale),
#            restored with `pra restore --pitr --target-dir T --force --stop`: setuid/setgid/
#            sticky files, device nodes, FIFOs, hardlinks and symlinks out of the target,
#            postgresql.auto.conf as a link to a file outside, `..` and absolute paths, a `./`
#            entry with mode 0755/0777, huge declared sizes, truncated tars, pax path overrides.
#
# Every payload only ever touches files under the campaign directory this script creates with
# mktemp (/tmp/pra-hostile-XXXXXX): canaries in CAMPAIGN/canary (mode 1777, so a payload run as
# root, as postgres or by the server is seen alike), victims in CAMPAIGN/outside. The script
# refuses to run payloads anywhere else. A case FAILS when a canary appears, a file outside the
# target changes, a setuid/setgid file, device node or FIFO is left under a base-backup target,
# a table or role appears outside the target database, or a forged base backup restores.
# A dump restore that succeeds without any side effect counts as "restored harmlessly".
#
# Usage: scripts/fuzz-hostile.sh [--quick] [--pra PATH] [--only REGEX] [--keep]
#   --quick      a few dozen cases (CI); the full mode runs more than 1,000
#   --pra PATH   the pra binary (default: .build/release/pra if built, else .build/debug/pra)
#   --only RE    only the cases whose id matches the extended regex RE
#   --keep       keep the campaign directory (evidence of failures is kept in any case)
#
# Needs root for the base-backup family (device nodes, setuid bits and the server run as
# postgres are what is attacked); without root that family is skipped and said so.
# Prints `N cases: N refused, N restored harmlessly, N FAILED` and the failed case ids;
# exits 1 when a case failed, 2 when the campaign could not run.
set -uo pipefail

quick=0
pra=""
only=""
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1; shift ;;
        --pra) pra=${2:?}; shift 2 ;;
        --only) only=${2:?}; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "$pra" ]; then
    if [ -x "$root/.build/release/pra" ]; then pra="$root/.build/release/pra"; else pra="$root/.build/debug/pra"; fi
fi
[ -x "$pra" ] || { echo "no pra binary at $pra: swift build first" >&2; exit 2; }
pra=$(cd "$(dirname "$pra")" && pwd)/$(basename "$pra")
command -v python3 >/dev/null || { echo "python3 is needed to write the hostile inputs" >&2; exit 2; }

started=$(date +%s)
campaign=$(mktemp -d /tmp/pra-hostile-XXXXXX) || exit 2
# The campaign directory is the only place payloads may touch: it must be the fresh mktemp
# directory under /tmp, and carry the token this run wrote, before anything hostile is written.
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
echo "$token" > "$campaign/.pra-hostile-campaign"
guard_campaign() {
    case "$campaign" in /tmp/pra-hostile-??????) ;; *) echo "refusing: campaign directory $campaign is not /tmp/pra-hostile-XXXXXX" >&2; exit 2 ;; esac
    [ -d "$campaign" ] && [ ! -L "$campaign" ] && [ "$(cat "$campaign/.pra-hostile-campaign" 2>/dev/null)" = "$token" ] \
        || { echo "refusing: $campaign is not the campaign directory this run created" >&2; exit 2; }
}
guard_campaign
chmod 755 "$campaign"
mkdir -p "$campaign"/{canary,outside,outside/ts,evidence,evidence/canaries,scripts,dumps,cases,backups,reports,logs}
chmod 1777 "$campaign/canary" "$campaign/outside" "$campaign/outside/ts"
echo "victim: must never change" > "$campaign/outside/victim.conf"
echo "root:x:0:0:campaign copy of a passwd file:/root:/bin/sh" > "$campaign/outside/passwd"
chmod 666 "$campaign/outside/victim.conf" "$campaign/outside/passwd"

cluster_dir=""
cleanup() {
    if [ -n "$cluster_dir" ]; then
        "$pra" cluster down --dir "$cluster_dir" >/dev/null 2>&1 || true
    fi
    # Any recovered server a case left running on a target (a FAIL already recorded).
    for pidfile in "$campaign"/cases/*/target/postmaster.pid; do
        [ -f "$pidfile" ] || continue
        pid=$(head -1 "$pidfile" 2>/dev/null)
        [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
    done
    if [ "$keep" = 1 ] || [ "${failed_count:-0}" -gt 0 ]; then
        echo "campaign directory kept: $campaign"
    else
        rm -rf "$campaign"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the scratch server ---------------------------------------------------------------------
export REPORT_DIR="$campaign/reports"
env_out=$("$pra" cluster up --archive-to "$campaign/backups" --archive-timeout 5 2>"$campaign/logs/cluster-up.err") \
    || { cat "$campaign/logs/cluster-up.err" >&2; exit 2; }
eval "$env_out"
cluster_dir=$PRA_CLUSTER_DIR
export BACKUP_DIR="$campaign/backups"
export PGDATABASE=postgres
psql_() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
psql_ -d postgres -c "CREATE DATABASE hostile_sentinel" >/dev/null
psql_ -d hostile_sentinel -c "CREATE TABLE marker(label text); INSERT INTO marker VALUES ('sentinel')" >/dev/null

is_root=0; [ "$(id -u)" = 0 ] && is_root=1

# --- the inputs -----------------------------------------------------------------------------
# One base backup of a tiny cluster, the template of every forged one.
base_template=""
if [ "$is_root" = 1 ]; then
    psql_ -d postgres -c "CREATE TABLE base_marker AS SELECT 1 AS x" >/dev/null
    if "$pra" backup --base --quiet --env-file /dev/null >"$campaign/logs/base.out" 2>&1; then
        base_template=$(ls "$campaign"/backups/*_backup_base_*.tar.gz | head -1)
        # Switch and archive the WAL so every forged copy can reach a consistent point.
        "$pra" backup --incremental --quiet --env-file /dev/null >>"$campaign/logs/base.out" 2>&1 || true
        # The WAL every forged copy replays: a snapshot now, so later cases' WAL does not slow them.
        cp -a "$campaign/backups/wal" "$campaign/wal-snapshot"
    else
        echo "the template base backup failed; base family skipped:" >&2
        cat "$campaign/logs/base.out" >&2
    fi
fi

guard_campaign
python3 - "$campaign" "$quick" "$base_template" >"$campaign/cases.tsv" <<'PYTHON' || { echo "the generator failed" >&2; exit 2; }
import gzip, hashlib, io, json, os, random, sys, tarfile

campaign, quick, template = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
assert campaign.startswith("/tmp/pra-hostile-") and os.path.isfile(campaign + "/.pra-hostile-campaign")
canary_dir = campaign + "/canary"
outside = campaign + "/outside"

def inside(path):
    """Every path a payload names must be in the campaign directory."""
    real = os.path.normpath(path)
    assert real.startswith(campaign + "/"), path
    return path

HEADER = "--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n\n"
SETUP = "CREATE TABLE t (x text);\nCREATE TABLE u (i integer);\n"

def payloads(case):
    """The meta-commands, each touching a canary named after the case."""
    c = lambda suffix: inside(f"{canary_dir}/{case}-{suffix}")
    script = inside(f"{campaign}/scripts/{case}.sql")
    return {
        "bang": [f"\\! touch {c('bang')}"],
        "o": [f"\\o {c('o')}", "SELECT 1;", "\\o"],
        "w": [f"\\w {c('w')}"],
        "copy": [f"\\copy (SELECT 1) TO '{c('copy')}'"],
        "g": [f"SELECT 1 \\g {c('g')}"],
        "gexec": [f"SELECT 'COPY (SELECT 1) TO ''{c('gexec')}''' \\gexec"],
        "i": [f"\\i {script}"],
        "lo": ["SELECT lo_from_bytea(0, 'x') AS hostile_oid \\gset", f"\\lo_export :hostile_oid {c('lo')}"],
        "setenv": [f"\\setenv PRA_HOSTILE_CANARY {c('setenv')}", "\\! touch \"$PRA_HOSTILE_CANARY\""],
        "c": ["\\c postgres", f"CREATE TABLE hostile_{case.replace('-', '_')} (x int);"],
    }, script, c("i")

SJIS = "\x83\x5c"  # one SJIS character whose second byte is a backslash (ソ)
# name: (text before, joiner before the payload, text after, psql would run the payload)
CONTEXTS = {
    "plain": ("SELECT 1;", "\n", "", True),
    "leading-spaces": ("SELECT 1;", "\n   ", "", True),
    "leading-tab": ("SELECT 1;", "\n\t", "", True),
    "same-line": ("SELECT 1;", " ", "", True),
    "mid-statement": ("SELECT 1", " ", "\n;", True),
    "double-backslash-separator": ("SELECT 1 \\\\", " ", "", True),
    "scs-off-backslash-quote": ("SET standard_conforming_strings = off;\nSELECT 'x\\'';", "\n", "", True),
    "scs-off-same-line": ("SET standard_conforming_strings = off;\nSELECT 'a\\'b';", " ", "", True),
    "scs-on-trailing-backslash": ("SELECT 'x\\';", "\n", "", True),
    "estring-escaped-quote": ("SELECT E'x\\'';", "\n", "", True),
    "estring-backslash-pair": ("SELECT E'x\\\\';", "\n", "", True),
    "estring-lowercase": ("SELECT e'\\'y';", "\n", "", True),
    "unicode-escape-string": ("SELECT U&'\\0041';", "\n", "", True),
    "quoted-identifier": ("CREATE TABLE \"we'i\"\"rd\" (i int);", "\n", "", True),
    "dollar-after": ("SELECT $$a'b\\$$;", "\n", "", True),
    "dollar-tag-after": ("SELECT $tag$ $$ ' $tag$;", "\n", "", True),
    "dollar-nested-tags-after": ("SELECT $a$ $ab$ $b$ $a$;", "\n", "", True),
    "dollar-in-identifier": ("CREATE TABLE x$a$ (i int);", "\n", "\n-- $a$", True),
    "dollar-param-lookalike": ("PREPARE p AS SELECT $1::int;", "\n", "", True),
    "dollar-inside": ("SELECT $q$", "\n", "\n$q$;", False),
    "dollar-inside-underscore-tag": ("SELECT $_x1$", "\n", "\n$_x1$;", False),
    "dollar-inside-fake-close": ("SELECT $a$ $b$", "\n", "\n$b$ $a$;", False),
    "nested-comment-after": ("/* a /* b */ c */", " ", "", True),
    "nested-comment-after-newline": ("/* a /* b */ c */ SELECT 1;", "\n", "", True),
    "nested-comment-inside": ("/* a /* b */", "\n", "\n*/ SELECT 1;", False),
    "dashdash-quote": ("-- it's a comment", "\n", "", True),
    "dashdash-dollar": ("SELECT 1; -- $$", "\n", "", True),
    "dashdash-block-open": ("SELECT 1; -- /*", "\n", "", True),
    "dashdash-trailing-backslash": ("SELECT 1; -- trailing \\", "\n", "", True),
    "string-inside": ("SELECT '", "", "';", False),
    "copy-to-stdout-fake-from": ("COPY (SELECT 1) TO STDOUT; -- FROM stdin;", "\n", "", True),
    "copy-lowercase": ("copy t from stdin;\nabc\n\\.", "\n", "", True),
    "copy-multiline": ("COPY t FROM\nstdin;\nabc\n\\.", "\n", "", True),
    "copy-after-select": ("SELECT 1; COPY t FROM stdin;\nabc\n\\.", "\n", "", True),
    "copy-quotes-in-data": ("COPY t FROM stdin;\na'b\"c$$d/*e\n\\.", "\n", "", True),
    "copy-crlf-end": ("COPY t FROM stdin;\r\nabc\r\n\\.\r", "\n", "", True),
    "copy-data-holds-payload": ("COPY t FROM stdin;", "\n", "\n\\.", False),
    "copy-fake-end-in-data": ("COPY t FROM stdin;\nx\\.", "\n", "\n\\.", False),
    "cr-only": ("SELECT 1;", "\r", "", True),
    "crlf": ("SELECT 1;\r\nSELECT 2;", "\r\n", "", True),
    "sjis-scs-off": (f"SET client_encoding = 'SJIS';\nSET standard_conforming_strings = off;\nSELECT '{SJIS}';", "\n", "", True),
    "sjis-estring": (f"SET client_encoding = 'SJIS';\nSELECT E'{SJIS}';", "\n", "", True),
    "sjis-lead-byte-eats-backslash": ("SET client_encoding = 'SJIS';\nSELECT '\x83", "", "';", False),
    "restrict-early-unrestrict": ("\\restrict K1a2b3\nSELECT 1;\n\\unrestrict K1a2b3", "\n", "", True),
    "restrict-second-pair": ("\\restrict K1a2b3\n\\unrestrict K1a2b3\n\\restrict K9z8y7\n\\unrestrict K9z8y7", "\n", "", True),
    "restrict-mismatched-key": ("\\restrict K1a2b3\nSELECT 1;\n\\unrestrict Kffffff", "\n", "", False),
    "restrict-payload-inside": ("\\restrict K1a2b3", "\n", "\n\\unrestrict K1a2b3", False),
    "no-final-newline": ("SELECT 1;", "\n", None, True),
    # psql reads its input line by line as C strings: what follows a NUL on a line may be
    # invisible to it while a scanner sees it (a quote, $$ or /* that would make the next line inert).
    "nul-hides-quote": ("SELECT 1; \x00 '", "\n", "\n';", True),
    "nul-hides-dollar": ("SELECT 1; \x00 $$", "\n", "\n$$;", True),
    "nul-hides-comment": ("SELECT 1; \x00 /*", "\n", "\n*/", True),
    "formfeed-separator": ("SELECT 1;", "\f", "", True),
    "vertical-tab-separator": ("SELECT 1;", "\v", "", True),
}
JOBS = [1, 2]

rows = []
def emit(case, family, kind, args, live, note=""):
    rows.append("\t".join([case, family, kind, args, "live" if live else "inert", note]))

def write_dump(case, body_bytes):
    path = inside(f"{campaign}/dumps/{case}.sql.gz")
    with open(path, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
            out.write(body_bytes)
    return path

def encode(text):
    # SJIS bytes are written as they are (latin-1 keeps \x83 as the byte 0x83).
    return text.encode("latin-1") if all(ord(ch) < 256 for ch in text) else text.encode("utf-8")

# ---- dumps
pairs = [(ctx, kind) for ctx in CONTEXTS for kind in ["bang", "o", "w", "copy", "g", "gexec", "i", "lo", "setenv", "c"]]
if quick:
    rng = random.Random(7)
    must = [("plain", "bang"), ("scs-off-backslash-quote", "bang"), ("copy-to-stdout-fake-from", "o"), ("cr-only", "bang"),
            ("sjis-scs-off", "bang"), ("restrict-early-unrestrict", "w"), ("dollar-in-identifier", "copy"), ("nested-comment-after", "g"),
            ("copy-multiline", "i"), ("estring-escaped-quote", "setenv"), ("dashdash-block-open", "gexec"), ("copy-crlf-end", "c")]
    pairs = must + rng.sample([p for p in pairs if p not in must], 8)
for ctx, kind in pairs:
    before, joiner, after, live = CONTEXTS[ctx]
    for jobs in JOBS:
        case = f"dump-{ctx}-{kind}-j{jobs}"
        table, script, icanary = payloads(case)
        with open(script, "w") as f:
            f.write(f"\\! touch {icanary}\n")
        lines = table[kind]
        sep = "\r\n" if ctx == "crlf" else "\n"
        body = HEADER + SETUP + before + joiner + sep.join(lines)
        body += (after + "\n") if after is not None else ""
        if after is None:
            pass  # the payload is the last line, without a newline
        else:
            body += "SELECT 2;\n\n--\n-- PostgreSQL database dump complete\n--\n\n"
        write_dump(case, encode(body))
        emit(case, "dump", kind, f"{jobs}", live, ctx)

# ---- server-side side effects, no meta-command
SQL = {
    "copy-to-file": lambda p: f"COPY (SELECT 1) TO '{p}';",
    "copy-from-program": lambda p: f"COPY t FROM PROGRAM 'touch {p}';",
    "copy-to-program": lambda p: f"COPY (SELECT 1) TO PROGRAM 'cat > {p}';",
    "lo-export-server": lambda p: f"SELECT lo_export(lo_from_bytea(0, 'x'), '{p}');",
    "do-block-copy": lambda p: f"DO $d$ BEGIN EXECUTE 'COPY (SELECT 1) TO ''{p}'''; END $d$;",
    "create-role": lambda p: "CREATE ROLE hostile_role_JOBS SUPERUSER LOGIN;",
    "alter-system": lambda p: "ALTER SYSTEM SET work_mem = '77kB';",
    "alter-role-password": lambda p: "ALTER ROLE postgres PASSWORD 'hostile';",
    "alter-role-all-set": lambda p: "ALTER ROLE ALL SET work_mem = '78kB';",
    "alter-other-database": lambda p: "ALTER DATABASE hostile_sentinel SET work_mem = '79kB';",
    "comment-on-other-database": lambda p: "COMMENT ON DATABASE hostile_sentinel IS 'hostile';",
    "create-database": lambda p: "CREATE DATABASE hostile_db_JOBS;",
    "drop-other-database": lambda p: "DROP DATABASE hostile_sentinel;",
}
sql_names = list(SQL) if not quick else ["copy-to-file", "copy-from-program", "create-role"]
for name in sql_names:
    for jobs in JOBS:
        case = f"sql-{name}-j{jobs}"
        statement = SQL[name](inside(f"{canary_dir}/{case}")).replace("_JOBS", f"_{jobs}")
        body = HEADER + SETUP + statement + "\nSELECT 2;\n\n--\n-- PostgreSQL database dump complete\n--\n\n"
        write_dump(case, body.encode())
        emit(case, "sql", name, f"{jobs}", True)

# ---- forged base backups
if template:
    bkdir = os.path.dirname(template)
    with open(template + ".manifest.json") as f:
        manifest = json.load(f)
    # The template's own header blocks are kept byte for byte (pg_basebackup writes names such as
    # "./pg_wal/archive_status" that a rewrite by tarfile would change); forged entries are
    # spliced in as tarfile writes them.
    with gzip.open(template, "rb") as f:
        original = f.read()
    src = tarfile.open(fileobj=io.BytesIO(original), mode="r:")
    members = []
    for m in src.getmembers():
        end = m.offset_data + ((m.size + 511) // 512) * 512 if m.isfile() else m.offset_data
        members.append((m, original[m.offset:end]))
    last, last_block = members[-1]
    trailer = original[last.offset + len(last_block):]
    names = {m.name for m, _ in members}

    def member(name, kind=tarfile.REGTYPE, data=b"", mode=0o600, linkname="", size=None, devmajor=0, devminor=0, uid=26, gid=26, pax_path=None, pax_linkpath=None):
        info = tarfile.TarInfo(name)
        if pax_path is not None:
            # A pax "path" record overrides the harmless ustar name for every reader of pax.
            info.pax_headers = {"path": pax_path}
        if pax_linkpath is not None:
            info.pax_headers = {**info.pax_headers, "linkpath": pax_linkpath}
        info.type, info.mode, info.linkname, info.uid, info.gid, info.mtime = kind, mode, linkname, uid, gid, 1796000000
        info.devmajor, info.devminor = devmajor, devminor
        info.size = len(data) if kind == tarfile.REGTYPE else 0
        return info, (data if kind == tarfile.REGTYPE else None)

    def blocks(entries, fmt):
        """The header and data blocks of `entries` as tarfile writes them, without a trailer."""
        buf = io.BytesIO()
        out = tarfile.TarFile(fileobj=buf, mode="w", format=fmt)
        for info, data in entries:
            out.addfile(info, io.BytesIO(data) if data is not None else None)
        return buf.getvalue()[:out.offset]

    def up(depth):
        return "../" * depth

    def forge(case, extra=(), replace=None, drop=(), front=(), truncate=None, fmt=tarfile.GNU_FORMAT, stale=False, huge=None, note=""):
        """Writes a forged copy of the template into CAMPAIGN/cases/CASE/bk and records the case."""
        casedir = inside(f"{campaign}/cases/{case}")
        target = inside(casedir + "/target")
        os.makedirs(casedir + "/bk", exist_ok=True)
        parts = [blocks(front, fmt)]
        for m, block in members:
            if m.name in drop:
                continue
            if replace and m.name in replace:
                parts.append(blocks([replace[m.name]], fmt))
                continue
            parts.append(block)
        parts.append(blocks(extra, fmt))
        parts.append(trailer)
        raw = b"".join(parts)
        if huge is not None:
            # The declared size of the named entry rewritten in its header (octal, 11 digits or
            # base-256), its data left as it is: tar reads past the end of the archive.
            index = raw.find(huge[0].encode() + b"\0")
            field = index + 124
            size = huge[1]
            if size < 8 ** 11:
                encoded = ("%011o" % size).encode() + b"\0"
            else:
                encoded = bytes([0x80]) + size.to_bytes(11, "big")
            header = bytearray(raw[index:index + 512])
            header[124:136] = encoded
            header[148:156] = b"        "
            checksum = sum(header)
            header[148:156] = ("%06o" % checksum).encode() + b"\0 "
            raw = raw[:index] + bytes(header) + raw[index + 512:]
        if truncate is not None:
            raw = raw[:truncate(len(raw))]
        name = os.path.basename(template)
        archive = inside(casedir + "/bk/" + name)
        with open(archive, "wb") as f:
            with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, compresslevel=1) as g:
                g.write(raw)
        forged = dict(manifest)
        if not stale:
            data = open(archive, "rb").read()
            forged["sha256"] = hashlib.sha256(data).hexdigest()
            forged["compressedBytes"] = len(data)
            forged["uncompressedBytes"] = len(raw)
            forged["fileCount"] = len(members) - len(drop) + len(extra) + len(front)
        with open(archive + ".manifest.json", "w") as f:
            json.dump(forged, f, indent=2, sort_keys=True)
        with open(template + ".backup_manifest", "rb") as f:
            pg = f.read()
        with open(archive + ".backup_manifest", "wb") as f:
            f.write(pg)
        emit(case, "base", "stale" if stale else "well-formed", target, False, note)

    rel_outside = up(3) + "outside"  # CAMPAIGN/cases/CASE/target -> CAMPAIGN/outside
    victim = inside(outside + "/victim.conf")
    passwd = inside(outside + "/passwd")
    A = tarfile
    variants = {
        "setuid-file": dict(extra=[member("global/pra_hostile_suid", data=b"#!/bin/sh\nid\n", mode=0o4755)]),
        "setgid-file": dict(extra=[member("global/pra_hostile_sgid", data=b"x", mode=0o2755)]),
        "sticky-file": dict(extra=[member("pra_hostile_sticky", data=b"x", mode=0o1755)]),
        "setuid-root-owned": dict(extra=[member("pra_hostile_suid_root", data=b"x", mode=0o4755, uid=0, gid=0)]),
        "setuid-on-pg-version": dict(replace={"PG_VERSION": member("PG_VERSION", data=b"15\n", mode=0o6755)}),
        "setuid-directory": dict(extra=[member("pra_hostile_dir", kind=A.DIRTYPE, mode=0o6777)]),
        "char-device-null": dict(extra=[member("pra_hostile_null", kind=A.CHRTYPE, mode=0o666, devmajor=1, devminor=3)]),
        "char-device-zero-in-global": dict(extra=[member("global/pra_hostile_zero", kind=A.CHRTYPE, mode=0o666, devmajor=1, devminor=5)]),
        "block-device-loop": dict(extra=[member("pra_hostile_loop", kind=A.BLKTYPE, mode=0o666, devmajor=7, devminor=0)]),
        "fifo": dict(extra=[member("pra_hostile_fifo", kind=A.FIFOTYPE, mode=0o666)]),
        "fifo-as-auto-conf": dict(replace={"postgresql.auto.conf": member("postgresql.auto.conf", kind=A.FIFOTYPE, mode=0o600)}),
        "hardlink-absolute-outside": dict(extra=[member("pra_hostile_hl", kind=A.LNKTYPE, linkname=passwd)]),
        "hardlink-dotdot-outside": dict(extra=[member("pra_hostile_hl2", kind=A.LNKTYPE, linkname=rel_outside + "/passwd")]),
        "hardlink-etc-passwd-style": dict(extra=[member("pra_hostile_hl3", kind=A.LNKTYPE, linkname=up(12) + passwd.lstrip("/"))]),
        "hardlink-inside": dict(extra=[member("pra_hostile_hl4", kind=A.LNKTYPE, linkname="PG_VERSION")]),
        "auto-conf-hardlink-outside": dict(replace={"postgresql.auto.conf": member("postgresql.auto.conf", kind=A.LNKTYPE, linkname=victim)}),
        "auto-conf-hardlink-dotdot": dict(replace={"postgresql.auto.conf": member("postgresql.auto.conf", kind=A.LNKTYPE, linkname=rel_outside + "/victim.conf")}),
        "auto-conf-symlink-absolute": dict(replace={"postgresql.auto.conf": member("postgresql.auto.conf", kind=A.SYMTYPE, linkname=victim)}),
        "auto-conf-symlink-relative": dict(replace={"postgresql.auto.conf": member("postgresql.auto.conf", kind=A.SYMTYPE, linkname=rel_outside + "/victim.conf")}),
        "auto-conf-symlink-dangling-outside": dict(replace={"postgresql.auto.conf": member("postgresql.auto.conf", kind=A.SYMTYPE, linkname=outside + "/created-by-pra.conf")}),
        "conf-symlink-outside": dict(replace={"postgresql.conf": member("postgresql.conf", kind=A.SYMTYPE, linkname=victim)}) if "postgresql.conf" in names else dict(extra=[member("postgresql.conf", kind=A.SYMTYPE, linkname=victim)]),
        "signal-file-symlink": dict(extra=[member("recovery.signal", kind=A.SYMTYPE, linkname=victim)]),
        "standby-signal-symlink": dict(extra=[member("standby.signal", kind=A.SYMTYPE, linkname=outside + "/standby.signal")]),
        "backup-label-symlink": dict(replace={"backup_label": member("backup_label", kind=A.SYMTYPE, linkname=victim)}),
        "symlink-dir-then-write-through": dict(extra=[member("pra_hostile_out", kind=A.SYMTYPE, linkname=outside), member("pra_hostile_out/written-through", data=b"pwned\n")]),
        "symlink-relative-dir-then-write-through": dict(extra=[member("pra_hostile_rel", kind=A.SYMTYPE, linkname=rel_outside), member("pra_hostile_rel/written-through-rel", data=b"pwned\n")]),
        "symlink-chain-out": dict(extra=[member("pra_hostile_a", kind=A.SYMTYPE, linkname="pra_hostile_b"), member("pra_hostile_b", kind=A.SYMTYPE, linkname=outside), member("pra_hostile_a/chained", data=b"pwned\n")]),
        "symlink-then-hardlink-through": dict(extra=[member("pra_hostile_s", kind=A.SYMTYPE, linkname=outside), member("pra_hostile_h", kind=A.LNKTYPE, linkname="pra_hostile_s/victim.conf")]),
        "symlink-out-file": dict(extra=[member("pra_hostile_sym", kind=A.SYMTYPE, linkname=victim)]),
        "pg-wal-symlink-outside": dict(front=[member("pg_wal", kind=A.SYMTYPE, linkname=outside + "/ts")], drop=("pg_wal", "./pg_wal/archive_status", "pg_wal/archive_status")),
        "base-dir-symlink-outside": dict(extra=[member("base/99999", kind=A.SYMTYPE, linkname=outside)]),
        "dotdot-file": dict(extra=[member(rel_outside + "/dotdot-written", data=b"pwned\n")]),
        "dotdot-in-middle": dict(extra=[member("global/" + up(4) + "outside/dotdot-middle", data=b"pwned\n")]),
        "absolute-path-file": dict(extra=[member(outside + "/absolute-written", data=b"pwned\n")]),
        "dot-entry-0755": dict(front=[member("./", kind=A.DIRTYPE, mode=0o755)]),
        "dot-entry-0777": dict(front=[member(".", kind=A.DIRTYPE, mode=0o777)]),
        # A second `global` entry before pg_basebackup's own (whose 0700 then wins), and the
        # entry itself replaced, which leaves the directory world-writable if extracted as is.
        "global-dir-0777-duplicate": dict(front=[member("global", kind=A.DIRTYPE, mode=0o777)]),
        "global-dir-0777": dict(replace={"global": member("global", kind=A.DIRTYPE, mode=0o777)}),
        "pax-path-dotdot": dict(extra=[member("pra_hostile_pax", data=b"pwned\n", pax_path=rel_outside + "/pax-written")], fmt=tarfile.PAX_FORMAT),
        "pax-path-absolute": dict(extra=[member("pra_hostile_pax2", data=b"pwned\n", pax_path=outside + "/pax-absolute")], fmt=tarfile.PAX_FORMAT),
        "pax-linkpath-auto-conf": dict(replace={"postgresql.auto.conf": member("postgresql.auto.conf", kind=A.SYMTYPE, linkname="harmless", pax_linkpath=victim)}, fmt=tarfile.PAX_FORMAT),
        "gnu-longname-dotdot": dict(extra=[member(rel_outside + "/" + "l" * 120, data=b"pwned\n")]),
        "huge-declared-size": dict(huge=("PG_VERSION", 8 * 1024 ** 3)),
        "huge-declared-size-base256": dict(huge=("PG_VERSION", 2 ** 70)),
        "truncated-mid-entry": dict(truncate=lambda n: n // 2 + 100),
        "truncated-no-end-marker": dict(truncate=lambda n: n - 1024),
        "duplicate-pg-version": dict(extra=[member("PG_VERSION", data=b"99\n")]),
        "tablespace-map-outside": dict(replace={"tablespace_map": member("tablespace_map", data=f"16999 {outside}/ts\n".encode())}) if "tablespace_map" in names else dict(extra=[member("tablespace_map", data=f"16999 {outside}/ts\n".encode())]),
    }
    order = list(variants)
    if quick:
        order = ["setuid-file", "char-device-null", "fifo", "hardlink-dotdot-outside", "auto-conf-symlink-absolute",
                 "symlink-dir-then-write-through", "dotdot-file", "absolute-path-file", "dot-entry-0755", "huge-declared-size", "truncated-mid-entry"]
    for name in order:
        spec = dict(variants[name])
        forge(f"base-{name}", note=name, **spec)
        if not quick:
            forge(f"base-{name}-stale-manifest", stale=True, note=name, **spec)

print("\n".join(rows))
PYTHON

# --- running the cases ----------------------------------------------------------------------
total=0; refused=0; harmless=0; failed_count=0
failed_ids=()
snapshot_outside() {
    # type, mode, owner, size and content hash of everything in CAMPAIGN/outside
    (cd "$campaign/outside" && find . -printf '%y %m %u %g %s %p -> %l\n' | sort && find . -type f -exec sha256sum {} + | sort)
}
baseline=$(snapshot_outside)
record_failure() {
    local case=$1 why=$2
    failed_count=$((failed_count + 1))
    failed_ids+=("$case")
    echo "FAILED $case: $why" | tee -a "$campaign/failures.txt"
    mkdir -p "$campaign/evidence/$case"
}
restore_outside() {
    # Put the victims back (a failed case may have changed them) so the next case starts clean.
    find "$campaign/outside" -mindepth 1 -maxdepth 1 ! -name victim.conf ! -name passwd ! -name ts -exec rm -rf {} + 2>/dev/null
    find "$campaign/outside/ts" -mindepth 1 -exec rm -rf {} + 2>/dev/null
    echo "victim: must never change" > "$campaign/outside/victim.conf"
    echo "root:x:0:0:campaign copy of a passwd file:/root:/bin/sh" > "$campaign/outside/passwd"
    chown root:root "$campaign/outside/victim.conf" "$campaign/outside/passwd" 2>/dev/null
    chmod 666 "$campaign/outside/victim.conf" "$campaign/outside/passwd"
    chmod 1777 "$campaign/outside" "$campaign/outside/ts"
}
restored_ids=()

while IFS=$'\t' read -r case family kind arg liveness note; do
    [ -n "$case" ] || continue
    if [ -n "$only" ] && ! [[ $case =~ $only ]]; then continue; fi
    guard_campaign
    total=$((total + 1))
    log="$campaign/logs/$case.log"
    why=()
    if [ "$family" = dump ] || [ "$family" = sql ]; then
        PRA_JOBS=$arg timeout 120 "$pra" restore --file "$campaign/dumps/$case.sql.gz" --target-db hostile_target --force --quiet --env-file /dev/null >"$log" 2>&1
        rc=$?
        [ "$rc" = 124 ] && why+=("pra restore hung (killed after 120 s)")
        [ "$rc" -ge 128 ] && [ "$rc" != 130 ] && why+=("pra restore crashed (exit $rc)")
        if [ -n "$(ls -A "$campaign/canary")" ]; then
            why+=("executed: $(ls -A "$campaign/canary" | tr '\n' ' ')")
            mv "$campaign"/canary/* "$campaign/evidence/canaries/" 2>/dev/null
        fi
        leaked=$(psql_ -d postgres -c "SELECT string_agg(relname, ' ') FROM pg_class WHERE relname LIKE 'hostile\_%'")
        leaked2=$(psql_ -d hostile_sentinel -c "SELECT string_agg(relname, ' ') FROM pg_class WHERE relname LIKE 'hostile\_%'")
        roles=$(psql_ -d postgres -c "SELECT string_agg(rolname, ' ') FROM pg_roles WHERE rolname LIKE 'hostile\_%'")
        system=$(psql_ -d postgres -c "SELECT count(*) FROM pg_file_settings WHERE name = 'work_mem' AND setting = '77kB'")
        # Cluster-wide state a restore into one database must never change.
        global=$(psql_ -d postgres -c "SELECT concat_ws(' ',
            (SELECT 'password of postgres set' FROM pg_authid WHERE rolname = 'postgres' AND rolpassword IS NOT NULL),
            (SELECT 'per-role or per-database settings: ' || string_agg(array_to_string(setconfig, ','), ' ') FROM pg_db_role_setting),
            (SELECT 'comment on hostile_sentinel' FROM pg_database d WHERE datname = 'hostile_sentinel' AND shobj_description(d.oid, 'pg_database') IS NOT NULL),
            (SELECT 'databases ' || string_agg(datname, ' ') FROM pg_database WHERE datname LIKE 'hostile\_db%'))")
        if [ -n "$leaked$leaked2" ]; then
            why+=("wrote outside the target database: $leaked $leaked2")
            for t in $leaked; do psql_ -d postgres -c "DROP TABLE IF EXISTS $t" >/dev/null; done
            for t in $leaked2; do psql_ -d hostile_sentinel -c "DROP TABLE IF EXISTS $t" >/dev/null; done
        fi
        if [ -n "$roles" ]; then
            why+=("created a cluster-wide role: $roles")
            for r in $roles; do psql_ -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null; done
        fi
        if [ "$system" != 0 ]; then
            why+=("ALTER SYSTEM changed the server's configuration")
            psql_ -d postgres -c "ALTER SYSTEM RESET work_mem" >/dev/null
        fi
        if [ -n "$global" ]; then
            why+=("changed the cluster outside the target: $global")
            psql_ -d postgres -c "ALTER ROLE postgres PASSWORD NULL" >/dev/null
            psql_ -d postgres -c "ALTER ROLE ALL RESET ALL" >/dev/null
            psql_ -d postgres -c "ALTER DATABASE hostile_sentinel RESET ALL" >/dev/null 2>&1
            psql_ -d postgres -c "COMMENT ON DATABASE hostile_sentinel IS NULL" >/dev/null 2>&1
            for d in $(psql_ -d postgres -c "SELECT datname FROM pg_database WHERE datname LIKE 'hostile\_db%'"); do psql_ -d postgres -c "DROP DATABASE $d" >/dev/null; done
        fi
        sentinel=$(psql_ -d hostile_sentinel -c "SELECT label FROM marker" 2>/dev/null)
        if [ "$sentinel" != sentinel ]; then
            why+=("the sentinel database changed or was dropped")
            psql_ -d postgres -c "CREATE DATABASE hostile_sentinel" >/dev/null 2>&1
            psql_ -d hostile_sentinel -c "CREATE TABLE IF NOT EXISTS marker(label text); DELETE FROM marker; INSERT INTO marker VALUES ('sentinel')" >/dev/null
        fi
    else
        target=$arg
        bk=$(dirname "$target")/bk
        cp -a "$campaign/wal-snapshot" "$bk/wal"
        BACKUP_DIR=$bk timeout 180 "$pra" restore --pitr --target-dir "$target" --force --stop --quiet --env-file /dev/null >"$log" 2>&1
        rc=$?
        [ "$rc" = 124 ] && why+=("pra restore --pitr hung (killed after 180 s)")
        [ "$rc" -ge 128 ] && [ "$rc" != 130 ] && [ "$rc" != 124 ] && why+=("pra restore --pitr crashed (exit $rc)")
        [ "$rc" = 0 ] && why+=("the forged base backup was restored (exit 0)")
        if [ -f "$target/postmaster.pid" ]; then
            pid=$(head -1 "$target/postmaster.pid"); [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
            why+=("a server was left running on the target")
        fi
        now=$(snapshot_outside)
        if [ "$now" != "$baseline" ]; then
            why+=("changed outside the target: $(diff <(echo "$baseline") <(echo "$now") | grep '^[<>]' | head -4 | tr '\n' ';')")
        fi
        bad=$(find "$target" \( -perm /6000 -o -type b -o -type c -o -type p \) -printf '%P(%y %m) ' 2>/dev/null | head -c 400)
        [ -n "$bad" ] && why+=("left under the target: $bad")
        stray=$(find "$(dirname "$target")" -mindepth 1 -maxdepth 1 ! -name target ! -name bk -printf '%P ' 2>/dev/null)
        [ -n "$stray" ] && why+=("wrote beside the target: $stray")
        if [ -n "$(ls -A "$campaign/canary")" ]; then
            why+=("canary: $(ls -A "$campaign/canary" | tr '\n' ' ')"); mv "$campaign"/canary/* "$campaign/evidence/canaries/" 2>/dev/null
        fi
        restore_outside
        baseline=$(snapshot_outside)
    fi
    if [ ${#why[@]} -gt 0 ]; then
        record_failure "$case" "$(IFS='; '; echo "${why[*]}") [exit $rc; $(tail -c 300 "$log" | tr '\n' ' ')]"
        cp "$log" "$campaign/evidence/$case/" 2>/dev/null
    elif [ "$rc" = 0 ]; then
        harmless=$((harmless + 1))
        restored_ids+=("$case($liveness)")
    else
        refused=$((refused + 1))
    fi
    if [ "$family" = base ] && [ ${#why[@]} -eq 0 ]; then rm -rf "$(dirname "$target")"; fi
    if [ $((total % 100)) = 0 ]; then echo "... $total cases, $failed_count failed so far ($(( $(date +%s) - started )) s)"; fi
done < "$campaign/cases.tsv"

elapsed=$(( $(date +%s) - started ))
echo
echo "families: $(cut -f2 "$campaign/cases.tsv" | sort | uniq -c | awk '{printf "%s %s, ", $1, $2}')pra $pra"
if [ ${#restored_ids[@]} -gt 0 ]; then
    echo "restored harmlessly (exit 0, no side effect; 'live' = psql itself would have run the payload):"
    printf '  %s\n' "${restored_ids[@]}"
fi
if [ "$failed_count" -gt 0 ]; then
    echo "failed cases (details in $campaign/failures.txt, logs in $campaign/evidence):"
    printf '  %s\n' "${failed_ids[@]}"
fi
echo "$total cases: $refused refused, $harmless restored harmlessly, $failed_count FAILED ($elapsed s)"
[ "$failed_count" = 0 ]
