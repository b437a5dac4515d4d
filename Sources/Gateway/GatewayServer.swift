import Foundation
public import Logging
public import Relay
import ServiceLifecycle
import Hummingbird

/// `qkdgate serve`: builds the relay node for a gateway configuration and runs it until SIGTERM/SIGINT.
public enum GatewayServer {
    /// Transforms by profile name: pass-through always; the encryption profiles when the configuration names a
    /// KME (without one, objects on encrypting routes are quarantined at processing, never forwarded).
    public static func defaultTransforms(configuration: GatewayConfiguration? = nil) throws -> [String: any ObjectTransform] {
        var transforms: [String: any ObjectTransform] = [Profile.passThrough.name: PassThroughTransform()]
        if let configuration, configuration.kme != nil {
            let encrypting = EncryptingTransform(protector: try EncryptingTransform.protector(for: configuration))
            for profile in [Profile.qkdHybrid(planes: nil), .dcganVPD(rule: 1), .aesCTR] {
                transforms[profile.name] = encrypting
            }
        }
        return transforms
    }

    public static func relayConfiguration(_ configuration: GatewayConfiguration) -> RelayConfiguration {
        relayConfiguration(
            aeTitle: configuration.aeTitle, port: configuration.port, allowedCallers: configuration.allowedCallers,
            maxAssociations: configuration.maxAssociations, spoolDirectory: configuration.spoolDirectory,
            workers: configuration.workers, retry: configuration.retry, destinations: configuration.destinations,
            retainDeliveredSeconds: configuration.retainDeliveredSeconds)
    }

    /// The relay core's settings from the node keys every node configuration shares (gateway and decryptor).
    package static func relayConfiguration(
        aeTitle: String, port: Int, allowedCallers: [String], maxAssociations: Int, spoolDirectory: String, workers: Int,
        retry: RetryPolicy, destinations: [Destination], retainDeliveredSeconds: Double
    ) -> RelayConfiguration {
        var scp = StorageSCPConfiguration(aeTitle: aeTitle, port: port, allowedCallingAETitles: allowedCallers)
        scp.maxAssociations = maxAssociations
        return RelayConfiguration(
            scp: scp, spool: Spool(root: URL(fileURLWithPath: spoolDirectory, isDirectory: true)),
            destinations: destinations, delivery: retry,
            workers: workers > 0 ? workers : ProcessInfo.processInfo.activeProcessorCount,
            retainDeliveredSeconds: retainDeliveredSeconds)
    }

    /// Builds the node (tests call this and run the node themselves).
    public static func makeNode(configuration: GatewayConfiguration, transforms: [String: any ObjectTransform]? = nil,
                                logger: Logger) throws -> RelayNode
    {
        _ = try GatewaySecret.loadOrCreate(spoolDirectory: configuration.spoolDirectory)
        return try RelayNode(
            configuration: relayConfiguration(configuration), intake: GatewayIntake(configuration: configuration),
            processor: GatewayProcessor(configuration: configuration, transforms: transforms ?? defaultTransforms(configuration: configuration)),
            logger: logger)
    }

    public static func run(configuration: GatewayConfiguration, transforms: [String: any ObjectTransform]? = nil,
                           logger: Logger) async throws
    {
        try await makeNode(configuration: configuration, transforms: transforms, logger: logger)
            .runUntilSignalled(adminHost: configuration.adminHost, adminPort: configuration.adminPort, logger: logger)
    }
}

/// `qkdgate queue`: shows and replays dead letters of a (running or stopped) node's spool — the gateway's, or the
/// decryptor's (same relay core, same queue).
public enum GatewayQueueCommands {
    /// What the queue commands need from a node's configuration.
    public struct Node: Sendable {
        public var spoolDirectory: String
        public var destinationNames: [String]
        public init(spoolDirectory: String, destinationNames: [String]) {
            self.spoolDirectory = spoolDirectory
            self.destinationNames = destinationNames
        }
    }

    public static func node(_ configuration: GatewayConfiguration) -> Node {
        Node(spoolDirectory: configuration.spoolDirectory, destinationNames: configuration.destinations.map(\.name))
    }

    public static func open(node: Node) throws(RelayError) -> RelayQueue {
        let spool = Spool(root: URL(fileURLWithPath: node.spoolDirectory, isDirectory: true))
        try spool.prepare()
        return try RelayQueue(path: spool.database.path)
    }

    /// One line per dead letter plus a summary; no patient attributes.
    public static func list(node: Node) throws(RelayError) -> String {
        let queue = try open(node: node)
        let dead = try queue.deadLetters()
        let counts = try queue.counts()
        var lines = ["dead letters: \(dead.count)"]
        for letter in dead {
            lines.append("delivery \(letter.id) object \(letter.objectID) -> \(letter.destination) attempts \(letter.attempts) sop-class \(letter.sopClassUID) error: \(letter.lastError ?? "-")")
        }
        lines.append("waiting: " + counts.pendingByDestination.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        lines.append("objects: " + counts.objectsByState.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        return lines.joined(separator: "\n")
    }

    public static func retry(node: Node, destination: String?) throws(RelayError) -> Int {
        if let destination, !node.destinationNames.contains(destination) {
            throw .configuration("unknown destination `\(destination)`; defined: \(node.destinationNames.joined(separator: ", "))")
        }
        return try open(node: node).retryDeadLetters(destination: destination)
    }

    public static func purge(node: Node) throws(RelayError) -> Int {
        let queue = try open(node: node)
        let spool = Spool(root: URL(fileURLWithPath: node.spoolDirectory, isDirectory: true))
        let (purged, finished) = try queue.purgeDeadLetters()
        try queue.forgetSwept(finished, spool: spool)
        return purged
    }

    public static func list(configuration: GatewayConfiguration) throws(RelayError) -> String {
        try list(node: node(configuration))
    }

    public static func retry(configuration: GatewayConfiguration, destination: String?) throws(RelayError) -> Int {
        try retry(node: node(configuration), destination: destination)
    }

    public static func purge(configuration: GatewayConfiguration) throws(RelayError) -> Int {
        try purge(node: node(configuration))
    }
}
