import Foundation

/// The scenario files or directories a drill command reads: the ones named, else `./scenarios`.
/// Outside the project, the error says where it looked and how to point elsewhere.
enum ScenarioPaths {
    static let defaultDirectory = "scenarios"

    /// `paths`, or `["scenarios"]` when none is named and it exists; otherwise throws exit 2.
    static func resolve(_ paths: [String], command: String) throws -> [String] {
        guard paths.isEmpty else { return paths }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: defaultDirectory, isDirectory: &isDirectory), isDirectory.boolValue {
            return [defaultDirectory]
        }
        throw Terminal.fail(missingMessage(command: command, currentDirectory: FileManager.default.currentDirectoryPath), exitCode: 2)
    }

    static func missingMessage(command: String, currentDirectory: String) -> String {
        "no scenarios/ directory in \(currentDirectory) (pra drill \(command) looks for ./scenarios by default); run it from the project directory that holds scenarios/, or name the scenario files or directory: pra drill \(command) /path/to/scenarios"
    }
}
