import Foundation
import PRACore
import PRAHarness

/// The S3-compatible server of a drill run (one SeaweedFS on 127.0.0.1, started by the first
/// scenario that needs it, stopped at exit), and which bucket each scenario made its
/// `REMOTE_TARGET` with `s3-target`, so the other S3 faults can act on that target and
/// restore it afterwards.
enum DrillS3Server {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var server: SeaweedFSServer?
    nonisolated(unsafe) private static var targets: [String: [String: String]] = [:]

    /// The variables s3-target sets, and the faults override.
    static let variables = [Setting.remoteTarget, .s3Endpoint, .s3Region, .awsAccessKeyID, .awsSecretAccessKey, .awsSessionToken, .s3MaxRetries].map(\.name)

    /// The running server, started on first use.
    static func shared() throws -> SeaweedFSServer {
        lock.lock()
        defer { lock.unlock() }
        if let server { return server }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pra-drill-s3-\(getpid())").path
        let started: SeaweedFSServer
        do {
            started = try SeaweedFSServer(directory: directory)
        } catch {
            throw FaultError(description: "cannot start the drill's S3 server: \(error)")
        }
        _ = InterruptCleanup.shared.register { stopServer() }
        server = started
        // An interrupted run stops it through InterruptCleanup; a normal exit here.
        atexit { DrillS3Server.stopServer() }
        return started
    }

    /// Stops the server and removes its data (at exit).
    static func stopServer() {
        lock.lock()
        let running = server
        server = nil
        lock.unlock()
        guard let running else { return }
        running.stop()
        try? FileManager.default.removeItem(atPath: running.directory)
    }

    /// The s3-target variables of the scenario working in `workDirectory`, or a fresh bucket's.
    static func target(for context: ScenarioContext) throws -> [String: String] {
        lock.lock()
        let existing = targets[context.workDirectory]
        lock.unlock()
        if let existing { return existing }
        let server = try shared()
        let bucket: String
        do {
            bucket = try server.makeBucket((context.workDirectory as NSString).lastPathComponent)
        } catch {
            throw FaultError(description: "cannot create the drill bucket: \(error)")
        }
        return server.environment(bucket: bucket)
    }

    /// Makes `environment` the scenario's S3 target (what the faults return to).
    static func remember(_ environment: [String: String], for context: ScenarioContext) {
        lock.lock()
        targets[context.workDirectory] = environment
        lock.unlock()
    }

    static func forget(_ context: ScenarioContext) {
        lock.lock()
        targets[context.workDirectory] = nil
        lock.unlock()
    }

    /// Sets the S3 variables of later steps to `environment` (unset ones removed).
    static func apply(_ environment: [String: String]?, to context: ScenarioContext) {
        for name in variables { context.override(name, environment?[name]) }
    }

    /// Back to the scenario's s3-target, or to no S3 target at all.
    static func restore(_ context: ScenarioContext) {
        lock.lock()
        let target = targets[context.workDirectory]
        lock.unlock()
        apply(target, to: context)
    }
}
