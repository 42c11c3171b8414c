import Foundation
import PRACore
import Testing

@testable import PRADrill

private func parse(_ text: String) throws(ScenarioError) -> Scenario {
    try ScenarioLoader().parse(text, file: "t.yaml")
}

private func error(_ text: String) -> ScenarioError? {
    do {
        _ = try parse(text)
        return nil
    } catch {
        return error
    }
}

@Suite("scenarios with continuous archiving and point-in-time restores")
struct PointInTimeScenarioTests {
    @Test("archiving, backup kinds, marks, pitr targets with offsets, bad-transaction and rows_back load as written")
    func valid() throws {
        let scenario = try parse("""
            name: t
            archiving: {archive_timeout: 2s}
            workload: {heartbeats_per_second: 10}
            env: {CRITICAL_TABLES: receipts}
            steps:
              - backup: {kind: base}
              - mark: before-import
              - backup: {kind: incremental}
              - backup: {kind: full}
              - fault: {kind: missing-wal-segment, position: 3}
              - status: {}
                inject: {kind: archive-failing}
              - disaster: bad-transaction
              - restore: {pitr: before-import, offset: -1.5s}
              - restore: {pitr: disaster}
                expect: {rows_back: true, rpo_max: 1s, rto_max: 5m}
              - restore: {pitr: latest}
            """)
        #expect(scenario.archiveTimeout == 2)
        #expect(scenario.steps.map(\.action.kind) == [.backup, .mark, .backup, .backup, .fault, .status, .disaster, .restore, .restore, .restore])
        #expect(scenario.steps[0].action == .baseBackup)
        #expect(scenario.steps[1].action == .mark("before-import"))
        #expect(scenario.steps[2].action == .incrementalBackup)
        #expect(scenario.steps[3].action == .backup)
        #expect(scenario.steps[6].action == .disaster(.badTransaction))
        #expect(scenario.steps[7].action == .pointInTimeRestore(PointInTimeTarget(anchor: .mark("before-import"), offset: -1.5)))
        #expect(scenario.steps[8].action == .pointInTimeRestore(PointInTimeTarget(anchor: .disaster)))
        #expect(scenario.steps[8].expect.rowsBack == true)
        #expect(scenario.steps[9].action == .pointInTimeRestore(PointInTimeTarget(anchor: .latest)))
        #expect(PointInTimeTarget(anchor: .mark("x"), offset: -2).description == "mark x - 2.0s")
    }

    @Test("bad-transaction needs no CRITICAL_TABLES and takes the table to empty; archive: complete/absent on a base backup")
    func badTransactionTableAndBaseArchive() throws {
        let scenario = try parse("""
            name: t
            archiving: {archive_timeout: 1s}
            steps:
              - backup: {kind: base}
                expect: {outcome: success, archive: complete}
              - backup: {kind: base}
                expect: {archive: absent}
              - disaster: bad-transaction
              - disaster: {kind: bad-transaction, table: public.receipts}
            """)
        #expect(scenario.steps[0].expect.archive == .complete)
        #expect(scenario.steps[1].expect.archive == .absent)
        #expect(scenario.steps[2].action == .disaster(.badTransaction))
        #expect(scenario.steps[3].action == .disaster(.badTransaction, table: "public.receipts"))
    }

    static let invalid: [(label: String, yaml: String, key: String, fragment: String)] = [
        ("base backup without archiving", "name: t\nsteps:\n  - backup: {kind: base}\n", "steps[1]", "needs continuous archiving"),
        ("unknown backup kind", "name: t\nsteps:\n  - backup: {kind: differential}\n", "steps[1].backup.kind", "unknown backup kind \"differential\" (known: full, base, incremental)"),
        ("archive_timeout not whole seconds", "name: t\narchiving: {archive_timeout: 1.5s}\nsteps:\n  - backup: {}\n", "archiving.archive_timeout", "whole seconds"),
        ("pitr without a base backup", "name: t\narchiving: {archive_timeout: 1s}\nsteps:\n  - backup: {}\n  - restore: {pitr: latest}\n", "steps[2]", "needs a backup: {kind: base} step before it"),
        ("pitr to an unknown mark", "name: t\narchiving: {archive_timeout: 1s}\nsteps:\n  - backup: {kind: base}\n  - mark: a\n  - restore: {pitr: b}\n", "steps[3]", "pitr: b names no earlier mark step (marks so far: a)"),
        ("pitr to the disaster before one", "name: t\narchiving: {archive_timeout: 1s}\nsteps:\n  - backup: {kind: base}\n  - restore: {pitr: disaster}\n", "steps[2]", "pitr: disaster needs a disaster step before"),
        ("pitr with a logical option", "name: t\narchiving: {archive_timeout: 1s}\nsteps:\n  - backup: {kind: base}\n  - restore: {pitr: latest, target_db: x}\n", "steps[2].restore.target_db", "target_db is for logical restores"),
        ("offset on latest", "name: t\narchiving: {archive_timeout: 1s}\nsteps:\n  - backup: {kind: base}\n  - restore: {pitr: latest, offset: -1s}\n", "steps[2].restore.offset", "pitr: latest has none"),
        ("offset without pitr", "name: t\nsteps:\n  - backup: {}\n  - restore: {offset: -1s}\n", "steps[2].restore.offset", "offset needs pitr"),
        ("rows_back without a bad transaction", "name: t\narchiving: {archive_timeout: 1s}\nsteps:\n  - backup: {kind: base}\n  - disaster: lose-cluster\n  - restore: {pitr: latest}\n    expect: {rows_back: true}\n", "steps[3]", "expect.rows_back needs a bad-transaction disaster"),
        ("a table on another disaster", "name: t\nsteps:\n  - backup: {}\n  - disaster: {kind: drop-database, table: receipts}\n", "steps[2].disaster.table", "drop-database takes none"),
        ("a table that is no table name", "name: t\nsteps:\n  - backup: {}\n  - disaster: {kind: bad-transaction, table: a.b.c}\n", "steps[2].disaster.table", "a table name or schema.table"),
        ("an incremental backup before any base backup", "name: t\narchiving: {archive_timeout: 1s}\nsteps:\n  - backup: {kind: incremental}\n  - backup: {kind: base}\n", "steps[1]", "put a backup: {kind: base} step before it"),
        ("a selector with only a base backup before it", "name: t\narchiving: {archive_timeout: 1s}\nsteps:\n  - backup: {kind: base}\n  - verify: {archive: newest}\n", "steps[2]", "base backups are not archives a selector picks"),
        ("archive on an incremental backup", "name: t\narchiving: {archive_timeout: 1s}\nsteps:\n  - backup: {kind: base}\n  - backup: {kind: incremental}\n    expect: {archive: complete}\n", "steps[2].expect.archive", "unknown key"),
        ("a mark defined twice", "name: t\nsteps:\n  - mark: a\n  - mark: a\n  - backup: {}\n", "steps[2]", "mark a is already defined"),
        ("a reserved mark name", "name: t\nsteps:\n  - mark: latest\n", "steps[1].mark", "other than latest and disaster"),
        ("a WAL fault without archiving", "name: t\nsteps:\n  - backup: {}\n  - fault: {kind: corrupt-wal-segment}\n", "steps[2]", "corrupt-wal-segment needs continuous archiving"),
        ("rows_back on a logical restore", "name: t\nsteps:\n  - backup: {}\n  - restore: {}\n    expect: {rows_back: true}\n", "steps[2].expect.rows_back", "unknown key"),
    ]

    @Test("invalid uses name the key and say what is wrong", arguments: 0..<invalid.count)
    func invalidUse(_ index: Int) throws {
        let testCase = Self.invalid[index]
        let found = try #require(error(testCase.yaml), "\(testCase.label): loaded although invalid")
        #expect(found.key == testCase.key, "\(testCase.label): \(found)")
        #expect(found.message.contains(testCase.fragment), "\(testCase.label): \(found)")
    }
}
