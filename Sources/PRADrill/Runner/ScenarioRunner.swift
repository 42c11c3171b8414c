import Foundation
import PRACore
import PRADrillResults

/// Runs one scenario on a scratch cluster of its own and judges it.
struct ScenarioRunner {
    let scenario: Scenario
    let options: DrillOptions
    /// The run's seeded templates; `nil`: initdb and seed this scenario's cluster itself.
    var templates: SeededTemplates? = nil

    /// What the measurement has gathered so far.
    final class MeasurementState {
        var disasterDate: Date?
        var disasterClock: MonotonicClock?
        var provisionSeconds: Double?
        var rto: Double?
        var rtoPhases: [PhaseRecord] = []
        var rpo: Double?
        var heartbeatsWritten: Int?
        var heartbeatsRecovered: Int?
        var rpoNote: String?
        var restoreBytesPerSecond: Double?
        var lastBackupSeconds: Double?
        /// The table a bad transaction emptied and its row count just before.
        var damaged: (table: String, rows: Int)?
        /// The slowest incremental backup: WAL switch until archived.
        var archiveLag: Double?
        /// A point-in-time recovery to the latest point after the disaster succeeded and
        /// measured what the archive kept: only then is continuous archiving's RPO proven.
        var recoveredLatest = false
        /// The class of the latest disaster: recorded on every recovery step after it.
        var disasterClass: DisasterClass?
    }

    /// What one recovery step measured: its own RTO (disaster until it exited) and RPO.
    struct RecoveryMeasurement {
        var rto: Double
        var rpo: Double?
    }

    func run() -> ScenarioResult {
        let startedAt = Date()
        let clock = MonotonicClock.now()
        let scale = options.scaleOverride ?? scenario.scale ?? options.defaultScale
        let rpoTarget = scenario.rpoTarget ?? options.rpoTarget
        let rtoTarget = scenario.rtoTarget ?? options.rtoTarget
        var result = ScenarioResult(
            name: scenario.name, file: scenario.file, description: scenario.description, tags: scenario.tags,
            verdict: .passed, fixture: scenario.fixture, scale: scale, startedAt: startedAt, seconds: 0,
            checks: [], steps: [], measurement: DrillMeasurement(rtoTargetSeconds: rtoTarget, rpoTargetSeconds: rpoTarget), log: [])

        if let reason = skipReason() {
            result.verdict = .skipped
            result.skippedReason = reason
            result.log = ["skipped: \(reason)"]
            options.echo?("skipped: \(reason)")
            return result
        }

        let workDirectory = (options.workRoot as NSString).appendingPathComponent(scenario.name)
        try? FileManager.default.removeItem(atPath: workDirectory)
        let cleanupToken = options.keep ? nil : InterruptCleanup.shared.register { try? FileManager.default.removeItem(atPath: workDirectory) }
        defer {
            if let cleanupToken {
                InterruptCleanup.shared.unregister(cleanupToken)
                try? FileManager.default.removeItem(atPath: workDirectory)
            }
        }
        // 1 MiB segments: archived in milliseconds, so the archive lag is the switch interval's.
        let walSegmentMegabytes: Int? = scenario.archiveTimeout == nil ? nil : 1
        var template: SeededTemplates.Template?
        var seedingLines: [String] = []
        if let templates {
            do {
                template = try templates.template(for: .init(fixture: scenario.fixture, scale: scale, walSegmentMegabytes: walSegmentMegabytes)) { seedingLines.append($0) }
            } catch {
                result.verdict = .failed
                result.error = error.description
                result.seconds = clock.elapsed()
                return result
            }
        }
        let cluster: ScratchCluster
        do {
            try FileManager.default.createDirectory(atPath: workDirectory + "/backups", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: workDirectory + "/reports", withIntermediateDirectories: true)
            if let archiveTimeout = scenario.archiveTimeout {
                let backups = workDirectory + "/backups"
                chmod(options.workRoot, 0o755)
                chmod(workDirectory, 0o755)
                cluster = try ScratchCluster(
                    settings: ScratchCluster.archivingSettings(praExecutable: options.praExecutable, backupDirectory: backups, archiveTimeout: Int(archiveTimeout)),
                    walSegmentMegabytes: walSegmentMegabytes, cloning: template?.dataDirectory, preparing: { try $0.grantServerAccess(to: backups) })
            } else {
                cluster = try ScratchCluster(cloning: template?.dataDirectory)
            }
        } catch {
            result.verdict = .failed
            result.error = "cannot start a scratch cluster: \(error)"
            result.seconds = clock.elapsed()
            return result
        }
        defer {
            if options.keep { try? FileManager.default.copyItem(atPath: cluster.logFile, toPath: workDirectory + "/server.log") }
            cluster.teardown()
        }
        // Every pra step reaches the server through a proxy that network faults degrade.
        let proxy: NetworkProxy
        do {
            proxy = try NetworkProxy(upstream: .unixSocket(path: cluster.socketPath))
        } catch {
            result.verdict = .failed
            result.error = "cannot start the network proxy: \(error)"
            result.seconds = clock.elapsed()
            return result
        }
        defer { proxy.stop() }
        let context = ScenarioContext(cluster: cluster, database: scenario.fixture, workDirectory: workDirectory, praExecutable: options.praExecutable, scenarioEnvironment: scenario.environment, proxy: proxy, echo: options.echo)
        for line in seedingLines { context.log(line) }
        context.log("scenario \(scenario.name): cluster on port \(cluster.port) (pra steps through 127.0.0.1:\(proxy.port)), work directory \(workDirectory)")

        var workload: HeartbeatWorkload?
        do {
            if let template {
                let seeded = template.seeded
                context.log("seeded \(seeded.fixture) at scale \(scale): \(seeded.tables) tables, \(seeded.rows) rows, \(ByteCount.format(UInt64(seeded.databaseBytes))) (a copy of the run's template, seeded once in \(DurationParser.format(seeded.seconds)))")
            } else {
                let loaded = try FixtureLoader(name: scenario.fixture, fixturesDirectory: options.fixturesDirectory)
                    .load(settings: cluster.connectionSettings, database: context.database, scale: scale)
                context.log("seeded \(loaded.fixture) at scale \(scale): \(loaded.tables) tables, \(loaded.rows) rows, \(ByteCount.format(UInt64(loaded.databaseBytes))) in \(DurationParser.format(loaded.seconds))")
            }
            if let rate = scenario.heartbeatRate {
                let heartbeat = HeartbeatWorkload(settings: cluster.connectionSettings.with(database: context.database), rate: rate)
                try heartbeat.start()
                workload = heartbeat
                context.workload = heartbeat
                context.log("workload: \(rate) heartbeats per second into \(HeartbeatWorkload.table)")
            }
        } catch {
            result.verdict = .failed
            result.error = "cannot seed the scenario: \(error)"
            result.log = context.logLines
            result.seconds = clock.elapsed()
            return result
        }

        let state = MeasurementState()
        for (offset, step) in scenario.steps.enumerated() {
            let (record, checks) = execute(step, index: offset + 1, context: context, workload: workload, state: state)
            result.steps.append(record)
            result.checks += checks
        }
        workload?.stop()
        context.finish()
        let forwarded = proxy.forwardedBytes
        context.log("network proxy: \(proxy.connectionCount) connection(s), \(ByteCount.format(forwarded.upstream)) up, \(ByteCount.format(forwarded.downstream)) down" + (proxy.resetCount > 0 ? ", reset \(proxy.resetCount) time(s)" : ""))

        // Measurements against the targets, when a disaster was recovered from.
        if state.disasterDate != nil {
            if let rto = state.rto {
                result.checks.append(CheckResult(name: "RTO within target", passed: rto <= rtoTarget, expected: "≤ \(MeasuredDuration.format(rtoTarget))", actual: MeasuredDuration.format(rto), message: rto <= rtoTarget ? nil : "expected RTO ≤ \(MeasuredDuration.format(rtoTarget)), got \(MeasuredDuration.format(rto))", seconds: rto))
            } else {
                result.checks.append(CheckResult(name: "RTO within target", passed: false, expected: "≤ \(MeasuredDuration.format(rtoTarget))", actual: "no recovery", message: "expected a successful restore after the disaster, got none"))
            }
            if scenario.heartbeatRate != nil {
                if let rpo = state.rpo {
                    result.checks.append(CheckResult(name: "RPO within target", passed: rpo <= rpoTarget, expected: "≤ \(MeasuredDuration.format(rpoTarget))", actual: MeasuredDuration.format(rpo), message: rpo <= rpoTarget ? nil : "expected RPO ≤ \(MeasuredDuration.format(rpoTarget)), got \(MeasuredDuration.format(rpo))"))
                } else {
                    result.checks.append(CheckResult(name: "RPO within target", passed: false, expected: "≤ \(MeasuredDuration.format(rpoTarget))", actual: "not measured", message: "expected a recovered heartbeat to measure RPO from, got \(state.rpoNote ?? "none")"))
                }
            }
        }
        result.measurement = DrillMeasurement(
            rtoSeconds: state.rto, rtoTargetSeconds: rtoTarget, rtoPhases: state.rtoPhases,
            rpoSeconds: state.rpo, rpoTargetSeconds: rpoTarget,
            heartbeatsWritten: state.heartbeatsWritten, heartbeatsRecovered: state.heartbeatsRecovered,
            projections: projections(state))
        result.verdict = result.checks.allSatisfy(\.passed) ? .passed : .failed
        if options.keep { context.log("kept \(workDirectory)") }
        result.log = context.logLines
        result.seconds = clock.elapsed()
        return result
    }

    /// Why this scenario cannot run on this machine, if it cannot.
    func skipReason() -> String? {
        for step in scenario.steps {
            if let fault = step.fault?.fault, let reason = type(of: fault.implementation).unavailableReason() { return reason }
            if case .fault(let fault) = step.action, let reason = type(of: fault.implementation).unavailableReason() { return reason }
        }
        return nil
    }

    private func projections(_ state: MeasurementState) -> Projections {
        var projections = Projections(productionDatabaseBytes: options.productionDatabaseBytes, restoreBytesPerSecond: state.restoreBytesPerSecond, backupIntervalSeconds: options.backupInterval, backupSeconds: state.lastBackupSeconds)
        if let bytes = options.productionDatabaseBytes, let rate = state.restoreBytesPerSecond, rate > 0 {
            projections.projectedRTOSeconds = bytes / rate
        }
        if let backup = state.lastBackupSeconds {
            projections.worstCaseRPOSeconds = options.backupInterval + backup
        }
        // Continuous archiving's worst case is proven only by a recovery to the latest point
        // after the disaster: a recovery to an earlier mark measures that mark, not what the
        // archive keeps.
        if let timeout = scenario.archiveTimeout, state.recoveredLatest {
            projections.archiveTimeoutSeconds = timeout
            projections.archiveLagSeconds = state.archiveLag
        }
        return projections
    }

    // MARK: - Steps

    private func execute(_ step: Step, index: Int, context: ScenarioContext, workload: HeartbeatWorkload?, state: MeasurementState) -> (StepRecord, [CheckResult]) {
        let startedAt = Date()
        let clock = MonotonicClock.now()
        let label = "step \(index) \(step.action.kind.rawValue)"
        var checks: [CheckResult] = []
        var record = StepRecord(index: index, kind: step.action.kind.rawValue, summary: summary(step), startedAt: startedAt, seconds: 0)

        switch step.action {
        case .wait(let seconds):
            Thread.sleep(forTimeInterval: seconds)
            context.log("\(label): waited \(DurationParser.format(seconds))")
        case .fault(let fault):
            do {
                let what = try fault.implementation.apply(context, step: step.action)
                context.log("\(label): \(fault.kind): \(what)")
                if type(of: fault.implementation).undo == .afterStep {
                    context.atEnd { fault.implementation.revert(context) }
                }
            } catch {
                context.log("\(label): \(fault.kind) FAILED to apply: \(error)")
                checks.append(CheckResult(name: "\(label): \(fault.kind) applied", passed: false, expected: "applied", actual: "\(error)", message: "expected the fault to apply, got: \(error)"))
            }
        case .mark(let name):
            context.marks[name] = Date()
            context.log("\(label): marked \(name)")
        case .disaster(let kind, let table):
            workload?.stop()
            state.heartbeatsWritten = workload?.acknowledgedCount
            state.disasterDate = Date()
            state.disasterClock = MonotonicClock.now()
            state.disasterClass = kind.disasterClass
            record.disasterClass = kind.disasterClass
            do {
                let injected = try DisasterInjector(kind: kind, table: table).inject(context)
                state.provisionSeconds = injected.provisionSeconds
                // Recorded only when the rows were really deleted: rows_back compares with it.
                state.damaged = injected.damaged
                context.log("\(label): \(kind.rawValue): \(injected.summary); RTO clock started")
            } catch {
                context.log("\(label): \(kind.rawValue) FAILED: \(error)")
                checks.append(CheckResult(name: "\(label): \(kind.rawValue) injected", passed: false, expected: "injected", actual: "\(error)", message: "expected the disaster to be injected, got: \(error)"))
            }
        case .backup, .baseBackup, .incrementalBackup, .verify, .restore, .pointInTimeRestore, .status:
            let outcome = runPraStep(step, label: label, context: context, state: state)
            record.exitCode = outcome.exitCode
            record.errorLine = outcome.errorLine
            record.messages = outcome.messages
            record.rtoSeconds = outcome.measured?.rto
            record.rpoSeconds = outcome.measured?.rpo
            if let recovered = state.disasterClass, let method = Self.recoveryMethod(step.action) {
                record.disasterClass = recovered
                record.recoveryMethod = method
            }
            checks += outcome.checks
        }
        record.seconds = clock.elapsed()
        return (record, checks)
    }

    /// How `action` recovers, when it is a recovery step; `nil` for the others.
    static func recoveryMethod(_ action: StepAction) -> RecoveryMethod? {
        switch action {
        case .restore: return .backup
        case .pointInTimeRestore(let target): return target.anchor == .latest ? .pointInTimeLatest : .pointInTimeMoment
        default: return nil
        }
    }

    private func summary(_ step: Step) -> String {
        var text: String
        switch step.action {
        case .backup: text = "backup"
        case .baseBackup: text = "base backup"
        case .incrementalBackup: text = "incremental backup"
        case .pointInTimeRestore(let target): text = "point-in-time restore to \(target)"
        case .mark(let name): text = "mark \(name)"
        case .verify(let archive): text = archive.map { "verify the \($0) archive" } ?? "verify all archives"
        case .restore(let archive, let target, let force):
            text = "restore " + (archive.map { "the \($0) archive" } ?? "the latest backup") + (target.map { " into \($0)" } ?? "") + (force ? " (force)" : "")
        case .status: text = "status"
        case .fault(let fault): text = "fault \(fault)"
        case .disaster(let kind, let table): text = "disaster \(kind.rawValue)" + (table.map { " on \($0)" } ?? "")
        case .wait(let seconds): text = "wait \(DurationParser.format(seconds))"
        }
        if let injected = step.fault {
            switch injected.trigger {
            case .before: text += " with \(injected.fault) before it"
            case .afterSeconds(let seconds): text += " with \(injected.fault) after \(DurationParser.format(seconds))"
            case .afterBytes(let bytes): text += " with \(injected.fault) after \(ByteCount.format(bytes)) written"
            }
        }
        return text
    }

    private struct PraStepOutcome {
        var exitCode: Int32?
        var errorLine: String?
        var checks: [CheckResult]
        /// The human-readable lines the command prints without `--json` (``HumanMessages``).
        var messages: [String]? = nil
        /// A recovery step's own RTO and RPO.
        var measured: RecoveryMeasurement? = nil
    }

    private func runPraStep(_ step: Step, label: String, context: ScenarioContext, state: MeasurementState) -> PraStepOutcome {
        var checks: [CheckResult] = []
        let before = BackupSnapshot(directory: context.backupDirectory, digests: step.expect.earlierBackupsUntouched == true)
        var arguments: [String]
        switch step.action {
        case .backup:
            arguments = ["backup", "--full"]
        case .baseBackup:
            arguments = ["backup", "--base"]
        case .incrementalBackup:
            arguments = ["backup", "--incremental"]
        case .pointInTimeRestore(let target):
            arguments = ["restore", "--pitr", "--target-dir", context.freshDirectory("recovered")]
            let moment: Date?
            switch target.anchor {
            case .latest: moment = nil
            case .disaster: moment = state.disasterDate
            case .mark(let name): moment = context.marks[name]
            }
            if let moment {
                arguments += ["--target-time", RecoveryTarget.format(moment.addingTimeInterval(target.offset))]
            }
        case .verify(let archive):
            if let archive {
                guard let entry = archive.pick(before.complete) else {
                    return PraStepOutcome(checks: [CheckResult(name: "\(label): archive exists", passed: false, expected: "a \(archive) archive", actual: "none", message: "expected a \(archive) complete backup to verify, got none")])
                }
                arguments = ["verify", entry.archivePath]
            } else {
                arguments = ["verify", "--all"]
            }
        case .restore(let archive, let target, let force):
            if let archive {
                guard let entry = archive.pick(before.complete) else {
                    return PraStepOutcome(checks: [CheckResult(name: "\(label): archive exists", passed: false, expected: "a \(archive) archive", actual: "none", message: "expected a \(archive) complete backup to restore, got none")])
                }
                arguments = ["restore", "--file", entry.archivePath]
            } else {
                arguments = ["restore", "--latest"]
            }
            if let target { arguments += ["--target-db", target] }
            if force { arguments.append("--force") }
        case .status:
            arguments = ["status"]
        case .fault, .disaster, .wait, .mark:
            preconditionFailure("step \(step.action.kind.rawValue) does not run pra")
        }
        arguments += ["--json", "--quiet"]

        // Faults: before the step, or during it from a thread of their own.
        var injected: (any FaultKind)?
        var during: FaultTrigger?
        if let timed = step.fault {
            let fault = timed.fault.implementation
            injected = fault
            if timed.trigger == .before && type(of: fault).timing != .duringStep {
                do {
                    context.log("\(label): \(timed.fault.kind): \(try fault.apply(context, step: step.action))")
                } catch {
                    checks.append(CheckResult(name: "\(label): \(timed.fault.kind) applied", passed: false, expected: "applied", actual: "\(error)", message: "expected the fault to apply before the step, got: \(error)"))
                }
            } else {
                during = FaultTrigger(fault: fault, trigger: timed.trigger, context: context, step: step.action, label: label)
                during?.start()
            }
        }
        // Undoes the injected fault after the step, when its kind is undone then.
        func revertInjected() {
            guard let injected, type(of: injected).undo == .afterStep else { return }
            injected.revert(context)
        }

        // After the faults applied before the step: some change its configuration.
        var environment = context.environment
        for (key, value) in step.environment { environment[key] = value }
        let stepClock = MonotonicClock.now()
        let child: PraChild.Result
        context.isStepRunning = true
        defer { context.isStepRunning = false }
        do {
            child = try PraChild(executable: context.praExecutable).run(arguments, environment: environment)
            context.isStepRunning = false
        } catch {
            during?.finish()
            revertInjected()
            checks.append(CheckResult(name: "\(label): pra ran", passed: false, expected: "pra runs", actual: "\(error)", message: "expected pra to start, got: \(error)"))
            return PraStepOutcome(checks: checks)
        }
        let stepSeconds = stepClock.elapsed()
        if let during {
            let applied = during.finish()
            if !applied.applied {
                checks.append(CheckResult(name: "\(label): \(during.kind) injected during the step", passed: false, expected: "injected", actual: applied.note, message: "expected the fault to strike during the step, got: \(applied.note)"))
            }
        }
        let verdict = child.exitCode == 0 ? "ok" : "exit \(child.exitCode)"
        context.log("\(label): \(verdict) in \(DurationParser.format(child.seconds))" + (child.errorLine.map { " — \($0)" } ?? ""))

        let messages = HumanMessages.lines(of: step.action, child: child)
        checks += judge(step, label: label, child: child, messages: messages, before: before, context: context)
        revertInjected()

        if case .backup = step.action, child.exitCode == 0 {
            state.lastBackupSeconds = stepSeconds
            context.log("\(label): backup took \(DurationParser.format(stepSeconds)): projected worst-case RPO BACKUP_INTERVAL \(DurationParser.format(options.backupInterval)) + \(DurationParser.format(stepSeconds)) = \(Int((options.backupInterval + stepSeconds).rounded())) s")
        }
        if case .incrementalBackup = step.action, child.exitCode == 0, let result = child.document(IncrementalBackupResult.self) {
            state.archiveLag = max(state.archiveLag ?? 0, result.seconds)
        }
        // Every recovery after the disaster measures its own RTO and RPO; its checks judge those.
        var measured: RecoveryMeasurement?
        if case .restore = step.action, child.exitCode == 0, let disasterClock = state.disasterClock {
            measured = measureRecovery(step, label: label, restore: child.document(RestoreResult.self), disasterClock: disasterClock, stepSeconds: stepSeconds, context: context, state: state)
        }
        if case .pointInTimeRestore = step.action {
            let restore = child.document(RestoreResult.self)
            if let details = restore?.pointInTime {
                // The recovered server runs until the scenario ends (measurements read from it).
                context.atEnd { ServerControl.shutdown(dataDirectory: details.dataDirectory) }
                let token = InterruptCleanup.shared.register { ServerControl.shutdown(dataDirectory: details.dataDirectory, grace: 5) }
                context.atEnd { InterruptCleanup.shared.unregister(token) }
            }
            let recovered = restore?.pointInTime.map { details in
                ConnectionSettings(parameters: ["host": details.socketDirectory, "port": "\(details.port)", "user": context.cluster.superuser, "dbname": context.database])
            }
            if child.exitCode == 0, let disasterClock = state.disasterClock, let recovered {
                measured = measureRecovery(step, label: label, restore: restore, disasterClock: disasterClock, stepSeconds: stepSeconds, context: context, state: state, restoredAt: recovered)
                if case .pointInTimeRestore(let target) = step.action, target.anchor == .latest, measured?.rpo != nil {
                    state.recoveredLatest = true
                }
            }
            if let wanted = step.expect.rowsBack {
                checks.append(rowsBackCheck(label: label, wanted: wanted, recovered: recovered, state: state))
            }
            if let wanted = step.expect.copyInArchive {
                checks.append(copyInArchiveCheck(label: label, wanted: wanted, recovered: recovered, context: context))
            }
            checks += judgeMeasurement(step.expect, label: label, measured: measured)
        }
        if case .restore = step.action {
            checks += judgeMeasurement(step.expect, label: label, measured: measured)
        }
        return PraStepOutcome(exitCode: child.exitCode, errorLine: child.errorLine, checks: checks, messages: messages.isEmpty ? nil : messages, measured: measured)
    }

    /// Whether the table a bad transaction emptied holds its rows again in the recovered server.
    private func rowsBackCheck(label: String, wanted: Bool, recovered: ConnectionSettings?, state: MeasurementState) -> CheckResult {
        let name = "\(label): rows back"
        guard let damaged = state.damaged else {
            return CheckResult(name: name, passed: false, expected: "the rows of the damaged table", actual: "no rows were deleted by a bad transaction", message: "expected a bad-transaction disaster that deleted rows to compare with, got none (see the disaster step)")
        }
        let expected = wanted ? "\(damaged.rows) rows in \(damaged.table), as before the bad transaction" : "not the \(damaged.rows) rows \(damaged.table) had"
        guard let recovered else {
            return CheckResult(name: name, passed: false, expected: expected, actual: "no recovered server", message: "expected \(expected), got no recovered server")
        }
        let count = (try? PostgresConnection(recovered, applicationName: "pra-drill").scalar("SELECT count(*) FROM \(DisasterInjector.quoted(damaged.table))")).flatMap { $0 }
        let actual = count.map { "\($0) rows" } ?? "cannot count the rows of \(damaged.table)"
        let passed = (count == String(damaged.rows)) == wanted
        return CheckResult(name: name, passed: passed, expected: expected, actual: actual, message: passed ? nil : "expected \(expected), got \(actual)")
    }

    /// Whether the recovered copy's timeline reached the scenario's WAL archive (``CopyArchiveProbe``).
    private func copyInArchiveCheck(label: String, wanted: Bool, recovered: ConnectionSettings?, context: ScenarioContext) -> CheckResult {
        let name = "\(label): copy in archive"
        let expected = wanted ? "the recovered copy's timeline in the WAL archive" : "nothing of the recovered copy's timeline in the WAL archive"
        guard let recovered else {
            return CheckResult(name: name, passed: false, expected: expected, actual: "no recovered server", message: "expected \(expected), got no recovered server")
        }
        let finding: CopyArchiveProbe.Finding
        do {
            finding = try CopyArchiveProbe(recovered: recovered, backupDirectory: context.backupDirectory).run()
        } catch {
            return CheckResult(name: name, passed: false, expected: expected, actual: "cannot probe the recovered server", message: "expected \(expected), but cannot probe the recovered server: \(error)")
        }
        let actual = finding.archived.isEmpty
            ? "no file of timeline \(finding.timeline) archived (\(finding.archiver))"
            : "\(finding.archived.count) file(s) of timeline \(finding.timeline) archived: \(finding.archived.prefix(3).joined(separator: ", ")) (\(finding.archiver))"
        let passed = finding.archived.isEmpty != wanted
        context.log("\(label): copy in archive: \(actual)")
        return CheckResult(name: name, passed: passed, expected: expected, actual: actual, message: passed ? nil : "expected \(expected), got \(actual)")
    }

    /// Measures one successful recovery after the disaster: its RTO (disaster until this step
    /// exited) and, with a workload, its RPO from the newest heartbeat it brought back. The
    /// first such recovery also gives the scenario's headline values (RTO, RPO, phases,
    /// throughput): the moment service was back.
    private func measureRecovery(_ step: Step, label: String, restore: RestoreResult?, disasterClock: MonotonicClock, stepSeconds: Double, context: ScenarioContext, state: MeasurementState, restoredAt recovered: ConnectionSettings? = nil) -> RecoveryMeasurement {
        let rto = disasterClock.elapsed()
        let first = state.rto == nil
        var measured = RecoveryMeasurement(rto: rto)
        let target = restore?.targetDatabase ?? "\(context.database)_restore"
        // A logical restore lands in a database of the scenario's cluster; a point-in-time one on its own server.
        let server = recovered ?? context.cluster.connectionSettings
        if first {
            state.rto = rto
            var phases: [PhaseRecord] = []
            if let provision = state.provisionSeconds { phases.append(PhaseRecord(name: "provision server", seconds: provision)) }
            let restorePhases = (restore?.phases ?? []).map { PhaseRecord(name: $0.name, seconds: $0.seconds) }
            let accounted = phases.reduce(0) { $0 + $1.seconds } + stepSeconds
            phases.append(PhaseRecord(name: "until restore started", seconds: max(0, rto - accounted)))
            phases += restorePhases
            let inRestore = restorePhases.reduce(0) { $0 + $1.seconds }
            phases.append(PhaseRecord(name: "process start and exit", seconds: max(0, stepSeconds - inRestore)))
            state.rtoPhases = phases
            let size = ((try? PostgresConnection(server, applicationName: "pra-drill").scalar("SELECT pg_database_size($1)", [target])) ?? nil) ?? ""
            if let bytes = Double(size), stepSeconds > 0 {
                state.restoreBytesPerSecond = bytes / stepSeconds
            }
        }
        var rpoText = ""
        var note: String?
        if let disasterDate = state.disasterDate, scenario.heartbeatRate != nil {
            do {
                if let newest = try HeartbeatWorkload.newestHeartbeat(settings: server, database: target) {
                    if first { state.heartbeatsRecovered = newest.count }
                    if let acknowledged = context.workload?.acknowledgement(of: newest.sequence) {
                        measured.rpo = disasterDate.timeIntervalSince(acknowledged)
                        rpoText = ", RPO \(DurationParser.format(measured.rpo ?? 0)) (newest heartbeat #\(newest.sequence))"
                    } else {
                        note = "heartbeat #\(newest.sequence) was restored but its acknowledgement was not recorded"
                    }
                } else {
                    note = "no heartbeat in the restored database (the backup predates the workload)"
                }
            } catch {
                note = "cannot read heartbeats from \(target): \(error)"
            }
        }
        if first {
            state.rpo = measured.rpo
            state.rpoNote = note
        }
        context.log("\(label): recovered: RTO \(DurationParser.format(rto))\(rpoText)" + (first ? "" : " (this recovery's own; the scenario's headline values are the first recovery's)"))
        return measured
    }
}
