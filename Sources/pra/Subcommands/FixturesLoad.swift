import ArgumentParser
import PRACore
import PRAHarness

struct FixturesLoad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Create a database and fill it with the akig fixture at a scale factor.",
        discussion: """
            The akig fixture models a property-management system (45 tables, keys, indexes, an enum, \
            a view, a function, a trigger). Data is deterministic: the same scale gives the same rows. \
            Scale 1 is about 50 MB.

            Exit codes: 0 loaded, 1 the load failed (server unreachable, SQL error), 2 usage or \
            configuration error (unknown fixture, invalid settings).

            Example:  pra fixtures load --scale 0.2 --database akig --replace
            """)

    @Option(name: .long, help: "Scale factor (1 ≈ 50 MB; fractions allowed).")
    var scale: Double = 1

    @Option(name: .long, help: ArgumentHelp("Database to create (default: PGDATABASE, else akig).", valueName: "name"))
    var database: String?

    @Option(name: .long, help: "Fixture name (a folder of fixtures/).")
    var fixture = "akig"

    @Flag(name: .long, help: "Drop and recreate the database when it exists.")
    var replace = false

    @Flag(name: .long, help: "Print the result as one JSON document.")
    var json = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard scale > 0 && scale <= 1000 else { throw ValidationError("--scale must be in (0, 1000]") }
    }

    func run() throws {
        let configuration = try common.loadConfiguration()
        InterruptCleanup.shared.installSignalHandlers()
        do {
            let settings = try configuration.connectionSettings()
            let target = database ?? configuration[.pgDatabase] ?? "akig"
            let loader = try FixtureLoader(name: fixture)
            let quiet = common.quiet || json
            let result = try loader.load(settings: settings, database: target, scale: scale, replace: replace) { step in
                if !quiet { Terminal.info(step) }
            }
            Terminal.output(json ? JSONCoding.document(result)
                : "loaded \(result.fixture) at scale \(result.scale) into \(result.database): \(result.tables) tables, \(result.rows) rows, \(ByteCount.format(UInt64(result.databaseBytes))) in \(DurationParser.format(result.seconds))\n")
        } catch let error as ConfigurationError {
            throw Terminal.fail(error.description, exitCode: 2)
        } catch let error as OperationFailure {
            throw Terminal.fail(error)
        }
    }
}
