import Foundation

/// The `pra` binary that is running, for the commands it hands to others (PostgreSQL's
/// archive and restore commands, schedules, drill children).
public enum RunningExecutable {
    /// Absolute path: `/proc/self/exe`, else `argv[0]` made absolute.
    public static var path: String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        let argument = CommandLine.arguments[0]
        if argument.hasPrefix("/") { return argument }
        return ((FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(argument) as NSString).standardizingPath
    }
}
