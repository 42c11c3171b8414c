import ArgumentParser

struct Evidence: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The evidence log: what real restores and status runs measured, for pra report.",
        discussion: """
            Every real pra restore (logical and --pitr, succeeded or not) appends one line to the \
            evidence log: the database, the backup used and its age (the recovery point), the size \
            restored, the measured RTO with its phases, the checks. Every pra status appends a \
            sample: database reachable, backup, WAL and off-site ages, archiver state, size (also \
            when the database is down: that is the availability evidence). The log is EVIDENCE_FILE \
            (default REPORT_DIR/evidence.jsonl; none turns it off), JSON lines that concurrent \
            writers append whole under a lock; a damaged line is skipped and named, never fatal. \
            pra status keeps it bounded: once a day, samples older than EVIDENCE_SAMPLE_RETENTION \
            (35d) become hourly summaries (counts, time up and down, worst ages); restore records \
            stay. Drills write their own, in the scenario's report directory, never this one.

            pra evidence push copies the log to REMOTE_TARGET/evidence/<host>-<database>.jsonl; pra \
            evidence pull DIR fetches every host's log from there, for a central pra report.

            Exit codes: those of pra evidence show (0 read, 1 no log or unreadable), push (0 copied, \
            1 the copy failed) and pull (0 every log fetched, 1 one refused or failed); 2 usage or \
            configuration error (REMOTE_TARGET unset, EVIDENCE_FILE=none).

            Examples:
              pra evidence show                     # counts; damaged lines named
              pra evidence push --env-file /etc/pra/.env
              pra evidence pull /var/lib/pra/fleet  # every host's log
            """,
        subcommands: [EvidenceShow.self, EvidencePush.self, EvidencePull.self])
}
