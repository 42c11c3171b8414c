import Foundation
import Testing

@testable import PRACore

@Suite("gzip streams")
struct GzipTests {
    /// Text that compresses like a dump: varied lines, not one repeated byte.
    static func sampleText(lines: Int) -> Data {
        var text = ""
        for index in 0..<lines {
            text += "\(index)\tcustomer \(index * 7919 % 10007)\t\(Double(index) * 1.37)\t2026-\(index % 12 + 1)-\(index % 28 + 1)\n"
        }
        return Data(text.utf8)
    }

    static func compress(_ data: Data, level: Int32 = 6, chunk: Int = 4096) throws -> Data {
        let deflater = try GzipDeflater(level: level, chunkSize: 1024)
        var output = Data()
        var offset = 0
        while offset < data.count {
            let end = min(offset + chunk, data.count)
            try data[offset..<end].withUnsafeBytes { try deflater.compress($0) { output.append(contentsOf: $0) } }
            offset = end
        }
        try deflater.finish { output.append(contentsOf: $0) }
        return output
    }

    static func decompress(_ data: Data, chunk: Int = 3000) throws -> Data {
        let inflater = try GzipInflater(chunkSize: 777)
        var output = Data()
        var offset = 0
        while offset < data.count {
            let end = min(offset + chunk, data.count)
            try data[offset..<end].withUnsafeBytes { try inflater.decompress($0) { output.append(contentsOf: $0) } }
            offset = end
        }
        try inflater.finish()
        return output
    }

    @Test("round trip at several levels and chunk sizes", arguments: [(1, 1), (6, 4096), (9, 65536)])
    func roundTrip(level: Int32, chunk: Int) throws {
        let original = Self.sampleText(lines: 20000)
        let compressed = try Self.compress(original, level: level, chunk: chunk)
        #expect(compressed.count < original.count / 2)
        #expect(try Self.decompress(compressed, chunk: chunk) == original)
    }

    @Test("stock gunzip reads what the deflater writes")
    func gunzipReadsOurOutput() throws {
        let original = Self.sampleText(lines: 5000)
        let directory = TestSupportPaths.temporary()
        let path = directory + "/sample.gz"
        try Self.compress(original).write(to: URL(fileURLWithPath: path))
        let outcome = try ExternalProcess(executable: "/bin/gzip", arguments: ["-dc", path]).runChecked()
        #expect(outcome.standardOutput == original)
    }

    @Test("concatenated members decompress as one stream, like gunzip")
    func concatenatedMembers() throws {
        let first = Self.sampleText(lines: 100), second = Self.sampleText(lines: 50)
        let joined = try Self.compress(first) + Self.compress(second)
        #expect(try Self.decompress(joined) == first + second)
    }

    @Test("a flipped bit is caught")
    func bitFlip() throws {
        var compressed = try Self.compress(Self.sampleText(lines: 5000))
        compressed[compressed.count / 2] ^= 0x10
        #expect(throws: GzipError.self) { try Self.decompress(compressed) }
    }

    @Test("truncation is caught and named")
    func truncation() throws {
        let compressed = try Self.compress(Self.sampleText(lines: 5000))
        let error = #expect(throws: GzipError.self) { try Self.decompress(compressed.prefix(compressed.count - 100)) }
        #expect(error?.kind == .truncated)
    }

    @Test("garbage after the stream is caught and located")
    func trailingGarbage() throws {
        let compressed = try Self.compress(Self.sampleText(lines: 100))
        let error = #expect(throws: GzipError.self) { try Self.decompress(compressed + Data("garbage!".utf8)) }
        #expect(error?.kind == .trailingGarbage)
        #expect(error?.compressedOffset == UInt64(compressed.count))
    }

    @Test("plain text is not gzip; empty input is truncated")
    func notGzip() throws {
        let error = #expect(throws: GzipError.self) { try Self.decompress(Data("-- PostgreSQL database dump\n".utf8)) }
        #expect(error?.kind == .notGzip)
        let empty = #expect(throws: GzipError.self) { try Self.decompress(Data()) }
        #expect(empty?.kind == .truncated)
    }
}

enum TestSupportPaths {
    static func temporary() -> String {
        var template = Array("/tmp/pra-unit-XXXXXX".utf8CString)
        let path = String(cString: mkdtemp(&template)!)
        InterruptCleanup.shared.register { try? FileManager.default.removeItem(atPath: path) }
        return path
    }
}
