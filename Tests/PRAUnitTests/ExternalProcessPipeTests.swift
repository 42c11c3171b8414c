import CPosix
import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// The pipes between pra and its children (`pg_dump`, `tar`, `psql`, `pg_basebackup`).
@Suite("pipes to a child: the data pipes hold 1 MiB")
struct ExternalProcessPipeTests {
    @Test("stdin and stdout are enlarged to 1 MiB (a compressor and tar stall each other less), stderr keeps the kernel's 64 KiB; data larger than the pipes goes both ways whole")
    func capacities() throws {
        let pipes = try Pipes(withStdin: true)
        #expect(pra_pipe_size(pipes.stdinWrite) == 1 << 20)
        #expect(pra_pipe_size(pipes.stdoutRead) == 1 << 20)
        #expect(pra_pipe_size(pipes.stderrRead) == 64 << 10)

        // 3 MiB into cmp, in pieces of many sizes: it exits 0 only when stdin equals the file.
        let input = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        let file = TestEnvironment.temporaryDirectory("pipes") + "/input"
        try Data(input).write(to: URL(fileURLWithPath: file))
        let cmp = ExternalProcess(executable: "/usr/bin/cmp", arguments: ["-s", file, "-"], environment: ChildEnvironment.base(), timeout: 60)
        let compared = try cmp.run(feedingStdin: { stdin in
            var offset = 0
            var piece = 1
            while offset < input.count {
                let end = min(input.count, offset + piece)
                try input[offset..<end].withUnsafeBytes { try stdin.write($0) }
                offset = end
                piece = piece * 3 % 1_000_003 + 1
            }
        })
        #expect(compared.exitCode == 0, "\(compared.standardError)")

        // And back: seq's 2.6 MB arrive in order.
        var output: [UInt8] = []
        let seq = ExternalProcess(executable: "/usr/bin/seq", arguments: ["1", "400000"], environment: ChildEnvironment.base(), timeout: 60)
        #expect(try seq.run(streamingTo: { output += $0 }).exitCode == 0)
        #expect(output == Array((1...400_000).map { "\($0)\n" }.joined().utf8))
    }
}
