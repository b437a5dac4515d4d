public import Foundation
import Synchronization

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
///                     objects are sent from here); also files created ahead for objects still to come
///                     (`SpoolSlots`: new and empty, or recycled)
/// <root>/outbox/      processed objects ready to forward, <id>.dcm
/// <root>/quarantine/  rejected input and objects that failed permanently, with a .txt reason beside each
/// <root>/free/        files of forgotten objects, kept to be written over again (`RecycledFiles`; emptied
///                     after a hold)
/// <root>/queue.sqlite the queue (WAL)
/// <root>/node.lock    flock held by the one node that serves this spool (`SpoolLock`)
/// ```
public struct Spool: Sendable {
    public let root: URL
    public let incoming: URL
    public let received: URL
    public let outbox: URL
    public let quarantine: URL
    public let free: URL
    public let database: URL
    public let lockFile: URL
    // The per-object paths are built from strings: a URL's appendingPathComponent costs about 5 µs, and the
    // relay names an object's files some fourteen times on its way through (3.5 % of a pass-through gateway's CPU).
    private let receivedPrefix: String
    private let outboxPrefix: String
    /// Emptied files waiting in `free/`; shared by every copy of this value.
    let recycled: RecycledFiles

    public init(root: URL) {
        self.root = root
        incoming = root.appendingPathComponent("incoming", isDirectory: true)
        received = root.appendingPathComponent("received", isDirectory: true)
        outbox = root.appendingPathComponent("outbox", isDirectory: true)
        quarantine = root.appendingPathComponent("quarantine", isDirectory: true)
        free = root.appendingPathComponent("free", isDirectory: true)
        recycled = RecycledFiles(directory: free.path)
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
        unlink(output.path)  // an emptied file put there for reuse (`RecycledFiles`) or a crashed attempt's
        do { try FileManager.default.linkItem(at: input, to: output) } catch {
            try FileManager.default.copyItem(at: input, to: output)
        }
    }

    /// Creates the directories (0700: the spool holds patient data).
    public func prepare() throws(RelayError) {
        for directory in [root, incoming, received, outbox, quarantine, free] {
            do {
                try FileManager.default.createDirectory(
                    at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw .spool(path: directory.path, reason: "cannot create directory (\(error.localizedDescription)); check the spool directory's owner and permissions")
            }
        }
        recycled.adopt()
    }

    /// Done with the file at `path` (a forgotten object's): kept in `free/` to be written over by a later object
    /// (emptied if none comes within the hold), or deleted.
    public func recycle(_ path: String) { recycled.recycle(path) }

    /// Puts a recycled file at `path` (where nothing is) if one is waiting; false if none is. Its old bytes are
    /// to be written over in place (the SCP's receive and `DicomObject.write` do).
    func takeRecycled(to path: String) -> Bool { recycled.take(to: path) }
}

/// Files the spool is done with, kept for the next object instead of deleted and created again.
///
/// Why: on ext4 every new file needs an inode, and without a journal (`find_inode_bit` → `recently_deleted`)
/// each allocation first steps over every inode of its group deleted in the last 30 seconds, looking each one up
/// in the buffer cache. A relay deletes two files per object and creates two, so the cost grows with the
/// throughput: 18.6 % of a qkd-hybrid gateway's CPU was file creation in `bench-routing.sh` (c) on the CI's VM.
/// A recycled file keeps its inode: made 0600 (so that it can never look like an accepted object) and renamed
/// into `free/`, then renamed back to where the next object is written.
///
/// It keeps its bytes too, for at most `holdSeconds`: the next object is written over them in place and the
/// file cut to its length (the storage SCP and `DicomObject.write` both write that way), so its page-cache
/// pages and disk blocks are reused instead of freed and allocated again; writing and fsyncing a 512 KB file in
/// place costs about half of writing it into an emptied one (docs/gateway.md, "Spool files overwritten in
/// place"). A file that waits longer (the node went idle) is emptied by the housekeeping loop, and a restart
/// empties whatever it adopts, so a delivered object's bytes do not stay in the spool. At most `limit` wait;
/// beyond that files are deleted.
final class RecycledFiles: Sendable {
    let directory: String
    let limit: Int
    /// How long a waiting file may keep the bytes of the object it held before it is emptied.
    let holdSeconds: Double
    private let waiting = Mutex(Waiting())

    private struct Waiting {
        var files: [WaitingFile] = []
        var counter: UInt64 = 0
    }

    private struct WaitingFile {
        let path: String
        /// When it was recycled; nil once it is empty.
        var since: ContinuousClock.Instant?
    }

    init(directory: String, limit: Int = 1024, holdSeconds: Double = 10) {
        self.directory = directory
        self.limit = limit
        self.holdSeconds = holdSeconds
    }

    /// Takes the files a previous run left in `free/`, emptied (how long they waited is not known), and deletes
    /// what is over the limit or not a regular file.
    func adopt() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var kept: [WaitingFile] = []
        for name in names {
            let path = directory + "/" + name
            var status = stat()
            if kept.count < limit, lstat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG, status.st_nlink == 1,
               status.st_size == 0 || Durable.empty(path) {
                kept.append(WaitingFile(path: path, since: nil))
            } else {
                unlink(path)
            }
        }
        waiting.withLock { $0.files.append(contentsOf: kept) }
    }

    /// Empties the waiting files recycled more than `holdSeconds` ago (called by the housekeeping loop); a file
    /// that cannot be emptied is deleted.
    func emptyStale(now: ContinuousClock.Instant = .now) {
        let stale = waiting.withLock { waiting -> [String] in
            var paths: [String] = []
            for index in waiting.files.indices {
                guard let since = waiting.files[index].since, now - since >= .seconds(holdSeconds) else { continue }
                waiting.files[index].since = nil
                paths.append(waiting.files[index].path)
            }
            return paths
        }
        for path in stale where !Durable.empty(path) { unlink(path) }
    }

    func recycle(_ path: String) {
        let name = waiting.withLock { waiting -> String? in
            guard waiting.files.count < limit else { return nil }
            waiting.counter &+= 1
            return "\(getpid())-\(waiting.counter)"
        }
        guard let name else { unlink(path); return }
        let target = directory + "/" + name
        // Only a file with no other name: an object forwarded unchanged may share its inode with a second path
        // (`Spool.placeUnchanged` links), and two objects must never be written into one file.
        // Opened for reading first: an accepted object's file is 0400, which only root may open for writing.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { unlink(path); return }
        var status = stat()
        let alone = fstat(fd, &status) == 0 && status.st_nlink == 1 && (status.st_mode & S_IFMT) == S_IFREG
            && fchmod(fd, 0o600) == 0
        close(fd)
        guard alone, rename(path, target) == 0 else {
            unlink(path)
            return
        }
        waiting.withLock { $0.files.append(WaitingFile(path: target, since: .now)) }
    }

    /// Renames a waiting file to `path` (where nothing may be), the most recently recycled first (its pages are
    /// the likeliest still cached). Checked again here, whatever put it in `free/`: a file that has another name
    /// too, or is no longer a regular file, is deleted instead of handed out. Whoever takes it writes over its
    /// old bytes and cuts it to the new length.
    func take(to path: String) -> Bool {
        while let source = waiting.withLock({ $0.files.popLast()?.path }) {
            var status = stat()
            if lstat(source, &status) == 0, status.st_nlink == 1, (status.st_mode & S_IFMT) == S_IFREG,
               rename(source, path) == 0 {
                return true
            }
            unlink(source)
        }
        return false
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

    /// Truncates the file at `path` to nothing (not following a link); false if it cannot be opened for writing.
    static func empty(_ path: String) -> Bool {
        let descriptor = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return false }
        close(descriptor)
        return true
    }
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
