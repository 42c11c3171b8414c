import ArgumentParser

struct Fixtures: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Seed a database with the fixture the drills use.",
        subcommands: [FixturesLoad.self])
}
