import Foundation

/// The staging database a restore loads into before renaming it to the target.
struct Staging {
    let admin: PostgresConnection
    let name: String

    func recreate() throws(PostgresError) {
        try admin.execute("DROP DATABASE IF EXISTS \(PostgresConnection.quoteIdentifier(name)) WITH (FORCE)")
        try admin.execute("CREATE DATABASE \(PostgresConnection.quoteIdentifier(name)) TEMPLATE template0")
    }

    func drop() {
        _ = try? admin.execute("DROP DATABASE IF EXISTS \(PostgresConnection.quoteIdentifier(name)) WITH (FORCE)")
    }
}

extension RestoreOperation {
    /// Puts the loaded staging database in place of `target`: the old target (if any) is
    /// renamed aside, the staging database renamed to the target, and only then the old one
    /// dropped. If the second rename fails, the old target is renamed back: a failure never
    /// leaves the target missing.
    static func swapIntoPlace(admin: PostgresConnection, staging: String, target: String) throws(PostgresError) {
        let quotedTarget = PostgresConnection.quoteIdentifier(target)
        let aside = "\(target)__pra_old"
        let quotedAside = PostgresConnection.quoteIdentifier(aside)
        let exists = try admin.scalar("SELECT 1 FROM pg_database WHERE datname = $1", [target]) != nil
        if exists {
            try admin.execute("DROP DATABASE IF EXISTS \(quotedAside) WITH (FORCE)")
            // Sessions on the old target end (it is being replaced, with --force); retry while they reconnect.
            var attempt = 0
            while true {
                _ = try admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [target])
                do {
                    try admin.execute("ALTER DATABASE \(quotedTarget) RENAME TO \(quotedAside)")
                    break
                } catch {
                    attempt += 1
                    if attempt >= 10 || error.sqlState != "55006" { throw error }
                    usleep(100_000)
                }
            }
        }
        do {
            try admin.execute("ALTER DATABASE \(PostgresConnection.quoteIdentifier(staging)) RENAME TO \(quotedTarget)")
        } catch {
            if exists { _ = try? admin.execute("ALTER DATABASE \(quotedAside) RENAME TO \(quotedTarget)") }
            throw error
        }
        if exists { try admin.execute("DROP DATABASE IF EXISTS \(quotedAside) WITH (FORCE)") }
    }
}
