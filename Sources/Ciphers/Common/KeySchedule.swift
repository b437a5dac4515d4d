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

    /// HKDF's extract step, PRK = HMAC-SHA-512(salt, key), done once per object: every derivation is then one
    /// expand step (RFC 5869 §2.3), which halves the HMAC work per plane. Kept as bytes because SymmetricKey is
    /// not Sendable.
    private let pseudoRandomKey: [UInt8]

    init(secret: [UInt8], profile: String, version: Int) {
        let salt = Array("qkdgate/\(profile)/v\(version)".utf8)
        pseudoRandomKey = Array(HKDF<SHA512>.extract(inputKeyMaterial: SymmetricKey(data: secret), salt: salt))
    }

    /// `count` bytes for `purpose` and `plane` (at most 255 · 64 bytes).
    func bytes(_ purpose: String, plane: UInt32, count: Int) -> [UInt8] {
        var info = Array(purpose.utf8)
        info.append(0)
        info.append(contentsOf: [UInt8(plane >> 24), UInt8((plane >> 16) & 0xFF), UInt8((plane >> 8) & 0xFF), UInt8(plane & 0xFF)])
        let derived = HKDF<SHA512>.expand(pseudoRandomKey: pseudoRandomKey, info: info, outputByteCount: count)
        return derived.withUnsafeBytes { Array($0) }
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
