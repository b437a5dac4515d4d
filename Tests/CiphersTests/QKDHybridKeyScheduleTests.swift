import Crypto
import Dispatch
import Testing
@testable import Ciphers

/// `KeySchedule` computes HKDF-SHA-512 with its own HMAC over SHA-512 (for speed); here it is compared with
/// swift-crypto's `HKDF<SHA512>.deriveKey`, an independent implementation of RFC 5869, over lengths that need
/// one, two and many expand blocks, and over keys, salts (profile, version) and planes.
@Suite("qkd-hybrid key schedule equals RFC 5869 HKDF-SHA-512")
struct QKDHybridKeyScheduleTests {
    @Test(arguments: [1, 24, 32, 48, 63, 64, 65, 128, 200, 1000])
    func derivedBytesEqualSwiftCryptoHKDF(count: Int) {
        for (index, secret) in [[UInt8](0..<32), [UInt8](repeating: 0xFF, count: 32), (0..<32).map { UInt8($0 * 37 & 0xFF) }].enumerated() {
            let version = index + 1
            let schedule = KeySchedule(secret: secret, profile: "qkd-hybrid", version: version)
            for (label, plane) in [("chen", UInt32(0)), ("stream", UInt32(7)), ("tables", KeySchedule.objectWide)] {
                let info = Array(label.utf8) + [0, UInt8(plane >> 24), UInt8((plane >> 16) & 0xFF), UInt8((plane >> 8) & 0xFF), UInt8(plane & 0xFF)]
                let expected = HKDF<SHA512>.deriveKey(
                    inputKeyMaterial: SymmetricKey(data: secret), salt: Array("qkdgate/qkd-hybrid/v\(version)".utf8),
                    info: info, outputByteCount: count).withUnsafeBytes { Array($0) }
                #expect(schedule.bytes(label, plane: plane, count: count) == expected, "\(label) \(plane) \(count)")
            }
        }
    }

    /// Planes are derived on many threads from one schedule (which shares its keyed SHA-512 states): every
    /// thread must get the bytes a lone derivation gives.
    @Test func derivationsOnManyThreadsAtOnceEqualLoneOnes() {
        let schedule = KeySchedule(secret: (0..<32).map { UInt8($0 * 11 & 0xFF) }, profile: "qkd-hybrid", version: 2)
        let planes = 64
        let expected = (0..<planes).map { schedule.bytes("stream", plane: UInt32($0), count: 200) }
        final class Results: @unchecked Sendable {
            var values: [[UInt8]]
            init(count: Int) { values = Array(repeating: [], count: count) }
        }
        let results = Results(count: planes * 8)
        results.values.withUnsafeMutableBufferPointer { slots in
            nonisolated(unsafe) let slots = slots
            DispatchQueue.concurrentPerform(iterations: planes * 8) { index in
                slots[index] = schedule.bytes("stream", plane: UInt32(index % planes), count: 200)
            }
        }
        for (index, bytes) in results.values.enumerated() { #expect(bytes == expected[index % planes], "derivation \(index)") }
    }

    /// A salt longer than the SHA-512 block is hashed first (RFC 2104); a long profile name reaches that case.
    @Test func longSaltIsHashedAsHMACRequires() {
        let profile = String(repeating: "p", count: 200)
        let secret = [UInt8](repeating: 7, count: 32)
        let expected = HKDF<SHA512>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: secret), salt: Array("qkdgate/\(profile)/v1".utf8), info: Array("x\u{0}".utf8) + [0, 0, 0, 1],
            outputByteCount: 80).withUnsafeBytes { Array($0) }
        #expect(KeySchedule(secret: secret, profile: profile, version: 1).bytes("x", plane: 1, count: 80) == expected)
    }
}

@Suite("qkd-hybrid scratch pool")
struct QKDHybridScratchPoolTests {
    @Test func reusesHandedBackBlocksWithinItsLimit() {
        let pool = QKDHybridScratchPool(retainedLimit: 1_000 * MemoryLayout<UInt16>.stride)
        let first = pool.take(count: 600)
        #expect(first.buffer.count >= 600)
        let address = first.buffer.baseAddress
        pool.give(first)
        // A smaller request reuses the idle block; a second concurrent one gets a new block.
        let again = pool.take(count: 100)
        #expect(again.buffer.baseAddress == address)
        let other = pool.take(count: 100)
        #expect(other.buffer.baseAddress != address)
        pool.give(again)
        pool.give(other)
        // Both fit under the limit (600 + 100 values ≤ 1,000); a 2,000-value block is over it and is freed, not kept,
        // so the next request of 1,500 values cannot be served from the pool's two small blocks.
        let big = pool.take(count: 2_000)
        #expect(big.buffer.count >= 2_000)
        pool.give(big)
        let fresh = pool.take(count: 1_500)
        #expect(fresh.buffer.count >= 1_500 && fresh.buffer.baseAddress != address && fresh.buffer.baseAddress != other.buffer.baseAddress)
        // The 600-value block is still there for a request that fits it.
        #expect(pool.take(count: 500).buffer.baseAddress == address)
    }

    @Test func keepsBigBlocksWhileBusyAndDropsThemWhenIdle() async throws {
        let stride = MemoryLayout<UInt16>.stride
        let pool = QKDHybridScratchPool(retainedLimit: 10_000 * stride, idleLimit: 1_000 * stride, idleDelay: .milliseconds(50))
        let small = pool.take(count: 500), big = pool.take(count: 8_000)
        let smallAddress = small.buffer.baseAddress, bigAddress = big.buffer.baseAddress
        pool.give(small)
        pool.give(big)
        // Both kept at once (over the idle limit, under the busy one), and the big block is reused while busy.
        #expect(pool.idleBytes >= 8_500 * stride)
        let again = pool.take(count: 7_000)
        #expect(again.buffer.baseAddress == bigAddress)
        pool.give(again)
        // Once idle, the big block goes and the small one stays.
        var waited = 0
        while pool.idleBytes > 1_000 * stride && waited < 200 {
            try await Task.sleep(for: .milliseconds(25))
            waited += 1
        }
        #expect(pool.idleBytes <= 1_000 * stride)
        #expect(pool.take(count: 400).buffer.baseAddress == smallAddress)
    }
}
