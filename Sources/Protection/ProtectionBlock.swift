import Crypto
import Foundation

/// What the gateway's private block carries, field by field (docs/format.md has the element numbers).
///
/// Everything here is public except `wrappedBundle`, which is the OTP-wrapped `KeyBundle`.
public struct ProtectionBlock: Sendable, Equatable {
    /// Private Creator of the block. Found by lookup, never by element block number.
    public static let creator = "QKDGATE PROTECTION 1"
    /// Layout version of the block itself.
    public static let blockVersion = 1

    public var profile: String
    public var cipherFormatVersion: Int
    /// Where the pad came from: "qkd" (ETSI 014 key_ID) or "local" (key file, offline use).
    public var keySource: String
    public var keyID: String
    /// KME and SAE identities the key belongs to, e.g. "kme=site-a;master=gateway;slave=decryptor".
    public var keyOrigin: String
    public var wrappedBundle: [UInt8]
    /// The cipher's public parameters (nonce, timestamp, plane setting, rule …).
    public var parameters: [String: String]
    /// Attributes the gateway changed, with their original values (keyword → value; "" means absent).
    public var originalAttributes: [String: String]
    /// SHA-256 of the original (decoded) native Pixel Data bytes.
    public var plainPixelSHA256: [UInt8]
    /// HMAC-SHA-256 under the bundle's MAC key over the MAC input (`macPrefix`, then the cipher pixel data).
    public var mac: [UInt8]

    public init(
        profile: String, cipherFormatVersion: Int, keySource: String, keyID: String, keyOrigin: String,
        wrappedBundle: [UInt8], parameters: [String: String], originalAttributes: [String: String],
        plainPixelSHA256: [UInt8], mac: [UInt8] = []
    ) {
        self.profile = profile
        self.cipherFormatVersion = cipherFormatVersion
        self.keySource = keySource
        self.keyID = keyID
        self.keyOrigin = keyOrigin
        self.wrappedBundle = wrappedBundle
        self.parameters = parameters
        self.originalAttributes = originalAttributes
        self.plainPixelSHA256 = plainPixelSHA256
        self.mac = mac
    }

    /// Canonical text of a string map: sorted "key=value" lines. Keys and values must not contain "\n" or "=".
    static func canonical(_ map: [String: String]) -> String {
        map.keys.sorted().map { "\($0)=\(map[$0] ?? "")" }.joined(separator: "\n")
    }

    static func parseCanonical(_ text: String) throws(ProtectionError) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let eq = line.firstIndex(of: "=") else { throw .malformedBlock("parameter line without '='") }
            out[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return out
    }

    /// The bytes the MAC covers are every field but the MAC, length-prefixed, then the cipher pixel data; this is
    /// all of it up to the pixel data itself (which the HMAC then reads in place, without a copy).
    func macPrefix(cipherPixelDataCount: Int) -> [UInt8] {
        var out: [UInt8] = Array("qkdgate-mac-v1".utf8)
        func length(_ count: Int) {
            var n = UInt64(count).littleEndian
            withUnsafeBytes(of: &n) { out += $0 }
        }
        func field(_ bytes: [UInt8]) {
            length(bytes.count)
            out += bytes
        }
        field(Array(profile.utf8))
        field(Array(String(cipherFormatVersion).utf8))
        field(Array(String(Self.blockVersion).utf8))
        field(Array(keySource.utf8))
        field(Array(keyID.utf8))
        field(Array(keyOrigin.utf8))
        field(wrappedBundle)
        field(Array(Self.canonical(parameters).utf8))
        field(Array(Self.canonical(originalAttributes).utf8))
        field(plainPixelSHA256)
        length(cipherPixelDataCount)
        return out
    }

    /// HMAC-SHA-256 of the MAC input, fed in two parts so the pixel data is hashed where it lies.
    public func computeMAC(macKey: [UInt8], cipherPixelData: UnsafeRawBufferPointer) -> [UInt8] {
        Array(authenticationCode(macKey: macKey, cipherPixelData: cipherPixelData))
    }

    /// The stored MAC against a fresh one, compared in constant time (swift-crypto's MAC equality).
    public func verifyMAC(macKey: [UInt8], cipherPixelData: UnsafeRawBufferPointer) -> Bool {
        authenticationCode(macKey: macKey, cipherPixelData: cipherPixelData) == mac
    }

    private func authenticationCode(macKey: [UInt8], cipherPixelData: UnsafeRawBufferPointer) -> HashedAuthenticationCode<SHA256> {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: macKey))
        hmac.update(data: macPrefix(cipherPixelDataCount: cipherPixelData.count))
        hmac.update(data: cipherPixelData)
        return hmac.finalize()
    }
}

/// Why an object could not be protected or restored. Never carries key bytes or PHI.
public enum ProtectionError: Error, Sendable, Equatable, CustomStringConvertible {
    case bundle(String)
    case integrity(String)
    case malformedBlock(String)
    case noBlock
    case notAnImage(String)
    case unsupported(String)
    case keySource(String, retryable: Bool)
    case dicom(String)
    case cipher(String)

    public var description: String {
        switch self {
        case .bundle(let what): "cannot build the key bundle: \(what)"
        case .integrity(let what): "integrity check failed: \(what); the object was not restored"
        case .malformedBlock(let what): "the qkdgate private block is malformed: \(what)"
        case .noBlock: "the object carries no qkdgate private block; it was not encrypted by qkdgate"
        case .notAnImage(let what): "the object has no pixel data to encrypt (\(what))"
        case .unsupported(let what): "cannot protect this object: \(what)"
        case .keySource(let what, let retryable):
            "key source failed: \(what)" + (retryable ? "; will retry" : "")
        case .dicom(let what): "DICOM error: \(what)"
        case .cipher(let what): "cipher error: \(what)"
        }
    }

    /// True when trying again later may succeed (KME out of key, timeout).
    public var isRetryable: Bool {
        if case .keySource(_, let retryable) = self { return retryable }
        return false
    }
}
