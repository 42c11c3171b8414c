import Foundation

extension ServerControl {
    /// The shell line that stops this server cleanly (`pg_ctl stop`, fast mode) as the account it
    /// runs as: `pg_ctl` refuses to run as root, so as root the line switches to that account
    /// with `runuser` (util-linux). Every word shell-quoted; `pg_ctl` by its full path, since
    /// Debian keeps it off `PATH`.
    public var stopCommandLine: String {
        let pgCtl = (binDirectory as NSString).appendingPathComponent("pg_ctl")
        let stop = [pgCtl, "-D", dataDirectory, "stop"].map(ShellCommandLine.quote).joined(separator: " ")
        guard let user else { return stop }
        return "runuser -u \(ShellCommandLine.quote(user.name)) -- \(stop)"
    }
}
