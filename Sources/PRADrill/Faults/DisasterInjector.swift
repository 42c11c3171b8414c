import Foundation
import PRACore

/// Loses the database, in one of the ways disasters do. Returns the seconds spent
/// provisioning a replacement server (counted in the RTO as its own phase).
struct DisasterInjector {
    let kind: DisasterKind

    func inject(_ context: ScenarioContext) throws -> (summary: String, provisionSeconds: Double?) {
        switch kind {
        case .dropDatabase:
            try context.adminConnection().execute("DROP DATABASE \(PostgresConnection.quoteIdentifier(context.database)) WITH (FORCE)")
            return ("dropped database \(context.database)", nil)
        case .wipeDataDirectory:
            try context.cluster.stop(.immediate)
            try context.cluster.wipeDataDirectory()
            let clock = MonotonicClock.now()
            try context.cluster.reinitialize()
            return ("stopped the server and deleted its data directory; provisioned an empty server", clock.elapsed())
        case .loseCluster:
            context.cluster.crash()
            try context.cluster.wipeDataDirectory()
            let clock = MonotonicClock.now()
            try context.cluster.reinitialize()
            return ("crashed the server and lost its data directory; provisioned an empty server", clock.elapsed())
        }
    }
}
