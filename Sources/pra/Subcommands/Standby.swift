import ArgumentParser

struct Standby: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A warm standby: a server that keeps replaying the WAL archive, ready to be promoted.",
        discussion: """
            pra standby create builds one in a new directory from the newest base backup that \
            verifies (local, else the off-site copy on REMOTE_TARGET) and starts it: it replays \
            every segment the primary archives (restore_command through pra wal get). pra standby \
            status (or pra status --standby DIR) says how far behind the archive it is and whether \
            it can be promoted; pra activate --standby DIR promotes it. pra standby stop stops it, \
            pra standby remove deletes it (never one that was promoted).

            Exit codes: create, stop, remove: 0 done, 1 failure, 2 usage or configuration error; \
            status: 0 OK, 1 CRITICAL (not promotable), 2 WARNING (replay lag over RPO_TARGET), \
            3 configuration error or no standby there.

            Example:
              pra standby create --target-dir /srv/pg/standby
              pra standby status --target-dir /srv/pg/standby
            """,
        subcommands: [StandbyCreate.self, StandbyStatus.self, StandbyStop.self, StandbyRemove.self])
}
