import Foundation
import GRDB
import Logging
@testable import Relay
import Testing

/// What a restart finds in the spool. The queue record of an accepted object is committed without a flush of
/// its own (the marked, fsynced file is the durable record), so a power cut can take the record and leave the
/// file: the restart must queue such an object again, and must not bring back anything else.
@Suite("Spool recovery", .serialized)
struct RecoveryTests {
    /// A small DICOM file as the storage SCP writes one (preamble, "DICM", explicit VR little endian meta header
    /// with the calling AE as Source Application Entity Title, then the dataset), without Pixel Data.
    static func dicomFile(sopInstanceUID: String, callingAE: String, modality: String = "CT") -> Data {
        let sopClass = "1.2.840.10008.5.1.4.1.1.7"  // Secondary Capture Image Storage
        func element(_ group: UInt16, _ number: UInt16, _ vr: String, _ value: Data) -> Data {
            var data = Data()
            for half in [group, number] { withUnsafeBytes(of: half.littleEndian) { data.append(contentsOf: $0) } }
            data.append(contentsOf: Array(vr.utf8))
            if vr == "OB" {
                data.append(contentsOf: [0, 0])
                withUnsafeBytes(of: UInt32(value.count).littleEndian) { data.append(contentsOf: $0) }
            } else {
                withUnsafeBytes(of: UInt16(value.count).littleEndian) { data.append(contentsOf: $0) }
            }
            return data + value
        }
        func text(_ value: String, pad: UInt8) -> Data {
            var bytes = Array(value.utf8)
            if bytes.count % 2 == 1 { bytes.append(pad) }
            return Data(bytes)
        }
        let meta = element(0x0002, 0x0001, "OB", Data([0, 1]))
            + element(0x0002, 0x0002, "UI", text(sopClass, pad: 0))
            + element(0x0002, 0x0003, "UI", text(sopInstanceUID, pad: 0))
            + element(0x0002, 0x0010, "UI", text("1.2.840.10008.1.2.1", pad: 0))
            + element(0x0002, 0x0016, "AE", text(callingAE, pad: 0x20))
        var groupLength = Data()
        withUnsafeBytes(of: UInt32(meta.count).littleEndian) { groupLength.append(contentsOf: $0) }
        let dataset = element(0x0008, 0x0016, "UI", text(sopClass, pad: 0))
            + element(0x0008, 0x0018, "UI", text(sopInstanceUID, pad: 0))
            + element(0x0008, 0x0060, "CS", text(modality, pad: 0x20))
            + element(0x0020, 0x000D, "UI", text("1.2.826.0.1.3680043.2.1125.100", pad: 0))
            + element(0x0020, 0x000E, "UI", text("1.2.826.0.1.3680043.2.1125.101", pad: 0))
        return Data(count: 128) + Data("DICM".utf8) + element(0x0002, 0x0000, "UL", groupLength) + meta + dataset
    }

    /// Today's routes: objects from CT01 go to "a" unchanged; any other caller is refused.
    struct RoutesByCaller: IntakePolicy {
        func decide(_ object: ReceivedObject) -> IntakeDecision {
            object.callingAETitle == "CT01"
                ? .accept(route: "ct", profile: "pass-through", destinations: ["a"])
                : .reject(.cannotUnderstand, reason: "calling AE has no route")
        }
    }

    struct ForwardsUnchanged: ObjectProcessor {
        func process(_ object: QueuedObject, input: URL, output: URL) async throws(ProcessingFailure) -> ProcessedObject {
            throw .permanent("not used")
        }
        func forwardsUnchanged(profile: String) -> Bool { profile == "pass-through" }
    }

    static func node(_ spool: Spool) throws -> RelayNode {
        let configuration = RelayConfiguration(
            scp: StorageSCPConfiguration(aeTitle: "NODE", port: 0, allowedCallingAETitles: []),
            spool: spool, destinations: [], delivery: RetryPolicy(), processingRetry: RetryPolicy(), workers: 1)
        return try RelayNode(configuration: configuration, intake: RoutesByCaller(), processor: ForwardsUnchanged(),
                             logger: Logger(label: "test"))
    }

    /// Writes `contents` into a slot-like file and admits it as the intake does (mark, fsync, commit).
    static func admit(_ queue: RelayQueue, _ spool: Spool, _ contents: Data, callingAE: String) throws -> Int64 {
        let id = queue.reserveID()
        let path = spool.receivedPath(id: id)
        #expect(FileManager.default.createFile(atPath: path, contents: contents))
        return try queue.admit(
            file: path, reservedID: id, spool: spool, callingAETitle: callingAE,
            sopClassUID: "1.2.840.10008.5.1.4.1.1.7", sopInstanceUID: "unused", transferSyntaxUID: "1.2.840.10008.1.2.1",
            modality: "CT", route: "ct", profile: "pass-through", destinations: ["a"], forwardUnchanged: true)
    }

    @Test func theBridgeDescribesAReceivedFileFromItsMetaHeader() throws {
        let spool = try makeTestSpool()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        let path = spool.receivedPath(id: 1)
        try Self.dicomFile(sopInstanceUID: "1.2.826.0.1.3680043.2.1125.1.1", callingAE: "CT01", modality: "MR")
            .write(to: URL(fileURLWithPath: path))
        let object = ReceivedObject.describing(file: path, calledAETitle: "NODE", fileToken: 1)
        #expect(object.problem == nil)
        #expect(object.callingAETitle == "CT01" && object.calledAETitle == "NODE")
        #expect(object.sopClassUID == "1.2.840.10008.5.1.4.1.1.7")
        #expect(object.sopInstanceUID == "1.2.826.0.1.3680043.2.1125.1.1")
        #expect(object.transferSyntaxUID == "1.2.840.10008.1.2.1" && object.modality == "MR")
        #expect(!object.hasPixelData && object.fileToken == 1 && object.path == path)

        let missing = ReceivedObject.describing(file: spool.receivedPath(id: 2), calledAETitle: "NODE", fileToken: 2)
        #expect(missing.problem?.contains("cannot be parsed") == true)
    }

    /// A power cut after five Successes took the last three records (the WAL's unflushed tail), and left a
    /// reception without Success, an unused slot, and two marked files that cannot be queued any more. The
    /// restart queues the three again under their ids (routes decided anew, the calling AE read from the file),
    /// deletes what never got Success, quarantines what it cannot queue, and hands out ids after all of them.
    @Test func acceptedObjectsWhoseRecordsWereLostAreQueuedAgain() throws {
        let spool = try makeTestSpool()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        var ids: [Int64] = []
        var refusedNow: Int64 = 0
        var damaged: Int64 = 0
        var unacknowledged: Int64 = 0
        var slot: Int64 = 0
        do {
            let queue = try RelayQueue(path: spool.database.path)
            for index in 1...5 {
                let file = Self.dicomFile(sopInstanceUID: "1.2.826.0.1.3680043.2.1125.7.\(index)", callingAE: "CT01")
                ids.append(try Self.admit(queue, spool, file, callingAE: "CT01"))
            }
            // Accepted under yesterday's routes; today's refuse its caller.
            refusedNow = try Self.admit(queue, spool, Self.dicomFile(sopInstanceUID: "1.2.9", callingAE: "OLDPACS"), callingAE: "OLDPACS")
            // Accepted, then damaged on disk (cut short).
            let whole = Self.dicomFile(sopInstanceUID: "1.2.10", callingAE: "CT01")
            damaged = try Self.admit(queue, spool, whole, callingAE: "CT01")
            let damagedPath = spool.receivedPath(id: damaged)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: damagedPath)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: damagedPath))
            try handle.truncate(atOffset: UInt64(whole.count - 20))
            try handle.close()
            try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: damagedPath)
            // Fully received, never acknowledged (the node died before its mark and Success).
            unacknowledged = queue.reserveID()
            try Self.dicomFile(sopInstanceUID: "1.2.11", callingAE: "CT01").write(to: URL(fileURLWithPath: spool.receivedPath(id: unacknowledged)))
            slot = queue.reserveID()
            #expect(FileManager.default.createFile(atPath: spool.receivedPath(id: slot), contents: Data()))
            // The power cut: every record but the first two is gone, and so is the id counter's progress.
            try queue.database.write { db in
                try db.execute(sql: "DELETE FROM delivery WHERE objectID > ?", arguments: [ids[1]])
                try db.execute(sql: "DELETE FROM object WHERE id > ?", arguments: [ids[1]])
                try db.execute(sql: "UPDATE sqlite_sequence SET seq = ? WHERE name = 'object'", arguments: [ids[1]])
            }
        }

        let node = try Self.node(spool)
        try node.recover()
        let queue = node.queue
        #expect(try queue.knownObjectIDs() == Set(ids))
        let deliveries = try queue.claimDeliveries(destination: "a", limit: 10)
        #expect(deliveries.map(\.objectID) == ids, "each once, under its own id")
        #expect(deliveries.allSatisfy { $0.sendsReceivedFile })
        let rows = try queue.database.read { db in
            try Row.fetchAll(db, sql: "SELECT callingAETitle, sopInstanceUID, route FROM object WHERE id > ? ORDER BY id", arguments: [ids[1]])
        }
        #expect(rows.map { $0["callingAETitle"] as String } == ["CT01", "CT01", "CT01"])
        #expect(rows.map { $0["sopInstanceUID"] as String } == (3...5).map { "1.2.826.0.1.3680043.2.1125.7.\($0)" })
        #expect(rows.map { $0["route"] as String } == ["ct", "ct", "ct"])
        for id in ids { #expect(AcceptanceMark.isPresent(spool.receivedPath(id: id))) }

        for id in [refusedNow, damaged, unacknowledged, slot] {
            #expect(!FileManager.default.fileExists(atPath: spool.receivedPath(id: id)))
        }
        let quarantined = try FileManager.default.contentsOfDirectory(atPath: spool.quarantine.path)
        let reasons = try quarantined.filter { $0.hasSuffix(".txt") }
            .map { try String(contentsOf: spool.quarantine.appendingPathComponent($0), encoding: .utf8) }
        #expect(quarantined.filter { $0.hasSuffix(".dcm") }.count == 2, "\(quarantined)")
        #expect(reasons.contains { $0.contains("found at restart without its queue record, and refused: calling AE has no route") })
        #expect(reasons.contains { $0.contains("found at restart without its queue record, and refused:") && $0.contains("parse") })
        #expect(queue.reserveID() > slot, "ids go on after every file found")
    }

    /// A sweep deletes files between its two commits. Interrupted there, the restart finds files of a finished
    /// object with its row (swept): it deletes them and never queues the object again.
    @Test func anInterruptedSweepNeverBringsAnObjectBack() throws {
        let spool = try makeTestSpool()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        let id: Int64
        do {
            let queue = try RelayQueue(path: spool.database.path)
            id = try Self.admit(queue, spool, Self.dicomFile(sopInstanceUID: "1.2.3", callingAE: "CT01"), callingAE: "CT01")
            let delivery = try #require(try queue.claimDeliveries(destination: "a", limit: 1).first)
            #expect(try queue.markDelivered(delivery) == true)
            #expect(try queue.sweepDone(before: Date()) == [id])
        }
        #expect(AcceptanceMark.isPresent(spool.receivedPath(id: id)))
        let node = try Self.node(spool)
        try node.recover()
        #expect(!FileManager.default.fileExists(atPath: spool.receivedPath(id: id)))
        #expect(try node.queue.counts().objectsByState == ["swept": 1])
        #expect(try node.queue.claimDeliveries(destination: "a", limit: 10).isEmpty)
        // The next sweep forgets it.
        let swept = try node.queue.sweepDone(before: Date())
        try node.queue.forgetSwept(swept, spool: spool)
        #expect(swept == [id])
        #expect(try node.queue.counts().objectsByState == ["purged": 1])
    }
}
