import Foundation
import Testing

@testable import PRADrill

@Suite("a scenario's env cannot point the drill at another server or directory")
struct ScenarioEnvironmentTests {
    static let cases: [(yaml: String, line: Int, key: String)] = [
        ("name: t\nenv: {PGHOST: db.example.org, CRITICAL_TABLES: users}\nsteps:\n  - backup: {}\n", 2, "env.PGHOST"),
        ("name: t\nenv:\n  DATABASE_URL: postgres://prod/app\nsteps:\n  - backup: {}\n", 3, "env.DATABASE_URL"),
        ("name: t\nsteps:\n  - backup: {}\n  - restore: {force: true}\n    env: {PGPORT: \"5432\"}\n", 5, "steps[2].env.PGPORT"),
        ("name: t\nsteps:\n  - backup: {}\n    env: {BACKUP_DIR: /srv/backups}\n", 4, "steps[1].env.BACKUP_DIR"),
        ("name: t\nenv: {REPORT_DIR: /var/reports}\nsteps:\n  - backup: {}\n", 2, "env.REPORT_DIR"),
        ("name: t\nenv: {PGDATABASE: \"host=db.example.org dbname=prod\"}\nsteps:\n  - backup: {}\n", 2, "env.PGDATABASE"),
    ]

    @Test("connection and location variables in env are refused with file, line and key", arguments: 0..<cases.count)
    func refused(_ index: Int) {
        let testCase = Self.cases[index]
        do {
            _ = try ScenarioLoader().parse(testCase.yaml, file: "t.yaml")
            Issue.record("loaded although env names \(testCase.key)")
        } catch {
            #expect(error.file == "t.yaml")
            #expect(error.line == testCase.line, "\(error)")
            #expect(error.key == testCase.key, "\(error)")
            #expect(error.message.contains("cannot be set by a scenario"), "\(error)")
        }
    }

    @Test("other variables, and PGDATABASE naming another database of the scratch server, still pass through")
    func allowed() throws {
        let scenario = try ScenarioLoader().parse("name: t\nenv: {CRITICAL_TABLES: users, DISK_WARN_PERCENT: \"30\", PGDATABASE: akig_restore}\nsteps:\n  - backup: {}\n    env: {BACKUP_COMPRESSION_LEVEL: \"1\"}\n", file: "t.yaml")
        #expect(scenario.environment == ["CRITICAL_TABLES": "users", "DISK_WARN_PERCENT": "30", "PGDATABASE": "akig_restore"])
        #expect(scenario.steps[0].environment == ["BACKUP_COMPRESSION_LEVEL": "1"])
    }

    @Test("a step's environment: the operator's PG*, pra settings and evidence log are dropped; disk thresholds are off unless the scenario sets them, so the host's free space never decides a status step")
    func stepEnvironment() {
        let inherited = ["PATH": "/usr/bin", "PGHOST": "prod.example.org", "BACKUP_DIR": "/srv/backups", "EVIDENCE_FILE": "/var/lib/pra/evidence.jsonl",
                         "DISK_WARN_PERCENT": "50", "DISK_CRITICAL_PERCENT": "40"]
        let plain = ScenarioContext.stepEnvironment(inherited: inherited, cluster: ["PGHOST": "/tmp/scratch", "PGPORT": "5999"], proxyPort: nil, database: "akig",
                                                    backupDirectory: "/w/backups", reportDirectory: "/w/reports", scenario: [:])
        #expect(plain["PATH"] == "/usr/bin")
        #expect(plain["PGHOST"] == "/tmp/scratch" && plain["PGPORT"] == "5999" && plain["PGDATABASE"] == "akig")
        #expect(plain["BACKUP_DIR"] == "/w/backups" && plain["EVIDENCE_FILE"] == "/w/reports/evidence.jsonl")
        #expect(plain["DISK_WARN_PERCENT"] == "0" && plain["DISK_CRITICAL_PERCENT"] == "0")

        let proxied = ScenarioContext.stepEnvironment(inherited: inherited, cluster: ["PGHOST": "/tmp/scratch", "PGPORT": "5999"], proxyPort: 40001, database: "akig",
                                                      backupDirectory: "/w/backups", reportDirectory: "/w/reports", scenario: ["DISK_WARN_PERCENT": "30", "PGDATABASE": "akig_restore"])
        #expect(proxied["PGHOST"] == "127.0.0.1" && proxied["PGPORT"] == "40001" && proxied["PGDATABASE"] == "akig_restore")
        #expect(proxied["DISK_WARN_PERCENT"] == "30" && proxied["DISK_CRITICAL_PERCENT"] == "0")
    }
}
