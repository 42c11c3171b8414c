import Foundation
import PRACore

/// Bit rot off-site: changes bytes of the newest complete off-site base backup archive in
/// `REMOTE_TARGET` (a directory, ssh or an S3 bucket) after it was uploaded and checked. The
/// object is rewritten through the store itself, so an S3 store's own checksum of it is
/// consistent: only pra's manifest, which recorded the archive's SHA-256 at backup time, can
/// tell. A restore must then skip it for an older off-site base backup.
struct OffSiteBitRotFault: FaultKind {
    static let name = "offsite-bit-rot"
    static let summary = "Changes `bytes` bytes in the middle of the newest complete off-site base backup archive in REMOTE_TARGET (directory, ssh or S3; set it first, e.g. with s3-target) after its upload was checked; the store's own checksum is rewritten with it, so only pra's manifest tells. Not undone."
    static let parameters = [
        FaultParameter("bytes", .wholeNumber, default: "64", accepted: "1–65536", summary: "bytes overwritten (each inverted) at the middle of the archive"),
    ]
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let undo = FaultUndo.never

    let bytes: Int

    init(bytes: Int = 64) {
        self.bytes = bytes
    }

    init(_ parameters: FaultParameterReader) throws(ScenarioError) {
        bytes = try parameters.wholeNumber("bytes", in: 1...65536)
    }

    var description: String { "offsite-bit-rot (\(bytes) bytes of the newest off-site base backup)" }

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let configuration = try Configuration(envFile: "/dev/null", environment: context.environment)
        guard let operation = try RemoteCopyOperation(configuration: configuration) else {
            throw FaultError(description: "offsite-bit-rot needs REMOTE_TARGET (an s3-target fault or the scenario's env)")
        }
        return try Self.rot(operation.store, bytes: bytes, scratch: context.freshDirectory("offsite-bit-rot"))
    }

    /// Rewrites the newest complete base backup archive on `store` with `bytes` bytes inverted
    /// at its middle (downloaded into `scratch`, changed, put back); returns what it did.
    static func rot(_ store: any RemoteStore, bytes: Int, scratch: String) throws -> String {
        var problems: [String] = []
        guard let newest = try RemoteCopyOperation(store: store).completeBaseBackups(problems: &problems).first else {
            throw FaultError(description: "no complete off-site base backup on \(store.description) to damage\(problems.isEmpty ? "" : ": " + problems.joined(separator: "; "))")
        }
        let name = newest.name.fileName
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let local = (scratch as NSString).appendingPathComponent(name)
        try store.download(name, to: local)
        guard let handle = FileHandle(forUpdatingAtPath: local) else { throw FaultError(description: "cannot open \(local)") }
        let size = try handle.seekToEnd()
        let offset = size / 2
        try handle.seek(toOffset: offset)
        let original = try handle.read(upToCount: bytes) ?? Data()
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: Data(original.map { ~$0 }))
        try handle.close()
        try store.put(local, as: name, expected: FileDigest(path: local))
        return "inverted \(original.count) bytes at offset \(offset) of \(name) on \(store.description)"
    }
}
