import Foundation

/// Typed reads of the declared variables: each checks the value against the kind ``Setting``
/// declares (range, words, duration, size) and names the variable and its bad value in the error.
///
/// A variable set to the empty string counts as unset: its declared default applies.
extension Configuration {
    /// The text of `setting`, else its declared default; `nil` when neither is there.
    public subscript(setting: Setting) -> String? {
        self[setting.name] ?? setting.defaultValue
    }

    /// Where `setting`'s value came from (`nil`: unset).
    public func source(of setting: Setting) -> Source? {
        sources[setting.name]
    }

    /// Sets `setting`, as a command-line option would.
    public mutating func set(_ setting: Setting, _ value: String?) {
        set(setting.name, value)
    }

    /// A whole-number variable, checked against its declared range.
    public func integer(_ setting: Setting) throws(ConfigurationError) -> Int {
        guard case let .number(value) = try decoded(setting) else { preconditionFailure("\(setting) is not declared a whole number") }
        return value
    }

    /// A duration variable, in seconds.
    public func seconds(_ setting: Setting) throws(ConfigurationError) -> Double {
        guard case let .seconds(value) = try decoded(setting) else { preconditionFailure("\(setting) is not declared a duration") }
        return value
    }

    /// A byte-size variable; `nil` when unset.
    public func bytes(_ setting: Setting) throws(ConfigurationError) -> UInt64? {
        guard self[setting] != nil else { return nil }
        guard case let .bytes(value) = try decoded(setting) else { preconditionFailure("\(setting) is not declared a size") }
        return value
    }

    /// A percentage variable.
    public func percent(_ setting: Setting) throws(ConfigurationError) -> Double {
        guard case let .percent(value) = try decoded(setting) else { preconditionFailure("\(setting) is not declared a percentage") }
        return value
    }

    /// A boolean variable: `true`, `1`, `yes`, `on` are true; unset or anything else false.
    public func flag(_ setting: Setting) -> Bool {
        guard self[setting] != nil, case let .flag(value) = try? decoded(setting) else { return false }
        return value
    }

    /// A comma-separated variable's entries (empty when unset).
    public func list(_ setting: Setting) -> [String] {
        guard self[setting] != nil, case let .list(value) = try? decoded(setting) else { return [] }
        return value
    }

    /// A variable that takes one of a few words: the word, checked.
    public func choice(_ setting: Setting) throws(ConfigurationError) -> String {
        guard case let .text(value) = try decoded(setting) else { preconditionFailure("\(setting) is not declared a choice") }
        return value
    }

    /// `BASE_BACKUP_COMPRESSION` or `WAL_COMPRESSION`: the codec, checked.
    public func codec(_ setting: Setting) throws(ConfigurationError) -> CompressionCodec {
        let word = try choice(setting)
        guard let codec = CompressionCodec(rawValue: word) else { preconditionFailure("\(setting) declares a word that is no codec: \(word)") }
        return codec
    }

    /// The level `codec` compresses at: gzip's is `BACKUP_COMPRESSION_LEVEL`; zstd and lz4 use
    /// their own defaults (``CompressionCodec/defaultLevel``), chosen for speed, with no variable.
    public func compressionLevel(for codec: CompressionCodec) throws(ConfigurationError) -> Int {
        codec == .gzip ? try integer(.backupCompressionLevel) : codec.defaultLevel
    }

    private func decoded(_ setting: Setting) throws(ConfigurationError) -> SettingValue {
        guard let text = self[setting] else { throw ConfigurationError("\(setting.name) is not set") }
        return try setting.decode(text)
    }
}
