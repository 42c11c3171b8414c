/// A relation's data file, by its path relative to the data directory:
/// `base/<db>/<node>[_fsm|_vm|_init][.<segment>]` or `global/<node>...` (shared catalogs).
/// Anything else there (`PG_VERSION`, `pg_filenode.map`, `pg_internal.init`) is not one.
public struct RelationFileName: Equatable, Sendable {
    public enum Fork: String, Sendable {
        case main = "", freeSpaceMap = "_fsm", visibilityMap = "_vm", initialization = "_init"
    }

    public var fork: Fork
    /// The 1 GiB segment: 0 for `<node>`, n for `<node>.<n>`.
    public var segment: UInt32

    public init?(path: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        let file: Substring
        if parts.count == 3, parts[0] == "base", Self.isNumber(parts[1]) {
            file = parts[2]
        } else if parts.count == 2, parts[0] == "global" {
            file = parts[1]
        } else {
            return nil
        }
        let pieces = file.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count <= 2 else { return nil }
        var node = pieces[0]
        var fork = Fork.main
        for candidate in [Fork.freeSpaceMap, .visibilityMap, .initialization] where node.hasSuffix(candidate.rawValue) {
            node = node.dropLast(candidate.rawValue.count)
            fork = candidate
            break
        }
        guard Self.isNumber(node) else { return nil }
        if pieces.count == 1 {
            segment = 0
        } else {
            guard Self.isNumber(pieces[1]), let number = UInt32(pieces[1]) else { return nil }
            segment = number
        }
        self.fork = fork
    }

    private static func isNumber(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
