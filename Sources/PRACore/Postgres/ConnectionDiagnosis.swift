import Foundation

/// Explains a failed connection: which host or socket, port, database and user were tried,
/// where each value came from (option, environment, env file, DATABASE_URL, default), and how
/// to fix it.
public struct ConnectionDiagnosis: Sendable, Equatable {
    /// One connection setting as it was tried.
    public struct Attempted: Sendable, Equatable {
        /// What it is: `host`, `port`, `database`, `user`.
        public var name: String
        /// The value tried.
        public var value: String
        /// Where it came from, in the user's words: `PGHOST from the environment`, `libpq default`.
        public var origin: String
    }

    /// Host or socket, port, database and user, in that order.
    public let attempted: [Attempted]
    /// True when no connection variable is set at all (no DATABASE_URL, PGHOST, PGHOSTADDR,
    /// PGPORT, PGDATABASE, PGUSER or PGSERVICE): a configuration error rather than a failure.
    public let nothingConfigured: Bool

    static let connectionVariables = [Setting.databaseURL.name, Setting.pgHost.name, "PGHOSTADDR", Setting.pgPort.name, Setting.pgDatabase.name, Setting.pgUser.name, "PGSERVICE"]

    /// Describes what a connection with `configuration` tries; `database` overrides the
    /// database (for example the maintenance database a restore connects to).
    public init(configuration: Configuration, database: String? = nil, databaseOrigin: String? = nil) {
        nothingConfigured = Self.connectionVariables.allSatisfy { configuration[$0] == nil }
        let urlParameters = configuration[.databaseURL].flatMap { try? ConnectionSettings.parseConnectionString($0) } ?? [:]
        func origin(keyword: String, variable: String) -> (value: String, origin: String)? {
            if let value = urlParameters[keyword] {
                return (value, "DATABASE_URL from " + Self.describe(configuration.source(of: .databaseURL)))
            }
            if let value = configuration[variable] {
                return (value, "\(variable) from " + Self.describe(configuration.sources[variable]))
            }
            return nil
        }
        let osUser = Self.operatingSystemUser
        var attempted: [Attempted] = []
        let host = origin(keyword: "host", variable: Setting.pgHost.name) ?? origin(keyword: "hostaddr", variable: "PGHOSTADDR")
        attempted.append(Attempted(name: "host", value: host?.value ?? "local socket /var/run/postgresql", origin: host?.origin ?? "libpq default"))
        let port = origin(keyword: "port", variable: Setting.pgPort.name)
        attempted.append(Attempted(name: "port", value: port?.value ?? "5432", origin: port?.origin ?? "libpq default"))
        let user = origin(keyword: "user", variable: Setting.pgUser.name)
        let userValue = user?.value ?? osUser
        if let database {
            attempted.append(Attempted(name: "database", value: database, origin: databaseOrigin ?? "fixed"))
        } else {
            let named = origin(keyword: "dbname", variable: Setting.pgDatabase.name)
            attempted.append(Attempted(name: "database", value: named?.value ?? userValue, origin: named?.origin ?? "libpq default: the user name"))
        }
        attempted.append(Attempted(name: "user", value: userValue, origin: user?.origin ?? "libpq default: the operating-system user"))
        self.attempted = attempted
    }

    static func describe(_ source: Configuration.Source?) -> String {
        switch source {
        case .option: return "a command-line option"
        case .environment: return "the environment"
        case .envFile: return "the env file"
        case .defaultValue, nil: return "the default"
        }
    }

    static var operatingSystemUser: String {
        if let user = ProcessInfo.processInfo.environment["USER"], !user.isEmpty { return user }
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return "the current user" }
        let bytes = UnsafeBufferPointer(start: name, count: strlen(name)).map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `host /tmp/x (PGHOST from the environment), port 5432 (libpq default), ...`
    public var triedDescription: String {
        attempted.map { "\($0.name) \($0.value) (\($0.origin))" }.joined(separator: ", ")
    }

    /// The fix, in one sentence.
    public var fix: String {
        let scratch = "or try a scratch server: eval \"$(pra cluster up)\""
        if nothingConfigured {
            return "nothing is configured: set PGHOST and PGDATABASE (or DATABASE_URL) in the environment or the env file, \(scratch)"
        }
        return "check that the server runs there and accepts this user, or fix PGHOST/PGPORT/PGDATABASE/PGUSER (or DATABASE_URL), \(scratch)"
    }

    /// One line: the libpq failure, what was tried, and the fix.
    public func message(failure: String) -> String {
        "\(failure); tried \(triedDescription); \(fix)"
    }
}
