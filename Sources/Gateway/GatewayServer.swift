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
        var scp = StorageSCPConfiguration(
            aeTitle: configuration.aeTitle, port: configuration.port, allowedCallingAETitles: configuration.allowedCallers)
        scp.maxAssociations = configuration.maxAssociations
        let workers = configuration.workers > 0 ? configuration.workers : ProcessInfo.processInfo.activeProcessorCount
        return RelayConfiguration(
            scp: scp, spool: Spool(root: URL(fileURLWithPath: configuration.spoolDirectory, isDirectory: true)),
            destinations: configuration.destinations, delivery: configuration.retry, workers: workers,
            retainDeliveredSeconds: configuration.retainDeliveredSeconds)
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
        let node = try makeNode(configuration: configuration, transforms: transforms, logger: logger)
        var services: [any Service] = []
        if let adminPort = configuration.adminPort {
            services.append(AdminServer.makeApplication(node: node, host: configuration.adminHost, port: adminPort))
        }
        // Last listed stops first: the node (intake) drains before the admin endpoint goes away.
        services.append(node)
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}

/// `qkdgate queue`: shows and replays dead letters of a (running or stopped) gateway's spool.
public enum GatewayQueueCommands {
    public static func open(configuration: GatewayConfiguration) throws(RelayError) -> RelayQueue {
        let spool = Spool(root: URL(fileURLWithPath: configuration.spoolDirectory, isDirectory: true))
        try spool.prepare()
        return try RelayQueue(path: spool.database.path)
    }

    /// One line per dead letter plus a summary; no patient attributes.
    public static func list(configuration: GatewayConfiguration) throws(RelayError) -> String {
        let queue = try open(configuration: configuration)
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

    public static func retry(configuration: GatewayConfiguration, destination: String?) throws(RelayError) -> Int {
        if let destination, !configuration.destinations.contains(where: { $0.name == destination }) {
            throw .configuration("unknown destination `\(destination)`; defined: \(configuration.destinations.map(\.name).joined(separator: ", "))")
        }
        return try open(configuration: configuration).retryDeadLetters(destination: destination)
    }

    public static func purge(configuration: GatewayConfiguration) throws(RelayError) -> Int {
        let queue = try open(configuration: configuration)
        let spool = Spool(root: URL(fileURLWithPath: configuration.spoolDirectory, isDirectory: true))
        let (purged, finished) = try queue.purgeDeadLetters()
        for id in finished {
            try? FileManager.default.removeItem(at: spool.receivedFile(id: id))
            try? FileManager.default.removeItem(at: spool.outboxFile(id: id))
        }
        return purged
    }
}
