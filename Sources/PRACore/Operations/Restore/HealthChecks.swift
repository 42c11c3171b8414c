/// The application's view of a restored database: `APP_HEALTH_URL` ("health") and each of
/// `API_ENDPOINTS` ("endpoint"), probed once the restore is in place. Both restore strategies
/// end with these.
struct HealthChecks {
    let configuration: Configuration
    /// `HEALTH_TIMEOUT`, per URL.
    let timeout: Double

    func run() -> [RestoreResult.Check] {
        let probe = HealthProbe(timeout: timeout)
        var checks: [RestoreResult.Check] = []
        if let url = configuration[.appHealthURL] {
            let outcome = probe.check(url)
            checks.append(.init(.health, passed: outcome.healthy, message: outcome.summary))
        }
        for url in configuration.list(.apiEndpoints) {
            let outcome = probe.check(url)
            checks.append(.init(.endpoint, passed: outcome.healthy, message: outcome.summary))
        }
        return checks
    }
}
