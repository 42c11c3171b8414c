import Crypto
import Foundation

/// The base backups restoring one base backup needs: itself, then each reference back to the
/// full base backup it chains on (newest first). Resolving checks every link as far as the
/// manifests tell: the reference is present and complete, its manifest is byte for byte the one
/// the incremental was taken against (SHA-256), it is of the same database system, and it
/// precedes the incremental in the WAL. The archives and range maps are checked by whoever
/// reads them (``BaseBackupVerifier``, ``RangeMap/load(path:sha256:)``).
public struct IncrementalBaseBackupChain: Sendable {
    /// Newest first: `links[0]` is the backup asked for, the last one is a full base backup.
    public let links: [BaseBackupCatalogue.Entry]

    /// The longest chain followed: a longer one is refused (and a cycle of forged manifests ends).
    public static let maximumDepth = 1000

    public var full: BaseBackupCatalogue.Entry { links.last! }
    /// The archive file names a retained `links[0]` keeps alive.
    public var archives: [String] { links.map(\.name.fileName) }

    /// Resolves the chain of `entry` among `entries` (the catalogue of its directory).
    public static func resolve(_ entry: BaseBackupCatalogue.Entry, among entries: [BaseBackupCatalogue.Entry]) throws(IncrementalBaseBackupChainError) -> IncrementalBaseBackupChain {
        let byName = Dictionary(entries.map { ($0.name.fileName, $0) }, uniquingKeysWith: { first, _ in first })
        var links = [entry]
        var current = entry
        while let manifest = current.manifest, let reference = manifest.incrementalFrom {
            let name = current.name.fileName
            guard links.count <= maximumDepth else {
                throw IncrementalBaseBackupChainError(link: name, reason: "the chain is longer than \(maximumDepth) links (or loops)")
            }
            guard let next = byName[reference.archive] else {
                throw IncrementalBaseBackupChainError(link: name, reason: "its reference \(reference.archive) is missing")
            }
            guard let nextManifest = next.manifest else {
                throw IncrementalBaseBackupChainError(link: name, reason: "its reference \(reference.archive) has no readable manifest\(next.manifestProblem.map { " (\($0))" } ?? "")")
            }
            let digest = FileManager.default.contents(atPath: next.manifestPath).map { SHA256.hash(data: $0).hex }
            guard digest == reference.manifestSHA256 else {
                throw IncrementalBaseBackupChainError(link: name, reason: "the manifest of its reference \(reference.archive) is not the one it was taken against (SHA-256 differs)")
            }
            if let problem = linkProblem(manifest, reference: nextManifest) {
                throw IncrementalBaseBackupChainError(link: name, reason: problem)
            }
            links.append(next)
            current = next
        }
        guard current.manifest != nil else {
            throw IncrementalBaseBackupChainError(link: current.name.fileName, reason: "no readable manifest")
        }
        return IncrementalBaseBackupChain(links: links)
    }

    /// Why `reference` cannot be the reference of `manifest`, `nil` when it can: the same
    /// database system, and entirely before it in the WAL on the same or an earlier timeline.
    public static func linkProblem(_ manifest: BaseBackupManifest, reference: BaseBackupManifest) -> String? {
        if manifest.systemIdentifier != reference.systemIdentifier {
            return "its reference \(reference.archive) is of another database system (\(reference.systemIdentifier), not \(manifest.systemIdentifier))"
        }
        if reference.endLSN > manifest.startLSN {
            return "its reference \(reference.archive) ends at LSN \(reference.endLSN), after it starts (\(manifest.startLSN))"
        }
        if reference.timeline > manifest.timeline {
            return "its reference \(reference.archive) is on timeline \(reference.timeline), after its own (\(manifest.timeline))"
        }
        return nil
    }

    /// Why `entry`'s own range map cannot be used (unreadable, SHA-256 not the manifest's,
    /// malformed); `nil` when it loads or the backup predates range maps.
    public static func rangeMapProblem(of entry: BaseBackupCatalogue.Entry) -> String? {
        guard let manifest = entry.manifest, let name = manifest.rangeMap, let sha = manifest.rangeMapSHA256 else {
            return entry.manifest?.isIncremental == true ? "an incremental base backup without a range map in its manifest" : nil
        }
        let path = ((entry.archivePath as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name)
        do {
            _ = try RangeMap.load(path: path, sha256: sha)
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// Why the incremental `entry` cannot be restored through its chain, `nil` when it can (or
    /// it is a full base backup): a link that does not resolve, or one whose own verification
    /// failed (`invalid`: archive file names).
    public static func problem(of entry: BaseBackupCatalogue.Entry, among entries: [BaseBackupCatalogue.Entry], invalid: Set<String>) -> String? {
        guard entry.manifest?.isIncremental == true else { return nil }
        do {
            let chain = try resolve(entry, among: entries)
            if let broken = chain.links.dropFirst().first(where: { invalid.contains($0.name.fileName) }) {
                return "incremental chain broken at \(broken.name.fileName): that base backup failed verification"
            }
            return nil
        } catch {
            return error.description
        }
    }

    /// For retention: the archive names that the given (kept) backups need, themselves
    /// included, following each chain as far as it resolves (a broken chain keeps what it can
    /// still name: nothing a kept incremental refers to is ever removed).
    public static func needed(by kept: [BaseBackupCatalogue.Entry], among entries: [BaseBackupCatalogue.Entry]) -> Set<String> {
        let byName = Dictionary(entries.map { ($0.name.fileName, $0) }, uniquingKeysWith: { first, _ in first })
        var needed = Set<String>()
        for entry in kept {
            var current: BaseBackupCatalogue.Entry? = entry
            var steps = 0
            // A link already in the set had its own chain followed then.
            while let link = current, steps <= maximumDepth, needed.insert(link.name.fileName).inserted {
                steps += 1
                guard let reference = link.manifest?.incrementalFrom else { break }
                current = byName[reference.archive]
                if current == nil { needed.insert(reference.archive) }
            }
        }
        return needed
    }
}

/// A chain that cannot be restored, naming the link that breaks it.
public struct IncrementalBaseBackupChainError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Archive file name of the backup whose link is broken.
    public let link: String
    public let reason: String

    public var description: String { "incremental chain broken at \(link): \(reason)" }
}
