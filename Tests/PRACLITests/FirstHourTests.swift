import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// A new user's first hour: errors that say what was tried and how to fix it, names found where
/// `pra backup` put them, help that shows exit codes and an example for every command.
@Suite("first hour")
struct FirstHourTests {
    /// The process environment without any connection or pra setting: nothing configured.
    static func bareEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !key.hasPrefix("PG") && key != "DATABASE_URL" && !Configuration.variables.contains { $0.name == key }
        }
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    /// What one run of `pra` printed and how it exited.
    struct Output {
        var exitCode: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `pra arguments...` in `directory`.
    static func pra(_ arguments: [String], in directory: String, environment: [String: String]) throws -> Output {
        let script = "cd \"$1\" && shift && exec \"$@\""
        let outcome = try ExternalProcess(executable: "/bin/sh", arguments: ["-c", script, "sh", directory, PraBinary.path] + arguments, environment: environment, timeout: 120).run()
        return Output(exitCode: outcome.exitCode ?? -1, stdout: outcome.stdoutText, stderr: outcome.standardError)
    }

    static func errorLines(_ result: Output) -> [Substring] {
        result.stderr.split(separator: "\n").filter { $0.hasPrefix("pra: error:") }
    }

    // MARK: 1. connection failures

    @Test("nothing configured: backup exits 2 naming what was tried, where from, and the fix")
    func nothingConfigured() throws {
        let directory = TestEnvironment.temporaryDirectory("fh-nothing")
        let result = try Self.pra(["backup", "--env-file", "/dev/null"], in: directory, environment: Self.bareEnvironment(["PGCONNECT_TIMEOUT": "3"]))
        #expect(result.exitCode == 2, "\(result.stderr)")
        #expect(Self.errorLines(result).count == 1, "\(result.stderr)")
        for words in ["cannot connect", "tried host", "port 5432 (libpq default)", "database", "user", "nothing is configured", "PGHOST", "PGDATABASE", "DATABASE_URL", "eval \"$(pra cluster up)\""] {
            #expect(result.stderr.contains(words), "lacks \(words): \(result.stderr)")
        }
    }

    @Test("a configured server that cannot be reached: exit 1, each value with its source (environment, env file)")
    func unreachableServer() throws {
        let directory = TestEnvironment.temporaryDirectory("fh-unreachable")
        let environment = Self.bareEnvironment(["PGHOST": directory + "/no-socket-here", "PGDATABASE": "shop", "BACKUP_DIR": directory + "/backups"])
        let backup = try Self.pra(["backup", "--env-file", "/dev/null"], in: directory, environment: environment)
        #expect(backup.exitCode == 1, "\(backup.stderr)")
        #expect(Self.errorLines(backup).count == 1, "\(backup.stderr)")
        for words in ["host \(directory)/no-socket-here (PGHOST from the environment)", "database shop (PGDATABASE from the environment)", "port 5432 (libpq default)", "pra cluster up"] {
            #expect(backup.stderr.contains(words), "lacks \(words): \(backup.stderr)")
        }

        let envFile = directory + "/pra.env"
        try "PGHOST=\(directory)/other\nPGPORT=6543\n".write(toFile: envFile, atomically: true, encoding: .utf8)
        let fromFile = try Self.pra(["backup", "--env-file", envFile], in: directory, environment: Self.bareEnvironment(["BACKUP_DIR": directory + "/backups"]))
        #expect(fromFile.exitCode == 1, "\(fromFile.stderr)")
        #expect(fromFile.stderr.contains("host \(directory)/other (PGHOST from the env file)"), "\(fromFile.stderr)")
        #expect(fromFile.stderr.contains("port 6543 (PGPORT from the env file)"), "\(fromFile.stderr)")

        try FileManager.default.createDirectory(atPath: directory + "/backups", withIntermediateDirectories: true)
        let restore = try Self.pra(["restore", "--latest", "--env-file", "/dev/null"], in: directory, environment: environment)
        #expect(restore.exitCode == 1, "\(restore.stderr)")
        #expect(restore.stderr.contains("database postgres (RESTORE_MAINTENANCE_DB, default)"), "\(restore.stderr)")
    }

    @Test("the diagnosis names DATABASE_URL as the source of the values it holds")
    func diagnosisFromURL() throws {
        let configuration = try Configuration(envFile: "/dev/null", environment: ["DATABASE_URL": "postgresql://app@db.internal:5433/shop"])
        let diagnosis = ConnectionDiagnosis(configuration: configuration)
        #expect(!diagnosis.nothingConfigured)
        #expect(diagnosis.triedDescription.contains("host db.internal (DATABASE_URL from the environment)"))
        #expect(diagnosis.triedDescription.contains("port 5433 (DATABASE_URL from the environment)"))
        #expect(diagnosis.triedDescription.contains("user app (DATABASE_URL from the environment)"))
        let nothing = ConnectionDiagnosis(configuration: try Configuration(envFile: "/dev/null", environment: [:]))
        #expect(nothing.nothingConfigured)
        #expect(nothing.fix.contains("PGHOST and PGDATABASE (or DATABASE_URL)"))
    }

    // MARK: 2. paths

    @Test("a bare archive name is found in BACKUP_DIR; a missing one names BACKUP_DIR")
    func bareNames() throws {
        let directory = TestEnvironment.temporaryDirectory("fh-bare")
        let backups = directory + "/backups"
        try FileManager.default.createDirectory(atPath: backups, withIntermediateDirectories: true)
        let plain = backups + "/stock_dump.sql"
        try "SELECT 1;\n\(ArchiveVerifier.dumpTrailer)\n".write(toFile: plain, atomically: true, encoding: .utf8)
        _ = try ExternalProcess(executable: "/bin/sh", arguments: ["-c", "gzip -n \"$1\"", "sh", plain]).runChecked()
        let environment = Self.bareEnvironment(["BACKUP_DIR": backups])

        let found = try Self.pra(["verify", "stock_dump.sql.gz", "--env-file", "/dev/null"], in: directory, environment: environment)
        #expect(found.exitCode == 0, "\(found.stdout)\(found.stderr)")
        #expect(found.stdout.contains("stock_dump.sql.gz"))

        let missing = try Self.pra(["verify", "nope_backup_full_20260101_000000.sql.gz", "--env-file", "/dev/null"], in: directory, environment: environment)
        #expect(missing.exitCode == 2)
        #expect(missing.stderr.contains("does not exist"))
        #expect(missing.stderr.contains(backups))
        #expect(missing.stderr.contains("BACKUP_DIR from the environment"))

        let restore = try Self.pra(["restore", "--file", "nope.sql.gz", "--env-file", "/dev/null"], in: directory, environment: environment)
        #expect(restore.exitCode == 2)
        #expect(restore.stderr.contains(backups) && restore.stderr.contains("BACKUP_DIR"), "\(restore.stderr)")
    }

    @Test("a missing backup directory is its own error, naming BACKUP_DIR or --backup-dir")
    func missingBackupDirectory() throws {
        let directory = TestEnvironment.temporaryDirectory("fh-nodir")
        let environment = Self.bareEnvironment(["BACKUP_DIR": directory + "/missing"])
        let verify = try Self.pra(["verify", "--all", "--env-file", "/dev/null"], in: directory, environment: environment)
        #expect(verify.exitCode == 2)
        #expect(verify.stderr.contains("backup directory \(directory)/missing does not exist"), "\(verify.stderr)")
        #expect(verify.stderr.contains("BACKUP_DIR"))
        #expect(Self.errorLines(verify).count == 1)

        try FileManager.default.createDirectory(atPath: directory + "/empty", withIntermediateDirectories: true)
        let empty = try Self.pra(["verify", "--all", "--env-file", "/dev/null", "--backup-dir", directory + "/empty"], in: directory, environment: environment)
        #expect(empty.exitCode == 1)
        #expect(empty.stderr.contains("no archives in \(directory)/empty (--backup-dir): it is empty"), "\(empty.stderr)")

        let option = try Self.pra(["verify", "--all", "--env-file", "/dev/null", "--backup-dir", directory + "/elsewhere"], in: directory, environment: environment)
        #expect(option.exitCode == 2)
        #expect(option.stderr.contains("--backup-dir"))

        let restore = try Self.pra(["restore", "--latest", "--env-file", "/dev/null"], in: directory, environment: Self.bareEnvironment())
        #expect(restore.exitCode == 2)
        #expect(restore.stderr.contains("backup directory ./backups does not exist (the default; BACKUP_DIR is not set)"), "\(restore.stderr)")
    }

    @Test("drill run, list and validate outside the project say where they looked and how to point elsewhere", arguments: ["run", "list", "validate"])
    func scenariosOutsideTheProject(command: String) throws {
        let directory = TestEnvironment.temporaryDirectory("fh-noscen")
        let result = try Self.pra(["drill", command] + (command == "run" ? ["--env-file", "/dev/null"] : []), in: directory, environment: Self.bareEnvironment())
        #expect(result.exitCode == 2)
        #expect(result.stderr.contains("no scenarios/ directory in"), "\(result.stderr)")
        #expect(result.stderr.contains(directory))
        #expect(result.stderr.contains("pra drill \(command) /path/to/scenarios"))
        #expect(Self.errorLines(result).count == 1)
    }

    // MARK: 3. drill new

    @Test("drill new says the file joins the catalogue and the next full drill includes it")
    func drillNew() throws {
        let directory = TestEnvironment.temporaryDirectory("fh-new")
        let result = try Self.pra(["drill", "new", "my-scenario"], in: directory, environment: Self.bareEnvironment())
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(result.stdout.contains("wrote scenarios/my-scenario.yaml"))
        #expect(result.stdout.contains("joins the catalogue"))
        #expect(result.stdout.contains("next full drill"))
        #expect(result.stdout.contains("pra drill run"))
    }

    // MARK: 5. help

    /// Subcommand paths from a help text's SUBCOMMANDS section.
    static func subcommands(of help: String) -> [String] {
        guard let start = help.range(of: "SUBCOMMANDS:") else { return [] }
        var names: [String] = []
        for line in help[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).dropFirst() {
            guard line.hasPrefix("  ") else { break }
            let trimmed = line.drop { $0 == " " }
            // Names start at two spaces; wrapped abstract lines are indented much further.
            guard line.prefix(while: { $0 == " " }).count == 2, let name = trimmed.split(separator: " ").first else { continue }
            if name != "help", name.allSatisfy({ $0.isLowercase || $0 == "-" }) { names.append(String(name)) }
        }
        return names
    }

    @Test("every command's --help lists its exit codes and an example, without insider jargon")
    func everyHelp() throws {
        var queue: [[String]] = [[]]
        var seen: [[String]] = []
        while let path = queue.first {
            queue.removeFirst()
            seen.append(path)
            let result = try PraBinary.run(path + ["--help"], environment: Self.bareEnvironment())
            let name = (["pra"] + path).joined(separator: " ")
            #expect(result.exitCode == 0, "\(name) --help: \(result.stderr)")
            #expect(result.stdout.contains("Exit codes"), "\(name) --help has no exit codes")
            #expect(result.stdout.contains("Example"), "\(name) --help has no example")
            #expect(!result.stdout.contains("seed plan") && !result.stdout.contains("status.sh"), "\(name) --help speaks of the seed plan")
            if path.count < 3 { queue += Self.subcommands(of: result.stdout).map { path + [$0] }.filter { !seen.contains($0) && !queue.contains($0) } }
        }
        // pra, its 10 commands and their subcommands.
        #expect(seen.count >= 20, "walked only \(seen.map { $0.joined(separator: " ") })")
        #expect(seen.contains(["drill", "run"]) && seen.contains(["wal", "push"]) && seen.contains(["cluster", "down"]))
    }

    // MARK: 7. names

    @Test("an unknown --only name or fault kind gets the closest match")
    func didYouMean() throws {
        let directory = TestEnvironment.temporaryDirectory("fh-typo")
        let only = try Self.pra(["drill", "run", TestEnvironment.packageRoot + "/scenarios", "--only", "baseline-drop-databse", "--env-file", "/dev/null"], in: directory, environment: Self.bareEnvironment())
        #expect(only.exitCode == 2)
        #expect(only.stderr.contains("did you mean \"baseline-drop-database\"?"), "\(only.stderr)")

        let file = directory + "/typo.yaml"
        try """
            name: typo
            description: a fault kind with a typo
            steps:
              - backup: {}
              - fault: {kind: corupt-archive}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let validate = try Self.pra(["drill", "validate", file], in: directory, environment: Self.bareEnvironment())
        #expect(validate.exitCode == 2)
        #expect(validate.stdout.contains("did you mean \"corrupt-archive\"?"), "\(validate.stdout)")
    }

    @Test("closest match: typos are matched, unrelated names are not")
    func closestMatch() {
        let names = ["baseline-drop-database", "kill-connection-during-backup", "disk-full-during-backup"]
        #expect(ClosestMatch.suggestion(for: "baseline-drop-databse", among: names) == "baseline-drop-database")
        #expect(ClosestMatch.suggestion(for: "kill-conection-during-backup", among: names) == "kill-connection-during-backup")
        #expect(ClosestMatch.suggestion(for: "zzz", among: names) == nil)
        #expect(ClosestMatch.hint(for: "zzz", among: names) == "")
    }

    @Test("bash completion offers scenario names after --only")
    func completion() throws {
        let script = try PraBinary.run(["--generate-completion-script", "bash"], environment: Self.bareEnvironment())
        #expect(script.exitCode == 0)
        #expect(script.stdout.contains("---completion drill run -- --only"), "the bash script does not ask pra for --only values")
        let names = try Self.pra(["---completion", "drill", "run", "--", "--only", "4", "8", "pra", "drill", "run", "--only", "baseline"], in: TestEnvironment.packageRoot, environment: Self.bareEnvironment())
        #expect(names.stdout.split(separator: "\n") == ["baseline-drop-database"], "\(names.stdout)\(names.stderr)")
    }

    // MARK: 6. progress

    @Test("progress with a known size shows the percentage and the time left")
    func progressLine() {
        let line = ProgressReporter.line(phase: "backup", bytes: 50 * 1024 * 1024, total: 100 * 1024 * 1024, elapsed: 10)
        #expect(line.contains("(50%)"), "\(line)")
        #expect(line.contains("ETA 10s"), "\(line)")
        #expect(line.hasPrefix("backup: 50.0 MiB of 100.0 MiB"))
        let over = ProgressReporter.line(phase: "backup", bytes: 120, total: 100, elapsed: 2)
        #expect(over.contains("(100%)") && over.contains("almost done"), "\(over)")
        let unknown = ProgressReporter.line(phase: "verify WAL", bytes: 2048, total: nil, elapsed: 2)
        #expect(!unknown.contains("%") && !unknown.contains("ETA"))
    }
}

/// `pra cluster down` prints what `eval` needs to forget the cluster's variables.
@Suite("first hour: scratch cluster", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct FirstHourClusterTests {
    @Test("cluster down prints an eval-able unset line")
    func clusterDownUnsets() throws {
        let up = try PraBinary.run(["cluster", "up"], environment: ProcessInfo.processInfo.environment)
        #expect(up.exitCode == 0, "\(up.stderr)")
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        for line in up.stdout.split(separator: "\n") where line.hasPrefix("export ") {
            let pair = line.dropFirst(7).split(separator: "=", maxSplits: 1)
            environment[String(pair[0])] = String(pair[1])
        }
        if let directory = environment["PRA_CLUSTER_DIR"] { TestEnvironment.removeClusterAtExit(directory) }
        let down = try PraBinary.run(["cluster", "down"], environment: environment)
        #expect(down.exitCode == 0, "\(down.stderr)")
        #expect(down.stdout.contains("unset PGHOST PGPORT PGUSER PGDATABASE PRA_CLUSTER_DIR"))
        for line in down.stdout.split(separator: "\n") {
            #expect(line.hasPrefix("#") || line.hasPrefix("unset "), "not eval-able: \(line)")
        }
    }
}
