import Foundation
import PRATestSupport
import Testing

@testable import PRACore

// How `--env-file` / ./.env files are read: CRLF, a BOM, trailing spaces, invalid UTF-8 named by line, unknown variables warned. No server.

@Suite("env files: encodings, line endings and typos")
struct EnvFileTests {

    @Test("env files with CRLF, a BOM, trailing spaces; invalid UTF-8 named by line; unknown variables warned")
    func envFileEncodings() throws {
        let directory = TestEnvironment.temporaryDirectory("envfile")
        let crlf = directory + "/crlf.env"
        try Data("\u{FEFF}PGDATABASE=prod   \r\nBACKUP_DIR=/srv/backups\r\n# comment\r\nRPO_TARGET = 2h \r\n".utf8).write(to: URL(fileURLWithPath: crlf))
        let configuration = try Configuration(envFile: crlf, environment: [:])
        #expect(configuration["PGDATABASE"] == "prod")
        #expect(configuration["BACKUP_DIR"] == "/srv/backups")
        #expect(configuration["RPO_TARGET"] == "2h")

        let oldMac = try EnvFile.parse("PGDATABASE=a\rBACKUP_DIR=b\r")
        #expect(oldMac == ["PGDATABASE": "a", "BACKUP_DIR": "b"])

        let invalid = directory + "/latin1.env"
        try Data([0x50, 0x47, 0x55, 0x53, 0x45, 0x52, 0x3D, 0x61, 0x0A] + Array("BACKUP_DIR=/srv/donn".utf8) + [0xE9, 0x65, 0x73, 0x0A]).write(to: URL(fileURLWithPath: invalid))
        let error = #expect(throws: ConfigurationError.self) { try Configuration(envFile: invalid, environment: [:]) }
        #expect(error?.message.contains("latin1.env:2") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("UTF-8") == true)

        let typo = directory + "/typo.env"
        try Data("BACKUP_DIRR=/srv/backups\n".utf8).write(to: URL(fileURLWithPath: typo))
        let typoConfiguration = try Configuration(envFile: typo, environment: [:])
        #expect(typoConfiguration.warnings.contains { $0.contains("BACKUP_DIRR") && $0.contains("did you mean BACKUP_DIR?") }, "\(typoConfiguration.warnings)")
    }
}
