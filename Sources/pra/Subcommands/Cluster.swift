import ArgumentParser

struct Cluster: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start or remove a scratch PostgreSQL for trying pra out or for drills.",
        discussion: """
            Exit codes: 0 done, 1 the scratch server could not start, 2 usage error (for down: no \
            cluster named).

            Example:
              eval "$(pra cluster up)"     # start one, export PGHOST, PGPORT, PGUSER...
              eval "$(pra cluster down)"   # stop it, delete it, unset those variables
            """,
        subcommands: [ClusterUp.self, ClusterDown.self])
}
