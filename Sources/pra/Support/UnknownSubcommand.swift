import ArgumentParser
import PRACore

/// A mistyped subcommand (`pra bakup --full`), found before argument-parser sees the line:
/// left to it, `pra bakup --full` answers "Unknown option '--full'" and `pra bakup` "Unexpected
/// argument", never naming the word that is wrong.
struct UnknownSubcommand: Equatable {
    /// The word that names no subcommand.
    var word: String
    /// The command path it was given to (`pra`, `pra drill`).
    var path: String
    /// The subcommands `path` has.
    var candidates: [String]

    /// One line: what is unknown, the closest subcommand when it is close enough, and where the list is.
    var message: String {
        let suggestion = ClosestMatch.suggestion(for: word, among: candidates).map { ": did you mean \($0)?" } ?? ""
        return "unknown command '\(word)' for \(path)\(suggestion) (commands: \(candidates.joined(separator: ", ")); \(path) --help)"
    }

    /// The first word of `arguments` (after the program name) that should name a subcommand of
    /// the command reached so far and names none; `nil` when the line reaches a command that
    /// takes arguments, starts with an option (`--help`, `--version`), or asks for `help`.
    static func find(in arguments: [String], root: ParsableCommand.Type) -> UnknownSubcommand? {
        var command = root
        var path = root._commandName
        for word in arguments {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty, command.configuration.defaultSubcommand == nil, !word.hasPrefix("-"), word != "help" else { return nil }
            guard let next = subcommands.first(where: { $0._commandName == word || $0.configuration.aliases.contains(word) }) else {
                return UnknownSubcommand(word: word, path: path, candidates: subcommands.map { $0._commandName })
            }
            command = next
            path += " " + next._commandName
        }
        return nil
    }
}
