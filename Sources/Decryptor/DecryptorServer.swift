import Foundation
public import Logging
public import Relay
import Gateway
public import Protection
import QKD

/// `qkdgate decryptor`: builds the relay node that restores encrypted objects and runs it until SIGTERM/SIGINT.
public enum DecryptorServer {
    public static func relayConfiguration(_ configuration: DecryptorConfiguration) -> RelayConfiguration {
        GatewayServer.relayConfiguration(
            aeTitle: configuration.aeTitle, port: configuration.port, allowedCallers: configuration.allowedCallers,
            maxAssociations: configuration.maxAssociations, spoolDirectory: configuration.spoolDirectory,
            workers: configuration.workers, retry: configuration.retry, destinations: configuration.destinations,
            retainDeliveredSeconds: configuration.retainDeliveredSeconds)
    }

    /// The protector: keys by key_ID from this site's KME, kept in the spool's key store.
    public static func protector(for configuration: DecryptorConfiguration) throws -> ObjectProtector {
        let client = try configuration.kme.client()
        let spool = Spool(root: URL(fileURLWithPath: configuration.spoolDirectory, isDirectory: true))
        try spool.prepare()
        let store = try RetainedKeySource(
            base: client, path: spool.root.appendingPathComponent("keys.sqlite"), retentionDays: configuration.keyRetentionDays)
        // The UID secret is the gateway's business; restoring reads the original UID from the bundle.
        return ObjectProtector(keySource: store, keySourceKind: .qkd, uidSecret: [])
    }

    /// Builds the node (tests call this and run the node themselves).
    public static func makeNode(configuration: DecryptorConfiguration, logger: Logger) throws -> RelayNode {
        try RelayNode(
            configuration: relayConfiguration(configuration),
            intake: DecryptorIntake(destinations: configuration.destinations.map(\.name)),
            processor: DecryptorProcessor(protector: try protector(for: configuration), unencrypted: configuration.unencrypted,
                                          outputSyntax: configuration.outputSyntax),
            logger: logger)
    }

    public static func run(configuration: DecryptorConfiguration, logger: Logger) async throws {
        try await makeNode(configuration: configuration, logger: logger)
            .runUntilSignalled(adminHost: configuration.adminHost, adminPort: configuration.adminPort, logger: logger)
    }
}
