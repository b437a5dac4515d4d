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
    /// The `enc_keys` request under way for each size, if any.
    private var refills: [Int: Task<Void, any Error>] = [:]

    init(source: any KeySource & BatchKeySource, batchSize: Int) {
        precondition(batchSize >= 1, "a batch holds at least one key")
        self.source = source
        self.batchSize = batchSize
    }

    func newKey(bytes: Int) async throws(KeySourceError) -> QKDKey {
        while true {
            if let key = take(bytes: bytes) { return key }
            // One request per pad size at a time: callers that find the stock empty while a request is under way
            // wait for its keys instead of each drawing a batch of their own (N concurrent objects would
            // otherwise take N batches out of the KME's pool).
            let refill: Task<Void, any Error>
            if let pending = refills[bytes] {
                refill = pending
            } else {
                refill = Task { try await self.fetch(bytes: bytes) }
                refills[bytes] = refill
            }
            do {
                try await refill.value
            } catch let error as KeySourceError {
                throw error
            } catch {
                throw .invalidResponse(reason: "\(error)")
            }
            // The keys are in the stock now, unless callers that came first took them all: then go round again.
        }
    }

    /// One `enc_keys` request for a batch of `bytes`-byte keys into the stock.
    private func fetch(bytes: Int) async throws(KeySourceError) {
        defer { refills[bytes] = nil }
        let fetched: [QKDKey]
        do {
            fetched = try await source.newKeys(number: batchSize, bytes: bytes)
        } catch .unavailable where batchSize > 1 {
            // The pool may hold fewer keys than a batch: back-pressure only when not even one is there.
            fetched = try await source.newKeys(number: 1, bytes: bytes)
        }
        guard !fetched.isEmpty else { throw .invalidResponse(reason: "enc_keys returned no key") }
        stock[bytes, default: []].append(contentsOf: fetched)
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
