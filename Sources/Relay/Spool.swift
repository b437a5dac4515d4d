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
/// <root>/received/    accepted objects, <id>.dcm, fsynced with their `AcceptanceMark` before Success (pass-through
///                     objects are sent from here); also empty files created ahead for objects still to come
///                     (`SpoolSlots`)
/// <root>/outbox/      processed objects ready to forward, <id>.dcm
/// <root>/quarantine/  rejected input and objects that failed permanently, with a .txt reason beside each
/// <root>/queue.sqlite the queue (WAL)
/// <root>/node.lock    flock held by the one node that serves this spool (`SpoolLock`)
/// ```
public struct Spool: Sendable {
    public let root: URL
    public let incoming: URL
    public let received: URL
    public let outbox: URL
    public let quarantine: URL
    public let database: URL
    public let lockFile: URL
    // The per-object paths are built from strings: a URL's appendingPathComponent costs about 5 µs, and the
    // relay names an object's files some fourteen times on its way through (3.5 % of a pass-through gateway's CPU).
    private let receivedPrefix: String
    private let outboxPrefix: String

    public init(root: URL) {
        self.root = root
        incoming = root.appendingPathComponent("incoming", isDirectory: true)
        received = root.appendingPathComponent("received", isDirectory: true)
        outbox = root.appendingPathComponent("outbox", isDirectory: true)
        quarantine = root.appendingPathComponent("quarantine", isDirectory: true)
        database = root.appendingPathComponent("queue.sqlite")
        lockFile = root.appendingPathComponent("node.lock")
        receivedPrefix = received.path + "/"
        outboxPrefix = outbox.path + "/"
    }

    /// `received/<id>.dcm`: an accepted object (or a file made ahead for one still to come).
    public func receivedPath(id: Int64) -> String { receivedPrefix + String(id) + ".dcm" }
    /// `outbox/<id>.dcm`: the processed object.
    public func outboxPath(id: Int64) -> String { outboxPrefix + String(id) + ".dcm" }
    public func receivedFile(id: Int64) -> URL { URL(fileURLWithPath: receivedPath(id: id), isDirectory: false) }
    public func outboxFile(id: Int64) -> URL { URL(fileURLWithPath: outboxPath(id: id), isDirectory: false) }
    /// The file a delivery sends: the processed object, or the received one for objects forwarded unchanged.
    public func pathToSend(_ delivery: Delivery) -> String {
        delivery.sendsReceivedFile ? receivedPath(id: delivery.objectID) : outboxPath(id: delivery.objectID)
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
    /// fsyncs a file; with `mode`, sets it first, so the mode is made durable by the same flush.
    static func sync(file path: String, mode: mode_t? = nil) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if let mode, fchmod(fd, mode) != 0 { return false }
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

/// The mark that says "this object was accepted" on a received file itself: its mode, read-only for its owner
/// (0400; the spool never changes an accepted object). `RelayQueue.admit` sets it before the file's fsync, which
/// makes the object's bytes and its inode, mode included, durable in the one flush before Success; the queue
/// record is committed after it without a flush of its own. A restart that finds a marked file without a record
/// (a power cut took the record's commit) admits it again; an unmarked one never got Success and is deleted.
/// Files waiting for an object (`SpoolSlots`) are made 0600 whatever the umask, so only `admit` makes one 0400.
/// A mode costs nothing in the flush, where 16 bytes in the file's preamble re-wrote its first page: 0.09 ms more
/// per fsync (median, 512 KB files, model of the admit sequence).
enum AcceptanceMark {
    static let mode: mode_t = 0o400

    /// Marks `path` and fsyncs it (data, size and mode in one flush); returns the errno on failure.
    static func markAndSync(_ path: String) -> Int32? {
        Durable.sync(file: path, mode: mode) ? nil : errno
    }

    static func isPresent(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & 0o7777) == mode
    }
}
