/// A QKD key as an SAE receives it: the ETSI key_ID (a UUID) and the key bytes, plus the KME and SAE IDs when
/// the source knows them. `description` never shows the bytes.
public struct QKDKey: Sendable, Equatable, CustomStringConvertible {
    /// ETSI key_ID, a UUID string; the peer SAE asks for the same key with it.
    public let id: String
    /// Key material. Never logged.
    public let bytes: [UInt8]
    /// ID of the KME that delivered the key, if known.
    public let kmeID: String?
    /// Master SAE (the one that called enc_keys), if known.
    public let masterSAEID: String?
    /// Slave SAE (the one that may call dec_keys), if known.
    public let slaveSAEID: String?

    public init(id: String, bytes: [UInt8], kmeID: String? = nil, masterSAEID: String? = nil,
                slaveSAEID: String? = nil) {
        self.id = id
        self.bytes = bytes
        self.kmeID = kmeID
        self.masterSAEID = masterSAEID
        self.slaveSAEID = slaveSAEID
    }

    public var description: String { "QKDKey(id: \(id), \(bytes.count * 8) bits)" }
}

/// Where an SAE gets QKD keys: a remote KME over ETSI GS QKD 014 (`KMEClient`), or another source elsewhere.
public protocol KeySource: Sendable {
    /// ETSI `enc_keys` as master SAE: a fresh key of exactly `bytes` bytes and its key_ID.
    func newKey(bytes: Int) async throws(KeySourceError) -> QKDKey
    /// ETSI `dec_keys` as slave SAE: the key the master received under `id`. Each key is delivered once.
    func key(id: String) async throws(KeySourceError) -> QKDKey
}

/// Why a key source could not deliver. Messages never contain key material.
public enum KeySourceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The KME has not enough key now (HTTP 503). Retry later: this is back-pressure, not a failure.
    case unavailable(message: String)
    /// No answer in time. Retry later.
    case timeout(url: String, seconds: Double)
    /// The KME could not be reached (connection refused, reset). Retry later.
    case connection(url: String, reason: String)
    /// The KME refused the request (HTTP 400 / 401 / other), with its message.
    case rejected(status: Int, message: String)
    /// The KME has no deliverable key under this key_ID (unknown, for another SAE, or already delivered).
    case notFound(keyID: String)
    /// The TLS handshake failed or the credentials could not be loaded.
    case tls(reason: String)
    /// The KME answered with something that is not a valid ETSI 014 response.
    case invalidResponse(reason: String)
    /// The caller asked for something no KME can give (e.g. 0 bytes).
    case invalidRequest(reason: String)

    /// True when the same request may succeed later (503, timeout, connection failure).
    public var isRetryable: Bool {
        switch self {
        case .unavailable, .timeout, .connection: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .unavailable(let message):
            "the KME has not enough key now (\(message)); retry later"
        case .timeout(let url, let seconds):
            "the KME at \(url) did not answer within \(seconds) s; retry later, and check that it runs"
        case .connection(let url, let reason):
            "cannot reach the KME at \(url): \(reason); check that it runs and the URL in the configuration"
        case .rejected(let status, let message):
            "the KME refused the request (HTTP \(status)): \(message); check the SAE IDs and certificates"
        case .notFound(let keyID):
            "the KME has no deliverable key with key_ID \(keyID) (unknown, for another SAE, or already "
                + "delivered); the object cannot be decrypted with this KME"
        case .tls(let reason):
            "TLS with the KME failed: \(reason); check the client certificate, key and CA files"
        case .invalidResponse(let reason):
            "the KME's answer is not valid ETSI GS QKD 014: \(reason)"
        case .invalidRequest(let reason):
            "invalid key request: \(reason)"
        }
    }
}

/// One-time-pad wrapping of a per-object key bundle with a QKD key used for this object only.
///
/// `wrapped[i] = bundle[i] XOR key[i]` for the bundle's length; the rest of the key is discarded. The wrap
/// gives confidentiality, not integrity: a flipped wrapped bit flips the same bundle bit, so the caller must
/// check a MAC (DESIGN §4) before trusting the unwrapped bundle.
public enum KeyWrap {
    /// Wraps `bundle` with `key` (key at least as long as the bundle).
    public static func wrap(_ bundle: [UInt8], with key: QKDKey) throws(KeyWrapError) -> [UInt8] {
        try xor(bundle, key)
    }

    /// Inverse of `wrap`.
    public static func unwrap(_ wrapped: [UInt8], with key: QKDKey) throws(KeyWrapError) -> [UInt8] {
        try xor(wrapped, key)
    }

    private static func xor(_ data: [UInt8], _ key: QKDKey) throws(KeyWrapError) -> [UInt8] {
        guard !data.isEmpty else { throw KeyWrapError.emptyBundle }
        guard key.bytes.count >= data.count else {
            throw KeyWrapError.keyTooShort(keyID: key.id, keyBytes: key.bytes.count, bundleBytes: data.count)
        }
        var out = data
        for i in out.indices { out[i] ^= key.bytes[i] }
        return out
    }
}

/// Why a bundle could not be wrapped or unwrapped.
public enum KeyWrapError: Error, Sendable, Equatable, CustomStringConvertible {
    case keyTooShort(keyID: String, keyBytes: Int, bundleBytes: Int)
    case emptyBundle

    public var description: String {
        switch self {
        case .keyTooShort(let id, let keyBytes, let bundleBytes):
            "QKD key \(id) has \(keyBytes) bytes but the bundle has \(bundleBytes); a one-time pad must be at "
                + "least as long as what it wraps: ask the KME for a key of \(bundleBytes) bytes"
        case .emptyBundle:
            "nothing to wrap: the key bundle is empty"
        }
    }
}
