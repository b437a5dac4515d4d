/// Errors of the relay core. Messages name the failed step and what to do next; they never carry dataset
/// contents or keys.
public enum RelayError: Error, Sendable, CustomStringConvertible {
    case spool(path: String, reason: String)
    case queue(reason: String)
    case listen(port: Int, detail: String)
    case configuration(String)

    public var description: String {
        switch self {
        case let .spool(path, reason): return "spool \(path): \(reason)"
        case let .queue(reason): return "queue database: \(reason); check the spool directory's disk space and permissions"
        case let .listen(port, detail): return "cannot listen on port \(port): \(detail); choose a free port or stop the other listener"
        case let .configuration(text): return text
        }
    }
}
