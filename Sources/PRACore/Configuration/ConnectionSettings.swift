import CLibPQ
import Foundation

/// Where and as whom to connect: libpq keywords, resolved from `DATABASE_URL` and `PG*`.
///
/// Child programs (pg_dump, psql) receive the same settings as `PG*` environment variables,
/// never as arguments, so a password cannot show up in `ps`.
public struct ConnectionSettings: Sendable, Equatable {
    /// libpq keyword → value (`host`, `port`, `user`, `password`, `dbname`, ...).
    public private(set) var libpqParameters: [String: String]
    /// `STATEMENT_TIMEOUT`: how long pra's own sessions wait for one statement's answer
    /// (`nil`: no limit). See ``PostgresConnection/statementTimeout``.
    public var statementTimeout: Double?
    /// `NETWORK_TIMEOUT`: how long a TCP link may stay silent before pra's own sessions
    /// declare it dead (`nil`: the kernel's defaults, hours).
    public var networkTimeout: Double?

    static let environmentNames: [String: String] = [
        // The libpq variables pra declares come from their declaration; the others pra only passes on.
        "host": Setting.pgHost.name, "hostaddr": "PGHOSTADDR", "port": Setting.pgPort.name, "user": Setting.pgUser.name,
        "password": Setting.pgPassword.name, "passfile": Setting.pgPassFile.name, "dbname": Setting.pgDatabase.name,
        "sslmode": Setting.pgSSLMode.name, "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
        "connect_timeout": Setting.pgConnectTimeout.name, "options": "PGOPTIONS",
        "target_session_attrs": "PGTARGETSESSIONATTRS", "service": "PGSERVICE",
    ]

    public init(parameters: [String: String]) {
        libpqParameters = parameters
    }

    init(configuration: Configuration) throws(ConfigurationError) {
        var parameters: [String: String] = [:]
        for (keyword, variable) in Self.environmentNames {
            if let value = configuration[variable] { parameters[keyword] = value }
        }
        if let url = configuration[.databaseURL] {
            for (keyword, value) in try Self.parseConnectionString(url) { parameters[keyword] = value }
        }
        libpqParameters = parameters
        let statement = try configuration.seconds(.statementTimeout)
        statementTimeout = statement > 0 ? statement : nil
        networkTimeout = try configuration.seconds(.networkTimeout)
    }

    /// The libpq keywords that notice a dead TCP link within ``networkTimeout``: data left
    /// unacknowledged that long (`tcp_user_timeout`) or an idle link whose keepalive probes go
    /// unanswered (first probe after half of it, then 3 probes a sixth apart). libpq ignores
    /// them on unix sockets; the keywords of `DATABASE_URL` take precedence. These have no
    /// `PG*` variable: child programs get them through ``childNetworkKeywords``.
    public var networkParameters: [String: String] {
        guard let timeout = networkTimeout, timeout > 0 else { return [:] }
        return [
            "keepalives": "1", "keepalives_idle": "\(max(1, Int(timeout / 2)))", "keepalives_interval": "\(max(1, Int(timeout / 6)))",
            "keepalives_count": "3", "tcp_user_timeout": "\(Int(timeout * 1000))",
        ]
    }

    /// The same keywords for a child program (pg_dump, psql), as ` key=value` pairs to append to
    /// its connection-string argument: they have no `PG*` variable, and they are plain numbers,
    /// never a secret. Values `DATABASE_URL` gave win, as in pra's own sessions.
    public var childNetworkKeywords: String {
        let merged = networkParameters.merging(libpqParameters.filter { networkParameters[$0.key] != nil }) { $1 }
        return merged.keys.sorted().map { " \($0)=\(merged[$0]!)" }.joined()
    }

    /// Splits a URI or `key=value` string into libpq keywords with libpq's own parser.
    static func parseConnectionString(_ text: String) throws(ConfigurationError) -> [String: String] {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(text, &errorMessage) else {
            let message = errorMessage.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "invalid"
            if let errorMessage { PQfreemem(errorMessage) }
            throw ConfigurationError("DATABASE_URL is not a valid connection string: \(message)")
        }
        defer { PQconninfoFree(options) }
        var result: [String: String] = [:]
        var cursor = options
        while let keyword = cursor.pointee.keyword {
            if let value = cursor.pointee.val { result[String(cString: keyword)] = String(cString: value) }
            cursor += 1
        }
        return result
    }

    /// The database these settings name (libpq's default is the user name).
    public var databaseName: String? { libpqParameters["dbname"] ?? libpqParameters["user"] }

    /// A copy connecting to another database on the same server.
    public func with(database: String) -> ConnectionSettings {
        var copy = self
        copy.libpqParameters["dbname"] = database
        return copy
    }

    /// Environment for a child program: the allow-listed part of the parent's (``ChildEnvironment``), less `PG*`, plus these settings.
    public func childEnvironment(base: [String: String] = ChildEnvironment.base(), applicationName: String) -> [String: String] {
        var environment = base.filter { !$0.key.hasPrefix("PG") && $0.key != Setting.databaseURL.name }
        for (keyword, value) in libpqParameters {
            if let name = Self.environmentNames[keyword] { environment[name] = value }
        }
        environment["PGAPPNAME"] = applicationName
        return environment
    }

    /// A description safe for logs: no password.
    public var redactedDescription: String {
        let host = libpqParameters["host"] ?? "default host"
        let port = libpqParameters["port"].map { ":\($0)" } ?? ""
        let user = libpqParameters["user"].map { "\($0)@" } ?? ""
        return "\(user)\(host)\(port)/\(databaseName ?? "?")"
    }
}
