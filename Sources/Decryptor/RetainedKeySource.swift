public import Foundation
public import QKD
import GRDB

/// The decryptor's key store: every key fetched from the KME by key_ID is committed here before it is used, so
/// that the same object can be restored again — after a crash between fetch and delivery, or when the PACS
/// sends a study a second time. An ETSI 014 KME hands a key out once; without this store the second restore
/// would fail with "no deliverable key".
///
/// The store is a SQLite file in the spool (mode 0600, beside the queue that already holds the objects); keys
/// older than the retention are deleted. It is a cache of what this SAE was given, never a source of new pads:
/// nothing here is ever used to encrypt.
public final class RetainedKeySource: KeySource, Sendable {
    let base: any KeySource
    let database: DatabasePool
    let retentionSeconds: Double

    /// `retentionDays` 0 keeps keys without limit.
    public init(base: any KeySource, path: URL, retentionDays: Double) throws {
        self.base = base
        self.retentionSeconds = retentionDays * 86_400
        let fresh = !FileManager.default.fileExists(atPath: path.path)
        if fresh {
            // Create the file with restrictive permissions before SQLite writes key bytes into it.
            guard FileManager.default.createFile(atPath: path.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw KeySourceError.invalidRequest(reason: "cannot create the key store \(path.path); check the spool's permissions")
            }
        }
        // WAL with synchronous=NORMAL: a committed key survives a crash of the process (the case this store is
        // for); only a power cut right after the commit could lose it. One fsync per key would halve the
        // decryptor's throughput for that last case.
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        configuration.busyMode = .timeout(10)
        database = try DatabasePool(path: path.path, configuration: configuration)
        try database.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS retained_key (
                    key_id TEXT PRIMARY KEY NOT NULL,
                    bytes BLOB NOT NULL,
                    fetched_at DOUBLE NOT NULL)
                """)
        }
        try prune()
    }

    public func newKey(bytes: Int) async throws(KeySourceError) -> QKDKey {
        throw .invalidRequest(reason: "the decryptor never draws new keys; it only fetches keys by key_ID")
    }

    public func key(id: String) async throws(KeySourceError) -> QKDKey {
        if let bytes = retained(id) { return QKDKey(id: id, bytes: bytes) }
        let key = try await base.key(id: id)
        // If this fails the key is still in hand and this object restores; only a later re-send would miss it.
        retain(key)
        return key
    }

    // Synchronous on purpose: a short local SQLite statement, called from the worker's task.
    func retained(_ id: String) -> [UInt8]? {
        let bytes = try? database.read { db in
            try Data.fetchOne(db, sql: "SELECT bytes FROM retained_key WHERE key_id = ?", arguments: [id])
        }
        return bytes.map { [UInt8]($0) }
    }

    func retain(_ key: QKDKey) {
        try? database.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO retained_key (key_id, bytes, fetched_at) VALUES (?, ?, ?)",
                           arguments: [key.id, Data(key.bytes), Date().timeIntervalSince1970])
        }
    }

    /// Deletes keys past the retention (called at start-up).
    public func prune() throws {
        guard retentionSeconds > 0 else { return }
        let cutoff = Date().timeIntervalSince1970 - retentionSeconds
        try database.write { db in
            try db.execute(sql: "DELETE FROM retained_key WHERE fetched_at < ?", arguments: [cutoff])
        }
    }

    /// Number of keys held (for tests and `/health`).
    public func count() throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM retained_key") ?? 0 }
    }
}
