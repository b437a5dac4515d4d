import Foundation
public import Logging

/// `qkdgate kme bench`: the simulated secure key rate of the default link, and ETSI enc_keys requests per
/// second over mutual TLS from one client, then dec_keys at site B for every key enc_keys took (so site B's pool
/// holds that many assigned keys while it is asked), against `status` requests on the same connections as the
/// baseline measured in the same run.
public enum KMEBenchmark {
    public struct Result: Sendable, CustomStringConvertible {
        public var linkBlocks: Int
        public var linkAbortedBlocks: Int
        public var meanQBER: Double
        /// Distilled bits per simulated second of the link (pulse rate × yield).
        public var secureKeyRateBitsPerSecond: Double
        /// Distilled bits per second of CPU time the simulator needed (how fast this machine can simulate).
        public var simulatorBitsPerCPUSecond: Double
        public var requests: Int
        public var concurrency: Int
        public var statusPerSecond: Double
        public var encKeysPerSecond: Double
        /// dec_keys at site B, one key_ID per request, for the keys the enc_keys phase took.
        public var decKeysPerSecond: Double

        public var description: String {
            func f(_ x: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", x) }
            return """
                link (default parameters, \(linkBlocks) blocks, \(linkAbortedBlocks) aborted, mean QBER \(f(meanQBER * 100, 2)) %):
                  simulated secure key rate   \(f(secureKeyRateBitsPerSecond)) bit/s
                  simulator throughput        \(f(simulatorBitsPerCPUSecond)) distilled bit per CPU second
                KME over mTLS (\(requests) requests, \(concurrency) concurrent, keep-alive):
                  status (baseline)           \(f(statusPerSecond)) req/s
                  enc_keys (256-bit keys)     \(f(encKeysPerSecond)) req/s
                  enc_keys / status           \(f(encKeysPerSecond / statusPerSecond, 3))
                  dec_keys (by key_ID, site B) \(f(decKeysPerSecond)) req/s
                  dec_keys / status           \(f(decKeysPerSecond / statusPerSecond, 3))
                """
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case setup(String)
        case request(KeySourceError)
        public var description: String {
            switch self {
            case .setup(let s): "benchmark setup failed: \(s)"
            case .request(let e): "benchmark request failed: \(e)"
            }
        }
    }

    public static func run(directory: String, requests: Int, concurrency: Int, logger: Logger) async throws -> Result {
        precondition(requests > 0 && concurrency > 0, "requests and concurrency must be positive")
        let pki = try LocalPKI.generate(into: directory, portA: 0, portB: 0)
        var configuration = try KMEConfiguration.load(path: pki.configuration)
        configuration.linkEnabled = false
        configuration.maxKeyCount = max(configuration.maxKeyCount, requests + concurrency * 10 + 1_000)
        try? FileManager.default.removeItem(atPath: configuration.poolDirectory)

        // 1. The link: run blocks until the pools hold enough key for the request phase.
        var simulator = try BB84Simulator(parameters: configuration.link, random: BufferedSystemRandom())
        let server = try KMEServer(configuration: configuration, logger: logger)
        guard let poolA = server.poolA, let poolB = server.poolB else { throw Failure.setup("embedded mode needed") }
        var blocks = 0, aborted = 0, bits = 0
        var simulatedSeconds = 0.0, qberSum = 0.0
        var units = 0
        var cpuTicks: clock_t = 0
        while units < requests + concurrency * 10 + 100 || blocks < 20 {
            let cpuStart = clock()
            let block = simulator.runBlock()
            cpuTicks += clock() - cpuStart
            blocks += 1
            simulatedSeconds += block.report.simulatedSeconds
            qberSum += block.report.estimatedQBER
            guard block.report.outcome == .key else { aborted += 1; continue }
            bits += block.report.finalKeyBits
            var batch: [(id: String, material: [UInt8])] = []
            var offset = 0
            while offset + KeyPool.unitBytes <= block.key.count {
                batch.append((UUID().uuidString.lowercased(), Array(block.key[offset..<offset + KeyPool.unitBytes])))
                offset += KeyPool.unitBytes
            }
            try await poolB.insert(batch)
            try await poolA.insert(batch)
            units += batch.count
        }
        let cpuSeconds = Double(cpuTicks) / Double(CLOCKS_PER_SEC)

        // 2. The KME: start it, then time status and enc_keys from one client.
        let ready = AsyncStream<KMEServer.Ports>.makeStream()
        let serverTask = Task {
            try await server.run { ports in ready.continuation.yield(ports) }
        }
        defer { serverTask.cancel() }
        var iterator = ready.stream.makeAsyncIterator()
        guard let ports = await iterator.next() else { throw Failure.setup("the KME did not start") }
        guard let gateway = pki.saes["gateway"], let decryptor = pki.saes["decryptor"] else {
            throw Failure.setup("no gateway or decryptor certificate")
        }
        let client = try KMEClient(configuration: .init(
            baseURL: "https://127.0.0.1:\(ports.siteA)", peerSAEID: "decryptor",
            certificatePath: gateway.certificate, privateKeyPath: gateway.privateKey,
            caCertificatePath: pki.caCertificate))

        let slave = try KMEClient(configuration: .init(
            baseURL: "https://127.0.0.1:\(ports.siteB)", peerSAEID: "gateway",
            certificatePath: decryptor.certificate, privateKeyPath: decryptor.privateKey,
            caCertificatePath: pki.caCertificate))

        // Request i (0 ..< count) runs `call(i)` on one of `concurrency` workers; returns requests per second and
        // what the calls returned, in request order.
        func timed<T: Sendable>(_ count: Int, _ call: @escaping @Sendable (Int) async throws(KeySourceError) -> T)
            async throws -> (rate: Double, results: [T])
        {
            let start = ContinuousClock.now
            let results = try await withThrowingTaskGroup(of: [(Int, T)].self) { group in
                for worker in 0..<concurrency {
                    group.addTask {
                        var done: [(Int, T)] = []
                        for i in stride(from: worker, to: count, by: concurrency) {
                            do { done.append((i, try await call(i))) } catch let error as KeySourceError {
                                throw Failure.request(error)
                            }
                        }
                        return done
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }.sorted { $0.0 < $1.0 }.map(\.1)
            }
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            return (Double(count) / seconds, results)
        }
        _ = try await timed(concurrency * 10) { (_) async throws(KeySourceError) in _ = try await client.status() }
        // Site B answers only dec_keys to a slave SAE: its connections are warmed with keys of their own.
        let warmKeys = try await timed(concurrency * 10) { (_) async throws(KeySourceError) in
            try await client.newKey(bytes: 32).id
        }.results
        _ = try await timed(warmKeys.count) { (i) async throws(KeySourceError) in
            _ = try await slave.decKeys(keyIDs: [warmKeys[i]])
        }
        let statusRate = try await timed(requests) { (_) async throws(KeySourceError) in _ = try await client.status() }.rate
        let enc = try await timed(requests) { (_) async throws(KeySourceError) in
            try await client.newKey(bytes: 32).id   // enc_keys, one 256-bit key
        }
        let keyIDs = enc.results
        let decRate = try await timed(requests) { (i) async throws(KeySourceError) in
            _ = try await slave.decKeys(keyIDs: [keyIDs[i]])
        }.rate
        serverTask.cancel()
        _ = await serverTask.result
        let measuredBlocks = blocks - aborted
        return Result(
            linkBlocks: blocks, linkAbortedBlocks: aborted, meanQBER: qberSum / Double(blocks),
            secureKeyRateBitsPerSecond: Double(bits) / simulatedSeconds,
            simulatorBitsPerCPUSecond: measuredBlocks > 0 ? Double(bits) / cpuSeconds : 0,
            requests: requests, concurrency: concurrency, statusPerSecond: statusRate, encKeysPerSecond: enc.rate,
            decKeysPerSecond: decRate)
    }
}
