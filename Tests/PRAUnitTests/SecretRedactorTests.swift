import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// A secret must be hidden without the redaction itself revealing it: a one-character password
/// "a" that turned every "a" of a message into "***" would spell the password out in the pattern
/// of stars. Short secrets are hidden only as whole tokens; long ones wherever they occur.
@Suite("secret redaction that does not reveal the secret")
struct SecretRedactorTests {
    @Test("a one-character secret does not garble the words that contain its character")
    func oneCharacter() {
        let redactor = SecretRedactor(secrets: ["a"])
        let message = "connection to database akig failed: password authentication failed for user a"
        let redacted = redactor.redact(message)
        #expect(redacted == "connection to database akig failed: password authentication failed for user ***", "\(redacted)")
        #expect(redactor.redact("database unavailable") == "database unavailable")
    }

    @Test("a short secret is still hidden as a whole token and in key=value, quoted and URL contexts")
    func shortSecretContexts() {
        let redactor = SecretRedactor(secrets: ["q7Z", "k9"])
        #expect(redactor.redact("password q7Z and k9") == "password *** and ***")
        #expect(redactor.redact("PGPASSWORD=q7Z") == "PGPASSWORD=***")
        #expect(redactor.redact("password='q7Z'") == "password='***'")
        #expect(redactor.redact("postgresql://u:k9@host/db") == "postgresql://u:***@host/db")
        #expect(redactor.redact("q7Z") == "***")
        // Inside a longer word the characters are not the secret: left alone, not starred.
        #expect(redactor.redact("xq7Zy k99 ak9") == "xq7Zy k99 ak9")
    }

    @Test("a long secret is hidden wherever it occurs, even inside a word")
    func longSecretAnywhere() {
        let redactor = SecretRedactor(secrets: ["s3cret-Value-42"])
        #expect(redactor.redact("xxs3cret-Value-42yy and s3cret-Value-42") == "xx***yy and ***")
    }

    @Test("a secret containing another is hidden whole")
    func nested() {
        let redactor = SecretRedactor(secrets: ["ab", "xxabyy-long-secret"])
        #expect(redactor.redact("v=xxabyy-long-secret ab") == "v=*** ***")
    }

    @Test("a secret too short to redact safely is named in a warning that does not contain it")
    func warning() throws {
        let configuration = try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["PGPASSWORD": "a", "SMTP_PASSWORD": "long-enough-secret"])
        let redactor = SecretRedactor(configuration: configuration)
        #expect(redactor.warnings.count == 1, "\(redactor.warnings)")
        let warning = try #require(redactor.warnings.first)
        #expect(warning.contains("PGPASSWORD"))
        #expect(warning.contains("too short"))
        #expect(!warning.contains("SMTP_PASSWORD"))
        #expect(SecretRedactor(secrets: ["long-enough-secret"]).warnings.isEmpty)
    }


    @Test("every secret redacted whatever its length; permission warning for every secret; malformed lines show the key only")
    func secrets() throws {
        let redactor = SecretRedactor(configuration: try Configuration(envFile: TestEnvironment.noEnvFile, environment: ["PGPASSWORD": "q7Z", "SMTP_PASSWORD": "k9"]))
        #expect(redactor.redact("password q7Z and k9") == "password *** and ***")

        let directory = TestEnvironment.temporaryDirectory("secrets")
        let file = directory + "/smtp.env"
        try Data("SMTP_PASSWORD=s3cret-value\n".utf8).write(to: URL(fileURLWithPath: file))
        chmod(file, 0o644)
        let configuration = try Configuration(envFile: file, environment: [:])
        #expect(configuration.warnings.contains { $0.contains("SMTP_PASSWORD") && $0.contains("chmod 600") }, "\(configuration.warnings)")

        let malformed = directory + "/malformed.env"
        try Data("PGDATABASE=x\nPGPASSWORD Secret-Sauce\n".utf8).write(to: URL(fileURLWithPath: malformed))
        let error = #expect(throws: ConfigurationError.self) { try Configuration(envFile: malformed, environment: [:]) }
        #expect(error?.message.contains("malformed.env:2") == true)
        #expect(error?.message.contains("PGPASSWORD") == true)
        #expect(error?.message.contains("Secret-Sauce") == false, "\(error?.message ?? "")")
    }
}
