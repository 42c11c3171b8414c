/// An invalid scenario file: names the file, the line and the key.
public struct ScenarioError: Error, CustomStringConvertible, Sendable, Equatable {
    public let file: String
    public let line: Int?
    /// Where in the document, e.g. `steps[3].inject.kind`.
    public let key: String
    public let message: String

    public init(file: String, line: Int?, key: String, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return key.isEmpty ? "\(location): \(message)" : "\(location): \(key): \(message)"
    }
}
