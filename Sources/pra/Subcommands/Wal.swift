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

            Exit codes: those of pra wal push (0 archived, 1 not archived: PostgreSQL retries; 2 usage \
            or configuration error) and pra wal get (0 fetched, 1 not archived, 126 corrupt, unreadable \
            or any other failure: recovery stops with FATAL instead of promoting early).

            Example:
              pra schedule print --cron      # also prints the postgresql.conf lines above
            """,
        subcommands: [WalPush.self, WalGet.self])
}
