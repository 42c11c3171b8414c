import Foundation
import PRACore

/// Finds the WAL segment a WAL fault damages: the `position`-th segment after the newest base
/// backup's end segment, making the server write and switch WAL until it is archived.
struct ArchivedSegmentPicker: Sendable, Equatable {
    let position: Int

    /// The parameter WAL faults take to choose their segment.
    static let parameter = FaultParameter("position", .wholeNumber, default: "1", accepted: "1–1000", summary: "which segment: the Nth after the newest base backup's end segment")

    /// Reads ``parameter``.
    init(_ parameters: FaultParameterReader) throws(ScenarioError) {
        position = try parameters.wholeNumber("position", in: 1...1000)
    }

    init(position: Int) {
        self.position = position
    }

    func pick(_ context: ScenarioContext) throws -> WALArchive.File {
        let archive = WALArchive(backupDirectory: context.backupDirectory)
        guard let base = context.completeBaseBackups.first?.manifest, let end = WALFileName(base.endSegment) else {
            throw FaultError(description: "no complete base backup in \(context.backupDirectory): the WAL after one is what this fault damages")
        }
        let segmentSize = (try archive.identity())?.segmentSize ?? 16 << 20
        guard let endNumber = end.segmentNumber(segmentSize: segmentSize) else {
            throw FaultError(description: "the base backup's end segment \(base.endSegment) is not a segment name")
        }
        let wanted = WALFileName(timeline: end.timeline, segmentNumber: endNumber + UInt64(position), segmentSize: segmentSize)
        let connection = try PostgresConnection(context.cluster.connectionSettings, applicationName: "pra-drill")
        let clock = MonotonicClock.now()
        while clock.elapsed() < 60 {
            if let file = try archive.find(wanted) { return file }
            // Some WAL, then a switch: the archiver pushes the completed segment.
            try connection.execute("CREATE TABLE IF NOT EXISTS pra_drill_wal_probe (at timestamptz)")
            try connection.execute("INSERT INTO pra_drill_wal_probe VALUES (now())")
            try connection.execute("SELECT pg_switch_wal()")
            usleep(200_000)
        }
        throw FaultError(description: "WAL segment \(wanted.text) was not archived within 60 s (is archiving failing?)")
    }
}
