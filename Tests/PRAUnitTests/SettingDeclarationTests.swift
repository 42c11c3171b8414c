import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// ``Setting``: every configuration variable declared once, and read only through it.
@Suite("setting declarations")
struct SettingDeclarationTests {
    /// Environment-variable names Sources may write as literals because pra does not read them
    /// as settings, with the reason.
    static let undeclaredNames: [String: String] = [
        "PGAPPNAME": "libpq's application_name, set by pra for each child program",
        "PGHOSTADDR": "libpq variable pra passes on and diagnoses but does not declare",
        "PGOPTIONS": "libpq variable pra passes on but does not declare",
        "PGSERVICE": "libpq variable pra passes on and diagnoses but does not declare",
        "PGSSLCERT": "libpq variable pra passes on but does not declare",
        "PGSSLKEY": "libpq variable pra passes on but does not declare",
        "PGSSLROOTCERT": "libpq variable pra passes on but does not declare",
        "PGTARGETSESSIONATTRS": "libpq variable pra passes on but does not declare",
        "PG_VERSION": "a file of a PostgreSQL data directory, not a variable",
        "PRA_ACTIVATION_ID": "what pra activate tells a switch hook, not a setting pra reads",
        "PRA_ACTIVATION_DATABASE": "what pra activate tells a switch hook, not a setting pra reads",
        "PRA_ACTIVATION_HOST": "what pra activate tells a switch hook, not a setting pra reads",
        "PRA_ACTIVATION_PORT": "what pra activate tells a switch hook, not a setting pra reads",
    ]

    /// Every `.swift` file under Sources, with its path relative to the package.
    static func sourceFiles() throws -> [(path: String, lines: [Substring])] {
        let root = TestEnvironment.packageRoot
        let enumerator = FileManager.default.enumerator(atPath: root + "/Sources")
        var files: [(String, [Substring])] = []
        while let relative = enumerator?.nextObject() as? String {
            guard relative.hasSuffix(".swift") else { continue }
            let text = try String(contentsOfFile: root + "/Sources/" + relative, encoding: .utf8)
            files.append(("Sources/" + relative, text.split(separator: "\n", omittingEmptySubsequences: false)))
        }
        return files.sorted { $0.0 < $1.0 }
    }

    /// The string literals `"NAME"` on `line` that look like an environment variable name.
    static func variableLiterals(in line: Substring) -> [String] {
        let pattern = #/"([A-Z][A-Z0-9_]{2,})"/#
        return line.matches(of: pattern).map { String($0.output.1) }
    }

    @Test("no declared variable name is written as a string literal outside Setting.swift (the issue's grep bar)")
    func noNameLiteralOutsideDeclaration() throws {
        let declared = Set(Setting.allCases.map(\.name))
        var found: [String] = []
        var checkedFiles = 0
        for file in try Self.sourceFiles() where !file.path.hasSuffix("Configuration/Setting.swift") {
            checkedFiles += 1
            for (index, line) in file.lines.enumerated() {
                for name in Self.variableLiterals(in: line) where declared.contains(name) {
                    found.append("\(file.path):\(index + 1): \"\(name)\" (read it through its Setting)")
                }
            }
        }
        #expect(checkedFiles > 100, "Sources not found under \(TestEnvironment.packageRoot)")
        #expect(found.isEmpty, "configuration key literals outside the declaration:\n\(found.joined(separator: "\n"))")
    }

    @Test("the declaration file itself holds each name once, and the scan sees a literal when there is one")
    func scanFindsLiterals() throws {
        let declaration = try Self.sourceFiles().first { $0.path.hasSuffix("Configuration/Setting.swift") }
        let literals = try #require(declaration).lines.flatMap(Self.variableLiterals(in:))
        for setting in Setting.allCases {
            #expect(literals.filter { $0 == setting.name }.count == 1, "\(setting.name)")
        }
        #expect(Self.variableLiterals(in: #"x = configuration["BACKUP_DIR"] ?? y"#) == ["BACKUP_DIR"])
    }

    @Test("other environment-like names in Sources are not pra settings, each with its reason")
    func undeclaredNamesAllowListed() throws {
        let declared = Set(Setting.allCases.map(\.name))
        let prefixes = ["PG", "PRA_", "AWS_", "S3_", "SMTP_", "BACKUP_", "WAL_", "REMOTE_", "ALERT_", "RESTORE_", "EVIDENCE_"]
        var unexplained: [String] = []
        for file in try Self.sourceFiles() {
            for (index, line) in file.lines.enumerated() {
                for name in Self.variableLiterals(in: line) where prefixes.contains(where: name.hasPrefix) && !declared.contains(name) && Self.undeclaredNames[name] == nil {
                    unexplained.append("\(file.path):\(index + 1): \(name)")
                }
            }
        }
        #expect(unexplained.isEmpty, "declare these in Setting, or allow-list them with a reason:\n\(unexplained.joined(separator: "\n"))")
        for name in Self.undeclaredNames.keys { #expect(!declared.contains(name), "\(name) is declared: drop it from the allow-list") }
    }

    @Test("names are unique environment-variable names; every default passes its own kind's check")
    func declarationsConsistent() throws {
        let names = Setting.allCases.map(\.name)
        #expect(Set(names).count == names.count)
        for setting in Setting.allCases {
            #expect(setting.name.wholeMatch(of: #/[A-Z][A-Z0-9_]+/#) != nil, "\(setting.name)")
            #expect(!setting.meaning.isEmpty, "\(setting.name)")
            #expect(Setting(name: setting.name) == setting)
            if let value = setting.defaultValue {
                #expect(throws: Never.self, "\(setting.name)'s default \(value)") { _ = try setting.decode(value) }
            }
        }
        #expect(Setting(name: "BACKUP_DIRS") == nil)
    }

    @Test("Configuration.variables and the secret list are derived from the declarations")
    func derivedTables() {
        #expect(Configuration.variables.map(\.name) == Setting.allCases.map(\.name))
        #expect(Configuration.variables.map(\.defaultValue) == Setting.allCases.map(\.defaultValue))
        #expect(Set(SecretRedactor.secretVariables) == ["PGPASSWORD", "SMTP_PASSWORD", "SLACK_WEBHOOK", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"])
        #expect(Setting.backupCompressionLevel.kind == .wholeNumber(1...9))
        #expect(Setting.backupCompressionLevel.defaultValue == "6")
        #expect(!Setting.awsAccessKeyID.isSecret && Setting.awsSecretAccessKey.isSecret)
    }

    /// A configuration from only `values` (no env file, no process environment).
    static func configuration(_ values: [String: String]) throws -> Configuration {
        try Configuration(envFile: "/dev/null", environment: [:], overrides: values)
    }

    @Test("range, duration, size, percentage and word errors name the variable and its value")
    func decodingErrors() throws {
        let bad = try Self.configuration([
            "BACKUP_COMPRESSION_LEVEL": "10", "WAL_SYNC_JOBS": "x", "RPO_TARGET": "soon", "WAL_REMOTE_QUEUE_LIMIT": "lots",
            "PRODUCTION_DB_SIZE": "big", "DISK_WARN_PERCENT": "120", "SLA_TARGET": "0", "WAL_REMOTE_MODE": "later", "S3_ADDRESSING": "both",
        ])
        func message(_ read: (Configuration) throws(ConfigurationError) -> Any?) -> String? {
            do { _ = try read(bad); return nil } catch { return error.message }
        }
        #expect(message { c throws(ConfigurationError) in try c.integer(.backupCompressionLevel) } == "BACKUP_COMPRESSION_LEVEL=10 is not a whole number in 1...9")
        #expect(message { c throws(ConfigurationError) in try c.integer(.walSyncJobs) } == "WAL_SYNC_JOBS=x is not a whole number in 1...32")
        #expect(message { c throws(ConfigurationError) in try c.seconds(.rpoTarget) } == "RPO_TARGET=soon is not a duration (examples: 3600, 90s, 30m, 1h)")
        #expect(message { c throws(ConfigurationError) in try c.bytes(.walRemoteQueueLimit) } == "WAL_REMOTE_QUEUE_LIMIT=lots is not a size (examples: 0, 512MiB, 1GB)")
        #expect(message { c throws(ConfigurationError) in try c.bytes(.productionDBSize) } == "PRODUCTION_DB_SIZE=big is not a size (examples: 50GB, 800MiB)")
        #expect(message { c throws(ConfigurationError) in try c.percent(.diskWarnPercent) } == "DISK_WARN_PERCENT=120 is not a percentage between 0 and 100")
        #expect(message { c throws(ConfigurationError) in try c.percent(.slaTarget) } == "SLA_TARGET=0 is not a percentage in (0, 100] (example: 99.9)")
        #expect(message { c throws(ConfigurationError) in try c.choice(.walRemoteMode) } == "WAL_REMOTE_MODE=later is not sync or async")
        #expect(message { c throws(ConfigurationError) in try c.choice(.s3Addressing) } == "S3_ADDRESSING=both is not path, virtual or auto")
        #expect(message { c throws(ConfigurationError) in try c.integer(.praJobs) } == "PRA_JOBS is not set")
        // The operations see the same errors where they start.
        #expect(message { c throws(ConfigurationError) in try ArchiveSettings(configuration: c) } == "BACKUP_COMPRESSION_LEVEL=10 is not a whole number in 1...9")
        #expect(message { c throws(ConfigurationError) in try ProjectionSettings(configuration: c) } == "RPO_TARGET=soon is not a duration (examples: 3600, 90s, 30m, 1h)")
        #expect(message { c throws(ConfigurationError) in try WALSyncOperation.isAsynchronous(c) } == "WAL_REMOTE_MODE=later is not sync or async")
    }

    @Test("defaults apply when unset or empty; values decode to their units")
    func decodingValues() throws {
        let defaults = try Self.configuration(["BACKUP_TIMEOUT": ""])
        #expect(try defaults.integer(.backupCompressionLevel) == 6)
        #expect(try defaults.seconds(.backupTimeout) == 6 * 3600)
        #expect(try defaults.bytes(.walRemoteQueueLimit) == 1 << 30)
        #expect(try defaults.bytes(.productionDBSize) == nil)
        #expect(try defaults.percent(.slaTarget) == 99.9)
        #expect(try defaults.choice(.s3Addressing) == "auto")
        #expect(defaults[.restoreMaintenanceDB] == "postgres")
        #expect(defaults[.remoteTarget] == nil)
        #expect(!defaults.flag(.alertOnSuccess) && !defaults.flag(.smtpAllowPlaintext))
        #expect(defaults.list(.criticalTables).isEmpty)
        #expect(try defaults.jobs() == max(1, ProcessInfo.processInfo.activeProcessorCount))
        #expect(try ProjectionSettings(configuration: defaults) == ProjectionSettings(configuration: try Self.configuration(["RPO_TARGET": "1h", "RTO_TARGET": "30m", "BACKUP_INTERVAL": "1h"])))

        let set = try Self.configuration([
            "BACKUP_COMPRESSION_LEVEL": "9", "PRA_JOBS": "3", "ARCHIVE_WAIT_TIMEOUT": "1h30m", "PRODUCTION_DB_SIZE": "2GiB", "DISK_CRITICAL_PERCENT": "0",
            "SLA_TARGET": "99.5%", "ALERT_ON_SUCCESS": "Yes", "SMTP_ALLOW_PLAINTEXT": "true", "CRITICAL_TABLES": " users, ,public.payments ", "WAL_REMOTE_MODE": "async",
        ])
        #expect(try set.integer(.backupCompressionLevel) == 9)
        #expect(try set.jobs() == 3)
        #expect(try set.seconds(.archiveWaitTimeout) == 5400)
        #expect(try set.bytes(.productionDBSize) == 2 * 1024 * 1024 * 1024)
        #expect(try set.percent(.diskCriticalPercent) == 0)
        #expect(try set.percent(.slaTarget) == 99.5)
        #expect(set.flag(.alertOnSuccess) && set.flag(.smtpAllowPlaintext))
        #expect(set.list(.criticalTables) == ["users", "public.payments"])
        #expect(try WALSyncOperation.isAsynchronous(set))
        let projection = try ProjectionSettings(configuration: set)
        #expect(projection.productionDatabaseBytes == Double(2 << 30), "\(String(describing: projection.productionDatabaseBytes))")
        #expect(set.source(of: .praJobs) == .option && set.source(of: .backupDir) == .defaultValue)
    }

    @Test("full and base backups share the archive settings; each keeps its own retention")
    func backupSettingsShared() throws {
        let configuration = try Self.configuration(["BACKUP_RETENTION_DAYS": "3", "BACKUP_MIN_KEEP": "2", "BASE_BACKUP_RETENTION_DAYS": "9", "BACKUP_COMPRESSION_LEVEL": "1", "PRA_JOBS": "2"])
        let shared = try ArchiveSettings(configuration: configuration)
        #expect(shared.level == 1 && shared.jobs == 2 && shared.timeout == 6 * 3600)
        #expect(try RetentionPolicy.fullBackups(configuration) == RetentionPolicy(retentionDays: 3, minimumKept: 2))
        #expect(try RetentionPolicy.baseBackups(configuration) == RetentionPolicy(retentionDays: 9, minimumKept: 2))
        let negative = try Self.configuration(["BASE_BACKUP_MIN_KEEP": "0"])
        #expect(throws: ConfigurationError("BASE_BACKUP_MIN_KEEP=0 is not a whole number in 1...100000")) { try RetentionPolicy.baseBackups(negative) }
    }
}
