import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Off-site copies in an S3-compatible bucket (`s3://BUCKET/PREFIX`).
///
/// An object appears only when its upload completed (a single PUT, or a multipart upload once
/// it is completed), so no temporary name is needed: ``put(_:as:expected:)`` uploads straight
/// to the key. Files up to ``partSize`` go in one PUT; larger ones in a multipart upload, one
/// part at a time. Bodies are streamed from files (each part is first copied into an unnamed
/// file beside the local one), so memory does not grow with the file or the part size. Every PUT
/// carries the SHA-256 of its bytes twice: signed (`x-amz-content-sha256`) and as
/// `x-amz-checksum-sha256`, which the store checks and echoes; a store that does not echo it
/// gets the object read back and hashed instead. A multipart upload that fails is aborted; one
/// killed outright stays invisible (never a complete-looking object) and is aborted by the next
/// ``prepare()`` once older than ``staleUploadAge``. The whole file's SHA-256 is kept in the
/// object's metadata (`x-amz-meta-sha256`), and a download is checked against it as it streams.
public struct S3RemoteStore: RemoteStore {
    public var client: S3Client
    /// Key prefix without leading or trailing slash (`""`: the bucket's root).
    public var prefix: String
    /// Largest single PUT and size of each multipart part (S3's minimum part is 5 MiB).
    public var partSize: Int = 16 << 20
    /// Multipart uploads older than this (and within ``archivePrefix``'s scope) are aborted by ``prepare()``.
    public var staleUploadAge: Double = 3600
    /// The archive-name prefix of the database whose backups this store is copying: ``prepare()``
    /// aborts stale uploads of that database's archives and manifests only. `nil` (the WAL
    /// archive's store): no backup's upload is ever aborted, only those of other names (WAL files).
    /// Another database's upload sharing the prefix is never this run's to abort.
    public var archivePrefix: String?

    public var description: String { "s3://\(client.bucket)\(prefix.isEmpty ? "" : "/" + prefix)" }

    public init(client: S3Client, prefix: String) {
        self.client = client
        self.prefix = prefix.split(separator: "/").joined(separator: "/")
    }

    /// The object key of `name`.
    public func key(_ name: String) -> String { prefix.isEmpty ? name : "\(prefix)/\(name)" }

    func error(_ operation: String, _ name: String?, _ failure: S3Client.Failure) -> RemoteError {
        RemoteError(target: description, operation: operation, file: name.map(key), message: failure.message, httpStatus: failure.status, code: failure.code)
    }

    /// Checks that the bucket answers, and aborts multipart uploads left by killed runs.
    public func prepare() throws(RemoteError) {
        do {
            _ = try client.send("HEAD", key: nil)
        } catch {
            var failure = error
            if failure.status == 404 { failure.code = "NoSuchBucket"; failure.message = "the bucket \(client.bucket) does not exist (create it, or fix REMOTE_TARGET)" }
            throw self.error("prepare", nil, failure)
        }
        abortStaleUploads()
    }

    /// Aborts multipart uploads under the prefix initiated more than ``staleUploadAge`` ago and
    /// within ``archivePrefix``'s scope (see ``mayAbortUpload(of:)``). Best effort: a store that
    /// cannot list them keeps them (a lifecycle rule removes them).
    func abortStaleUploads(now: Date = Date()) {
        let listPrefix = prefix.isEmpty ? "" : prefix + "/"
        guard let answer = try? client.send("GET", key: nil, query: [("uploads", ""), ("prefix", listPrefix)]) else { return }
        let text = String(decoding: answer.body, as: UTF8.self)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for upload in S3Client.elements("Upload", in: text) {
            guard let key = S3Client.element("Key", in: upload), let id = S3Client.element("UploadId", in: upload),
                  !key.dropFirst(listPrefix.count).contains("/") else { continue }  // wal/ uploads belong to the WAL store
            guard mayAbortUpload(of: String(key.dropFirst(listPrefix.count))) else { continue }
            let initiated = S3Client.element("Initiated", in: upload).flatMap { formatter.date(from: $0) ?? ISO8601DateFormatter().date(from: $0) }
            guard now.timeIntervalSince(initiated ?? .distantPast) >= staleUploadAge else { continue }
            _ = try? client.send("DELETE", key: key, query: [("uploadId", id)], accept: [404])
        }
    }

    /// Whether an upload of `name` (under the prefix) is this store's to abort: a backup's
    /// archive or manifest only when its prefix is ``archivePrefix``; any other name only when
    /// this store copies no backups (``archivePrefix`` `nil`: the WAL store).
    func mayAbortUpload(of name: String) -> Bool {
        let archive = name.hasSuffix(BackupArchiveName.manifestSuffix) ? String(name.dropLast(BackupArchiveName.manifestSuffix.count)) : name
        guard let backup = BackupArchiveName(fileName: archive) ?? BackupArchiveName(fileName: archive, kind: .base) else {
            return archivePrefix == nil
        }
        return backup.prefix == archivePrefix
    }

    public func upload(_ localPath: String, as name: String) throws(RemoteError) {
        let digest: FileDigest
        do { digest = try FileDigest(path: localPath) } catch { throw RemoteError(target: description, operation: "upload", file: key(name), message: error.description) }
        try put(localPath, as: name, expected: digest)
    }

    public func put(_ localPath: String, as name: String, expected: FileDigest) throws(RemoteError) {
        let confirmed: Bool
        if expected.size <= UInt64(partSize) {
            confirmed = try putObject(localPath, name: name, expected: expected)
        } else {
            confirmed = try multipart(localPath, name: name, expected: expected)
        }
        // The object as stored: its size always; its bytes too when the store did not confirm the checksums.
        let stored = confirmed ? try head(name) : try digest(of: name, partial: false, readBack: true)
        guard stored.size == expected.size, stored.sha256 == expected.sha256 else {
            try? delete([name])
            throw RemoteError(target: description, operation: "verify", file: key(name), message: "the object reads back as \(stored), the local file is \(expected); the object was removed")
        }
    }

    /// The part size for a file of `size` bytes: ``partSize``, or more when S3's limit of 10,000 parts needs it.
    func partSize(for size: UInt64) -> UInt64 {
        max(UInt64(partSize), (size / 9_000 + (1 << 20)) & ~UInt64((1 << 20) - 1))
    }

    /// `x-amz-checksum-sha256` is base64 of the digest's bytes.
    static func base64(hex: String) -> String {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return Data(bytes).base64EncodedString()
    }

    /// One PUT streamed from the file; true when the store echoed the SHA-256 it checked.
    func putObject(_ localPath: String, name: String, expected: FileDigest) throws(RemoteError) -> Bool {
        let checksum = Self.base64(hex: expected.sha256)
        let answer: S3Client.Answer
        do {
            answer = try client.send("PUT", key: key(name), headers: ["x-amz-checksum-sha256": checksum, "x-amz-meta-sha256": expected.sha256,
                                                                      "Content-Type": "application/octet-stream"],
                                     file: (URL(fileURLWithPath: localPath), expected.sha256, expected.size))
        } catch {
            throw self.error("upload", name, error)
        }
        return try confirm(answer.header("x-amz-checksum-sha256"), checksum, name: name)
    }

    /// True when the store echoed `sent`; false when it echoed nothing; an error when it echoed something else.
    func confirm(_ echoed: String?, _ sent: String, name: String) throws(RemoteError) -> Bool {
        guard let echoed else { return false }
        guard echoed == sent else {
            throw RemoteError(target: description, operation: "verify", file: key(name), message: "the store computed SHA-256 \(echoed) for bytes sent with \(sent)")
        }
        return true
    }

    /// A multipart upload, part by part; aborted on any failure. True when every part was confirmed.
    /// Each part is copied (and hashed) into an unnamed file beside the local one (see
    /// ``openSpool(beside:name:)``), then streamed from it: memory stays at one read buffer
    /// whatever the part size.
    func multipart(_ localPath: String, name: String, expected: FileDigest) throws(RemoteError) -> Bool {
        guard let input = FileHandle(forReadingAtPath: localPath) else {
            throw RemoteError(target: description, operation: "upload", file: key(name), message: FileError(operation: .open, path: localPath, code: errno).description)
        }
        defer { try? input.close() }
        let objectKey = key(name)
        let spool = try openSpool(beside: localPath, name: name)
        defer { close(spool) }
        // The client streams the part from this path, which reopens our descriptor's file itself
        // (never a name in the directory another user could replace).
        let partPath = "/proc/self/fd/\(spool)"
        let uploadID: String
        do {
            let answer = try client.send("POST", key: objectKey, query: [("uploads", "")],
                                         headers: ["x-amz-checksum-algorithm": "SHA256", "x-amz-meta-sha256": expected.sha256, "Content-Type": "application/octet-stream"])
            guard let id = S3Client.element("UploadId", in: String(decoding: answer.body, as: UTF8.self)) else {
                throw RemoteError(target: description, operation: "upload", file: objectKey, message: "the store did not return an UploadId", httpStatus: answer.status)
            }
            uploadID = id
        } catch let failure as S3Client.Failure {
            throw self.error("upload", name, failure)
        } catch let remote as RemoteError {
            throw remote
        } catch {
            throw RemoteError(target: description, operation: "upload", file: objectKey, message: "\(error)")
        }
        // A SIGINT/SIGTERM aborts the upload too; kill -9 leaves it to the next prepare().
        let token = InterruptCleanup.shared.register { [client] in _ = try? client.send("DELETE", key: objectKey, query: [("uploadId", uploadID)], accept: [404]) }
        defer { InterruptCleanup.shared.unregister(token) }
        do throws(RemoteError) {
            var parts: [(number: Int, etag: String, checksum: String)] = []
            var allConfirmed = true
            let size = partSize(for: expected.size)
            while true {
                let part = try copyPart(from: input, localPath: localPath, to: spool, bytes: size, name: name)
                if part.size == 0 { break }
                let checksum = Self.base64(hex: part.sha256)
                let number = parts.count + 1
                let answer: S3Client.Answer
                do {
                    answer = try client.send("PUT", key: objectKey, query: [("partNumber", String(number)), ("uploadId", uploadID)],
                                             headers: ["x-amz-checksum-sha256": checksum], file: (URL(fileURLWithPath: partPath), part.sha256, part.size))
                } catch {
                    throw self.error("upload", name, error)
                }
                allConfirmed = try confirm(answer.header("x-amz-checksum-sha256"), checksum, name: name) && allConfirmed
                parts.append((number, answer.header("ETag") ?? "", checksum))
            }
            var xml = "<CompleteMultipartUpload>"
            for part in parts {
                xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(part.etag.replacingOccurrences(of: "\"", with: "&quot;"))</ETag><ChecksumSHA256>\(part.checksum)</ChecksumSHA256></Part>"
            }
            xml += "</CompleteMultipartUpload>"
            let answer: S3Client.Answer
            do {
                answer = try client.send("POST", key: objectKey, query: [("uploadId", uploadID)], headers: ["Content-Type": "application/xml"], body: Data(xml.utf8))
            } catch where error.code == "NoSuchUpload" {
                // The completion was retried after its reply was lost (connection reset, timeout):
                // the first attempt may have completed the upload, which then no longer exists.
                // The object is this file only if its size and recorded SHA-256 are ours; false
                // makes put() read every byte back before the manifest may follow.
                if let stored = try? head(name), stored.size == expected.size, stored.sha256 == expected.sha256 { return false }
                throw self.error("upload", name, error)
            } catch {
                throw self.error("upload", name, error)
            }
            // S3 may answer 200 and still fail the completion in the body.
            if String(decoding: answer.body, as: UTF8.self).contains("<Error>") {
                let (code, message) = S3Client.parseError(answer.body)
                throw RemoteError(target: description, operation: "upload", file: objectKey, message: message ?? "completing the upload failed", httpStatus: answer.status, code: code)
            }
            return allConfirmed
        } catch {
            _ = try? client.send("DELETE", key: objectKey, query: [("uploadId", uploadID)], accept: [404])
            throw error
        }
    }

    /// An unnamed file for the parts, in the local file's directory (BACKUP_DIR, which may be
    /// writable by the postgres user): `O_TMPFILE`, so no name exists through which a planted
    /// symbolic link could redirect pra's writes (as root). Where the file system has no
    /// `O_TMPFILE`: a random name created with `O_EXCL | O_NOFOLLOW` and unlinked at once.
    func openSpool(beside localPath: String, name: String) throws(RemoteError) -> Int32 {
        let directory = (localPath as NSString).deletingLastPathComponent
        // O_TMPFILE is __O_TMPFILE | O_DIRECTORY; Swift does not import the compound macro.
        let tmpfile: Int32 = 0o20000000 | O_DIRECTORY
        var fd = open(directory.isEmpty ? "." : directory, tmpfile | O_RDWR | O_CLOEXEC, 0o600)
        if fd < 0 && [EOPNOTSUPP, EISDIR, EINVAL].contains(errno) {
            let path = ((directory.isEmpty ? "." : directory) as NSString).appendingPathComponent(".pra-s3part-\(UUID().uuidString)")
            fd = open(path, O_CREAT | O_EXCL | O_NOFOLLOW | O_RDWR | O_CLOEXEC, 0o600)
            if fd >= 0 { unlink(path) }
        }
        guard fd >= 0 else {
            throw RemoteError(target: description, operation: "upload", file: key(name), message: FileError(operation: .open, path: directory, code: errno).description)
        }
        return fd
    }

    /// Copies the next `bytes` of `input` into the spool file `spool` (emptied first), hashing them on the way.
    func copyPart(from input: FileHandle, localPath: String, to spool: Int32, bytes: UInt64, name: String) throws(RemoteError) -> FileDigest {
        guard ftruncate(spool, 0) == 0, lseek(spool, 0, SEEK_SET) == 0 else {
            throw RemoteError(target: description, operation: "upload", file: key(name), message: "emptying the part spool beside \(localPath): \(String(cString: strerror(errno)))")
        }
        var hasher = SHA256()
        var copied: UInt64 = 0
        while copied < bytes {
            let chunk: Data
            do {
                chunk = try input.read(upToCount: Int(min(1 << 20, bytes - copied))) ?? Data()
            } catch {
                throw RemoteError(target: description, operation: "upload", file: key(name), message: "reading \(localPath): \(error.localizedDescription)")
            }
            if chunk.isEmpty { break }
            let written = chunk.withUnsafeBytes { buffer -> Bool in
                var offset = 0
                while offset < buffer.count {
                    let count = write(spool, buffer.baseAddress! + offset, buffer.count - offset)
                    if count < 0 && errno == EINTR { continue }
                    guard count > 0 else { return false }
                    offset += count
                }
                return true
            }
            guard written else {
                throw RemoteError(target: description, operation: "upload", file: key(name), message: "copying a part of \(localPath) to the spool beside it: \(String(cString: strerror(errno)))")
            }
            hasher.update(data: chunk)
            copied += UInt64(chunk.count)
        }
        return FileDigest(size: copied, sha256: hasher.finalize().hex)
    }

    /// Size and the SHA-256 recorded in the metadata (empty when the object has none).
    func head(_ name: String) throws(RemoteError) -> FileDigest {
        do {
            let answer = try client.send("HEAD", key: key(name))
            return FileDigest(size: UInt64(answer.header("Content-Length") ?? "") ?? 0, sha256: answer.header("x-amz-meta-sha256") ?? "")
        } catch {
            throw self.error("verify", name, error)
        }
    }

    public func digest(of name: String, partial: Bool) throws(RemoteError) -> FileDigest {
        try digest(of: name, partial: partial, readBack: false)
    }

    /// The metadata's digest, or (`readBack`, or no metadata) the object read through and hashed.
    func digest(of name: String, partial: Bool, readBack: Bool) throws(RemoteError) -> FileDigest {
        if !readBack {
            let recorded = try head(name)
            if !recorded.sha256.isEmpty { return recorded }
        }
        let hasher = StreamHasher()
        do {
            _ = try client.send("GET", key: key(name), sink: { hasher.update($0) }, restart: { hasher.reset() })
        } catch {
            throw self.error("verify", name, error)
        }
        return hasher.digest
    }

    public func finalize(_ name: String) throws(RemoteError) {
        // Nothing to rename: the object appeared complete when its upload completed.
    }

    public func list() throws(RemoteError) -> [String] {
        try list(prefix: "")
    }

    public func list(prefix namePrefix: String) throws(RemoteError) -> [String] {
        try listDetailed(prefix: namePrefix).map(\.name)
    }

    public func listDetailed(prefix namePrefix: String) throws(RemoteError) -> [(name: String, modified: Date?)] {
        let listPrefix = prefix.isEmpty ? "" : prefix + "/"
        var names: [(name: String, modified: Date?)] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", listPrefix + namePrefix), ("delimiter", "/")]
            if let token { query.append(("continuation-token", token)) }
            let text: String
            do {
                text = String(decoding: try client.send("GET", key: nil, query: query).body, as: UTF8.self)
            } catch {
                throw self.error("list", nil, error)
            }
            for contents in S3Client.elements("Contents", in: text) {
                if let key = S3Client.element("Key", in: contents), key.hasPrefix(listPrefix) {
                    let name = String(key.dropFirst(listPrefix.count))
                    if !name.isEmpty && !name.contains("/") { names.append((name, S3Client.element("LastModified", in: contents).flatMap(Self.parseTime))) }
                }
            }
            token = S3Client.element("IsTruncated", in: text) == "true" ? S3Client.element("NextContinuationToken", in: text) : nil
        } while token != nil
        return names
    }

    /// S3's LastModified (`2026-12-06T18:00:55.000Z`).
    static func parseTime(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    public func delete(_ names: [String]) throws(RemoteError) {
        for name in names {
            do {
                _ = try client.send("DELETE", key: key(name), accept: [404])
            } catch {
                throw self.error("delete", name, error)
            }
        }
    }

    public func download(_ name: String, to localPath: String) throws(RemoteError) {
        let output: DurableFile
        do { output = try DurableFile(finalPath: localPath, replacing: true) } catch { throw RemoteError(target: description, operation: "download", file: key(name), message: error.description) }
        let hasher = StreamHasher()
        let box = FileBox(output)
        let answer: S3Client.Answer
        do {
            answer = try client.send("GET", key: key(name), sink: { data throws in
                hasher.update(data)
                try box.file.write(data)
            }, restart: { () throws in
                hasher.reset()
                box.file.discard()
                box.file = try DurableFile(finalPath: localPath, replacing: true)
            })
        } catch {
            box.file.discard()
            throw self.error("download", name, error)
        }
        let got = hasher.digest
        let expectedSize = UInt64(answer.header("Content-Length") ?? "")
        if let recorded = answer.header("x-amz-meta-sha256"), recorded != got.sha256 || (expectedSize.map { $0 != got.size } ?? false) {
            box.file.discard()
            throw RemoteError(target: description, operation: "download", file: key(name), message: "the download is \(got), the object's recorded SHA-256 is \(recorded); nothing was kept")
        }
        do { try box.file.commit() } catch { throw RemoteError(target: description, operation: "download", file: key(name), message: error.description) }
    }
}

/// SHA-256 and size of a stream, fed from URLSession's queue.
final class StreamHasher: @unchecked Sendable {
    private let lock = NSLock()
    private var hasher = SHA256()
    private var size: UInt64 = 0

    func update(_ data: Data) {
        lock.lock(); defer { lock.unlock() }
        hasher.update(data: data)
        size += UInt64(data.count)
    }

    func reset() {
        lock.lock(); defer { lock.unlock() }
        hasher = SHA256()
        size = 0
    }

    var digest: FileDigest {
        lock.lock(); defer { lock.unlock() }
        return FileDigest(size: size, sha256: hasher.finalize().hex)
    }
}

/// The file a download writes, replaced when a retry starts over.
final class FileBox: @unchecked Sendable {
    var file: DurableFile
    init(_ file: DurableFile) { self.file = file }
}
