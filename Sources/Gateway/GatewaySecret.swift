public import Foundation
public import Relay


#if canImport(Glibc)
import Glibc
#endif

/// The gateway secret: 32 random bytes in `<spool>/gateway.secret`, created on first start with mode 0600.
/// It keys the deterministic SOP Instance UIDs of encrypted objects (`Protection.InstanceUID`).
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
