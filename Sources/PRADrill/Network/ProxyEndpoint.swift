import Foundation
import PRACore

#if canImport(Glibc)
import Glibc
#endif

/// Where a ``NetworkProxy`` forwards its connections: a TCP host and port (a database, an
/// ssh server, a webhook) or a unix socket (the scratch cluster's `.s.PGSQL.<port>`).
public enum ProxyEndpoint: Sendable, Equatable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case unixSocket(path: String)

    public var description: String {
        switch self {
        case .tcp(let host, let port): return "\(host):\(port)"
        case .unixSocket(let path): return path
        }
    }

    /// A connected socket to the endpoint; the caller closes it.
    func connect() throws(FileError) -> Int32 {
        switch self {
        case .unixSocket(let path):
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw FileError(operation: .open, path: path, code: errno) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
                close(fd)
                throw FileError(operation: .open, path: path, code: ENAMETOOLONG)
            }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 }
            }
            guard connected else {
                let code = errno
                close(fd)
                throw FileError(operation: .open, path: path, code: code)
            }
            return fd
        case .tcp(let host, let port):
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
                throw FileError(operation: .open, path: description, code: EHOSTUNREACH)
            }
            defer { freeaddrinfo(list) }
            var code = ECONNREFUSED
            var cursor: UnsafeMutablePointer<addrinfo>? = first
            while let entry = cursor {
                let fd = socket(entry.pointee.ai_family, entry.pointee.ai_socktype, entry.pointee.ai_protocol)
                if fd >= 0 {
                    if Glibc.connect(fd, entry.pointee.ai_addr, entry.pointee.ai_addrlen) == 0 { return fd }
                    code = errno
                    close(fd)
                }
                cursor = entry.pointee.ai_next
            }
            throw FileError(operation: .open, path: description, code: code)
        }
    }
}
