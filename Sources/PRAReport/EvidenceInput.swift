import Foundation
import PRACore

/// The production evidence a report reads: the records of every evidence file given
/// (`--evidence FILE|DIR`, default `EVIDENCE_FILE`), and a notice for each line or file that
/// could not be used. A damaged line is never fatal: it is skipped and named.
public struct EvidenceInput: Sendable {
    /// Every usable record, in no particular order.
    public var records: [EvidenceRecord]
    /// The evidence files read.
    public var files: [String]
    /// Skipped lines and unreadable files, one sentence each.
    public var notices: [String]
    /// Why there is no evidence, when no file was given (for example "no evidence file at
    /// reports/evidence.jsonl"); shown in the "no production evidence" reason.
    public var absence: String?

    /// Evidence made of `records` (tests, or records read elsewhere).
    public init(records: [EvidenceRecord], files: [String] = [], notices: [String] = [], absence: String? = nil) {
        self.records = records
        self.files = files
        self.notices = notices
        self.absence = absence
    }

    /// No evidence at all.
    public static let none = EvidenceInput(records: [])

    /// The evidence files behind `path`: the file itself, or every `*.jsonl` file under a
    /// directory (as `pra evidence pull DIR` leaves one per host), sorted by path.
    public static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [path] }
        let base = path.hasSuffix("/") ? String(path.dropLast()) : path
        let relative = (FileManager.default.enumerator(atPath: base)?.allObjects as? [String]) ?? []
        return relative.filter { $0.hasSuffix(".jsonl") }.sorted().map { base + "/" + $0 }
    }

    /// Reads every file behind `paths` (files or directories). A line that does not decode or
    /// holds impossible values, and a file that cannot be read, become notices.
    public static func read(paths: [String]) -> EvidenceInput {
        var input = EvidenceInput(records: [])
        for path in paths {
            let files = files(at: path)
            if files.isEmpty {
                input.notices.append("The evidence directory \(path) holds no *.jsonl file.")
            }
            for file in files {
                input.files.append(file)
                do {
                    let (records, skipped) = try EvidenceLog(path: file).read()
                    input.records += records
                    if !skipped.isEmpty { input.notices.append(skippedSentence(skipped, path: file)) }
                } catch {
                    input.notices.append("The evidence file \(file) could not be read (\(error)) and was left out.")
                }
            }
        }
        return input
    }

    /// "Lines 3 and 9 of evidence.jsonl could not be used and were skipped: line 3 not a
    /// complete record (truncated or malformed); line 9 schema version 7 (...)."
    static func skippedSentence(_ skipped: [JSONLinesFile.SkippedLine], path: String) -> String {
        let shown = skipped.prefix(5).map { "line \($0.number) \($0.reason)" }.joined(separator: "; ")
        let more = skipped.count > 5 ? "; and \(skipped.count - 5) more" : ""
        let lines = skipped.count > 10 ? "\(skipped.count) lines" : ComplianceError.lines(skipped.map(\.number))
        return "\(lines.prefix(1).uppercased() + lines.dropFirst()) of the evidence file \(path) could not be used and \(skipped.count == 1 ? "was" : "were") skipped: \(shown)\(more)."
    }
}
