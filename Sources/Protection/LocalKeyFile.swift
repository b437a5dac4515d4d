import Crypto
public import Foundation
public import QKD

/// A key source for offline use: a 256-bit master secret in a local file (`qkdgate keygen`).
///
/// Each object gets a fresh random key_ID (a UUID); its pad is HKDF-SHA-256(master, salt: key_ID). This is a
/// key-derivation wrap, not a one-time pad: its strength is the master key's, and anyone holding the file
/// can unwrap every object. The QKD key source is the one for production; this one exists for files moved
/// by hand, tests and demos without a KME.
public struct LocalKeyFile: KeySource {
    public static let fileHeader = "qkdgate-key-v1"
    let master: [UInt8]

    public init(master: [UInt8]) throws(ProtectionError) {
        guard master.count == 32 else { throw .keySource("a local key must be 32 bytes", retryable: false) }
        self.master = master
    }

    /// Reads a key file: the line `qkdgate-key-v1` and then 64 hex digits.
    public init(contentsOf url: URL) throws(ProtectionError) {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw .keySource("cannot read the key file \(url.path)", retryable: false)
        }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard lines.count >= 2, lines[0] == Self.fileHeader, let bytes = Self.parseHex(lines[1]), bytes.count == 32 else {
            throw .keySource("\(url.path) is not a qkdgate key file (make one with `qkdgate keygen --out FILE`)", retryable: false)
        }
        try self.init(master: bytes)
    }

    /// Writes a fresh key file with mode 0600; refuses to overwrite an existing file.
    public static func generate(at url: URL) throws(ProtectionError) {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        let text = "\(fileHeader)\n\(bytes.map { String(format: "%02x", $0) }.joined())\n"
        guard !FileManager.default.fileExists(atPath: url.path) else {
            throw .keySource("\(url.path) exists; refusing to overwrite a key file", retryable: false)
        }
        guard FileManager.default.createFile(atPath: url.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw .keySource("cannot write \(url.path)", retryable: false)
        }
    }

    /// A second secret derived from the master, for deterministic UIDs of objects encrypted with this file.
    public var uidSecret: [UInt8] { derive(info: "qkdgate local uid secret", salt: [], count: 32) }

    public func newKey(bytes: Int) async throws(KeySourceError) -> QKDKey {
        let id = UUID().uuidString.lowercased()
        return QKDKey(id: id, bytes: derive(info: "qkdgate local pad", salt: Array(id.utf8), count: bytes), kmeID: "local")
    }

    public func key(id: String) async throws(KeySourceError) -> QKDKey {
        guard UUID(uuidString: id) != nil else { throw .notFound(keyID: id) }
        return QKDKey(id: id, bytes: derive(info: "qkdgate local pad", salt: Array(id.utf8), count: KeyBundle.size), kmeID: "local")
    }

    private func derive(info: String, salt: [UInt8], count: Int) -> [UInt8] {
        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: master), salt: salt, info: Array(info.utf8), outputByteCount: count)
        return key.withUnsafeBytes { Array($0) }
    }

    static func parseHex(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        for i in stride(from: 0, to: chars.count, by: 2) {
            guard let hi = hexValue(chars[i]), let lo = hexValue(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        case 65...70: c - 55
        default: nil
        }
    }
}
