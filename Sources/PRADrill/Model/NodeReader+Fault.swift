import PRACore
import Yams

extension NodeReader {
    /// A fault mapping (a `fault:` step or a step's `inject:`): `kind` names a kind of
    /// ``FaultRegistry``, which reads its own parameters; `extraKeys` are the caller's own
    /// (`after`, `after_bytes`).
    func fault(_ node: Node, key: String, extraKeys: [String]) throws(ScenarioError) -> (fault: Fault, map: Mapping) {
        let map = try mapping(node, key: key, allowed: ["kind"] + FaultRegistry.parameterNames + extraKeys)
        let kindNode = try map.required("kind")
        let name = try string(kindNode, key: "\(key).kind")
        guard let kind = FaultRegistry.kind(named: name) else {
            throw error(kindNode, "\(key).kind", "unknown fault kind \"\(name)\"\(ClosestMatch.hint(for: name, among: FaultRegistry.names)) (known: \(FaultRegistry.names.joined(separator: ", ")))")
        }
        let own = kind.parameters.map(\.name)
        for parameter in FaultRegistry.parameterNames where !own.contains(parameter) {
            if let extra = map.node(parameter) {
                throw error(extra, "\(key).\(parameter)", "not a parameter of \(name)" + (own.isEmpty ? " (it takes none)" : " (it takes: \(own.joined(separator: ", ")))"))
            }
        }
        let parameters = FaultParameterReader(kind: name, declared: kind.parameters, mapping: map, reader: self, key: key)
        return (Fault(try kind.init(parameters)), map)
    }
}
