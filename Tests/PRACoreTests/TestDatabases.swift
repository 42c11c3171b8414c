import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// Small databases and gzip files the server-bound tests build their cases from.
enum TestDatabases {

    /// A small database with one table `marker(label text)` holding `label`.
    static func markerDatabase(_ name: String, label: String? = nil, rows: Int = 1) throws {
        try TestEnvironment.psql("CREATE DATABASE \(PostgresConnection.quoteIdentifier(name)) TEMPLATE template0", database: "postgres")
        try TestEnvironment.psql("CREATE TABLE marker(label text); INSERT INTO marker SELECT $q$\(label ?? name)$q$ FROM generate_series(1, \(rows))", database: name)
    }

    static func exists(_ database: String) throws -> Bool {
        try TestEnvironment.psql("SELECT count(*) FROM pg_database WHERE datname = $q$\(database)$q$", database: "postgres") == "1"
    }

    /// gzip of `text`, written to `path`.
    static func gzip(_ text: String, to path: String) throws {
        let deflater = try GzipDeflater(level: 6)
        var output = Data()
        let bytes = Array(text.utf8)
        try bytes.withUnsafeBytes { buffer in
            try deflater.compress(buffer) { output.append(contentsOf: $0) }
        }
        try deflater.finish { output.append(contentsOf: $0) }
        try output.write(to: URL(fileURLWithPath: path))
    }

    static func gunzip(_ path: String) throws -> String {
        var text = Data()
        _ = try ArchiveVerifier().verify(archivePath: path, manifestPath: nil, requireManifest: false) { text.append(contentsOf: $0) }
        return String(decoding: text, as: UTF8.self)
    }
}
