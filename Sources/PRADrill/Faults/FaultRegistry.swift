/// Every fault kind a scenario can use. This list drives the loader (which kinds and
/// parameters exist, the "known: ..." messages), the step-order validator, the runner's timing
/// and skip checks, and the reference (`pra drill faults`, docs/scenarios.md).
///
/// A new fault kind is one new file in Faults/ (a type conforming to ``FaultKind``) and one
/// line here. The order is the order of the reference.
enum FaultRegistry {
    static let all: [any FaultKind.Type] = [
        KillConnectionsFault.self,
        DiskFullFault.self,
        CorruptArchiveFault.self,
        CrashServerFault.self,
        StopServerFault.self,
        StartServerFault.self,
        RemoteUnreachableFault.self,
        RemoteFullFault.self,
        WebhookErrorFault.self,
        SMTPRefusingFault.self,
        ArchiveFailingFault.self,
        MissingWALSegmentFault.self,
        CorruptWALSegmentFault.self,
        WALPushConflictFault.self,
        ConcurrentBackupFault.self,
        NetworkLatencyFault.self,
        NetworkBandwidthFault.self,
        NetworkPartitionFault.self,
        NetworkResetFault.self,
        S3TargetFault.self,
        S3UnreachableFault.self,
        S3ThrottlingFault.self,
        S3DeniedFault.self,
        OffSiteBitRotFault.self,
        S3SilentDamageFault.self,
        SSHSilentDamageFault.self,
        OffSiteCopyStalledFault.self,
    ]

    /// The kind called `name` in scenarios.
    static func kind(named name: String) -> (any FaultKind.Type)? {
        all.first { $0.name == name }
    }

    /// Every kind's name, in registry order.
    static var names: [String] { all.map { $0.name } }

    /// Every parameter name any kind takes, in registry order without repeats: what a fault
    /// mapping may contain at all (a parameter of another kind is then a precise error).
    static var parameterNames: [String] {
        var names: [String] = []
        for kind in all {
            for parameter in kind.parameters where !names.contains(parameter.name) { names.append(parameter.name) }
        }
        return names
    }
}
