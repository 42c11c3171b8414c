import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// Mistyped subcommands named as such, and help texts that say what the docs and the behaviour say.
@Suite("command line: unknown subcommands and help texts")
struct CommandLineConsistencyTests {
    static func pra(_ arguments: [String]) throws -> PraBinary.Result {
        try PraBinary.run(arguments, environment: TestEnvironment.baseEnvironment())
    }

    @Test("UnknownSubcommand: pra bakup --full and pra bakup say 'did you mean backup?', exit 2; pra drill rn names run")
    func unknownSubcommand() throws {
        for arguments in [["bakup", "--full"], ["bakup"]] {
            let result = try Self.pra(arguments)
            #expect(result.exitCode == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("unknown command 'bakup'"), "\(result.stderr)")
            #expect(result.stderr.contains("did you mean backup?"), "\(result.stderr)")
            #expect(!result.stderr.contains("Unknown option") && !result.stderr.contains("Unexpected argument"), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
        }
        let nested = try Self.pra(["drill", "rn", "--only", "x"])
        #expect(nested.exitCode == 2)
        #expect(nested.stderr.contains("unknown command 'rn' for pra drill: did you mean run?"), "\(nested.stderr)")
        let far = try Self.pra(["frobnicate"])
        #expect(far.exitCode == 2)
        #expect(far.stderr.contains("unknown command 'frobnicate' for pra (commands: backup, verify"), "\(far.stderr)")
        #expect(!far.stderr.contains("did you mean"))
        // Real commands, options and help still reach argument-parser.
        #expect(try Self.pra(["--version"]).exitCode == 0)
        #expect(try Self.pra(["help", "backup"]).stdout.contains("USAGE: pra backup"))
        #expect(try Self.pra(["wal", "push", "--help"]).exitCode == 0)
    }

    /// Every subcommand path, for `--help`.
    static let commands: [[String]] = [
        [], ["backup"], ["verify"], ["restore"], ["activate"], ["status"], ["wal"], ["wal", "push"], ["wal", "get"], ["wal", "sync"], ["schedule"], ["schedule", "print"],
        ["drill"], ["drill", "run"], ["drill", "validate"], ["drill", "list"], ["drill", "new"], ["drill", "faults"], ["report"],
        ["evidence"], ["evidence", "show"], ["evidence", "push"], ["evidence", "pull"],
        ["cluster"], ["cluster", "up"], ["cluster", "down"], ["fixtures"], ["fixtures", "load"],
        ["standby"], ["standby", "create"], ["standby", "status"], ["standby", "stop"], ["standby", "remove"],
    ]

    /// The example lines of every command's discussion in Sources/pra (indented by two spaces
    /// within the text), as they should print.
    static func exampleLines() throws -> [String] {
        let directory = TestEnvironment.packageRoot + "/Sources/pra/Subcommands"
        var lines: [String] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: directory) + ["../PRA.swift"] {
            let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            for block in text.components(separatedBy: "discussion: \"\"\"\n").dropFirst() {
                guard let end = block.range(of: "\"\"\"") else { continue }
                let body = block[..<end.lowerBound]
                let closing = body.split(separator: "\n", omittingEmptySubsequences: false).last ?? ""
                let indent = closing.prefix { $0 == " " }.count
                for line in body.split(separator: "\n") where line.count > indent + 2 {
                    let content = line.dropFirst(indent)
                    if content.hasPrefix("  ") && !content.hasSuffix("\\") { lines.append(String(content).replacingOccurrences(of: "\\\\", with: "\\")) }
                }
            }
        }
        return lines
    }

    @Test("help: every example line prints whole at 80 columns (a cron line's comment never wraps onto a line of its own)")
    func examplesDoNotWrap() throws {
        var printed = Set<String>()
        for command in Self.commands {
            let help = try Self.pra(command + ["--help"])
            #expect(help.exitCode == 0, "\(command): \(help.stderr)")
            for line in help.stdout.split(separator: "\n") { printed.insert(String(line)) }
        }
        let examples = try Self.exampleLines()
        #expect(examples.count > 30, "found only \(examples.count) example lines")
        for line in examples {
            #expect(printed.contains(line), "wrapped or missing in --help: \(line)")
        }
    }

    @Test("help agrees with the docs: s3:// targets, a load over several connections, status exit 3")
    func helpMatchesDocs() throws {
        let backup = try Self.pra(["backup", "--help"]).stdout
        #expect(backup.contains("s3://bucket/prefix"), "backup --help lists REMOTE_TARGET kinds without s3")
        let restore = try Self.pra(["restore", "--help"]).stdout.replacingOccurrences(of: "\n", with: " ")
        #expect(!restore.contains("in one transaction, verifying"), "the load runs over PRA_JOBS connections")
        #expect(restore.contains("over PRA_JOBS connections"))
        #expect(restore.contains("# stop it with:"))
        let root = try Self.pra(["--help"]).stdout.replacingOccurrences(of: "\n", with: " ")
        #expect(root.contains("2 WARNING, 3 configuration error"), "\(root)")
        let status = try Self.pra(["status", "--help"]).stdout.replacingOccurrences(of: "\n", with: " ")
        #expect(status.contains("BACKUP_DIR that does not exist"))
        #expect(status.contains("FIFO is written through"))
    }
}
