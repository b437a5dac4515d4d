import Foundation
import Logging
import Testing
@testable import QKD

/// A temporary directory removed when the value is dropped by `withTemporaryDirectory`.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qkdtests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    return try await body(dir)
}

/// Log lines captured from a logger (for the no-key-material-in-logs test).
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) {
        lock.lock(); defer { lock.unlock() }
        lines.append(line)
    }

    var text: String {
        lock.lock(); defer { lock.unlock() }
        return lines.joined(separator: "\n")
    }

    func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "qkdtests") { _ in CaptureHandler(capture: self) }
        logger.logLevel = level
        return logger
    }

    struct CaptureHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append("\(event.level) \(event.message) \(merged) \(event.source) \(event.file):\(event.line)")
        }
    }
}

/// An in-process KME on free ports with a fresh PKI; stopped when `body` returns or throws.
struct RunningKME: Sendable {
    var pki: LocalPKI.Layout
    var configuration: KMEConfiguration
    var ports: KMEServer.Ports
    var server: KMEServer

    var siteA: String { "https://127.0.0.1:\(ports.siteA)" }
    var siteB: String { "https://127.0.0.1:\(ports.siteB)" }

    /// enc_keys client for the master SAE `gateway`.
    func masterClient(_ sae: String = "gateway", peer: String = "decryptor") throws -> KMEClient {
        let id = try #require(pki.saes[sae])
        return try KMEClient(configuration: .init(
            baseURL: siteA, peerSAEID: peer, certificatePath: id.certificate, privateKeyPath: id.privateKey,
            caCertificatePath: pki.caCertificate, timeoutSeconds: 5))
    }

    /// dec_keys client for the slave SAE `decryptor`.
    func slaveClient(_ sae: String = "decryptor", peer: String = "gateway") throws -> KMEClient {
        let id = try #require(pki.saes[sae])
        return try KMEClient(configuration: .init(
            baseURL: siteB, peerSAEID: peer, certificatePath: id.certificate, privateKeyPath: id.privateKey,
            caCertificatePath: pki.caCertificate, timeoutSeconds: 5))
    }

    /// Writes a PKI into `dir`, loads its kme.yaml with ports 0, lets `adjust` change it, prefills both pools with
    /// `prefillUnits` units (CSPRNG bytes; the link itself is covered by the simulator tests), runs the server.
    static func with<T>(
        in dir: String, logger: Logger = Logger(label: "qkdtests-kme"), prefillUnits: Int = 0,
        adjust: (inout KMEConfiguration) -> Void = { $0.linkEnabled = false },
        _ body: (RunningKME) async throws -> T
    ) async throws -> T {
        let pki = try LocalPKI.generate(into: dir, masterSAEs: ["gateway", "gateway2"], slaveSAEs: ["decryptor"],
                                        portA: 0, portB: 0)
        var configuration = try KMEConfiguration.load(path: pki.configuration)
        adjust(&configuration)
        let server = try KMEServer(configuration: configuration, logger: logger)
        if prefillUnits > 0 {
            var rng = BufferedSystemRandom()
            let units = (0..<prefillUnits).map { _ in
                (id: UUID().uuidString.lowercased(),
                 material: (0..<KeyPool.unitBytes).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            }
            try await server.poolB.insert(units)
            try await server.poolA.insert(units)
        }
        let (stream, continuation) = AsyncStream<KMEServer.Ports>.makeStream()
        let task = Task { try await server.run { continuation.yield($0) } }
        defer { task.cancel() }
        var iterator = stream.makeAsyncIterator()
        guard let ports = await iterator.next() else { throw KMETestError.didNotStart }
        let running = RunningKME(pki: pki, configuration: configuration, ports: ports, server: server)
        do {
            let result = try await body(running)
            task.cancel()
            _ = await task.result
            return result
        } catch {
            task.cancel()
            _ = await task.result
            throw error
        }
    }
}

enum KMETestError: Error { case didNotStart }
