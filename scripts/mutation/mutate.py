#!/usr/bin/env python3
"""Mutation testing of the drill catalogue: is the catalogue worth the defects it catches?

Copies the project's tracked files into a scratch tree, then for each mutant of
scripts/mutation/mutants.tsv: replaces its original text (which must occur exactly once) with the
defect, rebuilds `pra`, runs the whole catalogue with that `pra`, and restores the file. A mutant
is killed when the catalogue fails (the scenarios that failed are named), survives when it
passes. The unmutated build must pass the catalogue first, or nothing can be judged.

Run through scripts/mutation-test.sh (see its --help).
"""
import argparse, json, os, shutil, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def log(message):
    print(message, file=sys.stderr, flush=True)


# One mutant may make several edits in its file (a defect that removes two layers of one check):
# the original and mutated fields then hold the texts separated by this.
EDIT_SEPARATOR = " ||| "


def edits(mutant):
    return list(zip(mutant["original"].split(EDIT_SEPARATOR), mutant["mutated"].split(EDIT_SEPARATOR)))


def read_mutants(path):
    mutants = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 5:
                sys.exit(f"{path}:{number}: expected 5 tab-separated fields (id, file, original, mutated, description), found {len(fields)}")
            mutants.append(dict(zip(["id", "file", "original", "mutated", "description"], fields), line=number))
    return mutants


def copy_tree(destination):
    """The tracked files as they are in the working tree (uncommitted edits included)."""
    files = subprocess.run(["git", "-C", ROOT, "ls-files", "-z"], check=True, capture_output=True).stdout.split(b"\0")
    for name in filter(None, files):
        name = name.decode()
        source, target = os.path.join(ROOT, name), os.path.join(destination, name)
        if not os.path.isfile(source):
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target) or open(source, "rb").read() != open(target, "rb").read():
            shutil.copy2(source, target)
    # A reused tree must not keep files the project no longer has (a source moved to another
    # module would be compiled twice there): every file under these folders that git does not
    # track is removed.
    tracked = {name.decode() for name in files if name}
    for folder in ("Sources", "Tests", "scenarios", "fixtures"):
        for directory, _, names in os.walk(os.path.join(destination, folder)):
            for name in names:
                relative = os.path.relpath(os.path.join(directory, name), destination)
                if relative not in tracked:
                    os.remove(os.path.join(destination, relative))


def build(tree):
    started = time.monotonic()
    result = subprocess.run(["swift", "build", "--product", "pra"], cwd=tree, capture_output=True, text=True)
    if result.returncode != 0:
        errors = [line for line in result.stdout.splitlines() + result.stderr.splitlines() if "error:" in line]
        return None, errors[:3] or result.stderr.splitlines()[-3:]
    binary = subprocess.run(["swift", "build", "--show-bin-path"], cwd=tree, capture_output=True, text=True, check=True).stdout.strip() + "/pra"
    return binary, time.monotonic() - started


def run_catalogue(tree, binary, out, scenarios):
    os.makedirs(out, exist_ok=True)
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PG") and key not in ("DATABASE_URL", "BACKUP_DIR", "REPORT_DIR", "REMOTE_TARGET")}
    environment["REPORT_DIR"] = out
    started = time.monotonic()
    # As the main job runs it: two scenarios per core, at most 8 (scenarios mostly wait).
    jobs = str(min(8, 2 * (os.cpu_count() or 1)))
    result = subprocess.run([binary, "drill", "run", *scenarios, "--env-file", "/dev/null", "--quiet", "--jobs", jobs,
                             "--json", out + "/run.json", "--junit", out + "/junit.xml", "--history", out + "/history.jsonl"],
                            cwd=tree, env=environment, capture_output=True, text=True)
    seconds = time.monotonic() - started
    failed = []
    try:
        run = json.load(open(out + "/run.json"))
        failed = [(s["name"], (s.get("error") or next((f"{c['name']}: {c.get('message') or 'failed'}" for c in s["checks"] if not c["passed"]), "failed"))) for s in run["scenarios"] if s["verdict"] == "failed"]
    except (OSError, ValueError, KeyError):
        pass
    return result.returncode, failed, seconds, result.stderr.strip().splitlines()[-1:] if result.returncode == 2 else []


def main():
    parser = argparse.ArgumentParser(prog="scripts/mutation-test.sh", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", default=[], metavar="ID", help="run only this mutant (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--check", action="store_true", help="only check that every mutant's original text occurs exactly once in its file (no build, no run); exit 0 or 2")
    parser.add_argument("--work", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "pra-mutation"), help="scratch directory (default: $TMPDIR/pra-mutation; its build is reused)")
    parser.add_argument("--scenarios", action="append", default=[], metavar="PATH", help="scenario files or directories (default: scenarios/)")
    parser.add_argument("--skip-baseline", action="store_true", help="do not run the catalogue on the unmutated build first")
    parser.add_argument("--mutants", default=os.path.join(ROOT, "scripts/mutation/mutants.tsv"), help="the mutant list")
    options = parser.parse_args()

    mutants = read_mutants(options.mutants)
    if options.list:
        for mutant in mutants:
            print(f"{mutant['id']:36} {mutant['file']}\n{'':36} {mutant['description']}")
        return 0
    unknown = [name for name in options.only if name not in {m["id"] for m in mutants}]
    if unknown:
        sys.exit(f"unknown mutant(s): {', '.join(unknown)} (see --list)")
    if options.only:
        mutants = [m for m in mutants if m["id"] in options.only]
    stale = []
    for mutant in mutants:
        text = open(os.path.join(ROOT, mutant["file"]), encoding="utf-8").read()
        if len(edits(mutant)) != len(mutant["mutated"].split(EDIT_SEPARATOR)):
            stale.append(f"{mutant['id']} (mutants.tsv line {mutant['line']}): as many mutated texts as original ones are needed")
        for original, _ in edits(mutant):
            count = text.count(original)
            if count != 1:
                stale.append(f"{mutant['id']} (mutants.tsv line {mutant['line']}): its original text {original!r} occurs {count} times in {mutant['file']}, expected once; update the mutant")
    if stale:
        for line in stale:
            log("mutation: " + line)
        return 2
    if options.check:
        log(f"mutation: all {len(mutants)} mutants apply to the sources as they are")
        return 0

    tree = os.path.join(options.work, "tree")
    os.makedirs(tree, exist_ok=True)
    copy_tree(tree)
    # The scratch tree's own copy of the catalogue unless told otherwise: edits made while the
    # campaign runs do not change what it measures.
    scenarios = [os.path.abspath(path) for path in options.scenarios] or [os.path.join(tree, "scenarios")]
    results = []

    if not options.skip_baseline:
        log("mutation: building and running the catalogue on the unmutated code")
        binary, info = build(tree)
        if binary is None:
            log("mutation: the unmutated tree does not build: " + " | ".join(info))
            return 2
        code, failed, seconds, errors = run_catalogue(tree, binary, os.path.join(options.work, "baseline"), scenarios)
        if code != 0:
            log(f"mutation: the catalogue fails without any mutant (exit {code}), nothing can be judged: " + "; ".join(f"{n}: {m}" for n, m in failed) + " ".join(errors))
            return 2
        log(f"mutation: baseline passed in {seconds:.0f}s")

    for number, mutant in enumerate(mutants, 1):
        path = os.path.join(tree, mutant["file"])
        original = open(path, encoding="utf-8").read()
        log(f"mutation: [{number}/{len(mutants)}] {mutant['id']}: {mutant['description']}")
        try:
            with open(path, "w", encoding="utf-8") as handle:
                mutated = original
                for old, new in edits(mutant):
                    mutated = mutated.replace(old, new, 1)
                handle.write(mutated)
            binary, info = build(tree)
            if binary is None:
                results.append(dict(mutant, outcome="not viable", detail="does not build: " + " | ".join(info), seconds=0))
                log("   not viable (does not build)")
                continue
            code, failed, seconds, errors = run_catalogue(tree, binary, os.path.join(options.work, mutant["id"]), scenarios)
        finally:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(original)
        if code == 0:
            outcome, detail = "SURVIVED", "every scenario passed"
        elif failed:
            outcome, detail = "killed", "; ".join(f"{name} ({message[:140]})" for name, message in failed)
        else:
            outcome, detail = "error", f"pra drill run exited {code}: " + " ".join(errors)
        results.append(dict(mutant, outcome=outcome, detail=detail, seconds=seconds, killers=[n for n, _ in failed]))
        log(f"   {outcome} in {seconds:.0f}s: {detail}")

    viable = [r for r in results if r["outcome"] in ("killed", "SURVIVED")]
    killed = [r for r in viable if r["outcome"] == "killed"]
    lines = ["| mutant | defect | outcome | caught by |", "|---|---|---|---|"]
    for r in results:
        lines.append(f"| `{r['id']}` | {r['description']} | {r['outcome']} | {', '.join(r.get('killers') or []) or r['detail']} |")
    score = f"mutation score: {len(killed)} of {len(viable)} viable mutants killed" + (f" ({100 * len(killed) // len(viable)}%)" if viable else "")
    lines += ["", score]
    report = "\n".join(lines) + "\n"
    with open(os.path.join(options.work, "mutation-report.md"), "w", encoding="utf-8") as handle:
        handle.write(report)
    with open(os.path.join(options.work, "mutation-report.json"), "w", encoding="utf-8") as handle:
        json.dump([{k: v for k, v in r.items() if k != "line"} for r in results], handle, indent=2)
    print(report, end="")
    print(f"report: {options.work}/mutation-report.md, {options.work}/mutation-report.json")
    if any(r["outcome"] == "error" for r in results):
        return 2
    return 1 if len(killed) < len(viable) else 0


if __name__ == "__main__":
    sys.exit(main())
