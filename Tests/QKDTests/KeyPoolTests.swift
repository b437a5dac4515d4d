import Foundation
import GRDB
import Testing
@testable import QKD

/// The key pool's SQLite layout: how a key's units are found, and what opening an older pool does to it.
@Suite("Key pool")
struct KeyPoolTests {
    /// `n` units of distinct material (unit i: byte 0 is i / 256, the other 31 are i mod 256).
    static func units(_ n: Int) -> [(id: String, material: [UInt8])] {
        (0..<n).map { i in
            var material = [UInt8](repeating: UInt8(i % 256), count: KeyPool.unitBytes)
            material[0] = UInt8(i / 256)
            return (UUID().uuidString.lowercased(), material)
        }
    }

    /// The `detail` column of EXPLAIN QUERY PLAN for `sql`, its parameters bound to NULL.
    static func plan(_ sql: String, in database: DatabaseQueue) throws -> [String] {
        try database.read { db in
            let statement = try db.makeStatement(sql: "EXPLAIN QUERY PLAN " + sql)
            // The statements' only question marks are their parameters.
            let arguments = StatementArguments([DatabaseValue?](repeating: nil, count: sql.filter { $0 == "?" }.count))
            return try Row.fetchAll(statement, arguments: arguments).map { $0["detail"] }
        }
    }

    @Test("dec_keys and site A's delivered lookup find a key's units by key_ID, not by walking a whole state")
    func lookupsUseTheKeyIndex() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/pool.sqlite"
            let pool = try KeyPool(path: path)
            let units = Self.units(600)
            try await pool.insert(units)
            // 200 keys of 3 units assigned: `state = 1` matches all 600 units.
            let keys = stride(from: 0, to: 600, by: 3).map { start in
                KeyPool.Taken(keyID: units[start].id, bytes: [], unitIDs: (start..<(start + 3)).map { units[$0].id },
                              bits: 768)
            }
            try await pool.assign(keys, master: "gateway", slave: "decryptor")

            let database = try DatabaseQueue(path: path)
            for sql in [KeyPool.assignedUnitsSQL, KeyPool.deliveredUnitsSQL] {
                let plan = try Self.plan(sql, in: database)
                #expect(plan.contains { $0.contains("USING INDEX qkd_key_unit_key_units (key_id=?)") }, "\(plan)")
                #expect(!plan.contains { $0.contains("qkd_key_unit_state") }, "\(plan)")
                #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan): the index gives the units in order")
            }

            // And the lookups still deliver the right units, in order, once.
            let wanted = [keys[150], keys[3]]
            let taken = try await pool.takeAssigned(keyIDs: wanted.map(\.keyID), master: "gateway", slave: "decryptor")
            #expect(taken.map(\.keyID) == wanted.map(\.keyID))
            for (key, got) in zip(wanted, taken) {
                let start = try #require(units.firstIndex { $0.id == key.keyID })
                #expect(got.bytes == (start..<(start + 3)).flatMap { units[$0].material })
                #expect(got.unitIDs == key.unitIDs)
            }
            await #expect(throws: KeyPoolError.self) {
                _ = try await pool.takeAssigned(keyIDs: [keys[3].keyID], master: "gateway", slave: "decryptor")
            }
        }
    }

    /// The bytes of the pool file at `path` after its WAL is folded in and emptied.
    static func checkpointedBytes(_ path: String) throws -> [UInt8] {
        let database = try DatabaseQueue(path: path)
        try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try database.close()
        let wal = FileManager.default.contents(atPath: path + "-wal") ?? Data()
        return Array(try Data(contentsOf: URL(fileURLWithPath: path))) + Array(wal)
    }

    @Test("delivered pads are wiped from both embedded pools' files; a pad still to be fetched stays at site B only")
    func deliveredMaterialIsErased() async throws {
        try await withTemporaryDirectory { dir in
            let (fetched, waiting, pools) = try await RunningKME.with(in: dir, prefillUnits: 40) { kme in
                let master = try kme.masterClient()
                let slave = try kme.slaveClient()
                let keys = try await master.encKeys(number: 3, sizeBits: 512)   // 2 units each
                let one = try await master.newKey(bytes: 96)                    // 3 units
                let fetched = try await slave.decKeys(keyIDs: [keys[0].id, keys[2].id]) + [try await slave.key(id: one.id)]
                return (fetched, keys[1], kme.configuration.poolDirectory)
            }
            let siteA = try Self.checkpointedBytes(pools + "/site-a.sqlite")
            let siteB = try Self.checkpointedBytes(pools + "/site-b.sqlite")
            func holds(_ file: [UInt8], _ key: QKDKey) -> Bool {
                // Every 32-byte unit of the key (the last one maybe shorter), as it lies in a BLOB.
                stride(from: 0, to: key.bytes.count, by: KeyPool.unitBytes).contains { start in
                    let unit = Array(key.bytes[start..<min(start + KeyPool.unitBytes, key.bytes.count)])
                    return file.indices.dropLast(unit.count - 1).contains { file[$0..<($0 + unit.count)].elementsEqual(unit) }
                }
            }
            #expect(holds(siteB, waiting), "the search finds a pad that is still there")
            #expect(!holds(siteA, waiting), "site A of the embedded KME keeps nothing it handed out")
            for key in fetched {
                #expect(!holds(siteA, key) && !holds(siteB, key), "a delivered pad is still in a pool file")
            }
        }
    }

    @Test("a pool made with the earlier key_id-only index gets the (key_id, key_index) index when opened")
    func anOlderPoolIsReindexed() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/pool.sqlite"
            do {
                let old = try DatabaseQueue(path: path)
                try await old.write { db in
                    try db.execute(sql: """
                        CREATE TABLE qkd_key_unit (
                            seq INTEGER PRIMARY KEY AUTOINCREMENT, unit_id TEXT NOT NULL UNIQUE, material BLOB NOT NULL,
                            state INTEGER NOT NULL DEFAULT 0, master_sae TEXT, slave_sae TEXT, key_id TEXT,
                            key_index INTEGER, key_bits INTEGER, created_at REAL NOT NULL, delivered_at REAL);
                        CREATE INDEX qkd_key_unit_state ON qkd_key_unit(state, seq);
                        CREATE INDEX qkd_key_unit_key ON qkd_key_unit(key_id);
                        INSERT INTO qkd_key_unit (unit_id, material, state, created_at) VALUES ('u1', x'00', 0, 0);
                        """)
                }
                try old.close()
            }
            _ = try KeyPool(path: path)
            let database = try DatabaseQueue(path: path)
            let indexes = try await database.read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'qkd_key_unit' AND sql IS NOT NULL ORDER BY name")
            }
            #expect(indexes == ["qkd_key_unit_key_units", "qkd_key_unit_state"])
            #expect(try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM qkd_key_unit") } == 1)
        }
    }
}
