import Foundation
import PRACore
import PRAHarness

/// A ``NetworkProxy`` on 127.0.0.1 in front of an S3 server on loopback that behaves as a store
/// which keeps damaged bytes without checking them: it drops the checksum the store echoes
/// (`x-amz-checksum-sha256`) from every answer's head, and changes one byte of the body of every
/// object read back whose key ends in `.gz`, `.zst` or `.lz4` (a GET answered 200). Everything else crosses
/// unchanged. pra's S3 client opens one connection per request; a connection's later requests,
/// if any, cross unchanged.
final class SilentDamageProxy: Sendable {
    let port: Int
    private let proxy: NetworkProxy
    /// Where in a body the changed byte is: past a gzip header, inside the compressed data.
    static let damageOffset = 64

    init(upstreamPort: Int) throws {
        do {
            proxy = try NetworkProxy(upstream: .tcp(host: "127.0.0.1", port: upstreamPort), intercept: nil, filter: { Damage() })
        } catch {
            throw FaultError(description: "cannot listen on 127.0.0.1: \(error)")
        }
        port = proxy.port
    }

    func stop() {
        proxy.stop()
    }

    /// One connection's damage: learns the request's method and key from its head, holds the
    /// answer's head back until it is whole (interim `100 Continue` heads pass as they are),
    /// drops the checksum line from it and, for a `.gz`/`.zst`/`.lz4` object read back, changes the byte
    /// ``damageOffset`` bytes into the body.
    final class Damage: ProxyStreamFilter, @unchecked Sendable {
        private let lock = NSLock()
        private var request: [UInt8] = []
        private var requestSeen = false
        private var method = ""
        private var path = ""
        private var response: [UInt8] = []
        private var responseSeen = false
        /// Bytes of the body still to pass before the one to change.
        private var damageAt: Int?
        private static let headEnd: [UInt8] = Array("\r\n\r\n".utf8)
        private static let headLimit = 1 << 20

        func filter(_ chunk: [UInt8], upstream: Bool) -> [UInt8] {
            lock.lock()
            defer { lock.unlock() }
            if upstream {
                observeRequest(chunk)
                return chunk
            }
            return answer(chunk)
        }

        func flush(upstream: Bool) -> [UInt8] {
            lock.lock()
            defer { lock.unlock() }
            guard !upstream, !responseSeen else { return [] }
            responseSeen = true
            defer { response = [] }
            return response
        }

        private func observeRequest(_ chunk: [UInt8]) {
            guard !requestSeen else { return }
            request += chunk
            guard Self.end(of: request) != nil || request.count >= Self.headLimit else { return }
            requestSeen = true
            let line = String(decoding: request.prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self).split(separator: " ")
            method = line.first.map(String.init) ?? ""
            path = line.count > 1 ? String(line[1].split(separator: "?", maxSplits: 1).first ?? "") : ""
            request = []
        }

        private func answer(_ chunk: [UInt8]) -> [UInt8] {
            guard !responseSeen else { return damaged(chunk) }
            response += chunk
            var out: [UInt8] = []
            while let end = Self.end(of: response) {
                let head = Array(response[..<end])
                let rest = Array(response[end...])
                // An interim "100 Continue" (an upload sent with Expect: 100-continue) passes as it is.
                if head.starts(with: Array("HTTP/1.1 1".utf8)) {
                    out += head
                    response = rest
                    continue
                }
                var text = String(decoding: head, as: UTF8.self)
                text = text.components(separatedBy: "\r\n").filter { !$0.lowercased().hasPrefix("x-amz-checksum-sha256:") }.joined(separator: "\r\n")
                if method == "GET" && CompressionCodec.named(by: path) != nil && text.hasPrefix("HTTP/1.1 200") { damageAt = SilentDamageProxy.damageOffset }
                responseSeen = true
                response = []
                return out + Array(text.utf8) + damaged(rest)
            }
            if response.count >= Self.headLimit {
                responseSeen = true
                defer { response = [] }
                return out + response
            }
            return out
        }

        /// `bytes` with the byte ``damageAt`` changed when it falls among them.
        private func damaged(_ bytes: [UInt8]) -> [UInt8] {
            guard let offset = damageAt else { return bytes }
            guard offset < bytes.count else {
                damageAt = offset - bytes.count
                return bytes
            }
            var copy = bytes
            copy[offset] ^= 0x5A
            damageAt = nil
            return copy
        }

        /// The index just past the first `\r\n\r\n`, if the bytes hold one.
        private static func end(of bytes: [UInt8]) -> Int? {
            guard bytes.count >= headEnd.count else { return nil }
            for index in 0...(bytes.count - headEnd.count) where bytes[index] == 13 && Array(bytes[index..<(index + 4)]) == headEnd {
                return index + 4
            }
            return nil
        }
    }
}
