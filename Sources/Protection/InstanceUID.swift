import Crypto
public import Foundation

/// Deterministic SOP Instance UIDs for changed instances (DESIGN §4).
///
/// `2.25.` followed by the decimal value of a version-8 UUID taken from HMAC-SHA-256(secret, original UID),
/// so a retry after a crash yields the same UID and the PACS sees an idempotent overwrite, while nobody without
/// the node's secret can link the new UID to the original one.
public enum InstanceUID {
    public static func derive(from originalUID: String, secret: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(originalUID.utf8), using: SymmetricKey(data: secret))
        var bytes = Array(mac.prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80   // version 8 (custom)
        bytes[8] = (bytes[8] & 0x3F) | 0x80   // RFC 9562 variant
        return "2.25." + decimal(of: bytes)
    }

    /// Decimal digits of a 128-bit big-endian unsigned integer.
    static func decimal(of bytes: [UInt8]) -> String {
        var digits: [UInt8] = []
        var number = bytes
        while number.contains(where: { $0 != 0 }) {
            var remainder = 0
            for i in number.indices {
                let value = remainder * 256 + Int(number[i])
                number[i] = UInt8(value / 10)
                remainder = value % 10
            }
            digits.append(UInt8(remainder) + 48)
        }
        return digits.isEmpty ? "0" : String(decoding: digits.reversed(), as: UTF8.self)
    }

    /// Reads a node secret from `url`, creating a fresh random 32-byte one (mode 0600) on first use.
    public static func loadOrCreateSecret(at url: URL) throws(ProtectionError) -> [UInt8] {
        let fm = FileManager.default
        if let data = fm.contents(atPath: url.path) {
            guard data.count >= 32 else { throw .unsupported("the UID secret file \(url.path) is too short; delete it to make a new one") }
            return Array(data)
        }
        var rng = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        do {
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            guard fm.createFile(atPath: url.path, contents: Data(secret), attributes: [.posixPermissions: 0o600]) else {
                throw ProtectionError.unsupported("cannot create the UID secret file \(url.path)")
            }
        } catch let error as ProtectionError {
            throw error
        } catch {
            throw .unsupported("cannot create the UID secret file \(url.path): \(error.localizedDescription)")
        }
        return secret
    }
}
