import Crypto

/// Derives every secret value a profile needs from its 256-bit key by HKDF-SHA-512 (RFC 5869), one derivation per
/// purpose and per plane, so that planes (frames × components) can be processed in parallel and independently.
///
/// Derivation: `HKDF-SHA-512(ikm: key, salt: "qkdgate/<profile>/v<version>", info: purpose ‖ 0x00 ‖ plane)`,
/// where `purpose` is an ASCII label and `plane` is the plane index as a 4-byte big-endian integer (0xFFFFFFFF
/// for object-wide values). The exact labels of each profile are listed in its `docs/ciphers/*.md`.
struct KeySchedule: Sendable {
    /// The value of `plane` for derivations that belong to the whole object.
    static let objectWide: UInt32 = 0xFFFF_FFFF

    /// HKDF's extract step, PRK = HMAC-SHA-512(salt, key) (RFC 5869 §2.2), done once per object: every
    /// derivation is then one expand step (§2.3). Kept as the two SHA-512 states that have already absorbed
    /// PRK ⊕ ipad and PRK ⊕ opad (RFC 2104; each pad is exactly one 128-byte block), so that an expand block costs
    /// two compressions of its own and a copy of each state. Why not `HKDF.deriveKey`: its SymmetricKey/SecureBytes
    /// plumbing cost about 10 µs per derivation, three times per plane, which was a third of a 64 × 64 image's
    /// whole cipher time. `GoldenVectorTests` pins derived bytes that were computed independently (Python
    /// hmac/hashlib), and `QKDHybridKeyScheduleTests` compares every derivation with `HKDF.deriveKey`.
    ///
    /// `nonisolated(unsafe)`: `SHA512` is not `Sendable` because it holds its context in a class, but these two are
    /// never updated in place, only copied into a local `var` first, and `SHA512` copies that context before the
    /// copy's first update (copy on write). So the threads that derive planes in parallel only ever read them.
    nonisolated(unsafe) private let innerState: SHA512
    nonisolated(unsafe) private let outerState: SHA512

    init(secret: [UInt8], profile: String, version: Int) {
        let salt = Array("qkdgate/\(profile)/v\(version)".utf8)
        let extract = Self.keyedStates(key: salt)
        let pseudoRandomKey = Self.hmacSHA512(extract, message: secret)
        (innerState, outerState) = Self.keyedStates(key: pseudoRandomKey)
    }

    /// SHA-512 states that have absorbed K ⊕ ipad and K ⊕ opad for a key K (hashed first if longer than the
    /// 128-byte block).
    static func keyedStates(key: [UInt8]) -> (inner: SHA512, outer: SHA512) {
        let block = SHA512.blockByteCount
        let key = key.count > block ? Array(SHA512.hash(data: key)) : key
        var innerPad = [UInt8](repeating: 0x36, count: block), outerPad = [UInt8](repeating: 0x5C, count: block)
        for (i, byte) in key.enumerated() {
            innerPad[i] ^= byte
            outerPad[i] ^= byte
        }
        var inner = SHA512(), outer = SHA512()
        inner.update(data: innerPad)
        outer.update(data: outerPad)
        return (inner, outer)
    }

    /// HMAC-SHA-512 (RFC 2104) of the concatenated message parts, from keyed states (copied, never changed).
    static func hmacSHA512(_ states: (inner: SHA512, outer: SHA512), message parts: [UInt8]...) -> [UInt8] {
        var inner = states.inner
        for part in parts { inner.update(data: part) }
        var outer = states.outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return Array(outer.finalize())
    }

    /// `count` bytes for `purpose` and `plane` (at most 255 · 64 bytes).
    func bytes(_ purpose: String, plane: UInt32, count: Int) -> [UInt8] {
        var info = Array(purpose.utf8)
        info.append(0)
        info.append(contentsOf: [UInt8(plane >> 24), UInt8((plane >> 16) & 0xFF), UInt8((plane >> 8) & 0xFF), UInt8(plane & 0xFF)])
        // T(i) = HMAC(PRK, T(i − 1) ‖ info ‖ i), output = T(1) ‖ T(2) ‖ … truncated to `count` bytes.
        precondition(count <= 255 * 64, "HKDF-SHA-512 gives at most 255 · 64 bytes")
        var output = [UInt8]()
        output.reserveCapacity(count + 64)
        var previous = [UInt8]()
        var counter: UInt8 = 1
        while output.count < count {
            previous = Self.hmacSHA512((innerState, outerState), message: previous, info, [counter])
            output += previous
            counter &+= 1
        }
        return Array(output.prefix(count))
    }

    /// A generator seeded from 32 derived bytes for `purpose` and `plane`.
    func generator(_ purpose: String, plane: UInt32) -> Xoshiro256StarStar {
        Xoshiro256StarStar(seed: bytes(purpose, plane: plane, count: 32))
    }
}

extension Array where Element == UInt8 {
    /// Little-endian 64-bit word at byte `offset` (the caller guarantees 8 bytes are there).
    func littleEndianWord(at offset: Int) -> UInt64 {
        var word: UInt64 = 0
        for i in 0..<8 { word |= UInt64(self[offset + i]) << UInt64(8 * i) }
        return word
    }
}

/// A uniform double in [0, 1) from the top 53 bits of a word.
@inline(__always)
func unitInterval(_ word: UInt64) -> Double {
    Double(word >> 11) * 0x1p-53
}
