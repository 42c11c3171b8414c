import Foundation
import PRACore
import PRAHarness

/// Seeded data directories a drill run clones its scenarios' clusters from: the fixture is
/// loaded once per (fixture, scale, WAL segment size) into a scratch cluster that is then
/// stopped, and every scenario that needs the same seed starts from a copy of it.
///
/// Copying a stopped data directory takes about a tenth of a second where initdb and the seed
/// take one to two; it also spares archiving scenarios the WAL the seeding would have written
/// (a base backup waits until all of it is archived). Every scenario still gets its own server,
/// directory and port. Safe to use from several scenario threads: the first one that needs a
/// template builds it, the others wait for it.
final class SeededTemplates: @unchecked Sendable {
    /// What a template is seeded with; scenarios with equal keys share it.
    struct Key: Hashable, Sendable {
        var fixture: String
        var scale: Double
        var walSegmentMegabytes: Int?
    }

    /// A stopped, seeded cluster and what its seeding produced.
    struct Template {
        let dataDirectory: String
        let seeded: FixtureLoader.Result
    }

    private enum Slot {
        case building
        case ready(cluster: ScratchCluster, seeded: FixtureLoader.Result)
        case failed(String)
    }

    private let fixturesDirectory: String?
    private let condition = NSCondition()
    private var slots: [Key: Slot] = [:]

    init(fixturesDirectory: String?) {
        self.fixturesDirectory = fixturesDirectory
    }

    /// The template for `key`, seeding it first when no scenario has; `seeding` is told when
    /// this call builds it. A failed build is remembered: the scenarios that need it fail alike.
    func template(for key: Key, seeding: (String) -> Void = { _ in }) throws(OperationFailure) -> Template {
        condition.lock()
        while true {
            switch slots[key] {
            case .ready(let cluster, let seeded):
                condition.unlock()
                return Template(dataDirectory: cluster.dataDirectory, seeded: seeded)
            case .failed(let reason):
                condition.unlock()
                throw OperationFailure(stage: "seed template", message: reason)
            case .building:
                condition.wait()
            case nil:
                slots[key] = .building
                condition.unlock()
                let slot = build(key, seeding: seeding)
                condition.lock()
                slots[key] = slot
                condition.broadcast()
            }
        }
    }

    /// Stops nothing (the templates are stopped) and removes every template directory.
    func removeAll() {
        condition.lock()
        let clusters = slots.values.compactMap { slot -> ScratchCluster? in
            if case .ready(let cluster, _) = slot { return cluster } else { return nil }
        }
        slots.removeAll()
        condition.unlock()
        for cluster in clusters { cluster.teardown() }
    }

    private func build(_ key: Key, seeding: (String) -> Void) -> Slot {
        let cluster: ScratchCluster
        do {
            cluster = try ScratchCluster(walSegmentMegabytes: key.walSegmentMegabytes)
        } catch {
            return .failed("cannot start a cluster to seed \(key.fixture) at scale \(key.scale): \(error)")
        }
        do {
            seeding("seeding \(key.fixture) at scale \(key.scale) once for every scenario that uses it" + (key.walSegmentMegabytes.map { " (\($0) MiB WAL segments)" } ?? ""))
            let seeded = try FixtureLoader(name: key.fixture, fixturesDirectory: fixturesDirectory)
                .load(settings: cluster.connectionSettings, database: key.fixture, scale: key.scale)
            // A clean stop: the copies start without crash recovery.
            try cluster.stop(.fast)
            return .ready(cluster: cluster, seeded: seeded)
        } catch {
            cluster.teardown()
            return .failed("cannot seed \(key.fixture) at scale \(key.scale): \(error)")
        }
    }
}
