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

    /// Every variable `pra` reads, with its default (`nil`: unset unless given): derived from
    /// the declarations of ``Setting``.
    public static let variables: [(name: String, defaultValue: String?, meaning: String)] = Setting.allCases.map { ($0.name, $0.defaultValue, $0.meaning) }

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
            if file.values[Setting.databaseURL.name].map(Self.urlHasPassword) ?? false { secrets.append(Setting.databaseURL.name) }
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
        key.hasPrefix("PG") || Setting(name: key) != nil
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

    /// A whole number by name, checked against `range` (for names not declared in ``Setting``;
    /// declared ones use ``integer(_:)``).
    public func integer(_ name: String, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let text = self[name] else { throw ConfigurationError("\(name) is not set") }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError("\(name)=\(text) is not a whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// A duration by name, in seconds (declared variables: ``seconds(_:)-(Setting)``).
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
        guard self[.praJobs] != nil else { return max(1, ProcessInfo.processInfo.activeProcessorCount) }
        return try integer(.praJobs)
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
        BackupArchiveName.safePrefix(self[.backupPrefix] ?? database)
    }

    public var backupDirectory: String { self[.backupDir] ?? "./backups" }
    public var reportDirectory: String { self[.reportDir] ?? "./reports" }
}
