import Foundation

/// Finds a system program (curl, ssh, scp) on `PATH`, then in the usual system directories.
public enum SystemProgram {
    /// The absolute path of `name`; the error says which Debian package provides it.
    public static func locate(_ name: String, package: String, searchPath: String = ProcessInfo.processInfo.environment["PATH"] ?? "") throws(ProcessError) -> String {
        let directories = searchPath.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]
        for directory in directories where !directory.isEmpty {
            let path = (directory as NSString).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw ProcessError(kind: .notFound, program: name, stderr: "\(name) is not installed (apt-get install \(package))")
    }
}
