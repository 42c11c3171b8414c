import Foundation
import PRADrill

/// Shell completion of scenario names (`pra drill run --only <TAB>`): the names of the
/// scenarios in ./scenarios that start with what was typed.
enum ScenarioCompletion {
    @Sendable static func names(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        guard let files = try? ScenarioLoader.files(in: [ScenarioPaths.defaultDirectory]) else { return [] }
        let names = files.compactMap { try? ScenarioLoader().load(file: $0).name }
        return names.filter { $0.hasPrefix(prefix) }.sorted()
    }
}
