import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One node per spool. Two nodes on one spool would each recover it as if the other had crashed: delete the
/// other's reserved slots and unfinished files, claim the same rows, and answer Success for objects whose files
/// the other node removes. So a node holds an exclusive `flock` on `<spool>/node.lock` for as long as it runs.
///
/// The kernel drops the lock when the process ends in any way (`kill -9` and power loss included), so a crash
/// never leaves a stale lock behind, unlike a pid file checked by name. The file keeps the holder's process id,
/// for the error message only. `qkdgate queue list|retry|purge` does not take the lock: it only reads and
/// updates queue rows, which SQLite serialises.
final class SpoolLock: Sendable {
    private let descriptor: Int32

    /// Takes the lock or throws at once (never waits), naming the holder when its pid can be read.
    init(spool: Spool) throws(RelayError) {
        let path = spool.lockFile.path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw .spool(path: spool.root.path, reason: "cannot open \(spool.lockFile.lastPathComponent) (\(String(cString: strerror(errno)))); check the spool directory's owner and permissions")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = Self.holder(descriptor)
            close(descriptor)
            if reason == EWOULDBLOCK {
                throw .spool(path: spool.root.path, reason: "in use by another qkdgate node\(holder.map { " (pid \($0))" } ?? ""); give each node its own spool directory, or stop the other node first")
            }
            throw .spool(path: spool.root.path, reason: "cannot lock \(spool.lockFile.lastPathComponent) (\(String(cString: strerror(reason))))")
        }
        let text = Array("\(getpid())\n".utf8)
        // Best effort: the lock, not the text, is what keeps a second node out.
        if ftruncate(descriptor, 0) == 0 {
            _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// The process id written by the node that holds the lock, if the file has one.
    private static func holder(_ descriptor: Int32) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int(String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
