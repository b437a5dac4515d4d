public import Foundation
import GRDB

/// One accepted object as the queue knows it. Dataset facts kept here are the ones routing and sending need;
/// no patient attributes.
public struct QueuedObject: Sendable, Hashable {
    public var id: Int64
    public var receivedAt: Date
    public var callingAETitle: String
    public var sopClassUID: String
    public var sopInstanceUID: String
    public var transferSyntaxUID: String
    public var modality: String
    public var route: String
    public var profile: String
    public var destinations: [String]
    /// Processing attempts that failed retryably so far (the object's backoff grows with them).
    public var attempts: Int = 0
}

/// A delivery of one processed object to one destination.
public struct Delivery: Sendable, Hashable {
    public enum State: String, Sendable { case pending, sending, delivered, dead }
    public var id: Int64
    public var objectID: Int64
    public var destination: String
    public var state: State
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    /// What is forwarded (after processing).
    public var sopClassUID: String
    public var sopInstanceUID: String
    public var transferSyntaxUID: String
    /// The object is forwarded as received, from its `received/` file (no `outbox/` file is made for it).
    public var sendsReceivedFile: Bool = false
}

/// The durable queue (SQLite in WAL mode).
///
/// Durability: the C-STORE-RSP Success depends on `admit`, whose durable record is the received file itself
/// (fsynced with its `AcceptanceMark`); its commit, like every update but the sweeps', uses synchronous=NORMAL.
/// A power cut can take the last NORMAL commits (the WAL keeps a consistent prefix of them): a lost admission
/// is found again by `RelayNode.recover` from its marked file, and any other lost update only repeats work (a
/// claim is reset anyway, a reprocessed object gets the same UID, a re-sent delivery is an idempotent
/// overwrite). The sweeps commit with FULL before files are deleted, which makes all earlier commits durable.
///
/// Object states: received → processing → processed → done → swept (files being deleted, then the row is
/// forgotten); or quarantined. Delivery states: pending → sending → delivered; or dead (dead letter,
/// replayable).
public final class RelayQueue: Sendable {
    let database: DatabasePool
    let ids: IDAllocator

    public init(path: String) throws(RelayError) {
        do {
            var configuration = Configuration()
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
            configuration.busyMode = .timeout(10)
            database = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(database)
            ids = IDAllocator(after: try Self.highestObjectID(database))
        } catch {
            throw .queue(reason: "cannot open \(path) (\(error))")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE object (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    receivedAt REAL NOT NULL,
                    callingAETitle TEXT NOT NULL,
                    sopClassUID TEXT NOT NULL,
                    sopInstanceUID TEXT NOT NULL,
                    transferSyntaxUID TEXT NOT NULL,
                    modality TEXT NOT NULL,
                    route TEXT NOT NULL,
                    profile TEXT NOT NULL,
                    destinations TEXT NOT NULL,
                    state TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    nextAttemptAt REAL NOT NULL,
                    lastError TEXT,
                    outSopClassUID TEXT,
                    outSopInstanceUID TEXT,
                    outTransferSyntaxUID TEXT,
                    finishedAt REAL
                );
                CREATE INDEX object_state ON object(state, nextAttemptAt);
                CREATE TABLE delivery (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    objectID INTEGER NOT NULL REFERENCES object(id) ON DELETE CASCADE,
                    destination TEXT NOT NULL,
                    state TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    nextAttemptAt REAL NOT NULL,
                    lastError TEXT,
                    deliveredAt REAL
                );
                CREATE INDEX delivery_due ON delivery(destination, state, nextAttemptAt);
                CREATE INDEX delivery_object ON delivery(objectID);
                """)
        }
        // Objects forwarded unchanged (pass-through) are sent from their received file; before v2 the intake
        // moved them into the outbox, and rows from then keep 0 (their files are in the outbox).
        migrator.registerMigration("v2") { db in
            try db.execute(sql: "ALTER TABLE object ADD COLUMN forwardUnchanged INTEGER NOT NULL DEFAULT 0")
        }
        // Before v3 a swept object stayed as a `purged` row for good (see `forget`); their files are gone, and
        // only their number is kept.
        migrator.registerMigration("v3") { db in
            try db.execute(sql: """
                CREATE TABLE tally (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
                INSERT INTO tally (name, n) SELECT 'purged', COUNT(*) FROM object WHERE state = 'purged';
                DELETE FROM delivery WHERE objectID IN (SELECT id FROM object WHERE state = 'purged');
                DELETE FROM object WHERE state = 'purged';
                """)
        }
        return migrator
    }

    // MARK: Intake

    /// Places a received file in the spool and commits its record; returns the object's id. Success may be
    /// answered when this returns, and not before:
    ///
    /// * a file in a reserved slot (`reservedID`, the file `received/<id>.dcm` that `SpoolSlots` created and
    ///   whose directory it fsynced before handing it out) stays where it is: its name is already durable;
    /// * any other file gets an id now and is renamed to `received/<id>.dcm`;
    /// * the file gets the `AcceptanceMark` (mode 0400) and is fsynced (a renamed one's directory too);
    /// * then the row (and, for `forwardUnchanged`, its deliveries) is committed, with synchronous=NORMAL: the
    ///   marked file is the durable record of the acceptance, so the commit needs no flush of its own (it was a
    ///   second one before each Success, 0.3–0.7 ms of the C-STORE on the benchmark VM). A power cut that takes
    ///   the commit leaves a marked file without a row, which `RelayNode.recover` admits again.
    ///
    /// The file steps run outside the database's write lock, so concurrent associations flush in parallel. A
    /// crash before the mark leaves an unmarked file without a row, which `RelayNode.recover` deletes (the SCU
    /// never got Success and sends again).
    ///
    /// `forwardUnchanged`: the object needs no processing (pass-through): it is sent from its received file,
    /// with its deliveries pending in the same commit (no worker hop, no second file, no second fsync).
    public func admit(
        file: String, reservedID: Int64? = nil, spool: Spool, callingAETitle: String, sopClassUID: String,
        sopInstanceUID: String, transferSyntaxUID: String, modality: String, route: String, profile: String,
        destinations: [String], forwardUnchanged: Bool = false
    ) throws(RelayError) -> Int64 {
        let id = reservedID ?? ids.next()
        let target = spool.receivedPath(id: id)
        if reservedID == nil {
            guard Durable.move(file, to: target) else {
                throw .spool(path: target, reason: "cannot move the received object into the spool")
            }
        } else if file != target {
            throw .spool(path: file, reason: "a reserved file is not where its id says it is")
        }
        if let code = AcceptanceMark.markAndSync(target) {
            Durable.remove(target)
            throw .spool(path: target, reason: "cannot mark and fsync the received object (\(String(cString: strerror(code)))); check the spool disk")
        }
        // A reserved file's name was made durable with its batch; a renamed one's needs the directory's fsync.
        guard reservedID != nil || Durable.sync(directory: spool.received.path) else {
            Durable.remove(target)
            throw .spool(path: target, reason: "cannot fsync the spool directory; check the spool disk")
        }
        do {
            try write { db in
                try Self.insert(db, id: id, callingAETitle: callingAETitle, sopClassUID: sopClassUID,
                                sopInstanceUID: sopInstanceUID, transferSyntaxUID: transferSyntaxUID,
                                modality: modality, route: route, profile: profile, destinations: destinations,
                                forwardUnchanged: forwardUnchanged)
            }
        } catch {
            Durable.remove(target)
            // The spool's lock keeps other nodes out, so no other writer takes ids; if the commit failed over an
            // id anyway, start again after the highest one in the table.
            if let highest = try? Self.highestObjectID(database) { ids.advance(past: highest) }
            let reason = if case .queue(let reason) = error { reason } else { "\(error)" }
            throw .queue(reason: "cannot commit the received object (\(reason))")
        }
        return id
    }

    /// An id for a file created before its object arrives (`SpoolSlots`); `admit` takes it back as `reservedID`.
    func reserveID() -> Int64 { ids.next() }

    private static func insert(
        _ db: Database, id: Int64, callingAETitle: String, sopClassUID: String, sopInstanceUID: String,
        transferSyntaxUID: String, modality: String, route: String, profile: String, destinations: [String],
        forwardUnchanged: Bool
    ) throws {
        let now = Date().timeIntervalSince1970
        // A forwarded-unchanged object is processed at once: what is sent is what was received.
        let (state, outSopClass, outSopInstance, outSyntax): (String, String?, String?, String?) =
            forwardUnchanged ? ("processed", sopClassUID, sopInstanceUID, transferSyntaxUID) : ("received", nil, nil, nil)
        try db.run(
            sql: """
                INSERT INTO object (id, receivedAt, callingAETitle, sopClassUID, sopInstanceUID, transferSyntaxUID,
                    modality, route, profile, destinations, state, nextAttemptAt,
                    outSopClassUID, outSopInstanceUID, outTransferSyntaxUID, forwardUnchanged)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [id, now, callingAETitle, sopClassUID, sopInstanceUID, transferSyntaxUID, modality, route,
                        profile, destinations.joined(separator: "\n"), state, now, outSopClass, outSopInstance,
                        outSyntax, forwardUnchanged ? 1 : 0])
        if forwardUnchanged { try insertDeliveries(db, objectID: id, destinations: destinations, dueAt: now) }
    }

    /// One pending delivery per destination, due at `dueAt` (seconds since 1970).
    private static func insertDeliveries(_ db: Database, objectID: Int64, destinations: [String], dueAt: Double) throws {
        for destination in destinations {
            try db.run(
                sql: "INSERT INTO delivery (objectID, destination, state, nextAttemptAt) VALUES (?, ?, 'pending', ?)",
                arguments: [objectID, destination, dueAt])
        }
    }

    /// The highest object id ever used (AUTOINCREMENT remembers the ids of rows that `forget` deleted).
    static func highestObjectID(_ database: DatabasePool) throws -> Int64 {
        try database.read { db in
            let rows = try db.value(Int64.self, sql: "SELECT MAX(id) FROM object") ?? 0
            let sequence = try db.value(Int64.self, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'object'") ?? 0
            return max(rows, sequence)
        }
    }

    /// Object ids handed out before their rows are committed (a file gets its final name first).
    final class IDAllocator: @unchecked Sendable {
        // `last` is guarded by `lock`.
        private let lock = NSLock()
        private var last: Int64

        init(after highest: Int64) { last = highest }

        func next() -> Int64 { lock.withLock { last += 1; return last } }

        func advance(past highest: Int64) { lock.withLock { last = max(last, highest) } }
    }

    // MARK: Processing

    /// The due received objects, earliest due first. Ordered as the `object_state` index (state, nextAttemptAt,
    /// then the rowid) runs, so SQLite reads the first `limit` entries and stops; ordered by id alone, it had to
    /// sort every due row on every claim (with 50,000 waiting after a KME outage, 11.5 ms per claim, inside
    /// the write lock that the intake's commits wait for).
    static let claimObjectsSQL = """
        SELECT * FROM object WHERE state = 'received' AND nextAttemptAt <= ? ORDER BY nextAttemptAt, id LIMIT ?
        """

    /// Claims up to `limit` received objects that are due, earliest due first, marking them `processing`.
    public func claimForProcessing(limit: Int, now: Date = Date()) throws(RelayError) -> [QueuedObject] {
        try write { db in
            let rows = try db.rows(sql: Self.claimObjectsSQL, arguments: [now.timeIntervalSince1970, limit])
            let objects = rows.map(Self.object(from:))
            for object in objects {
                try db.run(sql: "UPDATE object SET state = 'processing' WHERE id = ?", arguments: [object.id])
            }
            return objects
        }
    }

    /// Marks the object processed and creates one pending delivery per destination.
    public func finishProcessing(id: Int64, destinations: [String], sopClassUID: String, sopInstanceUID: String,
                                 transferSyntaxUID: String) throws(RelayError) {
        try write { db in
            let now = Date().timeIntervalSince1970
            try db.run(
                sql: """
                    UPDATE object SET state = 'processed', outSopClassUID = ?, outSopInstanceUID = ?,
                        outTransferSyntaxUID = ?, lastError = NULL WHERE id = ?
                    """,
                arguments: [sopClassUID, sopInstanceUID, transferSyntaxUID, id])
            try Self.insertDeliveries(db, objectID: id, destinations: destinations, dueAt: now)
        }
    }

    /// A retryable processing failure: back to `received`, due again at `retryAt`.
    public func deferProcessing(id: Int64, retryAt: Date, error text: String) throws(RelayError) -> Int {
        try write { db in
            try db.run(
                sql: "UPDATE object SET state = 'received', attempts = attempts + 1, nextAttemptAt = ?, lastError = ? WHERE id = ?",
                arguments: [retryAt.timeIntervalSince1970, text, id])
            return try db.value(Int.self, sql: "SELECT attempts FROM object WHERE id = ?", arguments: [id]) ?? 0
        }
    }

    public func markQuarantined(id: Int64, error text: String) throws(RelayError) {
        try write { db in
            try db.run(
                sql: "UPDATE object SET state = 'quarantined', lastError = ?, finishedAt = ? WHERE id = ?",
                arguments: [text, Date().timeIntervalSince1970, id])
        }
    }

    // MARK: Sending

    /// One destination's due deliveries, earliest due first, in the order of the `delivery_due` index
    /// (destination, state, nextAttemptAt, then the rowid), for the reason given at `claimObjectsSQL`: when a
    /// destination comes back after an outage, everything queued for it is due at once, and a claim that sorted
    /// it all cost 40 ms per 16 deliveries with 50,000 waiting.
    static let claimDeliveriesSQL = """
        SELECT d.*, o.outSopClassUID, o.outSopInstanceUID, o.outTransferSyntaxUID, o.forwardUnchanged FROM delivery d
        JOIN object o ON o.id = d.objectID
        WHERE d.destination = ? AND d.state = 'pending' AND d.nextAttemptAt <= ?
        ORDER BY d.nextAttemptAt, d.id LIMIT ?
        """

    /// Claims up to `limit` due deliveries for one destination, earliest due first, marking them `sending`.
    public func claimDeliveries(destination: String, limit: Int, now: Date = Date()) throws(RelayError) -> [Delivery] {
        try write { db in
            let rows = try db.rows(
                sql: Self.claimDeliveriesSQL, arguments: [destination, now.timeIntervalSince1970, limit])
            let deliveries = rows.map(Self.delivery(from:))
            for delivery in deliveries {
                try db.run(sql: "UPDATE delivery SET state = 'sending' WHERE id = ?", arguments: [delivery.id])
            }
            return deliveries
        }
    }

    /// Earliest time a pending delivery for `destination` becomes due (nil when none is pending).
    public func nextDue(destination: String) throws(RelayError) -> Date? {
        try read { db in
            try db.value(
                Double.self, sql: "SELECT MIN(nextAttemptAt) FROM delivery WHERE destination = ? AND state = 'pending'",
                arguments: [destination]
            ).map(Date.init(timeIntervalSince1970:))
        }
    }

    /// Marks a delivery done. Returns true when this was the object's last outstanding delivery (the object is
    /// then `done`).
    /// Not fsynced (NORMAL): losing it in a power cut only sends the object again, an idempotent overwrite.
    /// The object's files are deleted later (`sweepDone`, `forgetSwept`), after a commit that makes this one
    /// durable: a crash must never bring back a pending delivery whose file is gone.
    public func markDelivered(_ delivery: Delivery) throws(RelayError) -> Bool {
        try write { db in
            let now = Date().timeIntervalSince1970
            try db.run(
                sql: "UPDATE delivery SET state = 'delivered', deliveredAt = ?, lastError = NULL WHERE id = ?",
                arguments: [now, delivery.id])
            if try Self.hasNothingOutstanding(db, objectID: delivery.objectID) {
                try db.run(sql: "UPDATE object SET state = 'done', finishedAt = ? WHERE id = ?",
                               arguments: [now, delivery.objectID])
                return true
            }
            return false
        }
    }

    /// Back to pending without counting an attempt (e.g. the rest of a batch after the association broke).
    public func release(_ deliveries: [Delivery]) throws(RelayError) {
        guard !deliveries.isEmpty else { return }
        try write { db in
            for delivery in deliveries {
                try db.run(sql: "UPDATE delivery SET state = 'pending' WHERE id = ? AND state = 'sending'",
                               arguments: [delivery.id])
            }
        }
    }

    /// A transient failure: count the attempt; pending again at `retryAt`, or dead when attempts run out.
    public func markFailedAttempt(_ delivery: Delivery, retryAt: Date, maxAttempts: Int, error text: String)
        throws(RelayError) -> Delivery.State
    {
        try write { db in
            let attempts = delivery.attempts + 1
            let state: Delivery.State = maxAttempts > 0 && attempts >= maxAttempts ? .dead : .pending
            try db.run(
                sql: "UPDATE delivery SET state = ?, attempts = ?, nextAttemptAt = ?, lastError = ? WHERE id = ?",
                arguments: [state.rawValue, attempts, retryAt.timeIntervalSince1970, text, delivery.id])
            return state
        }
    }

    public func markDead(_ delivery: Delivery, error text: String) throws(RelayError) {
        try write { db in
            try db.run(
                sql: "UPDATE delivery SET state = 'dead', attempts = attempts + 1, lastError = ? WHERE id = ?",
                arguments: [text, delivery.id])
        }
    }

    // MARK: Recovery and operations

    /// After a crash or restart: work that was in flight is due again.
    public func recoverInFlight() throws(RelayError) {
        try write { db in
            try db.run(sql: "UPDATE object SET state = 'received' WHERE state = 'processing'")
            try db.run(sql: "UPDATE delivery SET state = 'pending' WHERE state = 'sending'")
        }
    }

    /// Ids of objects that have a record (used to find orphan files in the spool).
    public func knownObjectIDs() throws(RelayError) -> Set<Int64> {
        try read { db in Set(try db.values(Int64.self, sql: "SELECT id FROM object")) }
    }

    /// Ids of objects whose outbox/received files are still needed.
    public func liveObjectIDs() throws(RelayError) -> Set<Int64> {
        try read { db in
            Set(try db.values(Int64.self, sql: "SELECT id FROM object WHERE state IN ('received', 'processing', 'processed')"))
        }
    }

    /// First step of forgetting finished objects: done objects finished before `cutoff` become `swept`, in a
    /// FULL commit whose WAL fsync also makes every earlier `markDelivered` durable. Returns every swept object
    /// (also those an interrupted sweep or `qkdgate queue purge` left), for `forgetSwept`, which deletes their
    /// files and then their rows. Deleting files only while their rows still exist means a restart never finds
    /// the file of a finished object without its row, which it would take for an acknowledged object whose
    /// record a power cut took (`RelayNode.recover`), and send again.
    public func sweepDone(before cutoff: Date) throws(RelayError) -> [Int64] {
        try writeDurably { db in
            try db.run(sql: "UPDATE object SET state = 'swept' WHERE state = 'done' AND finishedAt <= ?",
                       arguments: [cutoff.timeIntervalSince1970])
            return try db.values(Int64.self, sql: "SELECT id FROM object WHERE state = 'swept'")
        }
    }

    /// Second step: deletes the swept objects' files, then forgets them (rows and deliveries deleted, counted
    /// in the `purged` tally).
    public func forgetSwept(_ ids: [Int64], spool: Spool) throws(RelayError) {
        guard !ids.isEmpty else { return }
        for id in ids {
            spool.recycle(spool.receivedPath(id: id))
            spool.recycle(spool.outboxPath(id: id))
        }
        try write { db in
            for id in ids {
                let state = try db.value(String.self, sql: "SELECT state FROM object WHERE id = ?", arguments: [id])
                if state == "swept" { try Self.forget(db, objectID: id) }
            }
        }
    }

    /// Whether every delivery the object still has is delivered (the object is finished).
    private static func hasNothingOutstanding(_ db: Database, objectID id: Int64) throws -> Bool {
        let open = try db.value(
            Int.self, sql: "SELECT COUNT(*) FROM delivery WHERE objectID = ? AND state != 'delivered'", arguments: [id])
        return (open ?? 0) == 0
    }

    /// Deletes a finished object's row and its deliveries and counts it in the `purged` tally. The queue holds
    /// only what is still to do (and quarantined objects): a row kept per object ever received would grow the
    /// file without end, make every count of the queue (`counts()`, once a second for the depth gauge) slower
    /// each day, and keep every object's UIDs and calling AE on disk long after the object left. Ids still
    /// never repeat (AUTOINCREMENT keeps the highest in sqlite_sequence).
    private static func forget(_ db: Database, objectID id: Int64) throws {
        try db.run(sql: "DELETE FROM delivery WHERE objectID = ?", arguments: [id])
        try db.run(sql: "DELETE FROM object WHERE id = ?", arguments: [id])
        try db.run(sql: "UPDATE tally SET n = n + 1 WHERE name = 'purged'")
    }

    public func deadLetters() throws(RelayError) -> [Delivery] {
        try read { db in
            try db.rows(
                sql: """
                    SELECT d.*, o.outSopClassUID, o.outSopInstanceUID, o.outTransferSyntaxUID, o.forwardUnchanged FROM delivery d
                    JOIN object o ON o.id = d.objectID WHERE d.state = 'dead' ORDER BY d.id
                    """
            ).map(Self.delivery(from:))
        }
    }

    /// Replays dead letters (all, or those for one destination). Returns how many.
    public func retryDeadLetters(destination: String?) throws(RelayError) -> Int {
        try write { db in
            let now = Date().timeIntervalSince1970
            if let destination {
                try db.run(
                    sql: "UPDATE delivery SET state = 'pending', attempts = 0, nextAttemptAt = ? WHERE state = 'dead' AND destination = ?",
                    arguments: [now, destination])
            } else {
                try db.run(sql: "UPDATE delivery SET state = 'pending', attempts = 0, nextAttemptAt = ? WHERE state = 'dead'",
                               arguments: [now])
            }
            return db.changesCount
        }
    }

    /// Drops every dead letter; an object left with nothing outstanding becomes `swept` (`forgetSwept` then
    /// deletes its files and row, as after a sweep). Returns how many dead letters went, and the swept objects.
    /// Committed with FULL, like the sweep: its files are deleted next, and a commit lost in a power cut would
    /// bring back deliveries whose files are gone.
    public func purgeDeadLetters() throws(RelayError) -> (purged: Int, finishedObjects: [Int64]) {
        try writeDurably { db in
            let objectIDs = try db.values(Int64.self, sql: "SELECT DISTINCT objectID FROM delivery WHERE state = 'dead'")
            try db.run(sql: "DELETE FROM delivery WHERE state = 'dead'")
            let purged = db.changesCount
            var finished: [Int64] = []
            for id in objectIDs {
                if try Self.hasNothingOutstanding(db, objectID: id) {
                    try db.run(sql: "UPDATE object SET state = 'swept' WHERE id = ?", arguments: [id])
                    finished.append(id)
                }
            }
            return (purged, finished)
        }
    }

    public struct Counts: Sendable, Equatable {
        /// Objects in the queue per state, and under `purged` the number of objects finished and removed from
        /// it since it was made (absent while 0).
        public var objectsByState: [String: Int]
        /// Deliveries waiting or being sent (`pending` + `sending`), per destination.
        public var pendingByDestination: [String: Int]
        public var deadByDestination: [String: Int]
        /// Pending or sending deliveries that no destination has answered yet (first attempt still to come or
        /// under way), all destinations together.
        public var untried: Int
    }

    public func counts() throws(RelayError) -> Counts {
        try read { db in
            var objects: [String: Int] = [:]
            for row in try db.rows(sql: "SELECT state, COUNT(*) AS n FROM object GROUP BY state") {
                objects[row["state"]] = row["n"]
            }
            // Finished objects have no rows any more (`forget`), only their number.
            if let purged = try db.value(Int.self, sql: "SELECT n FROM tally WHERE name = 'purged'"), purged > 0 {
                objects["purged"] = purged
            }
            var pending: [String: Int] = [:]
            var dead: [String: Int] = [:]
            for row in try db.rows(sql: "SELECT destination, state, COUNT(*) AS n FROM delivery WHERE state IN ('pending', 'sending', 'dead') GROUP BY destination, state") {
                let state: String = row["state"]
                if state == "dead" { dead[row["destination"]] = row["n"] } else { pending[row["destination"], default: 0] += row["n"] as Int }
            }
            let untried = try db.value(
                Int.self, sql: "SELECT COUNT(*) FROM delivery WHERE state IN ('pending', 'sending') AND attempts = 0") ?? 0
            return Counts(objectsByState: objects, pendingByDestination: pending, deadByDestination: dead, untried: untried)
        }
    }

    // MARK: Helpers

    private func write<T>(_ body: (Database) throws -> T) throws(RelayError) -> T {
        do { return try database.write(body) } catch let error as RelayError { throw error } catch {
            throw .queue(reason: "\(error)")
        }
    }

    /// A transaction committed with synchronous=FULL (WAL fsynced before returning).
    private func writeDurably<T>(_ body: (Database) throws -> T) throws(RelayError) -> T {
        do {
            return try database.writeWithoutTransaction { db -> T in
                try db.run(sql: "PRAGMA synchronous = FULL")
                defer { try? db.run(sql: "PRAGMA synchronous = NORMAL") }
                var result: T?
                try db.inTransaction {
                    result = try body(db)
                    return .commit
                }
                guard let result else { throw RelayError.queue(reason: "transaction produced no result") }
                return result
            }
        } catch let error as RelayError { throw error } catch {
            throw .queue(reason: "\(error)")
        }
    }

    private func read<T>(_ body: (Database) throws -> T) throws(RelayError) -> T {
        do { return try database.read(body) } catch { throw .queue(reason: "\(error)") }
    }

    static func object(from row: Row) -> QueuedObject {
        let destinations: String = row["destinations"]
        return QueuedObject(
            id: row["id"], receivedAt: Date(timeIntervalSince1970: row["receivedAt"]),
            callingAETitle: row["callingAETitle"], sopClassUID: row["sopClassUID"], sopInstanceUID: row["sopInstanceUID"],
            transferSyntaxUID: row["transferSyntaxUID"], modality: row["modality"], route: row["route"],
            profile: row["profile"], destinations: destinations.split(separator: "\n").map(String.init),
            attempts: row["attempts"])
    }

    static func delivery(from row: Row) -> Delivery {
        Delivery(
            id: row["id"], objectID: row["objectID"], destination: row["destination"],
            state: Delivery.State(rawValue: row["state"]) ?? .pending, attempts: row["attempts"],
            nextAttemptAt: Date(timeIntervalSince1970: row["nextAttemptAt"]), lastError: row["lastError"],
            sopClassUID: row["outSopClassUID"] ?? "", sopInstanceUID: row["outSopInstanceUID"] ?? "",
            transferSyntaxUID: row["outTransferSyntaxUID"] ?? "",
            sendsReceivedFile: (row["forwardUnchanged"] as Int?) == 1)
    }
}

extension Database {
    // The queue's statements run thousands of times an hour: each is parsed once per connection and kept in
    // GRDB's statement cache, instead of being prepared (and its authorizer run) on every call.

    func run(sql: String, arguments: StatementArguments = StatementArguments()) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }

    func rows(sql: String, arguments: StatementArguments = StatementArguments()) throws -> [Row] {
        try Row.fetchAll(cachedStatement(sql: sql), arguments: arguments)
    }

    func values<Value: DatabaseValueConvertible>(
        _ type: Value.Type, sql: String, arguments: StatementArguments = StatementArguments()
    ) throws -> [Value] {
        try Value.fetchAll(cachedStatement(sql: sql), arguments: arguments)
    }

    func value<Value: DatabaseValueConvertible>(
        _ type: Value.Type, sql: String, arguments: StatementArguments = StatementArguments()
    ) throws -> Value? {
        try Value.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }
}
