import Foundation
import Testing
@testable import QKD
#if canImport(Glibc)
import Glibc
#endif

/// The ETSI GS QKD 014 server and client, in process, over real mTLS on 127.0.0.1.
@Suite("KME server and client")
struct KMEServerTests {
    @Test("enc_keys at site A and dec_keys at site B give the same key under the same key_ID")
    func roundTrip() async throws {
        try await withTemporaryDirectory { dir in
            try await RunningKME.with(in: dir, prefillUnits: 40) { kme in
                let master = try kme.masterClient()
                let slave = try kme.slaveClient()
                let status = try await master.status()
                #expect(status.sourceKMEID == "KME-A" && status.targetKMEID == "KME-B")
                #expect(status.masterSAEID == "gateway" && status.slaveSAEID == "decryptor")
                #expect(status.storedKeyCount == 40 && status.keySize == 256)

                let key = try await master.newKey(bytes: 150)         // a bundle-sized key: 5 units
                #expect(key.bytes.count == 150)
                #expect(UUID(uuidString: key.id) != nil)
                let same = try await slave.key(id: key.id)
                #expect(same.bytes == key.bytes && same.id.lowercased() == key.id.lowercased())

                let batch = try await master.encKeys(number: 3, sizeBits: 256)
                #expect(Set(batch.map(\.id)).count == 3)
                #expect(Set(batch.map(\.bytes)).count == 3)
                let fetched = try await slave.decKeys(keyIDs: batch.map(\.id))
                #expect(fetched.map(\.bytes) == batch.map(\.bytes))
                #expect(try await master.status().storedKeyCount == 40 - 5 - 3)
            }
        }
    }

    @Test("a key_ID fetched twice by dec_keys is refused the second time")
    func decKeysOnce() async throws {
        try await withTemporaryDirectory { dir in
            try await RunningKME.with(in: dir, prefillUnits: 4) { kme in
                let key = try await kme.masterClient().newKey(bytes: 32)
                let slave = try kme.slaveClient()
                _ = try await slave.key(id: key.id)
                await #expect(throws: KeySourceError.notFound(keyID: key.id)) {
                    _ = try await slave.key(id: key.id)
                }
                // A key_ID that was never issued is refused the same way, and nothing is consumed by the attempt.
                let unknown = UUID().uuidString.lowercased()
                await #expect(throws: KeySourceError.notFound(keyID: unknown)) { _ = try await slave.key(id: unknown) }
            }
        }
    }

    @Test("enc_keys on an empty pool answers 503, which the client reports as retryable")
    func emptyPool() async throws {
        try await withTemporaryDirectory { dir in
            try await RunningKME.with(in: dir, prefillUnits: 1) { kme in
                let master = try kme.masterClient()
                _ = try await master.newKey(bytes: 32)
                do {
                    _ = try await master.newKey(bytes: 32)
                    Issue.record("an empty pool delivered a key")
                } catch let error as KeySourceError {
                    guard case .unavailable = error else {
                        Issue.record("expected 503 unavailable, got \(error)")
                        return
                    }
                    #expect(error.isRetryable)
                }
                // More than the pool holds in one request is also 503, and takes nothing.
                #expect(try await master.status().storedKeyCount == 0)
            }
        }
    }

    @Test("a client certificate from another CA is rejected at TLS; a valid SAE at the wrong site gets 401")
    func wrongCertificate() async throws {
        try await withTemporaryDirectory { dir in
            let foreign = try LocalPKI.generate(into: dir + "/foreign", portA: 0, portB: 0)
            try await RunningKME.with(in: dir + "/kme", prefillUnits: 4) { kme in
                let impostor = try #require(foreign.saes["gateway"])
                // Trusts our CA (so the server is accepted) but presents a certificate our CA never signed.
                let client = try KMEClient(configuration: .init(
                    baseURL: kme.siteA, peerSAEID: "decryptor", certificatePath: impostor.certificate,
                    privateKeyPath: impostor.privateKey, caCertificatePath: kme.pki.caCertificate, timeoutSeconds: 5))
                do {
                    _ = try await client.newKey(bytes: 32)
                    Issue.record("a foreign certificate got a key")
                } catch let error as KeySourceError {
                    switch error {
                    case .tls, .connection: break                         // handshake refused
                    case .rejected(let status, _): #expect(status == 401)
                    default: Issue.record("unexpected error \(error)")
                    }
                }
                // The slave SAE's own valid certificate may not draw keys at site A …
                let slaveAtA = try KMEClient(configuration: .init(
                    baseURL: kme.siteA, peerSAEID: "decryptor",
                    certificatePath: try #require(kme.pki.saes["decryptor"]).certificate,
                    privateKeyPath: try #require(kme.pki.saes["decryptor"]).privateKey,
                    caCertificatePath: kme.pki.caCertificate))
                await #expect(throws: KeySourceError.self) { _ = try await slaveAtA.newKey(bytes: 32) }
                do { _ = try await slaveAtA.newKey(bytes: 32) } catch let error as KeySourceError {
                    guard case .rejected(401, _) = error else { Issue.record("expected 401, got \(error)"); return }
                }
                // … and another master may not fetch the gateway's keys at site B.
                let key = try await kme.masterClient().newKey(bytes: 32)
                let gateway2AtB = try KMEClient(configuration: .init(
                    baseURL: kme.siteB, peerSAEID: "gateway",
                    certificatePath: try #require(kme.pki.saes["gateway2"]).certificate,
                    privateKeyPath: try #require(kme.pki.saes["gateway2"]).privateKey,
                    caCertificatePath: kme.pki.caCertificate))
                do {
                    _ = try await gateway2AtB.key(id: key.id)
                    Issue.record("another SAE fetched the gateway's key")
                } catch let error as KeySourceError {
                    guard case .rejected(401, _) = error else { Issue.record("expected 401, got \(error)"); return }
                }
                // The rightful slave still gets it: the refused attempts consumed nothing.
                #expect(try await kme.slaveClient().key(id: key.id).bytes == key.bytes)
            }
        }
    }

    @Test("no key material in the KME's logs (hex or base64 of every key handed out)")
    func noKeysInLogs() async throws {
        let capture = LogCapture()
        try await withTemporaryDirectory { dir in
            var handedOut: [[UInt8]] = []
            try await RunningKME.with(in: dir, logger: capture.logger(), prefillUnits: 30, adjust: { config in
                config.linkEnabled = true
                config.linkSeed = 5
                config.link.siftedBitsPerBlock = 4_096
            }) { kme in
                let master = try kme.masterClient()
                let slave = try kme.slaveClient()
                for bytes in [32, 64, 100] {
                    let key = try await master.newKey(bytes: bytes)
                    handedOut.append(key.bytes)
                    handedOut.append(try await slave.key(id: key.id).bytes)
                }
                let batch = try await master.encKeys(number: 4, sizeBits: 256)
                handedOut += batch.map(\.bytes)
                _ = try? await slave.key(id: batch[0].id)
                _ = try? await slave.key(id: batch[0].id)              // refused: logged, without the key
            }
            let log = capture.text
            #expect(log.contains("enc_keys delivered"))                 // the capture did see the KME's lines
            for key in handedOut {
                let hex = key.map { String(format: "%02x", $0) }.joined()
                let base64 = Data(key).base64EncodedString()
                #expect(!log.lowercased().contains(hex.prefix(16)), "hex key material in the log")
                #expect(!log.contains(base64.prefix(16)), "base64 key material in the log")
                let spaced = key.prefix(8).map { String($0) }.joined(separator: ", ")
                #expect(!log.contains(spaced), "key bytes as a Swift array in the log")
            }
        }
    }

    @Test("a KME that accepts the connection but never answers gives a retryable timeout")
    func timeout() async throws {
        try await withTemporaryDirectory { dir in
            let pki = try LocalPKI.generate(into: dir, portA: 0, portB: 0)
            // A listening socket nobody accepts from: TCP connects (the kernel's backlog), TLS never starts.
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            #expect(fd >= 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
            }
            #expect(bound == 0 && listen(fd, 8) == 0)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            let port = Int(UInt16(bigEndian: address.sin_port))
            let gateway = try #require(pki.saes["gateway"])
            let client = try KMEClient(configuration: .init(
                baseURL: "https://127.0.0.1:\(port)", peerSAEID: "decryptor", certificatePath: gateway.certificate,
                privateKeyPath: gateway.privateKey, caCertificatePath: pki.caCertificate, timeoutSeconds: 1))
            do {
                _ = try await client.newKey(bytes: 32)
                Issue.record("a silent KME delivered a key")
            } catch let error as KeySourceError {
                #expect(error.isRetryable, "got \(error)")
                if case .timeout = error {} else { Issue.record("expected a timeout, got \(error)") }
            }
        }
    }
}
