import Foundation

/// The resolved settings of one `pra` run.
///
/// Precedence: command-line option > process environment > env file (`--env-file`, default
/// `./.env` when present). Every variable read here is listed in `.env.example` and
/// docs/configuration.md.
public struct Configuration: Sendable {
    /// Where a value came from, for `--verbose` and for error messages.
    public enum Source: String, Sendable, Codable {
        case option, environment, envFile = "env-file", defaultValue = "default"
    }

    /// Every variable `pra` reads, with its default (`nil`: unset unless given).
    public static let variables: [(name: String, defaultValue: String?, meaning: String)] = [
        ("DATABASE_URL", nil, "libpq connection URI; its parts override the PG* variables"),
        ("PGHOST", nil, "server host or unix-socket directory (libpq default when unset)"),
        ("PGPORT", nil, "server port (libpq default 5432)"),
        ("PGUSER", nil, "role to connect as (libpq default: the OS user)"),
        ("PGPASSWORD", nil, "password; prefer PGPASSFILE. Never passed in argv"),
        ("PGPASSFILE", nil, "libpq password file (default ~/.pgpass)"),
        ("PGDATABASE", nil, "database to back up and watch"),
        ("PGSSLMODE", nil, "libpq sslmode"),
        ("PGCONNECT_TIMEOUT", "10", "seconds to wait for a connection, handshake included (libpq connect_timeout; at least 2)"),
        ("STATEMENT_TIMEOUT", "30s", "how long pra's own statements (status checks, catalogue lookups, renames) wait for an answer, enforced on the client so a dead network cannot hang pra; row counts and dumps are bounded by BACKUP_TIMEOUT instead"),
        ("NETWORK_TIMEOUT", "30s", "how long a TCP link to PostgreSQL may stay silent (unacknowledged data, unanswered keepalives) before pra's own sessions drop it (libpq tcp_user_timeout and keepalives)"),
        ("BACKUP_DIR", "./backups", "directory holding archives and manifests"),
        ("BACKUP_PREFIX", nil, "archive name prefix (default: the database name)"),
        ("BACKUP_RETENTION_DAYS", "30", "delete complete backups older than this many days..."),
        ("BACKUP_MIN_KEEP", "7", "...but always keep this many newest complete backups"),
        ("BACKUP_COMPRESSION_LEVEL", "6", "gzip level 1-9"),
        ("BACKUP_TIMEOUT", "6h", "abort a backup running longer than this"),
        ("PRA_JOBS", nil, "worker threads for compression and parallel restore connections (default: the number of CPU cores)"),
        ("BASE_BACKUP_RETENTION_DAYS", "7", "delete base backups (pra backup --base) older than this many days, and the WAL only they needed..."),
        ("BASE_BACKUP_MIN_KEEP", "2", "...but always keep this many newest base backups"),
        ("ARCHIVE_WAIT_TIMEOUT", "5m", "how long pra backup --incremental waits for the WAL to be archived, and how long a base backup waits while archive_command fails"),
        ("RECOVERY_TIMEOUT", "2h", "how long pra restore --pitr waits for recovery to reach its target"),
        ("RUN_AS_USER", nil, "when pra runs as root: the OS user psql, tar and a recovered server run as (default postgres, else nobody; never root)"),
        ("RESTORE_DB", nil, "database restore creates (default: <database>_restore)"),
        ("RESTORE_MAINTENANCE_DB", "postgres", "database restore connects to for CREATE/DROP/RENAME DATABASE"),
        ("REPORT_DIR", "./reports", "where restore reports are written"),
        ("EVIDENCE_FILE", nil, "evidence log that every real restore and status run appends to (default: REPORT_DIR/evidence.jsonl; none: off)"),
        ("EVIDENCE_SAMPLE_RETENTION", "35d", "status samples older than this are compacted into hourly summaries in the evidence log (restore records are kept)"),
        ("CRITICAL_TABLES", nil, "comma-separated tables that must exist (status, restore checks)"),
        ("APP_HEALTH_URL", nil, "URL that must answer 2xx (status, restore checks)"),
        ("API_ENDPOINTS", nil, "comma-separated URLs that must answer 2xx after a restore"),
        ("HEALTH_TIMEOUT", "10s", "timeout of each health request"),
        ("ACTIVATION_PREPARATION_BUDGET", "5m", "pra activate: the plan's budget for preparation (recovery point, recovery server, data-loss window, confirmation)"),
        ("ACTIVATION_RESTORATION_BUDGET", "15m", "pra activate: the plan's budget for restoration (the restore and the switch hooks)"),
        ("ACTIVATION_VERIFICATION_BUDGET", "10m", "pra activate: the plan's budget for verification (server, critical tables, row counts, health URLs)"),
        ("ACTIVATION_HOOKS_FILE", nil, "pra activate: JSON file listing the switch hooks (argument arrays with a timeout each) run after a verified restore"),
        ("ACTIVATION_STATE_FILE", nil, "pra activate: the state a resumed activation continues from (default: REPORT_DIR/activation-state.json)"),
        ("RPO_TARGET", "1h", "maximum age of the newest complete backup"),
        ("RTO_TARGET", "30m", "maximum recovery time"),
        ("SLA_TARGET", "99.9", "availability target in percent that pra report judges the status samples against"),
        ("BACKUP_INTERVAL", "1h", "how often production backups run (drill projections: worst-case RPO)"),
        ("PRODUCTION_DB_SIZE", nil, "production database size, e.g. 50GB (drill projections: RTO at that size)"),
        ("DISK_WARN_PERCENT", "20", "status WARNING when free space in BACKUP_DIR is below this"),
        ("DISK_CRITICAL_PERCENT", "10", "status CRITICAL when free space in BACKUP_DIR is below this"),
        ("LOG_DIR", nil, "directory for per-command daily log files pra-<command>-<YYYYMMDD>.log (unset: stderr only)"),
        ("REMOTE_TARGET", nil, "off-site copy of every backup: a directory path, ssh://user@host[:port]/path or s3://bucket/prefix"),
        ("WAL_REMOTE_MODE", "sync", "how pra wal push copies WAL to REMOTE_TARGET/wal: sync (before it returns; a failed copy fails the push and PostgreSQL retries) or async (archived locally at once, copied off-site by pra wal sync, which wal push starts)"),
        ("WAL_REMOTE_QUEUE_LIMIT", "1GB", "async mode: status CRITICAL and an alert when more than this much archived WAL (compressed bytes) waits to go off-site; 0: no limit"),
        ("WAL_SYNC_JOBS", "4", "parallel uploads of pra wal sync"),
        ("WAL_GET_PREFETCH", "4", "pra wal get from REMOTE_TARGET: segments fetched ahead in parallel into a spool beside the server's pg_wal; 0: none"),
        ("REMOTE_SSH_KEY", nil, "private key for an ssh:// REMOTE_TARGET (default: ssh's own)"),
        ("REMOTE_SSH_KNOWN_HOSTS", nil, "known_hosts file for an ssh:// REMOTE_TARGET (default: ssh's own)"),
        ("S3_ENDPOINT", nil, "S3-compatible service URL for an s3:// REMOTE_TARGET (default: AWS, https://s3.<S3_REGION>.amazonaws.com)"),
        ("S3_REGION", "us-east-1", "region requests are signed for"),
        ("S3_ADDRESSING", "auto", "path (https://endpoint/bucket/key), virtual (https://bucket.endpoint/key) or auto (virtual on AWS, path with S3_ENDPOINT)"),
        ("S3_MAX_RETRIES", "4", "retries of a request the store throttled (503 SlowDown, 429) or failed (5xx, connection), with backoff 0.5s doubling to 8s"),
        ("S3_TIMEOUT", "60s", "abandon an S3 request that makes no progress for this long"),
        ("AWS_ACCESS_KEY_ID", nil, "S3 access key (else the shared credentials file)"),
        ("AWS_SECRET_ACCESS_KEY", nil, "S3 secret key (a secret: never printed)"),
        ("AWS_SESSION_TOKEN", nil, "temporary-credentials token (a secret: never printed)"),
        ("AWS_PROFILE", nil, "profile of the shared credentials file (default: default)"),
        ("AWS_SHARED_CREDENTIALS_FILE", nil, "shared credentials file (default: ~/.aws/credentials)"),
        ("SLACK_WEBHOOK", nil, "Slack incoming-webhook URL for alerts (a secret: never printed)"),
        ("ALERT_EMAIL", nil, "comma-separated addresses that receive alerts by email (needs SMTP_URL)"),
        ("ALERT_EMAIL_FROM", nil, "sender of alert emails (default: pra@<host name>)"),
        ("SMTP_URL", nil, "SMTP server: smtp://host[:port] (STARTTLS when offered) or smtps://host[:port]"),
        ("SMTP_USER", nil, "SMTP user name (authentication only when set)"),
        ("SMTP_PASSWORD", nil, "SMTP password (a secret: never in argv, logs or alerts)"),
        ("SMTP_ALLOW_PLAINTEXT", "false", "true: allow SMTP authentication without TLS (the password crosses the network in clear)"),
        ("SMTP_CA_FILE", nil, "CA certificate file to verify the SMTP server's TLS certificate (default: the system's)"),
        ("ALERT_ON_SUCCESS", "false", "also alert when backup, restore or a drill succeeds"),
        ("ALERT_TIMEOUT", "10s", "timeout of each alert delivery"),
        ("PG_BIN_DIR", nil, "use pg_dump/psql/initdb from this directory only"),
        ("PRA_FIXTURES_DIR", nil, "where fixtures live (default: ./fixtures, or beside the pra executable)"),
        ("PRA_CLUSTER_DIR", nil, "scratch cluster `pra cluster down` removes (printed by `pra cluster up`)"),
    ]

    public private(set) var values: [String: String]
    public private(set) var sources: [String: Source]
    /// Warnings found while loading (for example a world-readable env file holding a password).
    public private(set) var warnings: [String] = []
    /// The env file that was read, if any.
    public private(set) var envFilePath: String?

    /// Loads configuration.
    /// - Parameters:
    ///   - envFile: explicit env file (must exist); `nil` reads `./.env` when present.
    ///   - environment: the process environment.
    ///   - overrides: values from command-line options.
    public init(envFile: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment, overrides: [String: String] = [:]) throws(ConfigurationError) {
        values = [:]
        sources = [:]
        for variable in Self.variables {
            if let value = variable.defaultValue {
                values[variable.name] = value
                sources[variable.name] = .defaultValue
            }
        }
        var fileToRead = envFile
        if fileToRead == nil, FileManager.default.fileExists(atPath: ".env") { fileToRead = ".env" }
        if let path = fileToRead {
            guard FileManager.default.fileExists(atPath: path) else {
                throw ConfigurationError("env file \(path) does not exist")
            }
            let file = try EnvFile(path: path)
            envFilePath = path
            for (key, value) in file.values {
                values[key] = value
                sources[key] = .envFile
            }
            // Every secret variable counts, not only PGPASSWORD.
            var secrets = SecretRedactor.secretVariables.filter { !(file.values[$0] ?? "").isEmpty }
            if file.values["DATABASE_URL"].map(Self.urlHasPassword) ?? false { secrets.append("DATABASE_URL") }
            if !secrets.isEmpty && file.permissions & 0o077 != 0 {
                warnings.append("env file \(path) holds a secret (\(secrets.joined(separator: ", "))) and is readable by group or others (mode \(String(file.permissions, radix: 8))); run: chmod 600 \(path)")
            }
            for key in file.values.keys.sorted() where !Self.isKnown(key) {
                let hint = Self.closestName(to: key).map { " (did you mean \($0)?)" } ?? ""
                warnings.append("env file \(path): unknown variable \(key), ignored\(hint)")
            }
        }
        for (key, value) in environment where Self.isKnown(key) {
            values[key] = value
            sources[key] = .environment
        }
        for (key, value) in overrides {
            values[key] = value
            sources[key] = .option
        }
    }

    static func isKnown(_ key: String) -> Bool {
        key.hasPrefix("PG") || variables.contains { $0.name == key }
    }

    /// The known variable nearest to `name` (edit distance at most 3), for typo warnings.
    static func closestName(to name: String) -> String? {
        let candidates = variables.map(\.name) + ConnectionSettings.environmentNames.values
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(Array(name.uppercased().utf8), Array(candidate.utf8))
            if distance <= 3 && distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        return best?.name
    }

    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    static func urlHasPassword(_ url: String) -> Bool {
        guard let components = URLComponents(string: url) else { return url.contains("password=") }
        return components.password != nil || (components.queryItems ?? []).contains { $0.name == "password" }
    }

    /// The raw value of `name`, `nil` when unset or empty.
    public subscript(name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    /// Sets a value, as a command-line option would.
    public mutating func set(_ name: String, _ value: String?) {
        values[name] = value
        sources[name] = .option
    }

    public func integer(_ name: String, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let text = self[name] else { throw ConfigurationError("\(name) is not set") }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError("\(name)=\(text) is not a whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    public func seconds(_ name: String) throws(ConfigurationError) -> Double {
        guard let text = self[name] else { throw ConfigurationError("\(name) is not set") }
        guard let value = DurationParser.seconds(text) else {
            throw ConfigurationError("\(name)=\(text) is not a duration (examples: 3600, 90s, 30m, 1h)")
        }
        return value
    }

    /// `PRA_JOBS`: how many threads compress and how many connections a restore loads over;
    /// the number of active CPU cores when unset.
    public func jobs() throws(ConfigurationError) -> Int {
        guard self["PRA_JOBS"] != nil else { return max(1, ProcessInfo.processInfo.activeProcessorCount) }
        return try integer("PRA_JOBS", range: 1...64)
    }

    public func list(_ name: String) -> [String] {
        (self[name] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The connection settings these values describe.
    public func connectionSettings() throws(ConfigurationError) -> ConnectionSettings {
        try ConnectionSettings(configuration: self)
    }

    /// The archive prefix of `database`'s backups: `BACKUP_PREFIX`, else the database name,
    /// made safe for a file name (see ``BackupArchiveName/safePrefix(_:)``).
    public func backupPrefix(for database: String) -> String {
        BackupArchiveName.safePrefix(self["BACKUP_PREFIX"] ?? database)
    }

    public var backupDirectory: String { self["BACKUP_DIR"] ?? "./backups" }
    public var reportDirectory: String { self["REPORT_DIR"] ?? "./reports" }
}
