import ArgumentParser

struct Fixtures: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Seed a database with the fixture the drills use.",
        discussion: """
            Exit codes: 0 loaded, 1 the load failed (server unreachable, SQL error), 2 usage or \
            configuration error (unknown fixture, invalid settings).

            Example:
              pra fixtures load --scale 0.2 --database akig
            """,
        subcommands: [FixturesLoad.self])
}
