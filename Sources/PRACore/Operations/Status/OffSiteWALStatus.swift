import Foundation

/// The off-site part of `pra status` when WAL is archived and `REMOTE_TARGET` is set: the
/// off-site lag (the WAL a site loss would lose now, beyond `archive_timeout`) against
/// `RPO_TARGET`, the off-site queue against `WAL_REMOTE_QUEUE_LIMIT`, and the recoverable
/// window of the off-site copy alone.
///
/// Cost per run: one listing of `REMOTE_TARGET/wal/` and of its root, the marker, one small
/// download per off-site base backup manifest (see ``OffSiteWAL``); every request bounded by
/// `HEALTH_TIMEOUT` and asked at most twice. Run every few minutes, as status usually is.
struct OffSiteWALStatus {
    let configuration: Configuration
    let rpoTarget: Double
    let timeout: Double

    func evaluate(now: Date) -> ArchivingStatus.Outcome {
        var outcome = ArchivingStatus.Outcome()
        let archive = WALArchive(backupDirectory: configuration.backupDirectory)
        guard configuration[.remoteTarget] != nil, ((try? archive.identity()) ?? nil) != nil else { return outcome }
        let limit = (try? WALSyncOperation.queueLimit(configuration)) ?? 0
        let asynchronous = (try? WALSyncOperation.isAsynchronous(configuration)) ?? false
        let scratch = (configuration.backupDirectory as NSString).appendingPathComponent(".pra-status-offsite-\(getpid())")
        let report: OffSiteWAL
        do throws(RemoteWALError) {
            guard let evaluated = try OffSiteWAL.evaluate(configuration: configuration, readThrough: false, monitoringTimeout: timeout, scratch: scratch, now: now) else { return outcome }
            report = evaluated
        } catch {
            // The store cannot be asked: the lag is at most what was last measured plus the time since.
            let record = OffSiteLagRecord.load(backupDirectory: configuration.backupDirectory)
            let bound = record?.bound(now: now)
            let over = bound.map { $0 > rpoTarget } ?? true
            let since = record.map { "; the off-site lag was \(DurationParser.format($0.lagSeconds)) \(DurationParser.format(now.timeIntervalSince($0.measuredAt))) ago, so it is up to \(DurationParser.format(bound ?? 0)) now" } ?? "; the off-site lag was never measured"
            outcome.checks.append(.init(.offSiteLag, level: over ? .critical : .warning, message: "cannot check the off-site WAL: \(error)\(since)" + (over ? ", over the RPO target of \(DurationParser.format(rpoTarget)) for losing the site" : ""), value: bound))
            if let bound { outcome.figures[.remoteWALLagSeconds] = bound }
            if let record, asynchronous, limit > 0 {
                let queue = record.queueBound(local: archive.files())
                outcome.figures[.remoteWALQueueBytes] = Double(queue)
                if queue > limit {
                    outcome.checks.append(.init(.offSiteQueue, level: .critical, message: "up to \(ByteCount.format(queue)) wait to go off-site (the store cannot be asked), over WAL_REMOTE_QUEUE_LIMIT=\(ByteCount.format(limit)); the primary keeps archiving locally", value: Double(queue)))
                }
            }
            return outcome
        }
        OffSiteLagRecord(measuredAt: now, lagSeconds: report.lagSeconds, target: report.target, queueBytes: report.queueBytes).save(backupDirectory: configuration.backupDirectory)
        outcome.figures[.remoteWALLagSeconds] = report.lagSeconds
        outcome.figures[.remoteWALQueueBytes] = Double(report.queueBytes)
        let lagText = "off-site lag \(DurationParser.format(report.lagSeconds)): \(report.pending) archived file(s) (\(ByteCount.format(report.queueBytes))) not on \(report.target) yet"
        if report.lagSeconds > rpoTarget {
            outcome.checks.append(.init(.offSiteLag, level: .critical, message: "\(lagText), over the RPO target of \(DurationParser.format(rpoTarget)): losing the site now loses that much WAL" + (asynchronous ? " (is pra wal sync failing? see the server log)" : ""), value: report.lagSeconds))
        } else {
            let within = "within the RPO target of \(DurationParser.format(rpoTarget)) for losing the site"
            outcome.checks.append(.init(.offSiteLag, level: .ok, message: report.pending == 0 ? "every archived WAL file is on \(report.target) (off-site lag 0s, \(within))" : "\(lagText), \(within)", value: report.lagSeconds))
        }
        if asynchronous && limit > 0 && report.queueBytes > limit {
            outcome.checks.append(.init(.offSiteQueue, level: .critical, message: "\(ByteCount.format(report.queueBytes)) wait to go off-site, over WAL_REMOTE_QUEUE_LIMIT=\(ByteCount.format(limit)); the primary keeps archiving locally", value: Double(report.queueBytes)))
        }
        if let window = report.window {
            outcome.figures[.remoteRecoverableFrom] = window.from.timeIntervalSince1970
            outcome.figures[.remoteRecoverableTo] = window.to.timeIntervalSince1970
            let gap = report.problems.first { $0.contains("is missing") }
            outcome.checks.append(.init(.offSiteWindow, level: gap == nil ? .ok : .critical, message: "from the off-site copy alone: " + (gap.map { "\($0); " } ?? "") + window.sentence))
        } else {
            outcome.checks.append(.init(.offSiteWindow, level: .warning, message: "the off-site copy alone cannot be restored: " + report.problems.joined(separator: "; ")))
        }
        return outcome
    }
}
