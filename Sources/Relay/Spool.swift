public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The spool directory: every file the node holds on disk, named by queue id (never by anything from the
/// dataset, so no PHI in file names).
///
/// ```
/// <root>/incoming/    written by the SCP when no reserved file was ready; moved or deleted before the C-STORE-RSP
/// <root>/received/    accepted objects, <id>.dcm, fsynced before Success (pass-through objects are sent from
///                     here); also empty files created ahead for objects still to come (`SpoolSlots`)
/// <root>/outbox/      processed objects ready to forward, <id>.dcm
/// <root>/quarantine/  rejected input and objects that failed permanently, with a .txt reason beside each
/// <root>/queue.sqlite the queue (WAL)
/// <root>/node.lock    flock held by the one node that serves this spool (`SpoolLock`)
/// ```
public struct Spool: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root }

    public var incoming: URL { root.appendingPathComponent("incoming", isDirectory: true) }
    public var received: URL { root.appendingPathComponent("received", isDirectory: true) }
    public var outbox: URL { root.appendingPathComponent("outbox", isDirectory: true) }
    public var quarantine: URL { root.appendingPathComponent("quarantine", isDirectory: true) }
    public var database: URL { root.appendingPathComponent("queue.sqlite") }
    public var lockFile: URL { root.appendingPathComponent("node.lock") }

    public func receivedFile(id: Int64) -> URL { received.appendingPathComponent("\(id).dcm") }
    public func outboxFile(id: Int64) -> URL { outbox.appendingPathComponent("\(id).dcm") }
    /// The file a delivery sends: the processed object, or the received one for objects forwarded unchanged.
    public func fileToSend(_ delivery: Delivery) -> URL {
        delivery.sendsReceivedFile ? receivedFile(id: delivery.objectID) : outboxFile(id: delivery.objectID)
    }

    /// Puts `input` unchanged at `output` for a node that forwards an object as received: a hard link (same
    /// file system, no copy, same bytes), or a copy where linking is not possible.
    public static func placeUnchanged(_ input: URL, at output: URL) throws {
        do { try FileManager.default.linkItem(at: input, to: output) } catch {
            try FileManager.default.copyItem(at: input, to: output)
        }
    }

    /// Creates the directories (0700: the spool holds patient data).
    public func prepare() throws(RelayError) {
        for directory in [root, incoming, received, outbox, quarantine] {
            do {
                try FileManager.default.createDirectory(
                    at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw .spool(path: directory.path, reason: "cannot create directory (\(error.localizedDescription)); check the spool directory's owner and permissions")
            }
        }
    }
}

/// fsync helpers: the durability contract (Success only after the bytes and the rename are on disk).
enum Durable {
    static func sync(file path: String) -> Bool {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return fsync(fd) == 0
    }

    static func sync(directory path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return fsync(fd) == 0
    }

    /// rename(2): atomic within the spool's file system.
    static func move(_ from: String, to: String) -> Bool { rename(from, to) == 0 }

    static func remove(_ path: String) { unlink(path) }
}
