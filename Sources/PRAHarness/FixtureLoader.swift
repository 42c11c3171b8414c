import Foundation
import PRACore

/// Creates a database and fills it from `fixtures/<name>/schema.sql` and `generate.sql` at a
/// scale factor (the generator reads it from the `pra.scale` setting).
public struct FixtureLoader {
    public let name: String
    public let directory: String
    public static let applicationName = "pra-fixtures"

    /// What a load produced.
    public struct Result: Codable, Sendable {
        public var database: String
        public var fixture: String
        public var scale: Double
        public var tables: Int
        public var rows: Int64
        public var databaseBytes: Int64
        public var seconds: Double
    }

    /// Finds the fixture: `PRA_FIXTURES_DIR`, `./fixtures`, or `fixtures/` above the executable.
    public init(name: String = "akig", fixturesDirectory: String? = nil) throws(ConfigurationError) {
        self.name = name
        var roots: [String] = []
        if let fixturesDirectory { roots.append(fixturesDirectory) }
        if let fromEnvironment = ProcessInfo.processInfo.environment[Setting.praFixturesDir.name] { roots.append(fromEnvironment) }
        roots.append(FileManager.default.currentDirectoryPath + "/fixtures")
        var executable = RunningExecutable.path
        for _ in 0..<6 {
            executable = (executable as NSString).deletingLastPathComponent
            roots.append(executable + "/fixtures")
        }
        guard let root = roots.first(where: { FileManager.default.fileExists(atPath: "\($0)/\(name)/schema.sql") }) else {
            throw ConfigurationError("fixture \(name) not found (looked for \(name)/schema.sql in PRA_FIXTURES_DIR, ./fixtures and beside the pra executable)")
        }
        directory = "\(root)/\(name)"
    }

    /// Creates `database` (dropping it first when `replace`) and loads the fixture at `scale`.
    public func load(settings: ConnectionSettings, database: String, scale: Double, replace: Bool = false, progress: ((String) -> Void)? = nil) throws(OperationFailure) -> Result {
        let started = MonotonicClock.now()
        let schema: String
        let generator: String
        do {
            schema = try String(contentsOfFile: "\(directory)/schema.sql", encoding: .utf8)
            generator = try String(contentsOfFile: "\(directory)/generate.sql", encoding: .utf8)
        } catch {
            throw OperationFailure(stage: "fixture", message: "cannot read \(directory): \(error.localizedDescription)", isUsageError: true)
        }
        do {
            let admin = try PostgresConnection(settings, database: "postgres", applicationName: Self.applicationName)
            let quoted = PostgresConnection.quoteIdentifier(database)
            if try admin.scalar("SELECT 1 FROM pg_database WHERE datname = $1", [database]) != nil {
                guard replace else {
                    throw OperationFailure(stage: "create", message: "database \(database) already exists; use --replace to drop and reload it", isUsageError: true)
                }
                try admin.execute("DROP DATABASE \(quoted) WITH (FORCE)")
            }
            progress?("creating database \(database)")
            try admin.execute("CREATE DATABASE \(quoted)")
            let connection = try PostgresConnection(settings, database: database, applicationName: Self.applicationName)
            // Generating and counting grow with the scale: no statement timeout.
            connection.statementTimeout = nil
            try connection.execute("SET client_min_messages = warning")
            progress?("creating the \(name) schema")
            try connection.execute(schema)
            progress?("generating data at scale \(scale)")
            try connection.execute("SELECT set_config('pra.scale', $1, false)", [String(scale)])
            try connection.execute(generator)
            let counts = try RowCounter.count(connection)
            let size = Int64(try connection.scalar("SELECT pg_database_size(current_database())") ?? "0") ?? 0
            return Result(database: database, fixture: name, scale: scale, tables: counts.count, rows: counts.reduce(0) { $0 + $1.rows }, databaseBytes: size, seconds: started.elapsed())
        } catch let failure as OperationFailure {
            throw failure
        } catch {
            throw OperationFailure(stage: "load fixture", error)
        }
    }
}
