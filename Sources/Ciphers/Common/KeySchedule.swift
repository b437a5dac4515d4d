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
    /// derivation is then one expand step (§2.3). Stored as the two padded HMAC keys PRK ⊕ ipad and PRK ⊕ opad
    /// (RFC 2104), so that an expand block is two SHA-512 runs and nothing else. Why not `HKDF.deriveKey`: its
    /// SymmetricKey/SecureBytes plumbing cost about 10 µs per derivation, three times per plane, which was a
    /// third of a 64 × 64 image's whole cipher time. `GoldenVectorTests` pins derived bytes that were computed
    /// independently (Python hmac/hashlib).
    private let innerPad: [UInt8]
    private let outerPad: [UInt8]

    init(secret: [UInt8], profile: String, version: Int) {
        let salt = Array("qkdgate/\(profile)/v\(version)".utf8)
        let pseudoRandomKey = Self.hmacSHA512(pads: Self.pads(key: salt), message: secret)
        (innerPad, outerPad) = Self.pads(key: pseudoRandomKey)
    }

    /// The HMAC-SHA-512 keys K ⊕ ipad and K ⊕ opad for a key K (hashed first if longer than the 128-byte block).
    static func pads(key: [UInt8]) -> (inner: [UInt8], outer: [UInt8]) {
        let block = SHA512.blockByteCount
        let key = key.count > block ? Array(SHA512.hash(data: key)) : key
        var inner = [UInt8](repeating: 0x36, count: block), outer = [UInt8](repeating: 0x5C, count: block)
        for (i, byte) in key.enumerated() {
            inner[i] ^= byte
            outer[i] ^= byte
        }
        return (inner, outer)
    }

    /// HMAC-SHA-512 (RFC 2104) of the concatenated message parts, with precomputed pads.
    static func hmacSHA512(pads: (inner: [UInt8], outer: [UInt8]), message parts: [UInt8]...) -> [UInt8] {
        var inner = SHA512()
        inner.update(data: pads.inner)
        for part in parts { inner.update(data: part) }
        var outer = SHA512()
        outer.update(data: pads.outer)
        outer.update(data: Array(inner.finalize()))
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
            previous = Self.hmacSHA512(pads: (innerPad, outerPad), message: previous, info, [counter])
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
