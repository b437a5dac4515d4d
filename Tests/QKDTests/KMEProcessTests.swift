import Foundation
import Testing
@testable import QKD
#if canImport(Glibc)
import Glibc
#endif

/// The built `qkdgate` executable, next to the test bundle or under the package's .build/debug.
enum BuiltExecutable {
    static var qkdgate: URL? {
        var candidates: [URL] = []
        if let first = CommandLine.arguments.first {
            let runner = URL(fileURLWithPath: first).deletingLastPathComponent()
            candidates.append(runner.appendingPathComponent("qkdgate"))
            candidates.append(runner.deletingLastPathComponent().appendingPathComponent("qkdgate"))
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/qkdgate"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }
}

/// A `qkdgate kme` child process; stdout collected on a thread, waited for with a deadline.
final class KMEProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var output = ""

    init(executable: URL, config: String) throws {
        process.executableURL = executable
        process.arguments = ["kme", "--config", config, "--log-level", "info"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        let handle = pipe.fileHandleForReading
        try process.run()
        Thread.detachNewThread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                lock.lock()
                output += String(decoding: data, as: UTF8.self)
                lock.unlock()
            }
        }
    }

    private func snapshot() -> String {
        lock.lock()
        defer { lock.unlock() }
        return output
    }

    /// Waits for the "KME ready" line and returns the two ports.
    func ports(timeout: Double = 60) async throws -> KMEServer.Ports {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = snapshot()
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("KME ready") }) {
                let ports = line.split(separator: " ").compactMap { $0.split(separator: ":").last.flatMap { Int($0) } }
                if ports.count == 2 { return KMEServer.Ports(siteA: ports[0], siteB: ports[1]) }
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw KMETestError.didNotStart
    }

    func kill9() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

@Suite("KME process: durability across kill -9")
struct KMEProcessTests {
    @Test("keys survive a KME restart after kill -9 and are never handed out twice",
          .enabled(if: BuiltExecutable.qkdgate != nil, "the qkdgate executable is not built (run swift build first)"))
    func restartAfterKill() async throws {
        let executable = try #require(BuiltExecutable.qkdgate)
        try await withTemporaryDirectory { dir in
            let pki = try LocalPKI.generate(into: dir, portA: 0, portB: 0)
            // Short blocks so a debug build distils key within a second or two; a small pool caps the work.
            var yaml = try String(contentsOfFile: pki.configuration, encoding: .utf8)
            yaml = yaml.replacingOccurrences(of: "sifted_bits_per_block: 32768", with: "sifted_bits_per_block: 4096")
                .replacingOccurrences(of: "max_key_count: 100000", with: "max_key_count: 400")
            try yaml.write(toFile: pki.configuration, atomically: true, encoding: .utf8)
            let gateway = try #require(pki.saes["gateway"])
            let decryptor = try #require(pki.saes["decryptor"])
            func clients(_ ports: KMEServer.Ports) throws -> (KMEClient, KMEClient) {
                (try KMEClient(configuration: .init(
                    baseURL: "https://127.0.0.1:\(ports.siteA)", peerSAEID: "decryptor",
                    certificatePath: gateway.certificate, privateKeyPath: gateway.privateKey,
                    caCertificatePath: pki.caCertificate, timeoutSeconds: 5)),
                 try KMEClient(configuration: .init(
                    baseURL: "https://127.0.0.1:\(ports.siteB)", peerSAEID: "gateway",
                    certificatePath: decryptor.certificate, privateKeyPath: decryptor.privateKey,
                    caCertificatePath: pki.caCertificate, timeoutSeconds: 5)))
            }
            func waitForKey(_ master: KMEClient, atLeast: Int) async throws {
                for _ in 0..<600 {
                    if let status = try? await master.status(), status.storedKeyCount >= atLeast { return }
                    try await Task.sleep(for: .milliseconds(100))
                }
                Issue.record("the link distilled no key within 60 s")
            }

            var delivered: [QKDKey] = []                                   // every key a master received
            // Run 1: take keys, fetch one at the slave, then kill -9 in the middle of a burst of requests.
            let first = try KMEProcess(executable: executable, config: pki.configuration)
            defer { first.kill9() }
            let ports1 = try await first.ports()
            let (master1, slave1) = try clients(ports1)
            try await waitForKey(master1, atLeast: 60)
            for _ in 0..<4 { delivered.append(try await master1.newKey(bytes: 32)) }
            let fetchedBefore = try await slave1.key(id: delivered[0].id)
            #expect(fetchedBefore.bytes == delivered[0].bytes)
            let burst = await withTaskGroup(of: QKDKey?.self) { group in
                for i in 0..<40 {
                    group.addTask {
                        if i == 20 { first.kill9() }
                        return try? await master1.newKey(bytes: 32)
                    }
                }
                var keys: [QKDKey] = []
                for await key in group { if let key { keys.append(key) } }
                return keys
            }
            first.kill9()
            delivered += burst

            // Run 2: same configuration and pool files.
            let second = try KMEProcess(executable: executable, config: pki.configuration)
            defer { second.stop() }
            let ports2 = try await second.ports()
            let (master2, slave2) = try clients(ports2)
            // Keys delivered to the master before the crash are still there for the slave …
            for key in delivered[1...3] {
                #expect(try await slave2.key(id: key.id).bytes == key.bytes)
            }
            // … and one the slave already had is not delivered again.
            await #expect(throws: KeySourceError.notFound(keyID: delivered[0].id)) {
                _ = try await slave2.key(id: delivered[0].id)
            }
            // Fresh keys after the restart share no key_ID and no material with anything handed out before.
            try await waitForKey(master2, atLeast: 10)
            var after: [QKDKey] = []
            for _ in 0..<10 { after.append(try await master2.newKey(bytes: 32)) }
            let allIDs = (delivered + after).map { $0.id.lowercased() }
            let allBytes = (delivered + after).map(\.bytes)
            #expect(Set(allIDs).count == allIDs.count, "a key_ID was handed out twice")
            #expect(Set(allBytes).count == allBytes.count, "key material was handed out twice")
            // Burst keys the master received before the kill are fetchable exactly once.
            for key in burst {
                #expect(try await slave2.key(id: key.id).bytes == key.bytes)
            }
        }
    }
}

@Suite("KME conformance against independent ETSI 014 clients (Python)")
struct KMEConformanceTests {
    static let pythonReady: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import etsi_qkd_014_client, qkdsec"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    @Test("etsi-qkd-014-client and qkdsec's probe against the KME: status, enc_keys, dec_keys, error codes",
          .enabled(if: pythonReady, "needs python3 with etsi-qkd-014-client and qkdsec (pip install etsi-qkd-014-client qkdsec)"))
    func conformance() async throws {
        try await withTemporaryDirectory { dir in
            try await RunningKME.with(in: dir, prefillUnits: 1_000) { kme in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = [
                    "python3", BuiltExecutable.repositoryRoot.appendingPathComponent("scripts/kme_conformance.py").path,
                    "--pki", dir, "--site-a", "127.0.0.1:\(kme.ports.siteA)", "--site-b", "127.0.0.1:\(kme.ports.siteB)",
                ]
                let pipe = Pipe()
                process.standardOutput = pipe
                process.standardError = pipe
                try process.run()
                let data = try await Task.detached { pipe.fileHandleForReading.readDataToEndOfFile() }.value
                process.waitUntilExit()
                let output = String(decoding: data, as: UTF8.self)
                #expect(process.terminationStatus == 0, "\(output)")
                #expect(output.contains("all checks passed"))
                // Our checks print "PASS …"/"FAIL …" at the start of a line; qkdsec's report lines are indented.
                #expect(!output.split(separator: "\n").contains { $0.hasPrefix("FAIL ") }, "\(output)")
                #expect(output.split(separator: "\n").filter { $0.hasPrefix("PASS ") }.count >= 25, "\(output)")
            }
        }
    }
}
