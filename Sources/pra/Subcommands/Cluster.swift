import ArgumentParser

struct Cluster: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start or remove a scratch PostgreSQL for trying pra out or for drills.",
        subcommands: [ClusterUp.self, ClusterDown.self])
}
