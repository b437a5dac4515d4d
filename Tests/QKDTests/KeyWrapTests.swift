import Foundation
import Testing
@testable import QKD

@Suite("One-time-pad key wrap")
struct KeyWrapTests {
    func randomBytes(_ count: Int, _ rng: inout SeededRandom) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    /// A bundle shaped like the gateway's: 32-byte cipher key, 32-byte MAC key, a SOP Instance UID.
    func bundle(_ rng: inout SeededRandom) -> [UInt8] {
        randomBytes(64, &rng) + Array("1.2.826.0.1.3680043.8.498.12345678901234567890".utf8)
    }

    @Test("unwrap(wrap(b)) == b, and the wrapped bytes are b XOR the key's prefix")
    func roundTrip() throws {
        var rng = SeededRandom(seed: 7)
        let b = bundle(&rng)
        let key = QKDKey(id: UUID().uuidString, bytes: randomBytes(128, &rng))
        let wrapped = try KeyWrap.wrap(b, with: key)
        #expect(wrapped.count == b.count)
        #expect(wrapped == zip(b, key.bytes).map { $0 ^ $1 })
        #expect(try KeyWrap.unwrap(wrapped, with: key) == b)
    }

    @Test("wrapped bytes differ from the bundle and between two wraps with two QKD keys")
    func wrapsDiffer() throws {
        var rng = SeededRandom(seed: 8)
        let b = bundle(&rng)
        let k1 = QKDKey(id: UUID().uuidString, bytes: randomBytes(b.count, &rng))
        let k2 = QKDKey(id: UUID().uuidString, bytes: randomBytes(b.count, &rng))
        let w1 = try KeyWrap.wrap(b, with: k1)
        let w2 = try KeyWrap.wrap(b, with: k2)
        #expect(w1 != b && w2 != b && w1 != w2)
        // Per byte as well: a one-time pad leaves about 1/256 of the bytes equal by chance, not more.
        let same = zip(w1, b).filter { $0 == $1 }.count
        #expect(same < 6)
    }

    @Test("a flipped wrapped bit gives a different bundle (the caller's MAC must catch it)")
    func flippedBit() throws {
        var rng = SeededRandom(seed: 9)
        let b = bundle(&rng)
        let key = QKDKey(id: UUID().uuidString, bytes: randomBytes(b.count, &rng))
        let wrapped = try KeyWrap.wrap(b, with: key)
        for bit in [0, 7, 100, b.count * 8 - 1] {
            var tampered = wrapped
            tampered[bit / 8] ^= 1 << UInt8(bit % 8)
            let opened = try KeyWrap.unwrap(tampered, with: key)
            #expect(opened != b)
            #expect(zip(opened, b).filter { $0 != $1 }.count == 1)
        }
    }

    @Test("a key shorter than the bundle is refused, naming the sizes but never the key")
    func shortKey() {
        let key = QKDKey(id: "7a0cdbb3-0c5f-4d0e-9f43-6b4fbb4d5d1e", bytes: [0xAB, 0xCD])
        #expect(throws: KeyWrapError.keyTooShort(keyID: key.id, keyBytes: 2, bundleBytes: 3)) {
            _ = try KeyWrap.wrap([1, 2, 3], with: key)
        }
        let message = KeyWrapError.keyTooShort(keyID: key.id, keyBytes: 2, bundleBytes: 3).description
        #expect(!message.lowercased().contains("abcd"))
        #expect(!key.description.lowercased().contains("abcd"))
        #expect(throws: KeyWrapError.emptyBundle) { _ = try KeyWrap.wrap([], with: key) }
    }
}
