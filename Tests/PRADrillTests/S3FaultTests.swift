import Foundation
import PRACore
import PRATestSupport
import Testing

@testable import PRADrill

/// The S3 faults and the lose-site disaster through the real runner, against the drill's SeaweedFS.
@Suite("S3 faults", .serialized, .requires(.postgresServer, .seaweedfs))
struct S3FaultTests {
    @Test("s3-unreachable, s3-denied: exit 3 with the local backup complete; s3-throttling: ridden out by retries; lose-site: restored from the bucket with the RTO measured")
    func s3Faults() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-s3-faults
            steps:
              - fault: {kind: s3-target}
              - backup: {}
                inject: {kind: s3-unreachable}
                expect: {exit_code: 3, message_contains: ["remote copy failed", "connection refused", "after 2 attempts"], archive: complete}
              - backup: {}
                inject: {kind: s3-denied}
                expect: {exit_code: 3, message_contains: ["remote copy failed", "HTTP 403", "s3://"], archive: complete}
              - backup: {}
                inject: {kind: s3-throttling, duration: 1.5s}
                expect: {exit_code: 0, archive: complete}
              - disaster: lose-site
              - restore: {}
                expect: {outcome: success, rows_match_manifest: true}
            """))
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
        // The throttled backup waited out the 503s: it took at least most of the throttling time.
        #expect(result.steps[3].seconds >= 1.0, "the throttled step took \(result.steps[3].seconds)s: the proxy never throttled it")
        #expect(try #require(result.measurement.rtoSeconds) > 0)
        #expect(result.log.contains { $0.contains("lost its data directory and the local backup directory") }, "\(result.log)")
        #expect(result.steps.allSatisfy { !($0.errorLine ?? "").contains("pra-drill-wrong-secret") && !($0.errorLine ?? "").contains("pra-local-secret") })
    }

    @Test("offsite-copy-stalled: the primary archives locally while the copier cannot reach the bucket, status is CRITICAL naming the off-site lag; undone, the copier drains it and the off-site lag is back within the target")
    func offSiteCopyStalled() throws {
        let result = DrillHarness.run(try DrillHarness.parse("""
            name: t-offsite-stalled
            archiving:
              archive_timeout: 1s
            steps:
              - fault: {kind: s3-target}
              - backup: {kind: base}
              - status: {}
                env: {RPO_TARGET: 2s}
                inject: {kind: offsite-copy-stalled, duration: 3s}
                expect: {status: CRITICAL, message_contains: ["off-site lag", "losing the site now loses"]}
              - status: {}
                env: {RPO_TARGET: 1h}
                expect: {message_contains: ["within the RPO target of 1h00m for losing the site"]}
            """))
        #expect(result.verdict == .passed, "\(DrillHarness.failures(result))")
        #expect(result.log.contains { $0.contains("segment(s) archived locally meanwhile") }, "\(result.log)")
    }
}
