import Foundation
@testable import Gateway
import QKD
import Testing

/// `KeyBatcher` against a KME stand-in that behaves as ETSI GS QKD 014 says a KME does when its pool runs low:
/// HTTP 503 (`unavailable`) for a request of more keys than it holds. The end-to-end tests use the real KME;
/// this stand-in lets the low-pool cases happen on purpose.
@Suite("KeyBatcher: batches, low pool, one key per object")
struct KeyBatcherTests {
    /// A pool of `available` keys of any size; records every request.
    actor LowPoolKME: KeySource, BatchKeySource {
        private var available: Int
        private var issued = 0
        private(set) var requests: [Int] = []

        init(available: Int) { self.available = available }

        func refill(_ count: Int) { available += count }

        func newKeys(number: Int, bytes: Int) async throws(KeySourceError) -> [QKDKey] {
            requests.append(number)
            guard number <= available else {
                throw .unavailable(message: "only \(available) keys in the pool, \(number) asked for")
            }
            available -= number
            return (0..<number).map { _ in
                issued += 1
                return QKDKey(id: "key-\(issued)", bytes: [UInt8](repeating: UInt8(truncatingIfNeeded: issued), count: bytes))
            }
        }

        func newKey(bytes: Int) async throws(KeySourceError) -> QKDKey {
            guard let key = try await newKeys(number: 1, bytes: bytes).first else {
                throw .invalidResponse(reason: "no key")
            }
            return key
        }

        func key(id: String) async throws(KeySourceError) -> QKDKey {
            throw .notFound(keyID: id)
        }
    }

    @Test func fetchesABatchAndHandsItOutOneKeyAtATime() async throws {
        let kme = LowPoolKME(available: 100)
        let batcher = KeyBatcher(source: kme, batchSize: 16)
        var ids: [String] = []
        for _ in 0..<20 { ids.append(try await batcher.newKey(bytes: 32).id) }
        #expect(Set(ids).count == 20)
        #expect(await kme.requests == [16, 16])
    }

    @Test func aPoolSmallerThanABatchStillGivesKeysOneByOne() async throws {
        let kme = LowPoolKME(available: 3)
        let batcher = KeyBatcher(source: kme, batchSize: 16)
        var ids: [String] = []
        for _ in 0..<3 { ids.append(try await batcher.newKey(bytes: 256).id) }
        #expect(Set(ids).count == 3)
        // Each call: the batch is refused, then one key is asked for.
        #expect(await kme.requests == [16, 1, 16, 1, 16, 1])
    }

    @Test func anEmptyPoolIsBackPressureNotAFailure() async throws {
        let kme = LowPoolKME(available: 0)
        let batcher = KeyBatcher(source: kme, batchSize: 16)
        do {
            _ = try await batcher.newKey(bytes: 32)
            Issue.record("an empty pool gave a key")
        } catch {
            guard case .unavailable = error else {
                Issue.record("expected unavailable (retry later), got \(error)")
                return
            }
        }
        // Once the link has made keys again, the same batcher goes on.
        await kme.refill(1)
        let key = try await batcher.newKey(bytes: 32)
        #expect(key.bytes.count == 32)
    }

    @Test func concurrentObjectsNeverShareAPad() async throws {
        let kme = LowPoolKME(available: 1_000)
        let batcher = KeyBatcher(source: kme, batchSize: 16)
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<300 {
                // Two pad sizes interleaved: keys of one size are never handed out for the other.
                group.addTask { try await batcher.newKey(bytes: index.isMultiple(of: 2) ? 32 : 64).id }
            }
            var ids: [String] = []
            for try await id in group { ids.append(id) }
            return ids
        }
        #expect(ids.count == 300)
        #expect(Set(ids).count == 300, "a key_ID was handed to two objects")
        // Concurrent callers share a request in flight: at most one batch per size is left over. (Before, each
        // caller that found the stock empty drew its own batch and 300 callers emptied this pool.)
        let fetched = await kme.requests.reduce(0, +)
        #expect(fetched >= 300 && fetched <= 300 + 2 * 15, "\(fetched) keys drawn from the KME for 300 objects")
    }
}
