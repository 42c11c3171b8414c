import Foundation
import PRATestSupport
import Testing

@testable import PRACore
@testable import PRAHarness

// cluster attach acts only on a cluster pra created (its state names its own directory, with a matching token).

@Suite("scratch cluster attach: only a cluster pra created", .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl) are not installed"))
struct ScratchClusterAttachTests {

    @Test("cluster attach acts only on a cluster pra created (state naming its own directory, matching token)")
    func clusterToken() throws {
        let bystander = TestEnvironment.temporaryDirectory("bystander")
        try Data("data\n".utf8).write(to: URL(fileURLWithPath: bystander + "/file"))
        let crafted = TestEnvironment.temporaryDirectory("crafted")
        let state = ScratchCluster.State(directory: bystander, port: 5999, binDirectory: "/usr/bin", runAsUser: nil, token: "t")
        try JSONCoding.encoder.encode(state).write(to: URL(fileURLWithPath: crafted + "/pra-cluster.json"))
        try Data("t\n".utf8).write(to: URL(fileURLWithPath: crafted + "/.pra-cluster-token"))
        #expect(throws: ScratchCluster.NotACluster.self) { try ScratchCluster(attachingTo: crafted) }
        // Naming itself but without the token file: refused too.
        let noToken = TestEnvironment.temporaryDirectory("notoken")
        let own = ScratchCluster.State(directory: noToken, port: 5999, binDirectory: "/usr/bin", runAsUser: nil, token: "t")
        try JSONCoding.encoder.encode(own).write(to: URL(fileURLWithPath: noToken + "/pra-cluster.json"))
        #expect(throws: ScratchCluster.NotACluster.self) { try ScratchCluster(attachingTo: noToken) }
        #expect(FileManager.default.fileExists(atPath: bystander + "/file"))

        // A real one attaches and tears down.
        let cluster = try ScratchCluster()
        cluster.makePersistent()
        let attached = try ScratchCluster(attachingTo: cluster.directory)
        attached.teardown()
        #expect(!FileManager.default.fileExists(atPath: cluster.directory))
    }
}
