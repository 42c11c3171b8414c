import Foundation
import PRACore

/// One fault kind. `apply` injects it; `revert` undoes what can be undone after the step
/// it was injected into (a mount), and is a no-op for faults that stay (a crashed server).
protocol FaultInjector: Sendable {
    /// What happened, for the log.
    func apply(_ context: ScenarioContext, step: StepAction) throws -> String
    func revert(_ context: ScenarioContext)
    /// Why this fault cannot run here (the scenario is then skipped), or `nil`.
    static func unavailableReason() -> String?
}

extension FaultInjector {
    func revert(_ context: ScenarioContext) {}
    static func unavailableReason() -> String? { nil }
}

/// The injector for each ``Fault``.
enum FaultInjectors {
    static func make(_ fault: Fault) -> FaultInjector {
        switch fault {
        case .killConnections: return KillConnectionsFault()
        case .diskFull(let free): return DiskFullFault(freeBytes: free)
        case .corruptArchive(let corruption, let archive): return CorruptArchiveFault(corruption: corruption, archive: archive)
        case .crashServer: return CrashServerFault()
        case .stopServer: return StopServerFault()
        case .startServer: return StartServerFault()
        case .remoteUnreachable: return RemoteUnreachableFault()
        case .remoteFull(let free): return RemoteFullFault(freeBytes: free)
        case .webhookError(let status): return WebhookErrorFault(status: status)
        case .smtpRefusing: return SMTPRefusingFault()
        }
    }

    static func unavailableReason(_ fault: Fault) -> String? {
        switch fault {
        case .diskFull: return DiskFullFault.unavailableReason()
        case .remoteUnreachable: return RemoteUnreachableFault.unavailableReason()
        case .remoteFull: return RemoteFullFault.unavailableReason()
        case .smtpRefusing: return SMTPRefusingFault.unavailableReason()
        default: return nil
        }
    }
}

/// A fault that could not be applied.
struct FaultError: Error, CustomStringConvertible {
    let description: String
}
