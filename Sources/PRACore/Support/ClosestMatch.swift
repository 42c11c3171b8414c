/// "Did you mean ...?" for a mistyped name: the known name at the smallest edit distance.
public enum ClosestMatch {
    /// The candidate closest to `name` (Levenshtein distance, case-insensitive), when it is
    /// close enough to be a typo: at most a third of the longer name, and at least 1 edit...
    /// or when one name contains the other.
    public static func suggestion(for name: String, among candidates: [String]) -> String? {
        let lowered = name.lowercased()
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(lowered, candidate.lowercased())
            if best == nil || distance < best!.distance { best = (candidate, distance) }
        }
        guard let best else { return nil }
        let limit = max(2, max(name.count, best.candidate.count) / 3)
        if best.distance <= limit { return best.candidate }
        let contained = candidates.filter { $0.lowercased().contains(lowered) || lowered.contains($0.lowercased()) }
        return lowered.count >= 3 && contained.count == 1 ? contained[0] : nil
    }

    /// ` (did you mean "x"?)` or the empty string.
    public static func hint(for name: String, among candidates: [String]) -> String {
        suggestion(for: name, among: candidates).map { " (did you mean \"\($0)\"?)" } ?? ""
    }

    /// Levenshtein distance between two strings, by characters.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
