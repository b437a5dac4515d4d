import Crypto
import _CryptoExtras
import Testing
@testable import Ciphers
import Pixels

/// One generated image: layout, contents, residue bits, and for qkd-hybrid a plane setting.
struct GeneratedCase: CustomStringConvertible {
    var buffer: PixelBuffer
    var planes: QKDHybridCipher.Planes
    var secret: [UInt8]
    var note: String

    var description: String {
        let d = buffer.descriptor
        return "\(d.rows)×\(d.columns)×\(d.frames)f spp\(d.samplesPerPixel) \(d.photometricInterpretation) "
            + "planar\(d.planarConfiguration.rawValue) alloc\(d.bitsAllocated) stored\(d.bitsStored) high\(d.highBit) "
            + "signed\(d.isSigned) planes \(planes) \(note)"
    }
}

/// Draws layouts over the whole pixel model (DESIGN.md §3) from a seeded generator.
enum CaseGenerator {
    static func make(seed: UInt64, maxBitsStored: Int) -> GeneratedCase {
        var rng = SplitMix64(seed: seed)
        let n = Int.random(in: 1...maxBitsStored, using: &rng)
        let allocated: Int
        switch n {
        case 1: allocated = [1, 8, 16].randomElement(using: &rng)!
        case 2...8: allocated = [8, 16].randomElement(using: &rng)!
        case 9...16: allocated = [16, 32].randomElement(using: &rng)!
        default: allocated = 32
        }
        var samples = allocated == 1 ? 1 : [1, 1, 3].randomElement(using: &rng)!
        var photometric: String? = nil
        var planar = PlanarConfiguration.interleaved
        var columns = Int.random(in: 1...9, using: &rng)
        let rows = Int.random(in: 1...9, using: &rng)
        if samples == 3 {
            if Bool.random(using: &rng) && Int.random(in: 0..<3, using: &rng) == 0 {
                photometric = "YBR_FULL_422"
                if columns % 2 == 1 { columns += 1 }
            } else {
                planar = Bool.random(using: &rng) ? .separate : .interleaved
            }
        }
        if allocated == 1 { samples = 1 }
        let frames = Int.random(in: 1...3, using: &rng)
        let highBit = Int.random(in: (n - 1)...(allocated - 1), using: &rng)
        let descriptor = PixelDescriptor(
            rows: rows, columns: columns, frames: frames, samplesPerPixel: samples, bitsAllocated: allocated,
            bitsStored: n, highBit: highBit, isSigned: Bool.random(using: &rng), planarConfiguration: planar,
            photometricInterpretation: photometric)
        let mask = descriptor.valueMask
        let count = descriptor.valueCount
        let contents = Int.random(in: 0..<8, using: &rng)
        let values: [UInt32]
        let note: String
        switch contents {
        case 0:
            values = [UInt32](repeating: 0, count: count); note = "all-zero"
        case 1:
            values = [UInt32](repeating: mask, count: count); note = "all-max"
        default:
            values = (0..<count).map { _ in UInt32(truncatingIfNeeded: rng.next()) & mask }; note = "random"
        }
        // Junk in the allocated bits outside BitsStored, in place, as the Pixels model keeps it.
        var residue: [UInt32]? = nil
        if allocated > n && allocated > 1 && Bool.random(using: &rng) {
            let allocatedMask: UInt32 = allocated == 32 ? .max : (1 << UInt32(allocated)) - 1
            let storedBits = mask << UInt32(descriptor.lowBit)
            residue = (0..<count).map { _ in UInt32(truncatingIfNeeded: rng.next()) & allocatedMask & ~storedBits }
        }
        let planes: QKDHybridCipher.Planes
        switch Int.random(in: 0..<5, using: &rng) {
        case 0, 1: planes = .msb(4)
        case 2, 3: planes = .all
        default: planes = .msb(Int.random(in: 1...16, using: &rng))
        }
        let secret = (0..<32).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        // The descriptor is valid by construction.
        let buffer = try! PixelBuffer(descriptor: descriptor, values: values, residue: residue)
        return GeneratedCase(buffer: buffer, planes: planes, secret: secret, note: note)
    }
}

@Suite("Exact round trip")
struct RoundTripTests {
    static let casesPerBatch = 250

    /// 4 batches × 250 = 1,000 generated cases per run (batches run in parallel).
    @Test("qkd-hybrid restores every generated image bit for bit", arguments: 0..<4)
    func qkdHybridRoundTrip(batch: Int) throws {
        for index in 0..<Self.casesPerBatch {
            let generated = CaseGenerator.make(seed: UInt64(batch * 100_000 + index), maxBitsStored: 16)
            let cipher = QKDHybridCipher(planes: generated.planes, parallel: index % 2 == 0)
            let key = CipherKey(secret: generated.secret, parameters: ["planes": generated.planes.description])
            let plain = generated.buffer
            let sealed = try cipher.encrypt(plain, key: key)
            #expect(sealed.descriptor == plain.descriptor, "\(generated)")
            #expect(sealed.residue == plain.residue, "\(generated)")
            #expect(throws: Never.self, "\(generated)") { try sealed.checkValueRange() }
            // The planes below the encrypted ones pass through untouched.
            let m = generated.planes.encryptedPlanes(bitsStored: plain.descriptor.bitsStored)
            let lowMask = (UInt32(1) << UInt32(plain.descriptor.bitsStored - m)) - 1
            #expect(zip(sealed.values, plain.values).allSatisfy { $0 & lowMask == $1 & lowMask }, "\(generated)")
            let opened = try cipher.decrypt(sealed, key: key)
            #expect(opened == plain, "\(generated)")
            if opened != plain { return }
        }
    }

    @Test("aes-ctr restores every generated image bit for bit, 1 … 32 bits", arguments: 0..<4)
    func aesCTRRoundTrip(batch: Int) throws {
        let cipher = AESCTRCipher()
        for index in 0..<Self.casesPerBatch {
            let generated = CaseGenerator.make(seed: UInt64(7_000_000 + batch * 100_000 + index), maxBitsStored: 32)
            let key = CipherKey(secret: generated.secret, parameters: ["nonce": "000102030405060708090a0b"])
            let plain = generated.buffer
            let sealed = try cipher.encrypt(plain, key: key)
            #expect(sealed.descriptor == plain.descriptor && sealed.residue == plain.residue, "\(generated)")
            #expect(throws: Never.self, "\(generated)") { try sealed.checkValueRange() }
            let opened = try cipher.decrypt(sealed, key: key)
            #expect(opened == plain, "\(generated)")
            if opened != plain { return }
        }
    }

    /// The cipher makes its key stream in pieces (`AESCTRCipher.piece` values each); the reference is the whole
    /// stream from one swift-crypto AES-CTR call with the 12-byte nonce (counter block nonce ‖ BE32 0), as
    /// docs/ciphers/aes-ctr.md defines it, for every value width and a last piece that is partial.
    @Test("aes-ctr's key stream, made piece by piece, is the one-call AES-256-CTR stream", arguments: [(8, 8), (16, 12), (32, 24), (32, 32)])
    func aesCTRPiecesMatchOneStream(bitsAllocated: Int, bitsStored: Int) throws {
        let descriptor = PixelDescriptor(rows: 11, columns: 2_991, bitsAllocated: bitsAllocated, bitsStored: bitsStored)
        let count = descriptor.valueCount
        #expect(count > 2 * AESCTRCipher.piece && count % AESCTRCipher.piece != 0)
        let mask = descriptor.valueMask
        var random = SplitMix64(seed: UInt64(bitsStored))
        let plain = try PixelBuffer(descriptor: descriptor, values: (0..<count).map { _ in UInt32(truncatingIfNeeded: random.next()) & mask })
        let secret = (0..<32).map { UInt8($0 * 7 + 1) }
        let nonce: [UInt8] = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0xFF, 0x10]
        let width = (bitsStored + 7) / 8
        let stream = Array(try AES._CTR.encrypt([UInt8](repeating: 0, count: count * width), using: SymmetricKey(data: secret),
                                                nonce: AES._CTR.Nonce(nonceBytes: nonce)))
        let expected = (0..<count).map { i -> UInt32 in
            var word: UInt32 = 0
            for b in 0..<width { word |= UInt32(stream[i * width + b]) << (8 * b) }
            return plain.values[i] ^ (word & mask)
        }
        let sealed = try AESCTRCipher().encrypt(plain, key: CipherKey(secret: secret, parameters: ["nonce": "09080706050403020100ff10"]))
        // The first differing value, if any (comparing whole arrays would print 32,901 values of each).
        #expect(sealed.values.count == count)
        #expect(sealed.values.indices.first { sealed.values[$0] != expected[$0] } == nil)
    }

    @Test func qkdHybridRejectsDepthsAbove16() {
        let descriptor = PixelDescriptor(rows: 2, columns: 2, bitsAllocated: 32, bitsStored: 17)
        #expect(throws: CipherError.self) { try QKDHybridCipher().checkSupported(descriptor) }
        #expect(throws: Never.self) { try AESCTRCipher().checkSupported(descriptor) }
    }

    @Test func keysCarryTheirSettingAndBadParametersAreNamed() throws {
        let key = try QKDHybridCipher(planes: .all).generateKey()
        #expect(key.secret.count == 32)
        #expect(key.parameters["planes"] == "all")
        #expect(try QKDHybridCipher(planes: .msb(4)).generateKey().parameters["planes"] == "msb:4")
        let buffer = try PixelBuffer(descriptor: PixelDescriptor(rows: 2, columns: 2, bitsAllocated: 8, bitsStored: 8),
                                     values: [1, 2, 3, 4])
        #expect(throws: CipherError.missingParameter(profile: "qkd-hybrid", name: "planes")) {
            try QKDHybridCipher().encrypt(buffer, key: CipherKey(secret: key.secret))
        }
        #expect(throws: CipherError.invalidParameter(profile: "qkd-hybrid", name: "planes", value: "msb:0")) {
            try QKDHybridCipher().encrypt(buffer, key: CipherKey(secret: key.secret, parameters: ["planes": "msb:0"]))
        }
        #expect(throws: CipherError.self) {
            try QKDHybridCipher().encrypt(buffer, key: CipherKey(secret: [1, 2, 3], parameters: ["planes": "all"]))
        }
        let aesKey = try AESCTRCipher().generateKey()
        #expect(aesKey.parameters["nonce"]?.count == 24)
        #expect(throws: CipherError.invalidParameter(profile: "aes-ctr", name: "nonce", value: "xyz")) {
            try AESCTRCipher().encrypt(buffer, key: CipherKey(secret: aesKey.secret, parameters: ["nonce": "xyz"]))
        }
    }
}
