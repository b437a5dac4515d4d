import Crypto
import Testing
@testable import Ciphers
import Pixels

/// Golden vectors: they pin the format (docs/ciphers/qkd-hybrid.md, format versions 1 and 2) so that any change to a
/// stream, stage or choice is noticed and the version bumped. They were produced by this implementation, so on
/// their own they prove nothing about correctness; that is what the independent tests are for (exact round
/// trips, libm comparison of DeterministicMath, the Lyapunov spectrum, NPCR/UACI and key sensitivity).
/// The key-schedule bytes behind them were produced independently with Python's hmac/hashlib (RFC 5869
/// HKDF-SHA-512 with the salt and info strings of docs/ciphers/qkd-hybrid.md §2), so a pass also confirms
/// that the key schedule is the documented one.
@Suite("Golden vectors (format pins)")
struct GoldenVectorTests {
    static let secret: [UInt8] = Array(0..<32)
    static let schedule = KeySchedule(secret: secret, profile: "qkd-hybrid", version: 1)

    static func hexWords<T: BinaryInteger>(_ words: [T]) -> String {
        words.map { String($0, radix: 16) }.joined(separator: " ")
    }

    @Test func keyStreamsStartAsPinned() {
        var chen = ChenWordStream(seed: Self.schedule.bytes("chen", plane: 0, count: 48), transientSteps: 2_000)
        #expect(Self.hexWords((0..<8).map { _ in chen.next() }) == Golden.chen)
        var ikeda = IkedaWordStream(seed: Self.schedule.bytes("ikeda", plane: 0, count: 24), transientSteps: 1_000)
        #expect(Self.hexWords((0..<6).map { _ in ikeda.next() }) == Golden.ikeda)
        var generator = Self.schedule.generator("stream", plane: 0)
        #expect(Self.hexWords((0..<4).map { _ in generator.next() }) == Golden.planeGenerator)
        var tablesGenerator = Self.schedule.generator("tables", plane: KeySchedule.objectWide)
        #expect(Self.hexWords((0..<4).map { _ in tablesGenerator.next() }) == Golden.tablesGenerator)
        let tables = QKDHybridTables(schedule: Self.schedule, m: 8)
        #expect(Self.hexWords(Array(tables.valueShuffle.prefix(8))) == Golden.valueShuffle8)
        let (a, b, c, d) = tables.mobius
        #expect(Self.hexWords([a, b, c, d] + tables.polynomial) == Golden.mobiusAndPolynomial8)
    }

    static func sha256(_ buffer: PixelBuffer) throws -> String {
        let bytes = try buffer.nativeBytes()
        return SHA256.hash(data: bytes).map { String(format: $0) }.joined()
    }

    @Test func referenceCiphertextsHashAsPinned() throws {
        // 8-bit RGB, 2 frames of 8 × 6, interleaved, mode all.
        let rgbDescriptor = PixelDescriptor(rows: 6, columns: 8, frames: 2, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8)
        let rgb = try PixelBuffer(descriptor: rgbDescriptor, values: (0..<rgbDescriptor.valueCount).map { (i: Int) -> UInt32 in UInt32((i * 7) % 256) })
        let rgbKey = CipherKey(secret: Self.secret, parameters: ["planes": "all"])
        // 12 bits stored in 16, 32 × 32, mode msb:4.
        let ctDescriptor = PixelDescriptor(rows: 32, columns: 32, bitsAllocated: 16, bitsStored: 12)
        let ct = try PixelBuffer(descriptor: ctDescriptor, values: (0..<1024).map { (i: Int) -> UInt32 in UInt32((i * 37 + (i / 32) * 11) % 4096) })
        let ctKey = CipherKey(secret: Self.secret, parameters: ["planes": "msb:4"])

        // Format version 1: the pins from before version 2, so version 1 objects still decrypt.
        let version1 = QKDHybridCipher(formatVersion: 1)
        let rgbSealed1 = try version1.encrypt(rgb, key: rgbKey)
        #expect(try Self.sha256(rgbSealed1) == Golden.rgbAll)
        #expect(try version1.decrypt(rgbSealed1, key: rgbKey) == rgb)
        let ctSealed1 = try version1.encrypt(ct, key: ctKey)
        #expect(try Self.sha256(ctSealed1) == Golden.ctMSB4)
        #expect(try version1.decrypt(ctSealed1, key: ctKey) == ct)

        // Format version 2 (current): shorter chaotic transients and the "v2" HKDF salt.
        #expect(QKDHybridCipher().formatVersion == 2)
        let rgbSealed2 = try QKDHybridCipher().encrypt(rgb, key: rgbKey)
        let rgbHash2 = try Self.sha256(rgbSealed2)
        #expect(rgbHash2 == Golden.rgbAllVersion2)
        let ctSealed2 = try QKDHybridCipher().encrypt(ct, key: ctKey)
        let ctHash2 = try Self.sha256(ctSealed2)
        #expect(ctHash2 == Golden.ctMSB4Version2)
        #expect(rgbHash2 != Golden.rgbAll && ctHash2 != Golden.ctMSB4)

        // aes-ctr, same image, fixed nonce. This one is an independent known answer: computed with Python's
        // `cryptography` (AES-256-CTR, counter block = nonce ‖ BE32 0), following docs/ciphers/aes-ctr.md.
        let aesSealed = try AESCTRCipher().encrypt(ct, key: CipherKey(secret: Self.secret, parameters: ["nonce": "000000000000000000000001"]))
        #expect(try Self.sha256(aesSealed) == Golden.aesCTR)
    }
}

private extension String {
    init(format byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}

enum Golden {
    static let chen = "89ff1d 76d1f458 be0e726c 4f57458e 61cf2d89 8cf7f449 c40877c6 62b7ef56"
    static let ikeda = "f03f3efa ab4eb018 7f24595a 68318fd5 a90915d2 15708401"
    static let planeGenerator = "3f2c60cd43960443 da6326db223a4d50 c697d9c1be897da2 6a2ad73555472469"
    static let tablesGenerator = "a8c20d4eaa0611fd 5b6b4cce71541a30 76f6e3c12b080c31 9d51efded1f0afc5"
    static let valueShuffle8 = "fb 9c dc 3c 53 50 5a d3"
    static let mobiusAndPolynomial8 = "d6 6b fa da fb 57 3f 1a 6f"
    static let rgbAll = "a47b72bfac2a7dfb739f1e2ac984436ab034e8048d0d7eb641ae92456de823b5"
    static let ctMSB4 = "91151f3414bba7e68ffa34a60778c562fb3d2f96e3fb0379db9e0f54c44fdd1c"
    static let rgbAllVersion2 = "7eb430965240c8a1893001cb0680b878748d7b11ade500214d650d3001aa82e0"
    static let ctMSB4Version2 = "e213228ac56bdbe6f54df64dd121ea4c68dfe52769b320b70dd8888f068b2d53"
    static let aesCTR = "74eb18743ee411ce0d44c76cadbd0e584d85e2d270c257f523584c65521bfdaa"
}
