import Foundation
import PRATestSupport
import Testing

@testable import PRACore

@Suite("configuration")
struct ConfigurationTests {
    @Test("env file syntax: comments, export, quotes, inline comments")
    func envFileSyntax() throws {
        let values = try EnvFile.parse("""
            # comment
            export PGHOST=db.example
            PGPORT = 5433
            BACKUP_DIR="/var/backups/pra dir"
            CRITICAL_TABLES='users,payments'
            RPO_TARGET=1h # the plan's target

            """)
        #expect(values["PGHOST"] == "db.example")
        #expect(values["PGPORT"] == "5433")
        #expect(values["BACKUP_DIR"] == "/var/backups/pra dir")
        #expect(values["CRITICAL_TABLES"] == "users,payments")
        #expect(values["RPO_TARGET"] == "1h")
    }

    @Test("a malformed line names the file and line")
    func malformedLine() {
        let error = #expect(throws: ConfigurationError.self) { try EnvFile.parse("A=1\nnot a pair\n", path: "/etc/pra/.env") }
        #expect(error?.message.contains("/etc/pra/.env:2") == true)
    }

    @Test("precedence: option > environment > env file > default")
    func precedence() throws {
        let directory = TestSupportPaths.temporary()
        let file = directory + "/.env"
        try "BACKUP_DIR=/from/file\nRPO_TARGET=2h\nREPORT_DIR=/file/reports\n".write(toFile: file, atomically: true, encoding: .utf8)
        let configuration = try Configuration(envFile: file, environment: ["BACKUP_DIR": "/from/env", "REPORT_DIR": "/env/reports"], overrides: ["BACKUP_DIR": "/from/option"])
        #expect(configuration["BACKUP_DIR"] == "/from/option")
        #expect(configuration.sources["BACKUP_DIR"] == .option)
        #expect(configuration["REPORT_DIR"] == "/env/reports")
        #expect(configuration["RPO_TARGET"] == "2h")
        #expect(configuration.sources["RPO_TARGET"] == .envFile)
        #expect(configuration["BACKUP_MIN_KEEP"] == "7")
        #expect(configuration.sources["BACKUP_MIN_KEEP"] == .defaultValue)
    }

    @Test("an env file holding a password and readable by others gives a warning")
    func passwordPermissions() throws {
        let directory = TestSupportPaths.temporary()
        let file = directory + "/.env"
        try "PGPASSWORD=s3cret\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o644)
        let loose = try Configuration(envFile: file, environment: [:])
        #expect(loose.warnings.count == 1)
        #expect(loose.warnings.first?.contains("chmod 600") == true)
        #expect(loose.warnings.first?.contains("s3cret") == false)
        chmod(file, 0o600)
        #expect(try Configuration(envFile: file, environment: [:]).warnings.isEmpty)
    }

    @Test("a missing explicit env file is a configuration error")
    func missingEnvFile() {
        #expect(throws: ConfigurationError.self) { try Configuration(envFile: "/nonexistent/.env", environment: [:]) }
    }

    @Test("STATEMENT_TIMEOUT and NETWORK_TIMEOUT: defaults, libpq keepalives and tcp_user_timeout, 0 keeps the kernel's, a bad value is an error")
    func networkTimeouts() throws {
        let defaults = try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["PGHOST": "db.internal"]).connectionSettings()
        #expect(defaults.statementTimeout == 30)
        #expect(defaults.libpqParameters["connect_timeout"] == "10")
        #expect(defaults.networkParameters == ["keepalives": "1", "keepalives_idle": "15", "keepalives_interval": "5", "keepalives_count": "3", "tcp_user_timeout": "30000"])
        // No PG* variable exists for them: children (pg_dump, psql) are not given anything libpq would reject.
        #expect(defaults.childEnvironment(base: [:], applicationName: "pra-test").keys.allSatisfy { !$0.contains("KEEPALIVE") && !$0.contains("USER_TIMEOUT") })
        #expect(defaults.childNetworkKeywords == " keepalives=1 keepalives_count=3 keepalives_idle=15 keepalives_interval=5 tcp_user_timeout=30000")
        let url = try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["DATABASE_URL": "postgresql://db.internal/akig?tcp_user_timeout=5000"]).connectionSettings()
        #expect(url.childNetworkKeywords.contains(" tcp_user_timeout=5000") && !url.childNetworkKeywords.contains("30000"))
        let off = try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["NETWORK_TIMEOUT": "0", "STATEMENT_TIMEOUT": "5m"]).connectionSettings()
        #expect(off.networkParameters.isEmpty)
        #expect(off.childNetworkKeywords.isEmpty)
        #expect(off.statementTimeout == 300)
        #expect(throws: ConfigurationError.self) {
            try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["STATEMENT_TIMEOUT": "soon"]).connectionSettings()
        }
    }

    @Test("DATABASE_URL is split by libpq; the password travels in the environment, not argv")
    func databaseURL() throws {
        let configuration = try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["DATABASE_URL": "postgresql://app:pa%40ss@db.internal:6543/akig?sslmode=require", "PGHOST": "ignored"])
        let settings = try configuration.connectionSettings()
        #expect(settings.libpqParameters["host"] == "db.internal")
        #expect(settings.libpqParameters["port"] == "6543")
        #expect(settings.libpqParameters["password"] == "pa@ss")
        #expect(settings.databaseName == "akig")
        let child = settings.childEnvironment(base: ["PATH": "/usr/bin", "DATABASE_URL": "x"], applicationName: "pra-test")
        #expect(child["PGPASSWORD"] == "pa@ss")
        #expect(child["PGSSLMODE"] == "require")
        #expect(child["DATABASE_URL"] == nil)
        #expect(!settings.redactedDescription.contains("pa@ss"))
    }

    @Test("an invalid DATABASE_URL is a configuration error")
    func invalidURL() throws {
        let configuration = try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["DATABASE_URL": "postgresql://host:notaport:x/db?bogus=1"])
        #expect(throws: ConfigurationError.self) { try configuration.connectionSettings() }
    }

    @Test("durations", arguments: [("3600", 3600.0), ("90s", 90), ("30m", 1800), ("1h", 3600), ("1h30m", 5400), ("7d", 604800)])
    func durations(text: String, seconds: Double) {
        #expect(DurationParser.seconds(text) == seconds)
    }

    @Test("invalid durations", arguments: ["", "abc", "5x", "-3", "1h30"])
    func invalidDurations(text: String) {
        #expect(DurationParser.seconds(text) == nil)
    }

    @Test("typed accessors name the variable in errors")
    func typedAccessors() throws {
        let configuration = try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["BACKUP_COMPRESSION_LEVEL": "11", "RPO_TARGET": "soon"])
        let level = #expect(throws: ConfigurationError.self) { try configuration.integer("BACKUP_COMPRESSION_LEVEL", range: 1...9) }
        #expect(level?.message.contains("BACKUP_COMPRESSION_LEVEL=11") == true)
        let rpo = #expect(throws: ConfigurationError.self) { try configuration.seconds("RPO_TARGET") }
        #expect(rpo?.message.contains("RPO_TARGET") == true)
    }
}
