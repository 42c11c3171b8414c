import Foundation

/// Every configuration variable `pra` reads, declared once: its name, the kind of value it
/// takes (with its range or its words), its default, whether it is a secret, and its doc line.
///
/// ``Configuration/variables`` (documentation checks, unknown-variable warnings), the
/// ``SecretRedactor`` list and the typed accessors (``Configuration/integer(_:)``,
/// ``Configuration/seconds(_:)``, ...) all come from here, so that a range such as
/// `BACKUP_COMPRESSION_LEVEL`'s 1...9 is written in one place. A variable's name appears as a
/// string literal nowhere else in Sources (`SettingDeclarationTests` checks).
public enum Setting: CaseIterable, Sendable, Hashable, CustomStringConvertible {
    case databaseURL, pgHost, pgPort, pgUser, pgPassword, pgPassFile, pgDatabase, pgSSLMode, pgConnectTimeout
    case statementTimeout, networkTimeout
    case backupDir, backupPrefix, backupRetentionDays, backupMinKeep, backupCompressionLevel, backupTimeout, praJobs
    case backupCompression, baseBackupCompression, walCompression, baseBackupRead
    case baseBackupRetentionDays, baseBackupMinKeep, archiveWaitTimeout, recoveryTimeout
    case runAsUser, restoreSpillLimit, restoreDB, restoreMaintenanceDB, reportDir, evidenceFile, evidenceSampleRetention
    case criticalTables, appHealthURL, apiEndpoints, healthTimeout
    case rpoTarget, rtoTarget, slaTarget, backupInterval, productionDBSize, diskWarnPercent, diskCriticalPercent
    case activationPreparationBudget, activationRestorationBudget, activationVerificationBudget, activationHooksFile, activationStateFile
    case logDir, remoteTarget, walRemoteMode, walRemoteQueueLimit, walSyncJobs, walGetPrefetch
    case remoteSSHKey, remoteSSHKnownHosts
    case s3Endpoint, s3Region, s3Addressing, s3MaxRetries, s3Timeout
    case awsAccessKeyID, awsSecretAccessKey, awsSessionToken, awsProfile, awsSharedCredentialsFile
    case slackWebhook, alertEmail, alertEmailFrom, smtpURL, smtpUser, smtpPassword, smtpAllowPlaintext, smtpCAFile
    case alertOnSuccess, alertTimeout
    case pgBinDir, praFixturesDir, praClusterDir

    /// The kind of value a variable takes; the typed accessors check it.
    public enum Kind: Sendable, Equatable {
        /// Free text, passed on as given (libpq's own variables, names, hosts).
        case text
        /// A file or directory path.
        case path
        /// A URL.
        case url
        /// A whole number within the range.
        case wholeNumber(ClosedRange<Int>)
        /// A duration (`3600`, `90s`, `30m`, `1h`, `7d`, `1h30m`), see ``DurationParser``.
        case duration
        /// A byte size (`0`, `512MiB`, `1GB`), see ``ByteSizeParser``; `examples` go in the error.
        case byteSize(examples: String)
        /// A percentage; `zeroAllowed` false: in (0, 100], true: in [0, 100].
        case percentage(zeroAllowed: Bool)
        /// `true`, `1`, `yes`, `on` (any case) are true; anything else false.
        case boolean
        /// Comma-separated words, spaces around each trimmed, empty ones dropped.
        case list
        /// One of these words.
        case choice([String])
    }

    /// The one declaration of a variable.
    public struct Declaration: Sendable {
        public let name: String
        public let kind: Kind
        /// The value used when none is given (`nil`: unset unless given).
        public let defaultValue: String?
        /// Never printed, logged, passed in argv or to a child that does not need it.
        public let isSecret: Bool
        /// The one-line meaning (`--verbose`, docs checks).
        public let meaning: String

        /// A variable unset unless given.
        init(_ name: String, _ kind: Kind, secret: Bool = false, _ meaning: String) {
            self.name = name
            self.kind = kind
            defaultValue = nil
            isSecret = secret
            self.meaning = meaning
        }

        /// A variable with a default (never a secret).
        init(_ name: String, _ kind: Kind, _ defaultValue: String, _ meaning: String) {
            self.name = name
            self.kind = kind
            self.defaultValue = defaultValue
            isSecret = false
            self.meaning = meaning
        }
    }

    /// The declaration of this variable.
    public var declaration: Declaration {
        switch self {
        case .databaseURL: .init("DATABASE_URL", .url, "libpq connection URI; its parts override the PG* variables")
        case .pgHost: .init("PGHOST", .text, "server host or unix-socket directory (libpq default when unset)")
        case .pgPort: .init("PGPORT", .text, "server port (libpq default 5432)")
        case .pgUser: .init("PGUSER", .text, "role to connect as (libpq default: the OS user)")
        case .pgPassword: .init("PGPASSWORD", .text, secret: true, "password; prefer PGPASSFILE. Never passed in argv")
        case .pgPassFile: .init("PGPASSFILE", .path, "libpq password file (default ~/.pgpass)")
        case .pgDatabase: .init("PGDATABASE", .text, "database to back up and watch")
        case .pgSSLMode: .init("PGSSLMODE", .text, "libpq sslmode")
        // libpq reads it (connect_timeout): pra passes the text on unchecked.
        case .pgConnectTimeout: .init("PGCONNECT_TIMEOUT", .text, "10", "seconds to wait for a connection, handshake included (libpq connect_timeout; at least 2)")
        case .statementTimeout: .init("STATEMENT_TIMEOUT", .duration, "30s", "how long pra's own statements (status checks, catalogue lookups, renames) wait for an answer, enforced on the client so a dead network cannot hang pra; row counts and dumps are bounded by BACKUP_TIMEOUT instead")
        case .networkTimeout: .init("NETWORK_TIMEOUT", .duration, "30s", "how long a TCP link to PostgreSQL may stay silent (unacknowledged data, unanswered keepalives) before pra's own sessions drop it (libpq tcp_user_timeout and keepalives)")
        case .backupDir: .init("BACKUP_DIR", .path, "./backups", "directory holding archives and manifests")
        case .backupPrefix: .init("BACKUP_PREFIX", .text, "archive name prefix (default: the database name)")
        case .backupRetentionDays: .init("BACKUP_RETENTION_DAYS", .wholeNumber(0...36500), "30", "delete complete backups older than this many days...")
        case .backupMinKeep: .init("BACKUP_MIN_KEEP", .wholeNumber(1...100_000), "7", "...but always keep this many newest complete backups")
        case .backupCompressionLevel: .init("BACKUP_COMPRESSION_LEVEL", .wholeNumber(1...9), "6", "gzip level 1-9")
        case .backupCompression: .init("BACKUP_COMPRESSION", .choice(CompressionCodec.allCases.map(\.rawValue)), "gzip", "format of pra backup --full dumps: gzip (.sql.gz, level BACKUP_COMPRESSION_LEVEL, parallel on PRA_JOBS threads; gunzip -c | psql restores it), zstd (.sql.zst, level 3, on PRA_JOBS threads; zstd -d -c) or lz4 (.sql.lz4, level 1, 1 MiB frames on PRA_JOBS threads; lz4 -d -c)")
        case .baseBackupCompression: .init("BASE_BACKUP_COMPRESSION", .choice(CompressionCodec.allCases.map(\.rawValue)), "gzip", "format of pra backup --base archives: gzip (.tar.gz, level BACKUP_COMPRESSION_LEVEL, parallel on PRA_JOBS threads), zstd (.tar.zst, level 3, on PRA_JOBS threads) or lz4 (.tar.lz4, level 1, 1 MiB frames on PRA_JOBS threads)")
        case .baseBackupRead: .init("BASE_BACKUP_READ", .choice(DataDirectoryAccess.Mode.allCases.map(\.rawValue)), "auto", "how pra backup --base reads the cluster: auto (an incremental reads the data directory itself when this host can, skipping unchanged pages by their LSN; a full one, or where it cannot, streams pg_basebackup), local (always the data directory; fails when it cannot) or stream (always pg_basebackup)")
        case .walCompression: .init("WAL_COMPRESSION", .choice(CompressionCodec.allCases.map(\.rawValue)), "gzip", "format pra wal push archives WAL files in: gzip (.gz, level BACKUP_COMPRESSION_LEVEL), zstd (.zst, level 3) or lz4 (.lz4, level 1); an archive may mix them, every reader takes each")
        case .backupTimeout: .init("BACKUP_TIMEOUT", .duration, "6h", "abort a backup running longer than this")
        case .praJobs: .init("PRA_JOBS", .wholeNumber(1...64), "worker threads for compression and parallel restore connections (default: the number of CPU cores)")
        case .baseBackupRetentionDays: .init("BASE_BACKUP_RETENTION_DAYS", .wholeNumber(0...36500), "7", "delete base backups (pra backup --base) older than this many days, and the WAL only they needed...")
        case .baseBackupMinKeep: .init("BASE_BACKUP_MIN_KEEP", .wholeNumber(1...100_000), "2", "...but always keep this many newest base backups")
        case .archiveWaitTimeout: .init("ARCHIVE_WAIT_TIMEOUT", .duration, "5m", "how long pra backup --incremental waits for the WAL to be archived, and how long a base backup waits while archive_command fails")
        case .recoveryTimeout: .init("RECOVERY_TIMEOUT", .duration, "2h", "how long pra restore --pitr waits for recovery to reach its target, and a standby's promotion (pra activate --standby) for the server to accept writes")
        case .runAsUser: .init("RUN_AS_USER", .text, "when pra runs as root: the OS user psql, tar and a recovered server run as (default postgres, else nobody; never root)")
        case .restoreSpillLimit: .init("RESTORE_SPILL_LIMIT", .byteSize(examples: "512MiB, 64MiB, 2GB"), "512MiB", "the most scratch space (TMPDIR) a parallel logical restore's spill files take at once; table data is cut into chunks of a quarter of it (at most 32 MiB)")
        case .restoreDB: .init("RESTORE_DB", .text, "database restore creates (default: <database>_restore)")
        case .restoreMaintenanceDB: .init("RESTORE_MAINTENANCE_DB", .text, "postgres", "database restore connects to for CREATE/DROP/RENAME DATABASE")
        case .reportDir: .init("REPORT_DIR", .path, "./reports", "where restore reports are written")
        case .evidenceFile: .init("EVIDENCE_FILE", .path, "evidence log that every real restore and status run appends to (default: REPORT_DIR/evidence.jsonl; none: off)")
        case .evidenceSampleRetention: .init("EVIDENCE_SAMPLE_RETENTION", .duration, "35d", "status samples older than this are compacted into hourly summaries in the evidence log (restore records are kept)")
        case .criticalTables: .init("CRITICAL_TABLES", .list, "comma-separated tables that must exist (status, restore checks)")
        case .appHealthURL: .init("APP_HEALTH_URL", .url, "URL that must answer 2xx (status, restore checks)")
        case .apiEndpoints: .init("API_ENDPOINTS", .list, "comma-separated URLs that must answer 2xx after a restore")
        case .healthTimeout: .init("HEALTH_TIMEOUT", .duration, "10s", "timeout of each health request")
        case .rpoTarget: .init("RPO_TARGET", .duration, "1h", "maximum age of the newest complete backup")
        case .rtoTarget: .init("RTO_TARGET", .duration, "30m", "maximum recovery time")
        case .activationPreparationBudget: .init("ACTIVATION_PREPARATION_BUDGET", .duration, "5m", "pra activate: the plan's budget for preparation (recovery point, recovery server, data-loss window, confirmation)")
        case .activationRestorationBudget: .init("ACTIVATION_RESTORATION_BUDGET", .duration, "15m", "pra activate: the plan's budget for restoration (the restore and the switch hooks)")
        case .activationVerificationBudget: .init("ACTIVATION_VERIFICATION_BUDGET", .duration, "10m", "pra activate: the plan's budget for verification (server, critical tables, row counts, health URLs)")
        case .activationHooksFile: .init("ACTIVATION_HOOKS_FILE", .path, "pra activate: JSON file listing the switch hooks (argument arrays with a timeout each) run after a verified restore")
        case .activationStateFile: .init("ACTIVATION_STATE_FILE", .path, "pra activate: the state a resumed activation continues from (default: REPORT_DIR/activation-state.json)")
        case .slaTarget: .init("SLA_TARGET", .percentage(zeroAllowed: false), "99.9", "availability target in percent that pra report judges the status samples against")
        case .backupInterval: .init("BACKUP_INTERVAL", .duration, "1h", "how often production backups run (drill projections: worst-case RPO)")
        case .productionDBSize: .init("PRODUCTION_DB_SIZE", .byteSize(examples: "50GB, 800MiB"), "production database size, e.g. 50GB (drill projections: RTO at that size)")
        case .diskWarnPercent: .init("DISK_WARN_PERCENT", .percentage(zeroAllowed: true), "20", "status WARNING when free space in BACKUP_DIR is below this")
        case .diskCriticalPercent: .init("DISK_CRITICAL_PERCENT", .percentage(zeroAllowed: true), "10", "status CRITICAL when free space in BACKUP_DIR is below this")
        case .logDir: .init("LOG_DIR", .path, "directory for per-command daily log files pra-<command>-<YYYYMMDD>.log (unset: stderr only)")
        case .remoteTarget: .init("REMOTE_TARGET", .text, "off-site copy of every backup: a directory path, ssh://user@host[:port]/path or s3://bucket/prefix")
        case .walRemoteMode: .init("WAL_REMOTE_MODE", .choice(["sync", "async"]), "sync", "how pra wal push copies WAL to REMOTE_TARGET/wal: sync (before it returns; a failed copy fails the push and PostgreSQL retries) or async (archived locally at once, copied off-site by pra wal sync, which wal push starts)")
        case .walRemoteQueueLimit: .init("WAL_REMOTE_QUEUE_LIMIT", .byteSize(examples: "0, 512MiB, 1GB"), "1GB", "async mode: status CRITICAL and an alert when more than this much archived WAL (compressed bytes) waits to go off-site; 0: no limit")
        case .walSyncJobs: .init("WAL_SYNC_JOBS", .wholeNumber(1...32), "4", "parallel uploads of pra wal sync")
        case .walGetPrefetch: .init("WAL_GET_PREFETCH", .wholeNumber(0...64), "4", "pra wal get: segments inflated from the local archive (in the background) or downloaded from REMOTE_TARGET (in parallel) ahead, into a spool beside the server's pg_wal; 0: none")
        case .remoteSSHKey: .init("REMOTE_SSH_KEY", .path, "private key for an ssh:// REMOTE_TARGET (default: ssh's own)")
        case .remoteSSHKnownHosts: .init("REMOTE_SSH_KNOWN_HOSTS", .path, "known_hosts file for an ssh:// REMOTE_TARGET (default: ssh's own)")
        case .s3Endpoint: .init("S3_ENDPOINT", .url, "S3-compatible service URL for an s3:// REMOTE_TARGET (default: AWS, https://s3.<S3_REGION>.amazonaws.com)")
        case .s3Region: .init("S3_REGION", .text, "us-east-1", "region requests are signed for")
        case .s3Addressing: .init("S3_ADDRESSING", .choice(["path", "virtual", "auto"]), "auto", "path (https://endpoint/bucket/key), virtual (https://bucket.endpoint/key) or auto (virtual on AWS, path with S3_ENDPOINT)")
        case .s3MaxRetries: .init("S3_MAX_RETRIES", .wholeNumber(0...20), "4", "retries of a request the store throttled (503 SlowDown, 429) or failed (5xx, connection), with backoff 0.5s doubling to 8s")
        case .s3Timeout: .init("S3_TIMEOUT", .duration, "60s", "abandon an S3 request that makes no progress for this long")
        case .awsAccessKeyID: .init("AWS_ACCESS_KEY_ID", .text, "S3 access key (else the shared credentials file)")
        case .awsSecretAccessKey: .init("AWS_SECRET_ACCESS_KEY", .text, secret: true, "S3 secret key (a secret: never printed)")
        case .awsSessionToken: .init("AWS_SESSION_TOKEN", .text, secret: true, "temporary-credentials token (a secret: never printed)")
        case .awsProfile: .init("AWS_PROFILE", .text, "profile of the shared credentials file (default: default)")
        case .awsSharedCredentialsFile: .init("AWS_SHARED_CREDENTIALS_FILE", .path, "shared credentials file (default: ~/.aws/credentials)")
        case .slackWebhook: .init("SLACK_WEBHOOK", .url, secret: true, "Slack incoming-webhook URL for alerts (a secret: never printed)")
        case .alertEmail: .init("ALERT_EMAIL", .list, "comma-separated addresses that receive alerts by email (needs SMTP_URL)")
        case .alertEmailFrom: .init("ALERT_EMAIL_FROM", .text, "sender of alert emails (default: pra@<host name>)")
        case .smtpURL: .init("SMTP_URL", .url, "SMTP server: smtp://host[:port] (STARTTLS when offered) or smtps://host[:port]")
        case .smtpUser: .init("SMTP_USER", .text, "SMTP user name (authentication only when set)")
        case .smtpPassword: .init("SMTP_PASSWORD", .text, secret: true, "SMTP password (a secret: never in argv, logs or alerts)")
        case .smtpAllowPlaintext: .init("SMTP_ALLOW_PLAINTEXT", .boolean, "false", "true: allow SMTP authentication without TLS (the password crosses the network in clear)")
        case .smtpCAFile: .init("SMTP_CA_FILE", .path, "CA certificate file to verify the SMTP server's TLS certificate (default: the system's)")
        case .alertOnSuccess: .init("ALERT_ON_SUCCESS", .boolean, "false", "also alert when backup, restore or a drill succeeds")
        case .alertTimeout: .init("ALERT_TIMEOUT", .duration, "10s", "timeout of each alert delivery")
        case .pgBinDir: .init("PG_BIN_DIR", .path, "use pg_dump/psql/initdb from this directory only")
        case .praFixturesDir: .init("PRA_FIXTURES_DIR", .path, "where fixtures live (default: ./fixtures, or beside the pra executable)")
        case .praClusterDir: .init("PRA_CLUSTER_DIR", .path, "scratch cluster `pra cluster down` removes (printed by `pra cluster up`)")
        }
    }

    /// The environment-variable name, e.g. `BACKUP_DIR`.
    public var name: String { declaration.name }
    public var kind: Kind { declaration.kind }
    public var defaultValue: String? { declaration.defaultValue }
    public var isSecret: Bool { declaration.isSecret }
    public var meaning: String { declaration.meaning }
    public var description: String { name }

    private static let byName: [String: Setting] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.name, $0) })

    /// The setting named `name`, `nil` when pra has no such variable.
    public init?(name: String) {
        guard let setting = Self.byName[name] else { return nil }
        self = setting
    }

    /// The secret variables, in declaration order.
    public static var secrets: [Setting] { allCases.filter(\.isSecret) }
}

extension Setting {
    /// Checks `text` against the declared kind; the value in the kind's unit (seconds, bytes,
    /// percent, ...), or a ``ConfigurationError`` naming the variable and the bad value.
    func decode(_ text: String) throws(ConfigurationError) -> SettingValue {
        switch kind {
        case .text, .path, .url: return .text(text)
        case let .wholeNumber(range):
            guard let value = Int(text), range.contains(value) else {
                throw ConfigurationError("\(name)=\(text) is not a whole number in \(range.lowerBound)...\(range.upperBound)")
            }
            return .number(value)
        case .duration:
            guard let value = DurationParser.seconds(text) else {
                throw ConfigurationError("\(name)=\(text) is not a duration (examples: 3600, 90s, 30m, 1h)")
            }
            return .seconds(value)
        case let .byteSize(examples):
            guard let value = ByteSizeParser.bytes(text) else {
                throw ConfigurationError("\(name)=\(text) is not a size (examples: \(examples))")
            }
            return .bytes(value)
        case let .percentage(zeroAllowed):
            let number = Double(text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "%", with: ""))
            if zeroAllowed {
                guard let number, (0...100).contains(number) else { throw ConfigurationError("\(name)=\(text) is not a percentage between 0 and 100") }
                return .percent(number)
            }
            guard let number, number > 0, number <= 100 else { throw ConfigurationError("\(name)=\(text) is not a percentage in (0, 100] (example: 99.9)") }
            return .percent(number)
        case .boolean:
            return .flag(["1", "true", "yes", "on"].contains(text.trimmingCharacters(in: .whitespaces).lowercased()))
        case .list:
            return .list(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        case let .choice(words):
            guard words.contains(text) else {
                let listed = words.count > 1 ? words.dropLast().joined(separator: ", ") + " or " + words.last! : words.joined()
                throw ConfigurationError("\(name)=\(text) is not \(listed)")
            }
            return .text(text)
        }
    }
}

/// A decoded setting value (see ``Setting/decode(_:)``).
enum SettingValue: Equatable {
    case text(String), number(Int), seconds(Double), bytes(UInt64), percent(Double), flag(Bool), list([String])
}
