import Foundation
public import Logging
internal import Hummingbird
internal import HummingbirdTLS
internal import NIOCore
internal import NIOSSL
internal import ServiceLifecycle

/// The ETSI GS QKD 014 v1.1.1 key manager: two sites of one simulated link in one process ("embedded" mode).
///
/// Site A serves its master SAEs (`status`, `enc_keys`), site B its slave SAEs (`dec_keys`), each on its own
/// HTTPS port with client certificates; the SAE is the Common Name of its certificate, which must chain to the
/// configured CA. A background task runs the BB84 simulator and adds distilled key to both pools at the
/// simulated rate (pausing while the pools are full). See docs/kme.md for the API and error codes.
///
/// ```swift
/// let server = try KMEServer(configuration: try KMEConfiguration.load(path: "conf/kme.yaml"), logger: logger)
/// try await server.run { ports in print("site A on \(ports.siteA), site B on \(ports.siteB)") }
/// ```
public struct KMEServer: Sendable {
    /// Ports the two sites listen on once running (useful with port 0).
    public struct Ports: Sendable, Equatable {
        public var siteA: Int
        public var siteB: Int
    }

    public let configuration: KMEConfiguration
    let poolA: KeyPool
    let poolB: KeyPool
    let logger: Logger

    public init(configuration: KMEConfiguration, logger: Logger) throws(KMEServerError) {
        self.configuration = configuration
        self.logger = logger
        do {
            poolA = try KeyPool(path: configuration.poolDirectory + "/site-a.sqlite")
            poolB = try KeyPool(path: configuration.poolDirectory + "/site-b.sqlite")
        } catch {
            throw KMEServerError.pool(error)
        }
    }

    /// Runs both sites and the link until the task is cancelled or the process gets SIGTERM/SIGINT
    /// (when `handleSignals`). `onReady` is called once both sites listen.
    public func run(
        handleSignals: Bool = false,
        onReady: @escaping @Sendable (Ports) async -> Void = { _ in }
    ) async throws(KMEServerError) {
        let tlsA = try Self.serverTLS(site: configuration.siteA, ca: configuration.caCertificate)
        let tlsB = try Self.serverTLS(site: configuration.siteB, ca: configuration.caCertificate)
        let readiness = Readiness(onReady: onReady)
        let handlers = KMEHandlers(configuration: configuration, poolA: poolA, poolB: poolB, logger: logger)

        do {
            let appA = Application(
                router: handlers.router(site: .a),
                server: try .tls(.http1(), tlsConfiguration: tlsA),
                configuration: .init(address: .hostname(configuration.siteA.host, port: configuration.siteA.port),
                                     serverName: "qkdgate-kme"),
                onServerRunning: { channel in await readiness.set(a: channel.localAddress?.port ?? 0) },
                logger: logger)
            let appB = Application(
                router: handlers.router(site: .b),
                server: try .tls(.http1(), tlsConfiguration: tlsB),
                configuration: .init(address: .hostname(configuration.siteB.host, port: configuration.siteB.port),
                                     serverName: "qkdgate-kme"),
                onServerRunning: { channel in await readiness.set(b: channel.localAddress?.port ?? 0) },
                logger: logger)
            var services: [any Service] = [appA, appB]
            if configuration.linkEnabled {
                services.append(EmbeddedLink(configuration: configuration, poolA: poolA, poolB: poolB, logger: logger))
            }
            logger.notice("\(QKDModule.simulationNotice)")
            let group = ServiceGroup(configuration: .init(
                services: services,
                gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
                logger: logger))
            try await group.run()
        } catch let error as KMEServerError {
            throw error
        } catch {
            throw KMEServerError.server(reason: String(describing: error))
        }
    }

    static func serverTLS(site: KMEConfiguration.Site, ca: String) throws(KMEServerError) -> TLSConfiguration {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(site.certificate)
            let key = try NIOSSLPrivateKey(file: site.privateKey, format: .pem)
            let roots = try NIOSSLCertificate.fromPEMFile(ca)
            var tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            // Client certificates are required and must chain to our CA; the SAE ID is their Common Name.
            tls.certificateVerification = .noHostnameVerification
            tls.trustRoots = .certificates(roots)
            tls.minimumTLSVersion = .tlsv12
            return tls
        } catch {
            throw KMEServerError.tls(site: site.kmeID, reason: String(describing: error))
        }
    }

    /// Collects the two ports and reports once.
    actor Readiness {
        var a: Int?
        var b: Int?
        let onReady: @Sendable (Ports) async -> Void
        init(onReady: @escaping @Sendable (Ports) async -> Void) { self.onReady = onReady }
        func set(a port: Int) async { a = port; await fire() }
        func set(b port: Int) async { b = port; await fire() }
        private func fire() async {
            if let a, let b { await onReady(Ports(siteA: a, siteB: b)) }
        }
    }
}

/// Why the KME could not start or stopped.
public enum KMEServerError: Error, Sendable, CustomStringConvertible {
    case pool(KeyPoolError)
    case tls(site: String, reason: String)
    case server(reason: String)

    public var description: String {
        switch self {
        case .pool(let error): "KME key pool: \(error)"
        case .tls(let site, let reason):
            "KME \(site) cannot load its TLS identity: \(reason); check the certificate, key and CA paths "
                + "(qkdgate kme init-pki writes a working set)"
        case .server(let reason): "KME server failed: \(reason)"
        }
    }
}

/// The background producer of the embedded link: runs BB84 blocks and adds their key to both pools.
struct EmbeddedLink: Service {
    let configuration: KMEConfiguration
    let poolA: KeyPool
    let poolB: KeyPool
    let logger: Logger

    func run() async throws {
        if let seed = configuration.linkSeed {
            var simulator = try BB84Simulator(parameters: configuration.link, random: SeededRandom(seed: seed))
            try await loop(&simulator)
        } else {
            var simulator = try BB84Simulator(parameters: configuration.link, random: BufferedSystemRandom())
            try await loop(&simulator)
        }
    }

    private func loop<G>(_ simulator: inout BB84Simulator<G>) async throws {
        let clock = ContinuousClock()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let available = try await poolA.availableUnits()
            if available >= configuration.maxKeyCount {
                try? await Task.sleep(for: .milliseconds(200))
                continue
            }
            let started = clock.now
            let block = simulator.runBlock()
            let report = block.report
            switch report.outcome {
            case .key:
                var units: [(id: String, material: [UInt8])] = []
                var offset = 0
                while offset + KeyPool.unitBytes <= block.key.count {
                    units.append((UUID().uuidString.lowercased(), Array(block.key[offset..<(offset + KeyPool.unitBytes)])))
                    offset += KeyPool.unitBytes
                }
                // Site B first: a unit only A holds could be handed to a master while its slave can never get it.
                try await poolB.insert(units)
                try await poolA.insert(units)
                logger.debug("link block distilled", metadata: [
                    "sifted": "\(report.siftedBits)", "qber": "\(report.estimatedQBER)",
                    "leak": "\(report.cascadeLeakBits)", "final_bits": "\(report.finalKeyBits)",
                    "units": "\(units.count)",
                ])
            case .abortedQBER:
                logger.warning("link block aborted: estimated QBER above threshold (eavesdropper or broken link)",
                               metadata: ["qber": "\(report.estimatedQBER)",
                                          "threshold": "\(configuration.link.qberAbortThreshold)"])
            case .abortedVerification, .abortedNoSecretKey:
                logger.warning("link block discarded", metadata: ["outcome": "\(report.outcome)"])
            }
            // Keep to the simulated pace: a block may not arrive sooner than the link could have sent it.
            let elapsed = clock.now - started
            let simulated = Duration.seconds(report.simulatedSeconds)
            if simulated > elapsed {
                try? await Task.sleep(for: simulated - elapsed)
            } else {
                await Task.yield()
            }
        }
    }
}
