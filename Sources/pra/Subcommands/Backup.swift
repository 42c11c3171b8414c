import ArgumentParser
import Foundation
import PRACore

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take a backup: a logical dump (--full), a physical base backup (--base) or make the WAL safe (--incremental).",
        discussion: """
            --full (the default) writes <prefix>_backup_full_<YYYYMMDD>_<HHMMSS>.sql.gz (.sql.zst or .sql.lz4 \
            with BACKUP_COMPRESSION=zstd or lz4, far cheaper in CPU than gzip) and, once it is fsynced and renamed \
            into place, its .manifest.json (sizes, SHA-256, row counts from the dump's snapshot). The \
            archive restores with stock tools: gunzip -c FILE | psql (zstd -d -c, lz4 -d -c). After success, retention deletes \
            backups older than BACKUP_RETENTION_DAYS, always keeping the BACKUP_MIN_KEEP newest.
            A failure leaves no partial file and never touches earlier backups.
            Tables of 64 MiB or more have their rows copied by pra over PRA_JOBS sessions that share \
            pg_dump's snapshot, each reading ranges of pages, instead of through pg_dump's one server \
            process; pg_dump writes the rest, and the archive is still one plain dump with pg_dump's \
            preamble, one \\restrict key and its trailer (PRA_JOBS=1: pg_dump alone). Needs a server \
            of 14 or later and a pg_dump with --restrict-key (15.14, 16.10, 17.6 or later).

            With REMOTE_TARGET (a directory, ssh://user@host/path or s3://bucket/prefix), the archive \
            and then its manifest are copied there and read back (size and SHA-256); retention applies \
            there too.

            --base takes a physical copy of the whole cluster with pg_basebackup (tar, no WAL: WAL \
            archiving must be on, see pra wal) into <prefix>_backup_base_<YYYYMMDD>_<HHMMSS>.tar.gz \
            (.tar.zst or .tar.lz4 with BASE_BACKUP_COMPRESSION=zstd or lz4; zstd -d -c or lz4 -d -c \
            piped to tar -x reads them), keeps \
            PostgreSQL's backup_manifest beside it and writes the pra manifest last. Retention keeps \
            base backups for BASE_BACKUP_RETENTION_DAYS (at least BASE_BACKUP_MIN_KEEP) and removes the \
            archived WAL only the removed ones needed. Restore with pra restore --pitr. With REMOTE_TARGET \
            (directory, ssh:// or s3://), the archive, PostgreSQL's .backup_manifest and then the pra \
            manifest are copied there under the backup lock, each read back (size and SHA-256; S3: the \
            store's SHA-256 check, a large archive in a multipart upload streamed from the local file); \
            the off-site base backups of this database and cluster (system identifier) follow the same \
            retention, never another cluster's or database's files. Exit 3 when only that copy failed.

            --base --incremental-from newest (or a base backup archive's file name) stores only what \
            changed since that base backup: every base backup keeps a range map beside its archive \
            (.ranges: each file's size and the SHA-256 of each 1 MiB range); an incremental stores the \
            new files whole and, of the others, only the ranges whose hash differs, and its manifest \
            names its reference (archive, manifest SHA-256, LSNs). The reference must be of the same \
            cluster and end before the new backup starts. Run on the database host, an incremental \
            reads the data directory itself (BASE_BACKUP_READ=auto) and leaves out, without hashing them, \
            the ranges of relation files whose pages all carry an LSN older than the reference's start. \
            On a cluster with data_checksums on, every data page's checksum is verified as it is read \
            (by pra from the data directory, by the server for pg_basebackup): a damaged page fails the \
            backup (exit 1), naming the file and block. \
            Retention never removes a base backup that a kept incremental needs. See docs/operations.md, \
            "Incremental base backups".

            --incremental forces a WAL switch (pg_switch_wal) and waits, up to ARCHIVE_WAIT_TIMEOUT, \
            until every segment up to it is archived with no gap since the newest base backup; then \
            everything committed before that moment is safe (recorded in BACKUP_DIR/wal/incremental.json).

            A server that cannot be reached is named in the error with what was tried (host or socket, \
            port, database, user, and where each came from) and the fix.

            Exit codes: 0 success, 1 backup failed (including a configured server that cannot be \
            reached), 2 usage or configuration error (including nothing configured to connect to), 3 the local backup \
            is complete but the remote copy failed. Failures are alerted (SLACK_WEBHOOK, ALERT_EMAIL).

            Examples (cron lines; pra schedule print --cron prints the whole plan):
              # daily base backup, hourly WAL made safe, daily logical dump:
              0 2 * * *  pra backup --base -q --env-file /etc/pra/.env
              0 * * * *  pra backup --incremental -q --env-file /etc/pra/.env
              30 1 * * * pra backup --full -q --env-file /etc/pra/.env
              # a base backup of only what changed since the newest one (see above):
              pra backup --base --incremental-from newest -q --env-file /etc/pra/.env
            """)

    @Flag(name: .long, help: "Logical dump with pg_dump (the default).")
    var full = false

    @Flag(name: .long, help: "Physical base backup with pg_basebackup, for point-in-time recovery.")
    var base = false

    @Flag(name: .long, help: "Force a WAL switch and wait until the WAL is archived.")
    var incremental = false

    @Option(name: .customLong("incremental-from"), help: ArgumentHelp("With --base: store only what changed since this base backup (newest, or its archive file name).", valueName: "newest|archive"))
    var incrementalFrom: String?

    @Flag(name: .long, help: "Print the result as one JSON document.")
    var json = false

    @Flag(name: .long, help: "Alert on success too (as ALERT_ON_SUCCESS=true).")
    var alertOnSuccess = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if [full, base, incremental].filter({ $0 }).count > 1 {
            throw ValidationError("--full, --base and --incremental exclude each other")
        }
        if incrementalFrom != nil && !base {
            throw ValidationError("--incremental-from needs --base (an incremental base backup)")
        }
    }

    func run() throws {
        let configuration = try common.loadConfiguration(logAs: "backup")
        InterruptCleanup.shared.installSignalHandlers()
        let progress = json ? nil : common.progress
        if base {
            return try report({ () throws(OperationFailure) in
                try ConnectionPreflight.check(configuration)
                return try BaseBackupOperation(configuration: configuration, progress: progress, incrementalFrom: incrementalFrom).run()
            }, what: "base backup", configuration: configuration, offSite: { result in
                (result.remoteCopy.map { [$0.summary] + Self.remoteRetentionLines($0) } ?? [],
                 result.remoteCopyError.map { "remote copy failed: \($0) (the local base backup \((result.archive as NSString).lastPathComponent) is complete)" })
            })
        }
        if incremental {
            return try report({ () throws(OperationFailure) in
                try ConnectionPreflight.check(configuration)
                return try IncrementalBackupOperation(configuration: configuration).run()
            }, what: "incremental backup", configuration: configuration)
        }
        try report({ () throws(OperationFailure) in
            try ConnectionPreflight.check(configuration)
            return try BackupOperation(configuration: configuration, progress: progress).run()
        }, what: "backup", configuration: configuration, offSite: Self.offSiteLines)
    }

    /// After a full backup's summary: its verified off-site copy, what retention deleted here
    /// and there; and why the off-site copy failed.
    private static func offSiteLines(_ result: BackupResult) -> (lines: [String], failure: String?) {
        var lines: [String] = []
        if let copy = result.remoteCopy { lines.append(copy.summary) }
        if !result.deletedByRetention.isEmpty { lines.append("retention deleted: \(result.deletedByRetention.joined(separator: ", "))") }
        if let copy = result.remoteCopy { lines += remoteRetentionLines(copy) }
        let name = (result.archive as NSString).lastPathComponent
        return (lines, result.remoteCopyError.map { "remote copy failed: \($0) (the local backup \(name) is complete)" })
    }

    /// What retention removed off-site, when anything.
    private static func remoteRetentionLines(_ copy: RemoteCopyResult) -> [String] {
        copy.deletedByRetention.isEmpty ? [] : ["remote retention deleted: \(copy.deletedByRetention.joined(separator: ", "))"]
    }

    /// Runs a backup and renders its outcome. `offSite`: the lines after the summary (what the
    /// off-site copy and retention did), and why the off-site copy failed (exit 3: the local backup stands).
    private func report<Result: Encodable>(_ operation: () throws(OperationFailure) -> Result, what: String, configuration: Configuration,
                                           offSite: (Result) -> (lines: [String], failure: String?) = { _ in ([], nil) }) throws where Result: BackupSummary {
        let result: Result
        do {
            result = try operation()
        } catch {
            if json { Terminal.output(JSONCoding.document(OperationFailureReport(error))) }
            let exit = Terminal.fail(OperationFailure(stage: error.stage, message: "\(what) failed: \(error.message)", sqlState: error.sqlState, isUsageError: error.isUsageError))
            Terminal.alert(Alert(kind: .failure, command: "backup", what: "\(what) failed", location: Terminal.location(configuration), detail: error.description), configuration: configuration)
            throw exit
        }
        for warning in result.warnings { Terminal.warn(warning) }
        let copy = offSite(result)
        Terminal.output(json ? JSONCoding.document(result) : ([result.summary] + copy.lines).map { $0 + "\n" }.joined())
        if let failure = copy.failure {
            let exit = Terminal.fail(failure, exitCode: 3)
            Terminal.alert(Alert(kind: .failure, command: "backup", what: "remote copy failed", location: Terminal.location(configuration), detail: failure), configuration: configuration)
            throw exit
        }
        Terminal.record("pra: " + ([result.summary] + [result.offSiteSummary].compactMap { $0 }).joined(separator: "; "))
        Terminal.alert(Alert(kind: .success, command: "backup", what: "\(what) complete", location: Terminal.location(configuration), detail: result.summary), configuration: configuration, alertOnSuccess: alertOnSuccess)
    }
}

/// What the terminal shows of a backup result.
protocol BackupSummary {
    var summary: String { get }
    var warnings: [String] { get }
    /// The verified off-site copy's line, for the command log.
    var offSiteSummary: String? { get }
}

extension BackupResult: BackupSummary {
    var offSiteSummary: String? { remoteCopy?.summary }
}
extension BaseBackupResult: BackupSummary {
    var offSiteSummary: String? { remoteCopy?.summary }
}
extension IncrementalBackupResult: BackupSummary {
    var offSiteSummary: String? { nil }
}
