import ArgumentParser
import Foundation
import PRACore

#if canImport(Glibc)
import Glibc
#endif

struct Activate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the emergency plan: restore from the newest backup, switch traffic, verify — three phases timed against their budgets.",
        discussion: """
            Preparation (budget ACTIVATION_PREPARATION_BUDGET, default 5m): finds the newest recovery \
            point (the newest complete dump, local then off-site; with --target-dir the end of the \
            base backups + archived WAL, or --target-time), checks the recovery server (reachable, \
            accepts writes, free space, whether the target exists) and prints the data-loss window \
            (the last known write — newest archived WAL segment or newest status sample that reached \
            the database — minus the recovery point), the switch hooks it will run, all before \
            anything destructive. Then asks for confirmation on the terminal (type ACTIVATE) unless \
            --yes; without a terminal and without --yes it refuses (exit 2).

            Restoration (ACTIVATION_RESTORATION_BUDGET, default 15m): the restore pra restore runs \
            (logical: the newest valid dump into --target-db, default RESTORE_DB, else the \
            configured database, replaced if it exists; with --target-dir: point-in-time recovery of \
            the cluster into DIR, archiving on, the server left running), with all of its checks \
            except the health URLs; then the switch hooks of ACTIVATION_HOOKS_FILE in order (a JSON \
            file: {"hooks": [{"name": "load balancer", "command": ["/usr/local/bin/lb-switch", "db2"], \
            "timeout": "30s"}]}; argument arrays, no shell; each hook gets PRA_ACTIVATION_DATABASE, \
            PRA_ACTIVATION_HOST, PRA_ACTIVATION_PORT, PRA_ACTIVATION_ID and the allow-listed \
            environment, never a secret; stdout and stderr go into the report). A hook that fails \
            or times out stops the activation: the report says "switched up to hook N". Hooks must \
            be idempotent: a resumed activation runs an interrupted hook again.

            With --standby DIR, restoration promotes the warm standby there (pra standby create) \
            instead of restoring: preparation shows its replay position and lag as the recovery \
            point and data-loss window and refuses one that cannot be promoted; a standby an \
            interrupted activation already promoted is never promoted twice. A standby that stopped \
            at a gap in the archive (a WAL segment missing) is refused unless --accept-data-loss: \
            then preparation prints the larger data-loss window (the newest archived segment's time \
            minus the last commit it replayed) before the confirmation, and it is promoted where it \
            stopped, every commit after the gap lost (no restore could pass the gap either); every \
            other reason not to promote still refuses. --dry-run --standby \
            DIR (the monthly test of the recovery environment) inspects it, checks it read-only \
            and prints the hooks; it stays a standby.

            Verification (ACTIVATION_VERIFICATION_BUDGET, default 10m): the recovered server \
            (reachable, out of recovery, accepts writes), CRITICAL_TABLES, row counts (no table \
            below the restored dump's manifest), APP_HEALTH_URL and API_ENDPOINTS — behind the \
            switch.

            The team is told (SLACK_WEBHOOK, ALERT_EMAIL) at the start, at each phase's end and at \
            the end: recovery point, data-loss window, elapsed against budget. The incident report \
            is written to REPORT_DIR/pra_activation_report_<stamp>.txt and .json.

            Resumable: the state is saved (ACTIVATION_STATE_FILE, default \
            REPORT_DIR/activation-state.json) at every transition. Run pra activate again after an \
            interruption: it says where the last run stopped and continues — from preparation when \
            nothing was put in place, with the next switch hook when the restore was verified, \
            with verification when everything was switched. It never restores again once a restore \
            was verified and never runs a hook before. A completed activation, or one interrupted \
            during a point-in-time restore, is refused until --abandon removes its state on purpose.

            --dry-run (rehearsal): preparation, then the restore into a scratch target \
            (<target>_pra_rehearsal_<stamp>, or DIR.pra-rehearsal-<stamp>), its verification \
            without health URLs, the hooks printed instead of run; the scratch target is removed \
            afterwards, no notification is sent, the live activation state is not touched. The \
            report is pra_activation_rehearsal_<stamp>.

            Exit codes: 0 activated (or rehearsed) within every budget; 3 activated but a phase or \
            the whole over its budget; 1 failed (restore, hook or verification: the report and \
            the state say where); 2 refused before anything was done (usage, configuration, no \
            recovery point, recovery server unreachable, not confirmed, an activation already in \
            progress elsewhere or complete).

            Examples:
              pra activate --dry-run              # the monthly rehearsal
              pra activate --target-db akig_live  # the disaster, from the dump
              pra activate --target-dir /var/lib/postgresql/15/main --port 5432
              pra activate --standby /var/lib/pra/standby --yes
              pra activate --standby /var/lib/pra/standby --accept-data-loss  # at a gap
              pra activate --abandon              # forget a finished activation
            """)

    @Flag(name: .long, help: "Proceed without asking for confirmation (needed without a terminal).")
    var yes = false

    @Flag(name: .long, help: "Rehearse: restore into a scratch target, print the hooks instead of running them, touch nothing live.")
    var dryRun = false

    @Option(name: .long, help: ArgumentHelp("Logical: the database to restore into (default RESTORE_DB, else the configured database).", valueName: "name"))
    var targetDb: String?

    @Option(name: .long, help: ArgumentHelp("Point-in-time recovery of the cluster into this new data directory.", valueName: "dir"))
    var targetDir: String?

    @Option(name: .long, help: ArgumentHelp("Promote the warm standby in this directory (pra standby create) instead of restoring; with --dry-run it is only inspected.", valueName: "dir"))
    var standby: String?

    @Flag(name: .long, help: "--standby: promote a standby stopped at a gap in the archive anyway, losing every commit after the gap (the window is printed before the confirmation).")
    var acceptDataLoss = false

    @Option(name: .long, help: ArgumentHelp("--target-dir: recover to this moment (as pra restore --target-time) instead of the latest.", valueName: "time"))
    var targetTime: String?

    @Option(name: .long, help: ArgumentHelp("--target-dir: port of the recovered server (default: a free one).", valueName: "port"))
    var port: Int?

    @Option(name: .long, help: ArgumentHelp("--target-dir, as root: the OS user the recovered server runs as.", valueName: "user"))
    var runAs: String?

    @Flag(name: .long, help: "Remove the activation state (a completed or stale activation) deliberately, and exit.")
    var abandon = false

    @Flag(name: .long, help: "Print the activation record as one JSON document.")
    var json = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if standby != nil && (targetDir != nil || targetDb != nil) { throw ValidationError("--standby promotes a standby: --target-db and --target-dir are for restores") }
        if targetDir != nil && targetDb != nil { throw ValidationError("--target-db is for a logical restore, --target-dir for point-in-time recovery: give one") }
        if targetDir == nil && (targetTime != nil || port != nil || runAs != nil) { throw ValidationError("--target-time, --port and --run-as need --target-dir") }
        if let targetTime, RecoveryTarget.parseTime(targetTime) == nil { throw ValidationError("--target-time \(targetTime) is not a time (2026-12-01 14:01:30+00, 2026-12-01T14:01:30Z)") }
        if acceptDataLoss && standby == nil { throw ValidationError("--accept-data-loss is for --standby: a restore cannot pass a gap in the archive") }
        if abandon && (acceptDataLoss || dryRun || yes || targetDb != nil || targetDir != nil || standby != nil) { throw ValidationError("--abandon takes no other option") }
    }

    func run() throws {
        let configuration = try common.loadConfiguration(logAs: "activate")
        InterruptCleanup.shared.installSignalHandlers()
        if abandon {
            do {
                let state = try ActivationOperation.abandon(configuration)
                Terminal.output(state.map { "abandoned activation \($0.id) (\($0.standing)); its report stays in \(configuration.reportDirectory)\n" } ?? "no activation state to abandon\n")
                return
            } catch {
                throw Terminal.fail(error.message, exitCode: 2)
            }
        }
        let strategy: ActivationStrategy
        if let standby {
            strategy = ActivationStrategy(kind: .standby, target: standby, acceptDataLoss: acceptDataLoss)
        } else if let targetDir {
            let target: RecoveryTarget = targetTime.flatMap(RecoveryTarget.parseTime).map { .time($0) } ?? .latest
            strategy = ActivationStrategy(kind: .pointInTime, target: targetDir, recoveryTarget: target, port: port, runAs: runAs)
        } else {
            guard let database = targetDb ?? configuration[.restoreDB] ?? (try? configuration.connectionSettings().databaseName) ?? nil else {
                throw Terminal.fail("no database to restore into: give --target-db, RESTORE_DB or PGDATABASE", exitCode: 2)
            }
            strategy = ActivationStrategy(kind: .logical, target: database)
        }
        let assumeYes = yes
        let operation = ActivationOperation(configuration: configuration, progress: json ? nil : common.progress, say: { Terminal.info($0) }, confirm: { _ in
            if assumeYes { return true }
            guard isatty(STDIN_FILENO) == 1 else {
                Terminal.warn("no terminal to confirm on: run with --yes to activate")
                return false
            }
            FileHandle.standardError.write(Data("Type ACTIVATE to restore and switch as printed above: ".utf8))
            return readLine()?.trimmingCharacters(in: .whitespaces) == "ACTIVATE"
        })
        let outcome: (state: ActivationState, report: String?, reportError: String?)
        do {
            outcome = try operation.run(.init(strategy: strategy, dryRun: dryRun))
        } catch {
            if json { Terminal.output(JSONCoding.document(OperationFailureReport(OperationFailure(stage: "activate", message: error.message, isUsageError: error.isRefusal)))) }
            throw Terminal.fail("activation refused: \(error.message)", exitCode: error.isRefusal ? 2 : 1)
        }
        let state = outcome.state
        if let problem = outcome.reportError { Terminal.warn(problem) }
        if json {
            Terminal.output(JSONCoding.document(state))
        } else {
            if let report = outcome.report { Terminal.output("report: \(report)\n") }
            Terminal.output(ActivationReport(state: state).verdict + ": " + state.verdicts.map(\.line).joined(separator: ", ") + "\n")
        }
        if let failure = state.failure {
            throw Terminal.fail("activation failed: \(failure)", exitCode: 1)
        }
        if state.overBudget {
            Terminal.warn("over budget: " + state.verdicts.filter(\.overBudget).map(\.line).joined(separator: ", "))
            throw ExitCode(3)
        }
        Terminal.record("pra: " + ActivationReport(state: state).verdict)
    }
}
