import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRDB
import Logging
@testable import Relay
import Testing

@Suite("DIMSE status categories")
struct DimseStatusTests {
    /// Codes from PS3.4 annex B / PS3.7 annex C and what the relay must do with them.
    static let table: [(UInt16, DimseStatus.Category)] = [
        (0x0000, .success), (0xB000, .warning), (0xB007, .warning), (0xB006, .warning),
        (0xA700, .transientFailure), (0xA7FF, .transientFailure), (0x0213, .transientFailure),
        (0xA900, .permanentFailure), (0xA9FF, .permanentFailure), (0xC000, .permanentFailure),
        (0xCFFF, .permanentFailure), (0x0122, .permanentFailure), (0x0110, .permanentFailure),
    ]

    @Test(arguments: 0..<table.count)
    func category(_ index: Int) {
        let (code, category) = Self.table[index]
        #expect(DimseStatus(code).category == category)
    }

    @Test func text() { #expect(DimseStatus(0xA700).description == "0xA700") }
}

@Suite("Retry policy")
struct RetryPolicyTests {
    @Test func exponentialWithCap() {
        let policy = RetryPolicy(initialDelay: 0.5, multiplier: 2, maxDelay: 3, maxAttempts: 10)
        #expect([1, 2, 3, 4, 5, 60].map(policy.delay(afterAttempt:)) == [0.5, 1, 2, 3, 3, 3])
    }
}

/// A fresh spool under the temporary directory; the caller removes its root.
func makeTestSpool() throws -> Spool {
    let spool = Spool(root: FileManager.default.temporaryDirectory.appendingPathComponent("relay-\(UUID().uuidString)"))
    try spool.prepare()
    return spool
}

/// Admits a four-byte object (CT, route "r", profile pass-through) for `destinations` and returns its id;
/// `forwardUnchanged` makes its deliveries pending at once, otherwise it waits for the workers.
@discardableResult
func admitTestObject(_ queue: RelayQueue, _ spool: Spool, destinations: [String], forwardUnchanged: Bool = false) throws
    -> Int64
{
    let file = spool.incoming.appendingPathComponent("\(UUID().uuidString).part").path
    _ = FileManager.default.createFile(atPath: file, contents: Data("DICM".utf8))
    return try queue.admit(file: file, spool: spool, callingAETitle: "CT01", sopClassUID: "1.2.840.10008.5.1.4.1.1.2",
                           sopInstanceUID: "1.2.3", transferSyntaxUID: TransferSyntaxUID.explicitLittleEndian,
                           modality: "CT", route: "r", profile: "pass-through", destinations: destinations,
                           forwardUnchanged: forwardUnchanged)
}

@Suite("Durable queue")
struct RelayQueueTests {

    /// A spool whose queue an older node left: made by the migrations up to `version`, holding the rows `fill`
    /// writes (closed again before the test opens it as today's node would).
    func makeSpool(queueUpTo version: String, _ fill: (Database) throws -> Void) throws -> Spool {
        let spool = try makeTestSpool()
        let old = try DatabaseQueue(path: spool.database.path)
        try RelayQueue.migrator.migrate(old, upTo: version)
        try old.write(fill)
        try old.close()
        return spool
    }

    @Test func objectLifecycleAcrossRestart() throws {
        let spool = try makeTestSpool()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        var queue = try RelayQueue(path: spool.database.path)
        let id = try admitTestObject(queue, spool, destinations: ["a", "b"])
        #expect(FileManager.default.fileExists(atPath: spool.receivedFile(id: id).path))
        #expect(try queue.claimForProcessing(limit: 5).map(\.id) == [id])
        #expect(try queue.claimForProcessing(limit: 5).isEmpty, "a claimed object is not handed out twice")

        // Crash while processing: after reopening, the object is due again.
        queue = try RelayQueue(path: spool.database.path)
        try queue.recoverInFlight()
        let again = try queue.claimForProcessing(limit: 5)
        #expect(again.map(\.id) == [id] && again[0].destinations == ["a", "b"])
        try queue.finishProcessing(id: id, destinations: ["a", "b"], sopClassUID: "1.2.840.10008.5.1.4.1.1.2",
                                   sopInstanceUID: "2.25.1", transferSyntaxUID: TransferSyntaxUID.explicitLittleEndian)
        let toA = try queue.claimDeliveries(destination: "a", limit: 10)
        let toB = try queue.claimDeliveries(destination: "b", limit: 10)
        #expect(toA.count == 1 && toB.count == 1 && toA[0].sopInstanceUID == "2.25.1")
        #expect(try queue.markDelivered(toA[0]) == false)

        // Transient failures back off, then become a dead letter at maxAttempts; retry replays it.
        var delivery = toB[0]
        #expect(try queue.markFailedAttempt(delivery, retryAt: Date(timeIntervalSinceNow: -1), maxAttempts: 2, error: "refused") == .pending)
        delivery = try #require(try queue.claimDeliveries(destination: "b", limit: 10).first)
        #expect(delivery.attempts == 1)
        #expect(try queue.markFailedAttempt(delivery, retryAt: Date(), maxAttempts: 2, error: "refused") == .dead)
        #expect(try queue.deadLetters().map(\.id) == [delivery.id])
        #expect(try queue.retryDeadLetters(destination: "b") == 1)
        delivery = try #require(try queue.claimDeliveries(destination: "b", limit: 10).first)
        #expect(try queue.markDelivered(delivery) == true, "last delivery finishes the object")
        #expect(try queue.counts().objectsByState["done"] == 1)
    }

    /// The per-object paths, built from strings, name the same files as the directories' URLs do.
    @Test func spoolPathsAreTheDirectoriesFilesById() {
        let spool = Spool(root: URL(fileURLWithPath: "/var/spool/qkdgate"))
        for id: Int64 in [1, 42, 9_007_199_254_740_993] {
            #expect(spool.receivedPath(id: id) == spool.received.appendingPathComponent("\(id).dcm").path)
            #expect(spool.outboxPath(id: id) == spool.outbox.appendingPathComponent("\(id).dcm").path)
            #expect(spool.receivedFile(id: id) == spool.received.appendingPathComponent("\(id).dcm"))
        }
        #expect(spool.receivedPath(id: 7) == "/var/spool/qkdgate/received/7.dcm")
    }

    /// The two claims run while the queue's write lock is held, many times a second, and a backlog (a KME or
    /// destination outage) makes every row due at once: they must read their first rows off an index, never
    /// sort all that is due. Earliest due goes first, so an object that was put back comes after one that has
    /// waited longer.
    @Test func claimsTakeTheEarliestDueFromTheIndex() throws {
        let spool = try makeTestSpool()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        let queue = try RelayQueue(path: spool.database.path)
        for sql in [RelayQueue.claimObjectsSQL, RelayQueue.claimDeliveriesSQL] {
            let plan = try queue.database.read { db in
                // The statements' only question marks are their parameters; bound to NULL for the plan.
                let arguments = StatementArguments([DatabaseValue?](repeating: nil, count: sql.filter { $0 == "?" }.count))
                return try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }
            }
            #expect(plan.contains { $0.contains("USING INDEX object_state") || $0.contains("USING INDEX delivery_due") },
                    "\(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
        }

        let first = try admitTestObject(queue, spool, destinations: ["a"])
        let second = try admitTestObject(queue, spool, destinations: ["a"])
        #expect(try queue.claimForProcessing(limit: 1).map(\.id) == [first])
        // The first object's processing failed and was put back, due a moment after the second arrived.
        _ = try queue.deferProcessing(id: first, retryAt: Date(timeIntervalSinceNow: 0.5), error: "KME unreachable")
        let later = Date(timeIntervalSinceNow: 60)
        let again = try queue.claimForProcessing(limit: 5, now: later)
        #expect(again.map(\.id) == [second, first])
        #expect(again.map(\.attempts) == [0, 1], "a claimed object says how often it was put back (its backoff)")
        for id in [first, second] {
            try queue.finishProcessing(id: id, destinations: ["a"], sopClassUID: "1.2.840.10008.5.1.4.1.1.2",
                                       sopInstanceUID: "2.25.\(id)", transferSyntaxUID: TransferSyntaxUID.explicitLittleEndian)
        }
        let deliveries = try queue.claimDeliveries(destination: "a", limit: 1)
        #expect(deliveries.map(\.objectID) == [first])
        let delivery = try #require(deliveries.first)
        #expect(try queue.markFailedAttempt(delivery, retryAt: Date(timeIntervalSinceNow: 0.5), maxAttempts: 5,
                                            error: "refused") == .pending)
        #expect(try queue.claimDeliveries(destination: "a", limit: 5, now: later).map(\.objectID) == [second, first])
    }

    /// `queue purge`: dead letters go; an object with nothing else outstanding is forgotten and named for its
    /// files to be deleted; one still waiting for another destination stays.
    @Test func purgingDeadLettersForgetsFinishedObjectsOnly() throws {
        let spool = try makeTestSpool()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        let queue = try RelayQueue(path: spool.database.path)
        let finished = try admitTestObject(queue, spool, destinations: ["a", "b"])
        let waiting = try admitTestObject(queue, spool, destinations: ["a", "b"])
        for id in [finished, waiting] {
            _ = try queue.claimForProcessing(limit: 1)
            try queue.finishProcessing(id: id, destinations: ["a", "b"], sopClassUID: "x", sopInstanceUID: "y", transferSyntaxUID: "z")
        }
        for delivery in try queue.claimDeliveries(destination: "a", limit: 10) {
            #expect(try queue.markFailedAttempt(delivery, retryAt: Date(), maxAttempts: 1, error: "refused") == .dead)
        }
        let toB = try queue.claimDeliveries(destination: "b", limit: 10)
        #expect(toB.map(\.objectID) == [finished, waiting])
        #expect(try queue.markDelivered(toB[0]) == false, "a dead letter is still outstanding")

        let (purged, forgotten) = try queue.purgeDeadLetters()
        #expect(purged == 2 && forgotten == [finished])
        #expect(try queue.deadLetters().isEmpty)
        // Its files go while its row is still there (a restart must not take them for a lost admission).
        #expect(try queue.knownObjectIDs() == [finished, waiting])
        #expect(FileManager.default.fileExists(atPath: spool.receivedPath(id: finished)))
        try queue.forgetSwept(forgotten, spool: spool)
        #expect(!FileManager.default.fileExists(atPath: spool.receivedPath(id: finished)))
        #expect(FileManager.default.fileExists(atPath: spool.receivedPath(id: waiting)))
        #expect(try queue.knownObjectIDs() == [waiting])
        #expect(try queue.counts().objectsByState == ["processed": 1, "purged": 1])
        #expect(try queue.markDelivered(toB[1]) == true)
    }

    @Test func unchangedObjectsAreSentFromTheirReceivedFile() throws {
        let spool = try makeTestSpool()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        let queue = try RelayQueue(path: spool.database.path)
        let file = spool.incoming.appendingPathComponent("\(UUID().uuidString).part").path
        FileManager.default.createFile(atPath: file, contents: Data("DICM".utf8))
        let id = try queue.admit(file: file, spool: spool, callingAETitle: "CT01", sopClassUID: "1.2.840.10008.5.1.4.1.1.2",
                                 sopInstanceUID: "1.2.3", transferSyntaxUID: TransferSyntaxUID.explicitLittleEndian,
                                 modality: "CT", route: "r", profile: "pass-through", destinations: ["a", "b"],
                                 forwardUnchanged: true)
        #expect(FileManager.default.fileExists(atPath: spool.receivedFile(id: id).path))
        #expect(!FileManager.default.fileExists(atPath: spool.outboxFile(id: id).path), "no second file")
        #expect(!FileManager.default.fileExists(atPath: file))
        #expect(try queue.claimForProcessing(limit: 5).isEmpty, "nothing for the workers")
        let toA = try queue.claimDeliveries(destination: "a", limit: 10)
        let toB = try queue.claimDeliveries(destination: "b", limit: 10)
        #expect(toA.map(\.objectID) == [id] && toB.map(\.objectID) == [id])
        #expect(toA.allSatisfy(\.sendsReceivedFile) && toB.allSatisfy(\.sendsReceivedFile))
        #expect(toA.map(spool.pathToSend) == [spool.receivedPath(id: id)])
        #expect(toA.first?.sopInstanceUID == "1.2.3" && toA.first?.transferSyntaxUID == TransferSyntaxUID.explicitLittleEndian)

        // Files go only in a sweep after the last delivery, never while one is outstanding.
        #expect(try queue.markDelivered(toA[0]) == false)
        #expect(try queue.sweepDone(before: Date()).isEmpty)
        #expect(try queue.markDelivered(toB[0]) == true)
        #expect(try queue.sweepDone(before: Date(timeIntervalSinceNow: -60)).isEmpty, "retention not over yet")
        #expect(try queue.sweepDone(before: Date()) == [id])
        #expect(try queue.sweepDone(before: Date()) == [id], "swept until its files are gone and it is forgotten")
        #expect(FileManager.default.fileExists(atPath: spool.receivedPath(id: id)))
        try queue.forgetSwept([id], spool: spool)
        #expect(!FileManager.default.fileExists(atPath: spool.receivedPath(id: id)))
        #expect(try queue.sweepDone(before: Date()).isEmpty, "an object is swept once")
        // A swept object leaves the queue: only its number stays in the file, and its id is not handed out again.
        #expect(try queue.counts().objectsByState == ["purged": 1])
        #expect(try queue.knownObjectIDs().isEmpty)
        #expect(try queue.claimDeliveries(destination: "a", limit: 10).isEmpty)
        #expect(try RelayQueue(path: spool.database.path).reserveID() > id)
    }

    /// Admits one object for destination "a", processes it, and claims its delivery.
    func processedDelivery(_ queue: RelayQueue, _ spool: Spool) throws -> (id: Int64, delivery: Delivery) {
        let id = try admitTestObject(queue, spool, destinations: ["a"])
        _ = try queue.claimForProcessing(limit: 1)
        try queue.finishProcessing(id: id, destinations: ["a"], sopClassUID: "x", sopInstanceUID: "y", transferSyntaxUID: "z")
        return (id, try #require(try queue.claimDeliveries(destination: "a", limit: 1).first))
    }

    @Test func processedObjectsAreSentFromTheOutbox() throws {
        let spool = try makeTestSpool()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        let (id, delivery) = try processedDelivery(try RelayQueue(path: spool.database.path), spool)
        #expect(!delivery.sendsReceivedFile)
        #expect(spool.pathToSend(delivery) == spool.outboxPath(id: id))
    }

    /// A spool written by a node from before migration v2: its pass-through object was moved into the outbox at
    /// intake and its delivery still waits. After an upgrade the delivery must still send the outbox file (the
    /// received file is gone), and new objects get ids after the old ones.
    @Test func aVersion1QueueIsUpgradedInPlace() throws {
        // The rows as version 1's intake wrote them for a pass-through object (no forwardUnchanged column).
        let spool = try makeSpool(queueUpTo: "v1") { db in
            try db.execute(sql: """
                INSERT INTO object (id, receivedAt, callingAETitle, sopClassUID, sopInstanceUID, transferSyntaxUID,
                    modality, route, profile, destinations, state, nextAttemptAt, outSopClassUID, outSopInstanceUID,
                    outTransferSyntaxUID)
                VALUES (41, 0, 'CT01', '1.2.840.10008.5.1.4.1.1.2', '1.2.3', '1.2.840.10008.1.2.1', 'CT', 'r',
                    'pass-through', 'a', 'processed', 0, '1.2.840.10008.5.1.4.1.1.2', '1.2.3', '1.2.840.10008.1.2.1');
                INSERT INTO delivery (objectID, destination, state, nextAttemptAt) VALUES (41, 'a', 'pending', 0);
                """)
            #expect(try db.columns(in: "object").map(\.name).contains("forwardUnchanged") == false)
        }
        defer { try? FileManager.default.removeItem(at: spool.root) }
        let queue = try RelayQueue(path: spool.database.path)
        let delivery = try #require(try queue.claimDeliveries(destination: "a", limit: 1).first)
        #expect(delivery.objectID == 41 && !delivery.sendsReceivedFile)
        #expect(spool.pathToSend(delivery) == spool.outboxPath(id: 41))
        #expect(try admitTestObject(queue, spool, destinations: ["a"]) > 41)
    }

    /// Version 2 kept swept objects as `purged` rows for good; opening such a queue deletes them (their files
    /// were deleted when they were swept), keeps their number and everything still to do.
    @Test func purgedRowsOfAVersion2QueueAreDropped() throws {
        let spool = try makeSpool(queueUpTo: "v2") { db in
            for (id, state) in [(7, "purged"), (8, "purged"), (9, "processed"), (10, "quarantined")] {
                try db.execute(sql: """
                    INSERT INTO object (id, receivedAt, callingAETitle, sopClassUID, sopInstanceUID, transferSyntaxUID,
                        modality, route, profile, destinations, state, nextAttemptAt, forwardUnchanged)
                    VALUES (?, 0, 'CT01', '1.2.840.10008.5.1.4.1.1.2', ?, '1.2.840.10008.1.2.1', 'CT', 'r',
                        'pass-through', 'a', ?, 0, 1)
                    """, arguments: [id, "1.2.\(id)", state])
            }
            try db.execute(sql: """
                INSERT INTO delivery (objectID, destination, state, nextAttemptAt) VALUES (7, 'a', 'delivered', 0);
                INSERT INTO delivery (objectID, destination, state, nextAttemptAt) VALUES (8, 'a', 'delivered', 0);
                INSERT INTO delivery (objectID, destination, state, nextAttemptAt) VALUES (9, 'a', 'pending', 0);
                """)
        }
        defer { try? FileManager.default.removeItem(at: spool.root) }
        let queue = try RelayQueue(path: spool.database.path)
        #expect(try queue.knownObjectIDs() == [9, 10])
        #expect(try queue.counts().objectsByState == ["processed": 1, "quarantined": 1, "purged": 2])
        #expect(try queue.claimDeliveries(destination: "a", limit: 10).map(\.objectID) == [9])
        #expect(try admitTestObject(queue, spool, destinations: ["a"]) > 10)
    }

    /// A file in a reserved slot is committed where it is, under the slot's id; a path that does not belong
    /// to the id is refused (and nothing is committed).
    @Test func reservedFilesAreCommittedInPlace() throws {
        let spool = try makeTestSpool()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        let queue = try RelayQueue(path: spool.database.path)
        let reserved = queue.reserveID()
        let file = spool.receivedFile(id: reserved).path
        FileManager.default.createFile(atPath: file, contents: Data("DICM".utf8))
        func admit(_ path: String, as id: Int64) throws(RelayError) -> Int64 {
            try queue.admit(file: path, reservedID: id, spool: spool, callingAETitle: "CT01",
                            sopClassUID: "1.2.840.10008.5.1.4.1.1.2", sopInstanceUID: "1.2.3",
                            transferSyntaxUID: TransferSyntaxUID.explicitLittleEndian, modality: "CT", route: "r",
                            profile: "qkd-hybrid", destinations: ["a"])
        }
        #expect(throws: RelayError.self) { _ = try admit(file, as: reserved + 100) }
        #expect(try queue.counts().objectsByState.isEmpty)
        #expect(try admit(file, as: reserved) == reserved)
        // The file is as received, and read-only now: the mark of an accepted object.
        #expect(FileManager.default.contents(atPath: file) == Data("DICM".utf8))
        #expect(AcceptanceMark.isPresent(file))
        #expect((try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)?.intValue == 0o400)
        #expect(try queue.claimForProcessing(limit: 5).map(\.id) == [reserved])
        // Ids go on after the reserved one: an unreserved object never takes a slot's id.
        #expect(try admitTestObject(queue, spool, destinations: ["a"]) > reserved)
    }

    @Test func futureRetriesAreNotDueYet() throws {
        let spool = try makeTestSpool()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        let queue = try RelayQueue(path: spool.database.path)
        let (_, delivery) = try processedDelivery(queue, spool)
        _ = try queue.markFailedAttempt(delivery, retryAt: Date(timeIntervalSinceNow: 60), maxAttempts: 0, error: "down")
        #expect(try queue.claimDeliveries(destination: "a", limit: 1).isEmpty)
        #expect(try queue.nextDue(destination: "a").map { $0 > Date(timeIntervalSinceNow: 50) } == true)
    }
}

@Suite("Bridge: storage SCP and SCU over loopback", .serialized)
struct BridgeLoopbackTests {
    static func freePort() -> Int { Int.random(in: 20000...40000) }

    @Test func scuStoresIntoScpAndEchoscuIsAnswered() throws {
        let spool = Spool(root: FileManager.default.temporaryDirectory.appendingPathComponent("bridge-\(UUID().uuidString)"))
        try spool.prepare()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        let received = LockedList()
        var scp: StorageSCP?
        var port = 0
        for _ in 0..<5 where scp == nil {
            port = Self.freePort()
            scp = try? StorageSCP(configuration: StorageSCPConfiguration(aeTitle: "RELAY", port: port, allowedCallingAETitles: ["SENDER", "ECHOSCU"]),
                                  incomingDirectory: spool.incoming.path) { object in
                received.append(object)
                unlink(object.path)
                return object.problem == nil ? .success : .cannotUnderstand
            }
        }
        let server = try #require(scp)
        let thread = Thread.launch(name: "scp") { server.runBlocking() }
        defer { server.stop() }

        let echo = Process()
        echo.executableURL = URL(fileURLWithPath: "/usr/bin/echoscu")
        echo.arguments = ["-aet", "ECHOSCU", "-aec", "RELAY", "127.0.0.1", String(port)]
        try echo.run()
        echo.waitUntilExit()
        #expect(echo.terminationStatus == 0)

        let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/dicom-samples/ct_small_s16_explicit.dcm").path
        let context = ProposedContext(sopClassUID: "1.2.840.10008.5.1.4.1.1.2", transferSyntaxUID: TransferSyntaxUID.explicitLittleEndian)
        let association = try StorageAssociation(callingAETitle: "SENDER", destination: Destination(name: "relay", aeTitle: "RELAY", host: "127.0.0.1", port: port), contexts: [context])
        let status = try association.store(path: sample, sopClassUID: context.sopClassUID, transferSyntaxUID: context.transferSyntaxUID)
        #expect(status == .success)
        #expect(received.items.count == 1)
        let object = try #require(received.items.first)
        #expect(object.modality == "CT" && object.rows == 128 && object.columns == 128 && object.bitsAllocated == 16)
        #expect(object.callingAETitle == "SENDER" && object.problem == nil && object.hasPixelData)

        // A caller outside the allow-list cannot associate.
        #expect(throws: SendFailure.self) {
            _ = try StorageAssociation(callingAETitle: "INTRUDER", destination: Destination(name: "relay", aeTitle: "RELAY", host: "127.0.0.1", port: port), contexts: [context])
        }
        // The SOP class was not proposed: permanent failure for that object, association still usable.
        #expect(throws: SendFailure.permanent("destination accepts no presentation context for SOP class 1.2.840.10008.5.1.4.1.1.4")) {
            _ = try association.store(path: sample, sopClassUID: "1.2.840.10008.5.1.4.1.1.4", transferSyntaxUID: TransferSyntaxUID.explicitLittleEndian)
        }
        _ = thread
    }

    /// With a file provider the SCP writes into the file it names (a slot made ahead) and hands its token back;
    /// nothing goes through the incoming directory. The slot here is a recycled file still holding 3 MB of an
    /// older object: the SCP writes over it in place and cuts it to the new length, and what is left must be,
    /// byte for byte, the file DCMTK's own bit-preserving receive (`storescp -B`) writes for the same C-STORE.
    @Test func scpWritesIntoTheProvidedFile() throws {
        let spool = Spool(root: FileManager.default.temporaryDirectory.appendingPathComponent("bridge-\(UUID().uuidString)"))
        try spool.prepare()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        let slot = spool.receivedFile(id: 41).path
        #expect(FileManager.default.createFile(atPath: slot, contents: Data(repeating: 0xAB, count: 3 << 20)))
        let inode = try #require(Self.inode(slot))
        let received = LockedList()
        var scp: StorageSCP?
        var port = 0
        for _ in 0..<5 where scp == nil {
            port = Self.freePort()
            scp = try? StorageSCP(configuration: StorageSCPConfiguration(aeTitle: "RELAY", port: port, allowedCallingAETitles: []),
                                  incomingDirectory: spool.incoming.path, fileProvider: { (slot, 41) }) { object in
                received.append(object)
                return .success
            }
        }
        let server = try #require(scp)
        let thread = Thread.launch(name: "scp") { server.runBlocking() }
        defer { server.stop() }
        let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/dicom-samples/ct_small_s16_explicit.dcm").path
        let context = ProposedContext(sopClassUID: "1.2.840.10008.5.1.4.1.1.2", transferSyntaxUID: TransferSyntaxUID.explicitLittleEndian)
        let association = try StorageAssociation(callingAETitle: "SENDER", destination: Destination(name: "relay", aeTitle: "RELAY", host: "127.0.0.1", port: port), contexts: [context])
        #expect(try association.store(path: sample, sopClassUID: context.sopClassUID, transferSyntaxUID: context.transferSyntaxUID) == .success)
        let object = try #require(received.items.first)
        #expect(object.path == slot && object.fileToken == 41 && object.problem == nil && object.rows == 128)
        #expect(Self.inode(slot) == inode, "written over in place, not replaced")
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.incoming.path).isEmpty)

        // The same C-STORE (same calling AE, same transfer syntax) into DCMTK's storescp, bit-preserving.
        let reference = spool.root.appendingPathComponent("storescp")
        try FileManager.default.createDirectory(at: reference, withIntermediateDirectories: true)
        var started: (process: Process, port: Int)?
        for _ in 0..<5 where started == nil {
            let candidate = Process(), candidatePort = Self.freePort()
            candidate.executableURL = URL(fileURLWithPath: "/usr/bin/storescp")
            candidate.arguments = ["-B", "-od", reference.path, String(candidatePort)]
            candidate.standardOutput = FileHandle.nullDevice
            candidate.standardError = FileHandle.nullDevice
            try candidate.run()
            if Self.waitForPort(candidatePort) { started = (candidate, candidatePort) } else { Self.stop(candidate) }
        }
        let (storescp, storescpPort) = try #require(started)
        defer { Self.stop(storescp) }
        let storescu = Process()
        storescu.executableURL = URL(fileURLWithPath: "/usr/bin/storescu")
        storescu.arguments = ["-aet", "SENDER", "-aec", "ANY", "-xe", "127.0.0.1", String(storescpPort), sample]
        try storescu.run()
        storescu.waitUntilExit()
        #expect(storescu.terminationStatus == 0)
        let written = try FileManager.default.contentsOfDirectory(atPath: reference.path)
        #expect(written.count == 1)
        let expected = try Data(contentsOf: reference.appendingPathComponent(try #require(written.first)))
        let actual = try Data(contentsOf: URL(fileURLWithPath: slot))
        #expect(actual.count == expected.count)
        #expect(actual == expected)
        _ = thread
    }

    static func inode(_ path: String) -> ino_t? {
        var status = stat()
        return stat(path, &status) == 0 ? status.st_ino : nil
    }

    /// storescp does not stop on SIGTERM while it waits for associations.
    static func stop(_ process: Process) {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    static func waitForPort(_ port: Int) -> Bool {
        for _ in 0..<100 {
            let probe = Process()
            probe.executableURL = URL(fileURLWithPath: "/usr/bin/echoscu")
            probe.arguments = ["-aec", "ANY", "127.0.0.1", String(port)]
            probe.standardError = FileHandle.nullDevice
            probe.standardOutput = FileHandle.nullDevice
            guard (try? probe.run()) != nil else { return false }
            probe.waitUntilExit()
            if probe.terminationStatus == 0 { return true }
            usleep(50_000)
        }
        return false
    }
}

@Suite("Spool slots")
struct SpoolSlotsTests {
    @Test func slotsAreEmptyFilesWithIDsOfTheirOwn() async throws {
        let spool = Spool(root: FileManager.default.temporaryDirectory.appendingPathComponent("slots-\(UUID().uuidString)"))
        try spool.prepare()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        let queue = try RelayQueue(path: spool.database.path)
        let slots = SpoolSlots(spool: spool, queue: queue, logger: Logger(label: "test"), batch: 4, lowWater: 2)
        // Batches are made in the background; take never waits for one.
        var taken: [(path: String, token: Int64)] = []
        let deadline = Date(timeIntervalSinceNow: 20)
        while taken.count < 10 && Date() < deadline {
            if let slot = slots.take() { taken.append(slot) } else { try await Task.sleep(for: .milliseconds(5)) }
        }
        #expect(taken.count == 10, "new batches keep coming")
        #expect(Set(taken.map(\.token)).count == 10, "every slot has its own id")
        for slot in taken {
            #expect(slot.path == spool.receivedFile(id: slot.token).path)
            let size = try fileSize(slot.path)
            #expect(size == 0)
        }
        let highest = try #require(taken.map(\.token).max())
        #expect(queue.reserveID() > highest)

        // At shutdown the slots nobody took are deleted (a batch still being made included); taken ones stay.
        slots.discardUnused()
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: spool.received.path))
        #expect(left == Set(taken.map { "\($0.token).dcm" }))
    }

    /// Slots made from recycled files hold those files' old bytes until objects are written over them; when the
    /// node goes idle past the hold, the untaken ones are emptied and stay ready, and taken ones are not touched.
    @Test func idleSlotsMadeOfRecycledFilesAreEmptiedAfterTheHold() async throws {
        let spool = Spool(root: FileManager.default.temporaryDirectory.appendingPathComponent("slots-\(UUID().uuidString)"))
        try spool.prepare()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        for id in Int64(1000)..<1004 {
            let path = spool.receivedPath(id: id)
            #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: 0x3C, count: 5000)))
            spool.recycle(path)
        }
        let queue = try RelayQueue(path: spool.database.path)
        let slots = SpoolSlots(spool: spool, queue: queue, logger: Logger(label: "test"), batch: 4, lowWater: 1)
        var first: (path: String, token: Int64)?
        let deadline = Date(timeIntervalSinceNow: 20)
        while first == nil && Date() < deadline {
            first = slots.take()
            if first == nil { try await Task.sleep(for: .milliseconds(5)) }
        }
        let taken = try #require(first)
        #expect(try fileSize(taken.path) == 5000, "a recycled file, its old bytes still there")
        let untaken = try FileManager.default.contentsOfDirectory(atPath: spool.received.path)
            .map { spool.received.path + "/" + $0 }.filter { $0 != taken.path }
        #expect(untaken.count == 3)

        slots.emptyStale(now: .now + .seconds(spool.recycled.holdSeconds / 2))
        for path in untaken { #expect(try fileSize(path) == 5000, "inside the hold") }
        slots.emptyStale(now: .now + .seconds(spool.recycled.holdSeconds + 1))
        for path in untaken { #expect(try fileSize(path) == 0) }
        #expect(try fileSize(taken.path) == 5000)
        var again: [String] = []
        while again.count < 3, let slot = slots.take() { again.append(slot.path) }
        #expect(Set(again) == Set(untaken), "emptied slots stay ready")
        slots.discardUnused()
    }
}

/// The size in bytes of the file at `path`.
func fileSize(_ path: String) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
}

final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [ReceivedObject] = []
    func append(_ object: ReceivedObject) { lock.withLock { storage.append(object) } }
    var items: [ReceivedObject] { lock.withLock { storage } }
}
