/// A fault that could not be applied.
struct FaultError: Error, CustomStringConvertible {
    let description: String
}
