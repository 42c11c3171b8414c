import Foundation

/// Finds PostgreSQL programs. When `PG_BIN_DIR` is set, only there (an explicit choice is
/// never silently replaced by another version); otherwise `/usr/lib/postgresql/<major>/bin`
/// for the wanted major version, then `PATH`, then `pg_config --bindir`, then the newest
/// `/usr/lib/postgresql/*/bin`.
public struct PostgresBinaries: Sendable {
    public var explicitDirectory: String?
    public var searchPath: String

    public init(explicitDirectory: String? = nil, searchPath: String = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") {
        self.explicitDirectory = explicitDirectory
        self.searchPath = searchPath
    }

    public init(configuration: Configuration) {
        self.init(explicitDirectory: configuration[.pgBinDir])
    }

    /// The absolute path of `program`, preferring the given major version.
    public func locate(_ program: String, preferredMajor: Int? = nil) throws(ProcessError) -> String {
        if let explicitDirectory {
            let path = (explicitDirectory as NSString).appendingPathComponent(program)
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw ProcessError(kind: .notFound, program: program, stderr: "no executable \(program) in PG_BIN_DIR=\(explicitDirectory)")
            }
            return path
        }
        var candidates: [String] = []
        if let preferredMajor { candidates.append("/usr/lib/postgresql/\(preferredMajor)/bin") }
        candidates += searchPath.split(separator: ":").map(String.init)
        func found(in directories: [String]) -> String? {
            directories.lazy.map { ($0 as NSString).appendingPathComponent(program) }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }
        // pg_config is a child process: ask it only when PATH did not have the program.
        if let path = found(in: candidates) ?? found(in: Self.pgConfigBindir().map { [$0] } ?? []) ?? found(in: Self.installedVersionDirectories()) {
            return path
        }
        throw ProcessError(kind: .notFound, program: program, stderr: "searched PG_BIN_DIR, PATH, pg_config --bindir and /usr/lib/postgresql/*/bin; install the PostgreSQL client (apt-get install postgresql-client) or set PG_BIN_DIR")
    }

    /// The major version a program reports with `--version` (`pg_dump (PostgreSQL) 15.18` → 15).
    public static func majorVersion(of executable: String) throws(ProcessError) -> (major: Int, text: String) {
        let outcome = try ExternalProcess(executable: executable, arguments: ["--version"], timeout: 30).runChecked()
        let text = outcome.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let major = parseMajor(text) else {
            throw ProcessError(kind: .failed, program: (executable as NSString).lastPathComponent, stderr: "cannot read a version from \"\(text)\"")
        }
        return (major, text)
    }

    /// Parses the major version out of a `--version` line.
    static func parseMajor(_ text: String) -> Int? {
        guard let marker = text.range(of: "(PostgreSQL) ") else { return nil }
        let digits = text[marker.upperBound...].prefix { $0.isNumber }
        return Int(digits)
    }

    static func pgConfigBindir() -> String? {
        for directory in ["/usr/bin", "/usr/local/bin"] {
            let path = directory + "/pg_config"
            guard FileManager.default.isExecutableFile(atPath: path) else { continue }
            if let outcome = try? ExternalProcess(executable: path, arguments: ["--bindir"], timeout: 10).run(), outcome.succeeded {
                return outcome.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        return nil
    }

    static func installedVersionDirectories() -> [String] {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        return versions.map { "\(root)/\($0)/bin" }
    }
}
