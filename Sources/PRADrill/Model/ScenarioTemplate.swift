/// The commented scenario `pra drill new NAME` writes; it runs as it is.
public enum ScenarioTemplate {
    public static func text(name: String) -> String {
        """
        # Drill scenario: \(name)
        # Runs on a scratch PostgreSQL seeded with the fixture. Reference: docs/scenarios.md
        # Check it with:  pra drill validate scenarios/\(name).yaml
        # Run it with:    pra drill run scenarios/\(name).yaml

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

        """
    }
}
