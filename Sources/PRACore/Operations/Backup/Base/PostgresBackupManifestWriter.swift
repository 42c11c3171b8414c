import Crypto
import Foundation

/// Writes a PostgreSQL `backup_manifest` (version 1, the format `pg_basebackup` writes and
/// `pg_verifybackup` reads) for a base backup pra read from the data directory itself.
///
/// Files carry path, size, modification time and, when they were sent whole, the CRC-32C of
/// their content, as pg_basebackup writes it. A file an incremental sends in ranges gets no
/// checksum: its unchanged ranges come from the reference, whose bytes may differ from the
/// live file in hint bits, so a checksum of what was read would not describe what a restore
/// assembles. The assembled tree is checked range by range against the SHA-256 range map
/// instead; `pg_verifybackup` still checks that every file is there with its size.
struct PostgresBackupManifestWriter {
    struct File {
        var path: String
        var size: UInt64
        var modified: Int
        /// CRC-32C of the content (finished), `nil` for none.
        var crc32c: UInt32?
    }

    private var lines: [String] = []

    /// Adds a file (not `backup_manifest` itself, which a manifest never lists).
    mutating func add(_ file: File) {
        let stamp = Self.timestamp(file.modified)
        let checksum = file.crc32c.map { value in
            // PostgreSQL writes the CRC's bytes as they lie in memory (little-endian here), in hex.
            let hex = withUnsafeBytes(of: value.littleEndian) { $0.map { String(format: "%02x", $0) }.joined() }
            return ", \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"\(hex)\""
        } ?? ""
        lines.append("{ \"Path\": \(Self.quoted(file.path)), \"Size\": \(file.size), \"Last-Modified\": \"\(stamp)\"\(checksum) }")
    }

    /// The manifest's bytes: the files, the WAL range the backup needs, and the SHA-256 of
    /// everything before the `Manifest-Checksum` line, as pg_verifybackup checks it.
    func encoded(timeline: UInt32, start: LogSequenceNumber, end: LogSequenceNumber) -> [UInt8] {
        var text = "{\"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [\n"
        for (index, line) in lines.enumerated() {
            text += (index == 0 ? "" : ",") + line + "\n"
        }
        text += "],\n\"WAL-Ranges\": [\n{ \"Timeline\": \(timeline), \"Start-LSN\": \"\(start)\", \"End-LSN\": \"\(end)\" }\n],\n"
        let checksum = SHA256.hash(data: Array(text.utf8)).hex
        text += "\"Manifest-Checksum\": \"\(checksum)\"}\n"
        return Array(text.utf8)
    }

    /// `YYYY-MM-DD HH:MM:SS GMT`, as PostgreSQL writes it.
    static func timestamp(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d GMT", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    /// A JSON string literal (quotes, backslashes and control characters escaped).
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
