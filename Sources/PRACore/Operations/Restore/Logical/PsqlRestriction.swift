import Foundation

/// psql's own guard against meta-commands during a restore: every psql that pra feeds starts
/// with `\restrict KEY`, a key drawn at random for this restore, and psql (15.14, 16.10, 17.6,
/// 14.19, 13.22 and later) then refuses every backslash command but `\unrestrict KEY` — which
/// nothing in the archive can know. The dump's own `\restrict`/`\unrestrict` lines are left out
/// of what psql reads (their key is known to whoever wrote the archive).
///
/// ``DumpScanner`` refuses meta-commands before psql would see them; this makes psql enforce
/// the same rule where the two could disagree about the SQL's lexical structure.
public struct PsqlRestriction: Sendable {
    /// Alphanumeric, as psql requires.
    public let key: String

    public init() {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var generator = SystemRandomNumberGenerator()
        key = String((0..<32).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    /// The first line of every psql input of the restore.
    public var preamble: String { "\\restrict \(key)\n" }

    /// Whether `versionOutput` (`psql --version`) names a psql that honours `\restrict`.
    public static func supports(versionOutput: String) -> Bool {
        guard let range = versionOutput.range(of: #"\d+\.\d+"#, options: .regularExpression) else { return false }
        let parts = versionOutput[range].split(separator: ".").compactMap { Int($0) }
        guard parts.count == 2 else { return false }
        let minimum: [Int: Int] = [13: 22, 14: 19, 15: 14, 16: 10, 17: 6]
        if parts[0] >= 18 { return true }
        guard let minor = minimum[parts[0]] else { return false }
        return parts[1] >= minor
    }
}
