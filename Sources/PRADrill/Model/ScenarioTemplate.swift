/// The commented scenario `pra drill new NAME` writes; it runs as it is.
public enum ScenarioTemplate {
    /// - Parameter path: where it is written (`pra drill new --directory DIR`), for the commands it names.
    public static func text(name: String, path: String? = nil) -> String {
        let path = path ?? "scenarios/\(name).yaml"
        return """
        # Drill scenario: \(name)
        # Runs on a scratch PostgreSQL seeded with the fixture. Reference: docs/scenarios.md
        # Check it with:  pra drill validate \(path)
        # Run it with:    pra drill run \(path)

        name: \(name)
        description: Full backup, the database is dropped, restore the latest backup; RTO and RPO measured.
        tags: [example]

        fixture: akig          # a folder of fixtures/
        scale: 0.05            # 1 is about 55 MB; --scale overrides

        targets:               # default: RPO_TARGET / RTO_TARGET
          rpo: 1h
          rto: 30m

        workload:              # heartbeat rows written during the drill; RPO is measured from them
          heartbeats_per_second: 20

        # env:                 # extra configuration for every pra step
        #   CRITICAL_TABLES: users,payments

        steps:
          - backup: {}
            expect:
              outcome: success
              archive: complete

          - wait: 1s           # heartbeats written after the backup are the data the drill loses

          # A fault can strike a step before or during it:
          # - backup: {}
          #   inject: {kind: kill-connections, after_bytes: 256KiB}
          #   expect: {outcome: failure, archive: absent, earlier_backups: untouched}

          - disaster: drop-database      # starts the RTO clock; also wipe-data-directory, lose-cluster, lose-site

          - restore: {}                  # --latest; or {archive: previous}
            expect:
              outcome: success
              rows_match_manifest: true
              used_backup: newest
              rto_max: 5m
              rpo_max: 30s

          # A check of your own on the scratch server, e.g. on the restored copy:
          # - sql: {statement: "SELECT count(*) > 0 FROM users", database: akig_restore, expect: t}

        # Point-in-time recovery instead (undo a bad DELETE): add at the top level
        #   archiving: {archive_timeout: 1s}
        # and use these steps (the akig tables no foreign key references, such as receipts,
        # ledger_entries, audit_log, can be emptied; see docs/scenarios.md, Disasters):
        #   - backup: {kind: base}
        #     expect: {outcome: success, archive: complete}
        #   - wait: 2s
        #   - disaster: {kind: bad-transaction, table: receipts}
        #   - restore: {pitr: disaster}          # or {pitr: latest}, or a mark: {pitr: NAME, offset: -1s}
        #     expect: {outcome: success, rows_back: true, rto_max: 5m, rpo_max: 1s}

        """
    }
}
