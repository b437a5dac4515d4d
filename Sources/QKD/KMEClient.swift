import Foundation
internal import AsyncHTTPClient
internal import NIOCore
internal import NIOHTTP1
internal import NIOSSL

/// Where and as whom an SAE talks to its KME.
public struct KMEClientConfiguration: Sendable, Equatable {
    /// Base URL of the KME, e.g. `https://127.0.0.1:8443` (site A for a master SAE, site B for a slave SAE).
    public var baseURL: String
    /// The other SAE: the slave SAE ID when this SAE calls enc_keys, the master SAE ID when it calls dec_keys.
    public var peerSAEID: String
    /// This SAE's client certificate (PEM; its Common Name is the SAE ID), its private key, and the CA.
    public var certificatePath: String
    public var privateKeyPath: String
    public var caCertificatePath: String
    /// Seconds before a request counts as timed out (a retryable error).
    public var timeoutSeconds: Double

    public init(baseURL: String, peerSAEID: String, certificatePath: String, privateKeyPath: String,
                caCertificatePath: String, timeoutSeconds: Double = 10) {
        self.baseURL = baseURL
        self.peerSAEID = peerSAEID
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.caCertificatePath = caCertificatePath
        self.timeoutSeconds = timeoutSeconds
    }
}

/// The `status` object of ETSI GS QKD 014 §6.1.
public struct KMEStatus: Sendable, Equatable {
    public var sourceKMEID: String
    public var targetKMEID: String
    public var masterSAEID: String
    public var slaveSAEID: String
    public var keySize: Int
    public var storedKeyCount: Int
    public var maxKeyCount: Int
    public var maxKeyPerRequest: Int
    public var maxKeySize: Int
    public var minKeySize: Int
}

/// An ETSI GS QKD 014 client over HTTPS with a client certificate (AsyncHTTPClient, keep-alive connections
/// from the shared client's pool). A value type: copy it freely; it needs no shutdown.
public struct KMEClient: KeySource {
    public let configuration: KMEClientConfiguration
    private let tls: TLSConfiguration
    private let base: String

    public init(configuration: KMEClientConfiguration) throws(KeySourceError) {
        self.configuration = configuration
        var base = configuration.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        guard base.hasPrefix("https://") else {
            throw KeySourceError.invalidRequest(reason: "KME URL \(configuration.baseURL) must start with https://")
        }
        self.base = base
        guard KMEConfiguration.isValidSAEID(configuration.peerSAEID) else {
            throw KeySourceError.invalidRequest(reason: "'\(configuration.peerSAEID)' is not a valid SAE ID")
        }
        do {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(configuration.certificatePath)
                .map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: configuration.privateKeyPath, format: .pem))
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(configuration.caCertificatePath))
            tls.minimumTLSVersion = .tlsv12
            self.tls = tls
        } catch {
            throw KeySourceError.tls(reason: "cannot load the client certificate, key or CA (\(error))")
        }
    }

    // MARK: KeySource

    public func newKey(bytes: Int) async throws(KeySourceError) -> QKDKey {
        guard bytes > 0 else { throw KeySourceError.invalidRequest(reason: "a key needs at least one byte") }
        let keys = try await encKeys(number: 1, sizeBits: bytes * 8)
        guard let key = keys.first else { throw KeySourceError.invalidResponse(reason: "enc_keys returned no key") }
        return key
    }

    public func key(id: String) async throws(KeySourceError) -> QKDKey {
        let keys = try await decKeys(keyIDs: [id])
        guard let key = keys.first else { throw KeySourceError.invalidResponse(reason: "dec_keys returned no key") }
        return key
    }

    // MARK: ETSI GS QKD 014 calls

    /// `GET /api/v1/keys/{slave_SAE_ID}/status` (as master SAE).
    public func status() async throws(KeySourceError) -> KMEStatus {
        let data = try await send(path: "status", method: .GET, body: nil)
        guard let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw KeySourceError.invalidResponse(reason: "status is not a JSON object")
        }
        func s(_ k: String) throws(KeySourceError) -> String {
            guard let v = o[k] as? String else { throw KeySourceError.invalidResponse(reason: "status lacks \(k)") }
            return v
        }
        func i(_ k: String) throws(KeySourceError) -> Int {
            guard let v = o[k] as? Int else { throw KeySourceError.invalidResponse(reason: "status lacks \(k)") }
            return v
        }
        return KMEStatus(
            sourceKMEID: try s("source_KME_ID"), targetKMEID: try s("target_KME_ID"),
            masterSAEID: try s("master_SAE_ID"), slaveSAEID: try s("slave_SAE_ID"), keySize: try i("key_size"),
            storedKeyCount: try i("stored_key_count"), maxKeyCount: try i("max_key_count"),
            maxKeyPerRequest: try i("max_key_per_request"), maxKeySize: try i("max_key_size"),
            minKeySize: try i("min_key_size"))
    }

    /// `POST /api/v1/keys/{slave_SAE_ID}/enc_keys` (as master SAE): `number` fresh keys of `sizeBits` bits.
    public func encKeys(number: Int, sizeBits: Int) async throws(KeySourceError) -> [QKDKey] {
        let body = "{\"number\":\(number),\"size\":\(sizeBits)}"
        let data = try await send(path: "enc_keys", method: .POST, body: body)
        let keys = try parseKeys(data, master: nil, slave: configuration.peerSAEID)
        guard keys.count == number, keys.allSatisfy({ $0.bytes.count * 8 == sizeBits }) else {
            throw KeySourceError.invalidResponse(reason: "enc_keys returned \(keys.count) keys, not \(number) of \(sizeBits) bits")
        }
        return keys
    }

    /// `POST /api/v1/keys/{master_SAE_ID}/dec_keys` (as slave SAE): the keys with these key_IDs.
    public func decKeys(keyIDs: [String]) async throws(KeySourceError) -> [QKDKey] {
        guard !keyIDs.isEmpty, keyIDs.allSatisfy({ UUID(uuidString: $0) != nil }) else {
            throw KeySourceError.invalidRequest(reason: "dec_keys needs one or more key_IDs in UUID form")
        }
        let list = keyIDs.map { "{\"key_ID\":\"\($0)\"}" }.joined(separator: ",")
        let data: Data
        do {
            data = try await send(path: "dec_keys", method: .POST, body: "{\"key_IDs\":[\(list)]}")
        } catch {
            if case .rejected(400, _) = error, keyIDs.count == 1 {
                throw KeySourceError.notFound(keyID: keyIDs[0])
            }
            throw error
        }
        let keys = try parseKeys(data, master: configuration.peerSAEID, slave: nil)
        let wanted = Set(keyIDs.map { $0.lowercased() })
        guard keys.count == keyIDs.count, Set(keys.map { $0.id.lowercased() }) == wanted else {
            throw KeySourceError.invalidResponse(reason: "dec_keys returned other key_IDs than asked for")
        }
        return keys
    }

    // MARK: Transport

    private func parseKeys(_ data: Data, master: String?, slave: String?) throws(KeySourceError) -> [QKDKey] {
        guard let container = try? JSONDecoder().decode(ETSI.KeyContainer.self, from: data) else {
            throw KeySourceError.invalidResponse(reason: "not a key container ({\"keys\": [{\"key_ID\", \"key\"}]})")
        }
        var keys: [QKDKey] = []
        for entry in container.keys {
            guard UUID(uuidString: entry.key_ID) != nil, let bytes = Data(base64Encoded: entry.key) else {
                throw KeySourceError.invalidResponse(reason: "a key has a malformed key_ID or non-base64 key")
            }
            keys.append(QKDKey(id: entry.key_ID, bytes: Array(bytes), kmeID: nil, masterSAEID: master,
                               slaveSAEID: slave))
        }
        return keys
    }

    private func send(path: String, method: HTTPMethod, body: String?) async throws(KeySourceError) -> Data {
        let url = "\(base)/api/v1/keys/\(configuration.peerSAEID)/\(path)"
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.tlsConfiguration = tls
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let timeout = TimeAmount.nanoseconds(Int64(configuration.timeoutSeconds * 1e9))
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: timeout)
            let buffer = try await response.body.collect(upTo: 4 << 20)
            let data = Data(buffer.readableBytesView)
            let status = Int(response.status.code)
            guard status == 200 else {
                let message = (try? JSONDecoder().decode(ETSI.ErrorBody.self, from: data))?.message
                    ?? "no ETSI error message"
                if status == 503 { throw KeySourceError.unavailable(message: message) }
                throw KeySourceError.rejected(status: status, message: message)
            }
            return data
        } catch let error as KeySourceError {
            throw error
        } catch let error as HTTPClientError {
            switch error {
            case .deadlineExceeded, .connectTimeout, .readTimeout, .writeTimeout, .tlsHandshakeTimeout,
                 .getConnectionFromPoolTimeout:
                throw KeySourceError.timeout(url: url, seconds: configuration.timeoutSeconds)
            default:
                throw KeySourceError.connection(url: url, reason: String(describing: error))
            }
        } catch let error as NIOSSLError {
            throw KeySourceError.tls(reason: String(describing: error))
        } catch let error as BoringSSLError {
            throw KeySourceError.tls(reason: String(describing: error))
        } catch {
            throw KeySourceError.connection(url: url, reason: String(describing: error))
        }
    }
}
