import Foundation
import PRACore
import PRAHarness

#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy on 127.0.0.1 in front of an S3 server on loopback that behaves as a store which
/// keeps damaged bytes without checking them: it drops the checksum the store echoes
/// (`x-amz-checksum-sha256`) from every answer's head, and changes one byte of the body of every
/// object read back whose key ends in `.gz` (a GET answered 200). Everything else is relayed
/// byte for byte. pra's S3 client opens one connection per request; a connection's later
/// requests, if any, are relayed unchanged.
final class SilentDamageProxy: @unchecked Sendable {
    let port: Int
    private let listener: LoopbackListener
    private let upstreamPort: Int
    private let lock = NSLock()
    private var damagedCount = 0
    /// Where in a body the changed byte is: past a gzip header, inside the compressed data.
    static let damageOffset = 64

    /// Objects read back with a changed byte so far.
    var damaged: Int {
        lock.lock()
        defer { lock.unlock() }
        return damagedCount
    }

    init(upstreamPort: Int) throws {
        self.upstreamPort = upstreamPort
        do {
            listener = try LoopbackListener(backlog: 64)
        } catch {
            throw FaultError(description: "cannot listen on 127.0.0.1: \(error)")
        }
        port = listener.port
        listener.start(for: self) { owner, client in
            Thread { owner.serve(client) }.start()
        }
    }

    func stop() {
        listener.stop()
    }

    private func serve(_ client: Int32) {
        guard let upstream = Self.connect(port: upstreamPort) else {
            close(client)
            return
        }
        // The request head: which method and key the answer belongs to.
        let (requestHead, requestRest) = Self.readHead(client)
        let requestLine = String(decoding: requestHead.prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self).split(separator: " ")
        let method = requestLine.first.map(String.init) ?? ""
        let path = requestLine.count > 1 ? String(requestLine[1].split(separator: "?", maxSplits: 1).first ?? "") : ""
        guard Self.writeAll(upstream, requestHead + requestRest) else {
            close(client)
            close(upstream)
            return
        }
        let done = DispatchSemaphore(value: 0)
        Thread { Self.pump(from: client, to: upstream, damageAt: nil); done.signal() }.start()

        var (responseHead, responseRest) = Self.readHead(upstream)
        // An interim "100 Continue" (an upload sent with Expect: 100-continue) passes as it is;
        // the final answer follows it.
        while responseHead.starts(with: Data("HTTP/1.1 1".utf8)) {
            guard Self.writeAll(client, responseHead) else { break }
            if let end = responseRest.range(of: Data("\r\n\r\n".utf8)) {
                responseHead = responseRest[responseRest.startIndex..<end.upperBound]
                responseRest = responseRest[end.upperBound...]
            } else {
                let (more, rest) = Self.readHead(upstream, after: responseRest)
                responseHead = more
                responseRest = rest
            }
        }
        var head = String(decoding: responseHead, as: UTF8.self)
        head = head.components(separatedBy: "\r\n").filter { !$0.lowercased().hasPrefix("x-amz-checksum-sha256:") }.joined(separator: "\r\n")
        let damage = method == "GET" && path.hasSuffix(".gz") && head.hasPrefix("HTTP/1.1 200")
        if damage {
            lock.lock()
            damagedCount += 1
            lock.unlock()
        }
        var body = responseRest
        var damageAt: Int? = damage ? Self.damageOffset : nil
        if let offset = damageAt, offset < body.count {
            body[body.startIndex + offset] ^= 0x5A
            damageAt = nil
        } else if let offset = damageAt {
            damageAt = offset - body.count
        }
        if Self.writeAll(client, Data(head.utf8) + body) {
            Self.pump(from: upstream, to: client, damageAt: damageAt)
        }
        shutdown(client, Int32(SHUT_RDWR))
        shutdown(upstream, Int32(SHUT_RDWR))
        done.wait()
        close(client)
        close(upstream)
    }

    /// Reads up to the end of an HTTP head (`\r\n\r\n`, included in the head), or EOF; returns
    /// the head and whatever came after it.
    static func readHead(_ fd: Int32, after start: Data = Data()) -> (head: Data, rest: Data) {
        var received = start
        var buffer = [UInt8](repeating: 0, count: 65536)
        let separator = Data("\r\n\r\n".utf8)
        while received.count < 1 << 20 {
            if let end = received.range(of: separator) {
                return (received[received.startIndex..<end.upperBound], received[end.upperBound...])
            }
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { break }
            received.append(contentsOf: buffer[0..<count])
        }
        return (received, Data())
    }

    static func writeAll(_ fd: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written <= 0 { return false }
                offset += written
            }
            return true
        }
    }

    /// Relays `source` to `destination` until EOF; with `damageAt`, changes the byte that many
    /// bytes further on.
    static func pump(from source: Int32, to destination: Int32, damageAt: Int?) {
        var remaining = damageAt
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(source, &buffer, buffer.count)
            if count <= 0 { break }
            if let offset = remaining {
                if offset < count {
                    buffer[offset] ^= 0x5A
                    remaining = nil
                } else {
                    remaining = offset - count
                }
            }
            guard writeAll(destination, Data(buffer[0..<count])) else { break }
        }
        shutdown(destination, Int32(SHUT_WR))
    }

    static func connect(port: Int) -> Int32? {
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard upstream >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else {
            close(upstream)
            return nil
        }
        return upstream
    }
}
