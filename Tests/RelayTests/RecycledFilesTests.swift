import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import Relay
import Testing

/// Files of forgotten objects kept for reuse (`RecycledFiles`): what goes back into the spool must be writable,
/// never look accepted, and be the only name of its inode, or two objects would be written into one file; the
/// bytes it keeps for reuse in place go after the hold, and at a restart.
@Suite("Recycled spool files")
struct RecycledFilesTests {
    static func makeSpool() throws -> Spool {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("recycled-\(UUID().uuidString)")
        let spool = Spool(root: root)
        try spool.prepare()
        return spool
    }

    static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(chmod(path, mode) == 0)
    }

    static func status(_ path: String) -> stat? {
        var status = stat()
        return lstat(path, &status) == 0 ? status : nil
    }

    @Test func aRecycledFileIsReusedWithItsInodeAndNeverLooksAccepted() throws {
        let spool = try Self.makeSpool()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        let delivered = spool.receivedPath(id: 7)
        // An accepted object's file is read-only (the acceptance mark); its reuse must not look accepted.
        try Self.write([UInt8](repeating: 0xAB, count: 4096), to: delivered, mode: AcceptanceMark.mode)
        let inode = try #require(Self.status(delivered)).st_ino

        spool.recycle(delivered)
        #expect(Self.status(delivered) == nil)
        let waiting = try FileManager.default.contentsOfDirectory(atPath: spool.free.path)
        #expect(waiting.count == 1)
        let parked = try #require(Self.status(spool.free.path + "/" + waiting[0]))
        #expect(parked.st_size == 4096, "kept to be written over in place")
        #expect(parked.st_mode & 0o7777 == 0o600)

        let slot = spool.receivedPath(id: 8)
        #expect(spool.takeRecycled(to: slot))
        let reused = try #require(Self.status(slot))
        #expect(reused.st_ino == inode)
        #expect(!AcceptanceMark.isPresent(slot))
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.free.path).isEmpty)
        #expect(!spool.takeRecycled(to: spool.receivedPath(id: 9)))
    }

    @Test func aFileWithASecondNameIsNeverRecycled() throws {
        let spool = try Self.makeSpool()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        let received = spool.receivedPath(id: 3), outbox = spool.outboxPath(id: 3)
        let bytes = [UInt8](repeating: 0x5C, count: 1000)
        try Self.write(bytes, to: received)
        #expect(link(received, outbox) == 0)  // an object forwarded unchanged (`Spool.placeUnchanged`)

        spool.recycle(received)
        // Only that name went; the other still holds the object, unchanged.
        #expect(Self.status(received) == nil)
        #expect(try Data(contentsOf: URL(fileURLWithPath: outbox)) == Data(bytes))
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.free.path).isEmpty)
        let inode = try #require(Self.status(outbox)).st_ino
        spool.recycle(outbox)
        #expect(spool.takeRecycled(to: spool.receivedPath(id: 4)))
        #expect(Self.status(spool.receivedPath(id: 4))?.st_ino == inode)
        #expect(Self.status(spool.receivedPath(id: 4))?.st_nlink == 1)
    }

    /// The case that corrupted objects in the first version (no link checks): a decryptor with
    /// `unencrypted: forward` links a plaintext object's received file into the outbox; forgetting the object
    /// recycled both names, so `free/` held two names of one inode and two later slots were one file. Here the
    /// object goes through the real queue (admit, link, forget) and two slots are taken afterwards.
    @Test func aForgottenObjectForwardedUnchangedGivesBackOneFileNotTwoNamesOfIt() throws {
        let spool = try Self.makeSpool()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        let queue = try RelayQueue(path: spool.database.path)
        let arrived = spool.incoming.path + "/arrived.part"
        try Self.write([UInt8](repeating: 0x42, count: 2048), to: arrived)
        let id = try queue.admit(
            file: arrived, spool: spool, callingAETitle: "MODALITY", sopClassUID: "1.2.840.10008.5.1.4.1.1.7",
            sopInstanceUID: "1.2.3.4", transferSyntaxUID: "1.2.840.10008.1.2.1", modality: "OT", route: "default",
            profile: "restore", destinations: ["viewer"])
        try Spool.placeUnchanged(spool.receivedFile(id: id), at: URL(fileURLWithPath: spool.outboxPath(id: id)))
        let inode = try #require(Self.status(spool.outboxPath(id: id))).st_ino
        #expect(Self.status(spool.receivedPath(id: id))?.st_nlink == 2)

        try queue.forgetSwept([id], spool: spool)
        #expect(Self.status(spool.receivedPath(id: id)) == nil)
        #expect(Self.status(spool.outboxPath(id: id)) == nil)
        let waiting = try FileManager.default.contentsOfDirectory(atPath: spool.free.path)
        #expect(waiting.count == 1)

        let first = spool.receivedPath(id: id + 1), second = spool.receivedPath(id: id + 2)
        #expect(spool.takeRecycled(to: first))
        #expect(!spool.takeRecycled(to: second))
        let reused = try #require(Self.status(first))
        #expect(reused.st_ino == inode)
        #expect(reused.st_nlink == 1)
    }

    @Test func aWaitingFileThatGainedANameOrIsNoLongerAFileIsDeletedNotHandedOut() throws {
        let spool = try Self.makeSpool()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        for id in Int64(1)...2 {
            try Self.write([1, 2, 3], to: spool.receivedPath(id: id))
            spool.recycle(spool.receivedPath(id: id))
        }
        let waiting = try FileManager.default.contentsOfDirectory(atPath: spool.free.path).sorted()
        #expect(waiting.count == 2)
        #expect(unlink(spool.free.path + "/" + waiting[0]) == 0)
        #expect(symlink(spool.root.path + "/elsewhere", spool.free.path + "/" + waiting[0]) == 0)
        #expect(link(spool.free.path + "/" + waiting[1], spool.root.path + "/other-name") == 0)
        #expect(!spool.takeRecycled(to: spool.receivedPath(id: 10)))
        #expect(Self.status(spool.receivedPath(id: 10)) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.free.path).isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: spool.root.path + "/other-name")) == Data([1, 2, 3]))
    }

    /// A recycled file keeps its old bytes only while the node is busy: once it has waited longer than the hold,
    /// the housekeeping loop empties it (and it stays ready for reuse, inode and all).
    @Test func aFileWaitingLongerThanTheHoldIsEmptied() throws {
        let spool = try Self.makeSpool()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        let files = RecycledFiles(directory: spool.free.path, limit: 8, holdSeconds: 5)
        try Self.write([UInt8](repeating: 0x77, count: 10_000), to: spool.receivedPath(id: 1))
        let inode = try #require(Self.status(spool.receivedPath(id: 1))).st_ino
        files.recycle(spool.receivedPath(id: 1))
        let parked = spool.free.path + "/" + (try #require(try FileManager.default.contentsOfDirectory(atPath: spool.free.path).first))
        files.emptyStale(now: .now + .seconds(4))
        #expect(Self.status(parked)?.st_size == 10_000, "still inside the hold")
        files.emptyStale(now: .now + .seconds(6))
        #expect(Self.status(parked)?.st_size == 0)
        #expect(files.take(to: spool.receivedPath(id: 2)))
        #expect(Self.status(spool.receivedPath(id: 2))?.st_ino == inode)
    }

    @Test func atMostTheLimitWaitAndARestartAdoptsThem() throws {
        let spool = try Self.makeSpool()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        let small = RecycledFiles(directory: spool.free.path, limit: 2)
        for id in Int64(1)...3 {
            try Self.write([UInt8(id)], to: spool.receivedPath(id: id))
            small.recycle(spool.receivedPath(id: id))
            #expect(Self.status(spool.receivedPath(id: id)) == nil)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.free.path).count == 2)

        // A new process's spool takes what the last one left, emptied: how long it waited is not known.
        let next = Spool(root: spool.root)
        try next.prepare()
        #expect(next.takeRecycled(to: next.receivedPath(id: 20)))
        #expect(next.takeRecycled(to: next.receivedPath(id: 21)))
        #expect(!next.takeRecycled(to: next.receivedPath(id: 22)))
        #expect(Self.status(next.receivedPath(id: 20))?.st_size == 0)
        #expect(Self.status(next.receivedPath(id: 21))?.st_size == 0)
    }
}
