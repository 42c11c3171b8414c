#!/usr/bin/env bash
# Mutation testing of the drill catalogue (issue: "a catalogue that catches a broken core").
# Seeds each defect of scripts/mutation/mutants.tsv into pra's sources, one at a time, in a scratch copy
# of the project; rebuilds pra; runs the whole catalogue with it; reports which defects survived
# (the catalogue passed) and which scenarios caught the others. Run on demand, not in CI: each
# mutant costs a rebuild and a catalogue run, four scenarios at a time as the main job runs it
# (about a minute on 2 cores; the whole campaign about 14 minutes).
#
#   scripts/mutation-test.sh                      # every mutant; exit 0 none survived, 1 some did, 2 cannot judge
#   scripts/mutation-test.sh --list               # the mutants
#   scripts/mutation-test.sh --check              # every mutant still applies (no build; a test runs it)
#   scripts/mutation-test.sh --only retention-ignores-age --skip-baseline
#
# As root the catalogue's disk-full scenarios run; otherwise they are skipped (and cannot kill).
# The report goes to $TMPDIR/pra-mutation/mutation-report.md (and .json); docs/scenarios.md keeps the score.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ " $* " != *" --list "* && " $* " != *" --check "* && " $* " != *" --help "* && " $* " != *" -h "* ]]; then
    scripts/ensure-deps.sh --tests
fi
exec python3 scripts/mutation/mutate.py "$@"
