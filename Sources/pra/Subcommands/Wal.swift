import ArgumentParser

struct Wal: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continuous WAL archiving: the archive_command and restore_command of PostgreSQL.",
        discussion: """
            In postgresql.conf of the server to protect (pra schedule print shows the lines):
              wal_level = replica
              archive_mode = on
              archive_command = 'pra wal push %p --env-file /etc/pra/.env'
              archive_timeout = 60
            Every WAL segment then lands in BACKUP_DIR/wal/, compressed and hashed; with base backups \
            (pra backup --base) this makes point-in-time recovery possible (pra restore --pitr).
            With REMOTE_TARGET, each file is also copied to REMOTE_TARGET/wal/: before the push \
            returns (WAL_REMOTE_MODE=sync, the default) or by pra wal sync, which the push starts \
            (WAL_REMOTE_MODE=async: the primary never waits for the store). pra wal get reads the \
            off-site copy when the local archive lacks a file.

            Exit codes: those of pra wal push (0 archived, 1 not archived: PostgreSQL retries; 2 usage \
            or configuration error) and pra wal get (0 fetched, 1 not archived, 126 corrupt, unreadable \
            or any other failure: recovery stops with FATAL instead of promoting early) and pra wal \
            sync (0 copied, 1 a copy failed, 2 usage).

            Example:
              pra schedule print --cron      # also prints the postgresql.conf lines above
            """,
        subcommands: [WalPush.self, WalGet.self, WalSync.self])
}
