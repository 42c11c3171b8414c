import Foundation

/// Where S3 credentials come from, in the AWS CLI's order: `AWS_ACCESS_KEY_ID` /
/// `AWS_SECRET_ACCESS_KEY` (/ `AWS_SESSION_TOKEN`), else the shared credentials file
/// (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`), profile `AWS_PROFILE`
/// (default `default`).
public enum S3Credentials {
    /// The credentials `configuration` names; the error says what is missing (never a secret).
    public static func resolve(_ configuration: Configuration, home: String? = ProcessInfo.processInfo.environment["HOME"]) throws(ConfigurationError) -> SigV4Signer.Credentials {
        if let key = configuration[.awsAccessKeyID] {
            guard let secret = configuration[.awsSecretAccessKey] else {
                throw ConfigurationError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: an s3:// REMOTE_TARGET needs both")
            }
            return .init(accessKeyID: key, secretAccessKey: secret, sessionToken: configuration[.awsSessionToken])
        }
        let profile = configuration[.awsProfile] ?? "default"
        let path = configuration[.awsSharedCredentialsFile] ?? home.map { ($0 as NSString).appendingPathComponent(".aws/credentials") }
        guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError("an s3:// REMOTE_TARGET needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_SHARED_CREDENTIALS_FILE (\(path ?? "~/.aws/credentials") cannot be read)")
        }
        let section = parse(text)[profile] ?? [:]
        guard let key = section["aws_access_key_id"], let secret = section["aws_secret_access_key"] else {
            throw ConfigurationError("\(path) has no aws_access_key_id and aws_secret_access_key in profile [\(profile)] (AWS_PROFILE)")
        }
        return .init(accessKeyID: key, secretAccessKey: secret, sessionToken: section["aws_session_token"])
    }

    /// The INI sections of a credentials file: `[profile]` then `name = value` lines.
    static func parse(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                var name = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                if name.hasPrefix("profile ") { name = String(name.dropFirst(8)).trimmingCharacters(in: .whitespaces) }
                current = name
                continue
            }
            guard let current, let equals = line.firstIndex(of: "=") else { continue }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[current, default: [:]][name] = value
        }
        return sections
    }
}
