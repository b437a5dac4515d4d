public import Foundation
public import Relay
import Crypto

#if canImport(Glibc)
import Glibc
#endif

/// Deterministic SOP Instance UIDs for changed objects (DESIGN §4): `2.25.` + the decimal value of a UUID
/// (version 8, RFC 9562 variant) made from the first 16 bytes of HMAC-SHA-256(gateway secret, original UID).
/// A re-send after a crash yields the same UID, so the PACS overwrites instead of duplicating.
public enum InstanceUID {
    public static func derive(from originalUID: String, secret: some DataProtocol) -> String {
        let key = SymmetricKey(data: Array(secret))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(originalUID.utf8), using: key)
        var bytes = Array(mac.prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80  // version 8 (custom)
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // variant 10
        return "2.25." + decimal(bytes)
    }

    /// Decimal digits of a big-endian unsigned integer (repeated division by 10).
    static func decimal(_ bigEndian: [UInt8]) -> String {
        var number = bigEndian
        var digits: [UInt8] = []
        while number.contains(where: { $0 != 0 }) {
            var remainder = 0
            for index in number.indices {
                let value = remainder * 256 + Int(number[index])
                number[index] = UInt8(value / 10)
                remainder = value % 10
            }
            digits.append(UInt8(remainder))
        }
        return digits.isEmpty ? "0" : String(digits.reversed().map { Character(String($0)) })
    }
}

/// The gateway secret: 32 random bytes in `<spool>/gateway.secret`, created on first start with mode 0600.
public enum GatewaySecret {
    public static func loadOrCreate(spoolDirectory: String) throws(RelayError) -> [UInt8] {
        let path = (spoolDirectory as NSString).appendingPathComponent("gateway.secret")
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count == 32 else {
                throw .spool(path: path, reason: "the gateway secret must be 32 bytes; restore it from backup (changing it changes every derived UID)")
            }
            return Array(data)
        }
        do {
            try FileManager.default.createDirectory(atPath: spoolDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw .spool(path: spoolDirectory, reason: "cannot create the spool directory (\(error.localizedDescription))")
        }
        var secret = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in secret.indices { secret[index] = UInt8.random(in: .min ... .max, using: &generator) }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw .spool(path: path, reason: "cannot create the gateway secret (errno \(errno))") }
        defer { close(fd) }
        let written = secret.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == 32, fsync(fd) == 0 else { throw .spool(path: path, reason: "cannot write the gateway secret") }
        return secret
    }
}
