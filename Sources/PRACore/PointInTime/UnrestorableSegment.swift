import Foundation

/// The archived WAL file recovery asked for and could not get, from the recovered server's log:
/// PostgreSQL logs `could not restore file "000000010000000000000005" from archive: ...` when
/// `restore_command` (`pra wal get`) fails for a file that exists but is corrupt or unreadable
/// (exit 126). That file, not the first one never archived, is what stopped replay.
enum UnrestorableSegment {
    static func name(in log: [String]) -> String? {
        let marker = "could not restore file \""
        for line in log.reversed() {
            guard let start = line.range(of: marker) else { continue }
            let rest = line[start.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { continue }
            let name = String(rest[..<end])
            if WALFileName(name) != nil { return name }
        }
        return nil
    }
}
