import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// An operation's own limit (BACKUP_TIMEOUT) bounds the statements of its session too, when it
/// ends before STATEMENT_TIMEOUT would: a backup whose catalogue query hangs on a dead network
/// ends at BACKUP_TIMEOUT, saying so, not 30 s later as a statement timeout.
@Suite("PostgresConnection.operationDeadline", .requires(.postgresServer))
struct PostgresConnectionDeadlineTests {
    @Test("a statement waits until the operation's end when it comes first, and the error names the operation's setting")
    func operationEndsFirst() throws {
        let connection = try PostgresConnection(TestEnvironment.sharedCluster.connectionSettings, applicationName: "pra-test")
        connection.statementTimeout = 30
        connection.operationDeadline = (MonotonicClock.now().adding(1), "BACKUP_TIMEOUT 1s")
        let started = MonotonicClock.now()
        do {
            _ = try connection.scalar("SELECT pg_sleep(10)")
            Issue.record("the statement outlived the operation's end")
        } catch {
            #expect(error.kind == .timedOut)
            #expect(error.message.contains("timed out (BACKUP_TIMEOUT 1s)"), "\(error.message)")
        }
        #expect(started.elapsed() < 5, "waited \(started.elapsed()) s")
    }

    @Test("the statement limit still applies when it ends first, with its own message")
    func statementEndsFirst() throws {
        let connection = try PostgresConnection(TestEnvironment.sharedCluster.connectionSettings, applicationName: "pra-test")
        connection.statementTimeout = 1
        connection.operationDeadline = (MonotonicClock.now().adding(60), "BACKUP_TIMEOUT 1m")
        do {
            _ = try connection.scalar("SELECT pg_sleep(10)")
            Issue.record("the statement outlived STATEMENT_TIMEOUT")
        } catch {
            #expect(error.message.contains("(STATEMENT_TIMEOUT)"), "\(error.message)")
        }
    }
}
