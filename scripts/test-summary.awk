# Counts swift-testing's per-test result lines in `swift test` output; prints
# "N passed, N failed, N skipped" (scripts/test.sh's last line).
#
# A test is named in its lines either by its display name in quotes (`Test "backup works"
# passed`) or, without one, by its function name (`Test everyVectorSigns() passed`): both count.
# A test that failed before it ran (a missing prerequisite under PRA_TEST_REQUIRE_ALL) only
# "recorded an issue"; a test that started and never finished (the test process crashed) counts
# as failed too.
#
# Usage: awk -f scripts/test-summary.awk OUTPUT
function name(line,   start, rest, end) {
    start = index(line, " Test ") + 6
    rest = substr(line, start)
    if (substr(rest, 1, 1) == "\"") {
        rest = substr(rest, 2)
        end = index(rest, "\" ")
        return end ? substr(rest, 1, end - 1) : rest
    }
    end = index(rest, " ")
    return end ? substr(rest, 1, end - 1) : rest
}
# A result line: a symbol, "Test", the quoted display name or the function name (`f()`, `f(x:)`).
/^[^ ]+ Test ("|[^ "]+\) )/ {
    n = name($0)
    if ($0 ~ / started\.$/) { started[n]++ }
    else if ($0 ~ /(" | )(with [0-9]+ test cases? )?passed after /) { passed++; done[n]++ }
    else if ($0 ~ /(" | )(with [0-9]+ test cases? )?failed after /) { failed++; done[n]++ }
    else if ($0 ~ /(" | )skipped/) { skipped++; done[n]++ }
    else if ($0 ~ /(" | )recorded an issue/) { issue[n] = 1 }
}
# swift-testing's own summary: present only when the test process ran to its end.
/^[^ ]+ Test run with [0-9]+ tests? .* passed after / { runPassed = 1 }
END {
    for (n in issue) if (!(n in done)) { failed++; done[n]++ }
    for (n in started) if (started[n] > done[n]) unfinished += started[n] - done[n]
    # A test that started and has no result line crashed the process, unless the run's summary
    # says every test passed: then only its result line is missing from the output.
    if (unfinished > 0 && runPassed) {
        printf "note: %d result line(s) missing from the output; the run's summary says every test passed\n", unfinished
        passed += unfinished
    } else {
        failed += unfinished
    }
    printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped
}
