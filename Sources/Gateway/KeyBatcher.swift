import QKD

/// Draws the gateway's one-time pads from the KME in batches: one ETSI GS QKD 014 `enc_keys` request with
/// `number` = `batchSize` instead of one HTTPS round trip per object. Every key still goes to exactly one object
/// (it leaves the stock when handed out); keys left in the stock when the process ends are never used by anyone.
/// The decryptor fetches each key by its own key_ID (`dec_keys`), batch or not.
actor KeyBatcher: KeySource {
    let source: any KeySource & BatchKeySource
    let batchSize: Int
    /// Undelivered keys by size in bytes.
    private var stock: [Int: [QKDKey]] = [:]

    init(source: any KeySource & BatchKeySource, batchSize: Int) {
        precondition(batchSize >= 1, "a batch holds at least one key")
        self.source = source
        self.batchSize = batchSize
    }

    func newKey(bytes: Int) async throws(KeySourceError) -> QKDKey {
        if let key = take(bytes: bytes) { return key }
        let fetched: [QKDKey]
        do {
            fetched = try await source.newKeys(number: batchSize, bytes: bytes)
        } catch .unavailable where batchSize > 1 {
            // The pool may hold fewer keys than a batch: back-pressure only when not even one is there.
            fetched = try await source.newKeys(number: 1, bytes: bytes)
        }
        // Another caller may have refilled meanwhile (actor reentrancy); both batches go into the stock.
        stock[bytes, default: []].append(contentsOf: fetched)
        guard let key = take(bytes: bytes) else {
            throw .invalidResponse(reason: "enc_keys returned no key")
        }
        return key
    }

    func key(id: String) async throws(KeySourceError) -> QKDKey {
        try await source.key(id: id)
    }

    private func take(bytes: Int) -> QKDKey? {
        guard var keys = stock[bytes], !keys.isEmpty else { return nil }
        let key = keys.removeFirst()
        stock[bytes] = keys
        return key
    }
}

/// A key source that can hand out several fresh keys in one request.
protocol BatchKeySource: Sendable {
    func newKeys(number: Int, bytes: Int) async throws(KeySourceError) -> [QKDKey]
}

extension KMEClient: BatchKeySource {
    func newKeys(number: Int, bytes: Int) async throws(KeySourceError) -> [QKDKey] {
        try await encKeys(number: number, sizeBits: bytes * 8)
    }
}
