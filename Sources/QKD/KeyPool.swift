import Foundation
internal import GRDB

/// One site's durable store of QKD key material (SQLite through GRDB).
///
/// Both ends of a link hold the same material under the same UUIDs. Material is stored in units of
/// `KeyPool.unitBytes` (256 bits); a delivered ETSI key of `size` bits is ⌈size/256⌉ consecutive units under
/// the key_ID of its first unit, truncated to `size` bits (the remainder is never used again).
///
/// States of a unit: `available` → (site A, enc_keys) `delivered`; at site B `available` → `assigned` (site A
/// delivered it to a master SAE for this slave SAE) → `delivered` (dec_keys). Every state change is one SQLite
/// transaction in WAL mode with `synchronous = FULL`, committed before the HTTP answer leaves, so a crash
/// either happened before the commit (the key was never handed out) or after it (the key is gone for good);
/// a unit is never handed out twice by one site.
///
/// Schema (table `qkd_key_unit`):
/// `seq` INTEGER PRIMARY KEY AUTOINCREMENT (generation order), `unit_id` TEXT UNIQUE (UUID),
/// `material` BLOB (32 bytes), `state` INTEGER (0 available, 1 assigned, 2 delivered), `master_sae` TEXT,
/// `slave_sae` TEXT, `key_id` TEXT (the ETSI key_ID the unit belongs to), `key_index` INTEGER,
/// `key_bits` INTEGER, `created_at` / `delivered_at` REAL (Unix seconds).
/// Indexes: (state, seq) to take available units in generation order, (key_id, key_index) to find a key's units.
public struct KeyPool: Sendable {
    /// Bytes per stored unit (256 bits, the default ETSI key size).
    public static let unitBytes = 32

    enum UnitState: Int {
        case available = 0
        case assigned = 1
        case delivered = 2
    }

    /// A key taken from the pool: its ETSI key_ID, material and the units it consumed.
    public struct Taken: Sendable, Equatable {
        public var keyID: String
        public var bytes: [UInt8]
        public var unitIDs: [String]
        public var bits: Int
    }

    private let database: DatabaseQueue
    /// Path of the SQLite file (for messages; holds no key material in its name).
    public let path: String

    /// Opens (creating if needed) the pool at `path`.
    public init(path: String) throws(KeyPoolError) {
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // FULL: a commit is on disk before the answer that depends on it is sent.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Erased material (see `takeAssigned`, `takeNew`) is overwritten with zeros in the file, not left
            // in the free space of its page.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        do {
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            database = try DatabaseQueue(path: path, configuration: configuration)
            try database.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS qkd_key_unit (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        unit_id TEXT NOT NULL UNIQUE,
                        material BLOB NOT NULL,
                        state INTEGER NOT NULL DEFAULT 0,
                        master_sae TEXT,
                        slave_sae TEXT,
                        key_id TEXT,
                        key_index INTEGER,
                        key_bits INTEGER,
                        created_at REAL NOT NULL,
                        delivered_at REAL
                    );
                    CREATE INDEX IF NOT EXISTS qkd_key_unit_state ON qkd_key_unit(state, seq);
                    CREATE INDEX IF NOT EXISTS qkd_key_unit_key_units ON qkd_key_unit(key_id, key_index);
                    DROP INDEX IF EXISTS qkd_key_unit_key;
                    """)
            }
        } catch {
            throw KeyPoolError.storage(path: path, reason: String(describing: error))
        }
        self.path = path
    }

    /// Adds freshly distilled units (UUID, 32 bytes each) as available.
    public func insert(_ units: [(id: String, material: [UInt8])]) async throws(KeyPoolError) {
        precondition(units.allSatisfy { $0.material.count == Self.unitBytes }, "units are 32 bytes")
        let now = Date().timeIntervalSince1970
        let rows = units.map { ($0.id, Data($0.material)) }
        try await run { db in
            let statement = try db.makeStatement(
                sql: "INSERT INTO qkd_key_unit (unit_id, material, state, created_at) VALUES (?, ?, 0, ?)")
            for (id, material) in rows {
                try statement.execute(arguments: [id, material, now])
            }
        }
    }

    /// Units that can still be delivered (state available).
    public func availableUnits() async throws(KeyPoolError) -> Int {
        try await run { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM qkd_key_unit WHERE state = 0") ?? 0
        }
    }

    /// Site A, enc_keys: takes `count` keys of `bits` bits from the available units, marks them delivered to
    /// `master` for `slave`, all in one transaction. Throws `.insufficientKey` (nothing taken) if short.
    /// `erase`: the units' material is wiped in the same transaction, for a site A that nobody will ask for it
    /// again (the embedded KME, whose site B holds its own copy); a site A of a two-process link keeps it for
    /// site B's `delivered` request.
    public func takeNew(count: Int, bits: Int, master: String, slave: String, erase: Bool) async throws(KeyPoolError)
        -> [Taken]
    {
        precondition(count > 0 && bits > 0 && bits % 8 == 0, "caller validates number and size")
        let unitsPerKey = (bits + Self.unitBytes * 8 - 1) / (Self.unitBytes * 8)
        let needed = count * unitsPerKey
        let now = Date().timeIntervalSince1970
        return try await run { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT seq, unit_id, material FROM qkd_key_unit WHERE state = 0 ORDER BY seq LIMIT ?",
                arguments: [needed])
            guard rows.count == needed else {
                throw KeyPoolError.insufficientKey(availableBits: rows.count * Self.unitBytes * 8,
                                                   requestedBits: count * bits)
            }
            var taken: [Taken] = []
            let update = try db.makeStatement(sql: """
                UPDATE qkd_key_unit SET state = 2, master_sae = ?, slave_sae = ?, key_id = ?, key_index = ?,
                key_bits = ?, delivered_at = ?\(erase ? ", material = x''" : "") WHERE seq = ? AND state = 0
                """)
            for k in 0..<count {
                let group = rows[(k * unitsPerKey)..<((k + 1) * unitsPerKey)]
                let keyID: String = group.first.map { $0["unit_id"] } ?? ""
                var bytes: [UInt8] = []
                var unitIDs: [String] = []
                for (index, row) in group.enumerated() {
                    let material: Data = row["material"]
                    bytes += material
                    unitIDs.append(row["unit_id"])
                    let seq: Int64 = row["seq"]
                    try update.execute(arguments: [master, slave, keyID, index, bits, now, seq])
                }
                taken.append(Taken(keyID: keyID, bytes: Array(bytes.prefix(bits / 8)), unitIDs: unitIDs,
                                   bits: bits))
            }
            return taken
        }
    }

    /// Site B: records that site A delivered these keys to `master` for `slave`, so that `slave` may fetch them.
    /// Units already assigned or delivered are left alone (idempotent after a retried call).
    public func assign(_ keys: [Taken], master: String, slave: String) async throws(KeyPoolError) {
        try await run { db in
            let update = try db.makeStatement(sql: """
                UPDATE qkd_key_unit SET state = 1, master_sae = ?, slave_sae = ?, key_id = ?, key_index = ?,
                key_bits = ? WHERE unit_id = ? AND state = 0
                """)
            for key in keys {
                for (index, unit) in key.unitIDs.enumerated() {
                    try update.execute(arguments: [master, slave, key.keyID, index, key.bits, unit])
                    if db.changesCount != 1 {
                        let state = try Int.fetchOne(
                            db, sql: "SELECT state FROM qkd_key_unit WHERE unit_id = ?", arguments: [unit])
                        if state == nil { throw KeyPoolError.linkOutOfStep(keyID: key.keyID) }
                    }
                }
            }
        }
    }

    /// The units of one assigned key, in order (dec_keys). Found through the (key_id, key_index) index: the
    /// (state, seq) index would also match `state = 1`, and SQLite picked it when the key_id index was on
    /// key_id alone, so every dec_keys walked every assigned unit in the pool.
    static let assignedUnitsSQL = """
        SELECT seq, unit_id, material, key_bits FROM qkd_key_unit
        WHERE key_id = ? AND state = 1 AND master_sae = ? AND slave_sae = ? ORDER BY key_index
        """

    /// The units of one delivered key, in order (site A answering site B); through the same index, for the
    /// same reason (delivered units only ever accumulate).
    static let deliveredUnitsSQL = """
        SELECT unit_id, material, master_sae, slave_sae, key_bits FROM qkd_key_unit
        WHERE key_id = ? AND state = 2 ORDER BY key_index
        """

    /// Site B, dec_keys: delivers the keys with these key_IDs to `slave`, once. All or nothing: if any key_ID is
    /// unknown, not assigned to this master/slave pair, or already delivered, nothing is delivered. The
    /// delivered units' material is wiped in the same transaction: a unit is never handed out again, so a copy
    /// of the pool file taken later holds no pad that wrapped an object key (keeping keys to decrypt again is
    /// the decryptor's choice, `keyRetentionDays`).
    public func takeAssigned(keyIDs: [String], master: String, slave: String) async throws(KeyPoolError) -> [Taken] {
        let now = Date().timeIntervalSince1970
        return try await run { db in
            var taken: [Taken] = []
            var missing: [String] = []
            let select = try db.makeStatement(sql: Self.assignedUnitsSQL)
            let update = try db.makeStatement(
                sql: "UPDATE qkd_key_unit SET state = 2, delivered_at = ?, material = x'' WHERE seq = ?")
            for keyID in keyIDs {
                let rows = try Row.fetchAll(select, arguments: [keyID, master, slave])
                guard let first = rows.first else {
                    missing.append(keyID)
                    continue
                }
                let bits: Int = first["key_bits"]
                var bytes: [UInt8] = []
                var unitIDs: [String] = []
                for row in rows {
                    let material: Data = row["material"]
                    bytes += material
                    unitIDs.append(row["unit_id"])
                    let seq: Int64 = row["seq"]
                    try update.execute(arguments: [now, seq])
                }
                guard bytes.count * 8 >= bits else {
                    throw KeyPoolError.linkOutOfStep(keyID: keyID)
                }
                taken.append(Taken(keyID: keyID, bytes: Array(bytes.prefix(bits / 8)), unitIDs: unitIDs, bits: bits))
            }
            if !missing.isEmpty {
                // Throwing rolls the whole transaction back: nothing is delivered.
                throw KeyPoolError.keyNotFound(keyIDs: missing)
            }
            return taken
        }
    }

    /// A delivered key as site A knows it, for site B in a two-process link.
    public struct Delivered: Sendable, Equatable {
        public var keyID: String
        public var master: String
        public var slave: String
        public var bits: Int
        public var units: [Unit]

        public struct Unit: Sendable, Equatable {
            public var id: String
            public var material: [UInt8]
        }
    }

    /// Site A: the units, pair and size of a key it delivered to a master, or nil if it delivered none
    /// under that key_ID.
    public func delivered(keyID: String) async throws(KeyPoolError) -> Delivered? {
        try await run { db in
            let rows = try Row.fetchAll(db, sql: Self.deliveredUnitsSQL, arguments: [keyID])
            guard let first = rows.first else { return nil }
            return Delivered(
                keyID: keyID, master: first["master_sae"], slave: first["slave_sae"], bits: first["key_bits"],
                units: rows.map { row in
                    let material: Data = row["material"]
                    return Delivered.Unit(id: row["unit_id"], material: Array(material))
                })
        }
    }

    /// Site B of a two-process link: stores a key site A delivered, as assigned to its pair. Units already
    /// present (for instance already delivered) are left as they are, so a key is never delivered twice.
    public func importAssigned(_ key: Delivered) async throws(KeyPoolError) {
        let now = Date().timeIntervalSince1970
        try await run { db in
            let insert = try db.makeStatement(sql: """
                INSERT OR IGNORE INTO qkd_key_unit (unit_id, material, state, master_sae, slave_sae, key_id,
                key_index, key_bits, created_at) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?)
                """)
            for (index, unit) in key.units.enumerated() {
                try insert.execute(arguments: [unit.id, Data(unit.material), key.master, key.slave, key.keyID, index,
                                               key.bits, now])
            }
        }
    }

    /// Runs `body` in one write transaction, mapping failures to `KeyPoolError`.
    private func run<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(KeyPoolError) -> T {
        do {
            return try await database.write(body)
        } catch let error as KeyPoolError {
            throw error
        } catch {
            throw KeyPoolError.storage(path: path, reason: String(describing: error))
        }
    }
}

/// Why the key pool could not answer.
public enum KeyPoolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not enough undelivered key; wait for the link to produce more (HTTP 503).
    case insufficientKey(availableBits: Int, requestedBits: Int)
    /// No deliverable key under these IDs for this SAE pair: unknown, not yet delivered to the master, meant for
    /// another pair, or already delivered.
    case keyNotFound(keyIDs: [String])
    /// Site B lacks a unit that site A delivered: the two pools are out of step.
    case linkOutOfStep(keyID: String)
    /// SQLite failed.
    case storage(path: String, reason: String)

    public var description: String {
        switch self {
        case .insufficientKey(let available, let requested):
            "not enough QKD key in the pool (\(available) bits available, \(requested) requested); "
                + "retry later, when the link has distilled more"
        case .keyNotFound(let ids):
            "no deliverable key for key_ID(s) \(ids.joined(separator: ", ")): unknown, meant for another SAE pair, "
                + "or already delivered (each key is delivered once)"
        case .linkOutOfStep(let id):
            "the two sites' key pools disagree about key_ID \(id); stop both KMEs and resynchronise the link"
        case .storage(let path, let reason):
            "key pool database \(path) failed: \(reason); check the disk and file permissions"
        }
    }
}
