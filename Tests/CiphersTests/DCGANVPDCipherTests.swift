import Foundation
import Testing
@testable import Ciphers
import Pixels

/// A fixed decoy so tests do not need the DCGAN module.
struct FlatDecoySource: DecoySource {
    let level: UInt8
    func makeDecoy() throws(CipherError) -> DecoyImage {
        let plane = [UInt8](repeating: level, count: 64 * 64)
        return DecoyImage(width: 64, height: 64, red: plane, green: plane, blue: plane)
    }
}

@Suite("dcgan-vpd cipher")
struct DCGANVPDCipherTests {
    let cipher = DCGANVPDCipher(decoySource: FlatDecoySource(level: 7))

    static func key(seed: UInt64) -> CipherKey {
        var rng = SplitMix64(seed: seed)
        let secret = (0..<64).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return CipherKey(secret: secret, parameters: ["timestamp": "21-11-2026 06:30:00", "nonce": "00", "rule": "37241"])
    }

    /// A random descriptor from the property space of DESIGN.md §3 restricted to n ≤ 16.
    static func randomBuffer(_ rng: inout SplitMix64, caseIndex: Int) throws -> PixelBuffer {
        let allocated = [1, 8, 16].randomElement(using: &rng) ?? 8
        let stored = allocated == 1 ? 1 : Int.random(in: 1...allocated, using: &rng)
        let highBit = Int.random(in: (stored - 1)...(allocated - 1), using: &rng)
        let kind = allocated == 1 ? 0 : Int.random(in: 0...2, using: &rng)   // mono, RGB, YBR_FULL_422
        var columns = Int.random(in: 1...9, using: &rng)
        if kind == 2 { columns = 2 * Int.random(in: 1...4, using: &rng) }
        let descriptor = PixelDescriptor(
            rows: Int.random(in: 1...7, using: &rng), columns: columns, frames: Int.random(in: 1...3, using: &rng),
            samplesPerPixel: kind == 0 ? 1 : 3, bitsAllocated: allocated, bitsStored: stored, highBit: highBit,
            isSigned: Bool.random(using: &rng),
            planarConfiguration: kind == 1 && Bool.random(using: &rng) ? .separate : .interleaved,
            photometricInterpretation: kind == 0 ? "MONOCHROME2" : (kind == 1 ? "RGB" : "YBR_FULL_422"))
        let mask = descriptor.valueMask
        let values: [UInt32] = switch caseIndex % 10 {
        case 0: [UInt32](repeating: 0, count: descriptor.valueCount)
        case 1: [UInt32](repeating: mask, count: descriptor.valueCount)
        default: (0..<descriptor.valueCount).map { _ in UInt32.random(in: 0...mask, using: &rng) }
        }
        var residue: [UInt32]? = nil
        if allocated > stored {
            let outside = (allocated == 32 ? UInt32.max : (UInt32(1) << UInt32(allocated)) - 1)
                & ~(mask << UInt32(descriptor.lowBit))
            residue = (0..<descriptor.valueCount).map { _ in UInt32.random(in: 0...UInt32.max, using: &rng) & outside }
        }
        return try PixelBuffer(descriptor: descriptor, values: values, residue: residue, trailingBytes: [0])
    }

    @Test func exactRoundTripOverThePropertySpace() throws {
        var rng = SplitMix64(seed: 0xDC6A_4EED)
        var changed = 0, large = 0
        let keys = (0..<16).map { Self.key(seed: UInt64($0)) }
        for caseIndex in 0..<1_000 {
            let plain = try Self.randomBuffer(&rng, caseIndex: caseIndex)
            let key = keys[caseIndex % keys.count]
            // The key streams are the slow part in a debug build: build them once per case, and go through
            // encrypt(_:key:) / decrypt(_:key:) (which build their own) on every 20th case.
            let schedule = try cipher.schedule(key: key, descriptor: plain.descriptor)
            let sealed = caseIndex % 20 == 0 ? try cipher.encrypt(plain, key: key)
                                             : try cipher.encrypt(plain, schedule: schedule)
            #expect(sealed.descriptor == plain.descriptor && sealed.residue == plain.residue)
            try sealed.checkValueRange()
            let opened = caseIndex % 20 == 10 ? try cipher.decrypt(sealed, key: key)
                                              : try cipher.decrypt(sealed, schedule: schedule)
            if opened != plain {
                Issue.record("case \(caseIndex) did not round-trip: \(plain.descriptor)")
                return
            }
            #expect(try opened.nativeBytes() == plain.nativeBytes())
            if plain.values.count >= 16 {
                large += 1
                if sealed.values != plain.values { changed += 1 }
            }
        }
        #expect(large > 500 && changed == large, "\(changed) of \(large) buffers of ≥ 16 values changed")
    }

    @Test func multiFrameGreyscaleAndSixteenBitLargerImages() throws {
        let key = Self.key(seed: 99)
        for (rows, columns, frames, bits) in [(33, 17, 5, 12), (64, 64, 1, 16), (1, 1, 1, 1), (5, 3, 8, 3)] {
            let d = PixelDescriptor(rows: rows, columns: columns, frames: frames, bitsAllocated: bits > 8 ? 16 : 8,
                                    bitsStored: bits)
            let values = (0..<d.valueCount).map { UInt32($0 * 7919 % (Int(d.valueMask) + 1)) }
            let plain = try PixelBuffer(descriptor: d, values: values)
            #expect(try cipher.decrypt(cipher.encrypt(plain, key: key), key: key) == plain)
        }
    }

    @Test func unsupportedDepthAndBadParametersAreTypedErrors() throws {
        let d32 = PixelDescriptor(rows: 2, columns: 2, bitsAllocated: 32, bitsStored: 32)
        #expect(throws: CipherError.self) { try cipher.checkSupported(d32) }
        let plain = try PixelBuffer(descriptor: PixelDescriptor(rows: 2, columns: 2, bitsAllocated: 8, bitsStored: 8),
                                    values: [1, 2, 3, 4])
        var key = Self.key(seed: 1)
        key.parameters["rule"] = nil
        #expect(throws: CipherError.missingParameter(profile: "dcgan-vpd", name: "rule")) {
            try cipher.encrypt(plain, key: key)
        }
        key = Self.key(seed: 1)
        key.parameters["timestamp"] = "2026-11-21"
        #expect(throws: CipherError.invalidParameter(profile: "dcgan-vpd", name: "timestamp", value: "2026-11-21")) {
            try cipher.encrypt(plain, key: key)
        }
        key = Self.key(seed: 1)
        key.secret.removeLast()
        #expect(throws: CipherError.self) { try cipher.decrypt(plain, key: key) }
    }

    @Test func generatedKeysFollowTheFormat() throws {
        let a = try cipher.generateKey(), b = try cipher.generateKey()
        #expect(a.secret.count == 64 && a.secret != b.secret)
        #expect(a.parameters["rule"] == "37241")
        #expect(a.parameters["nonce"]?.count == 32 && a.parameters["nonce"] != b.parameters["nonce"])
        #expect(try VPDTimestamp(parsing: a.parameters["timestamp"] ?? "").description == a.parameters["timestamp"])
        // The secret is SHA-512 of the documented message; check against an independent hash (sha512sum).
        let decoy = try FlatDecoySource(level: 7).makeDecoy()
        let expectedSums: [UInt64] = [28_673, 28_673, 28_673]   // 7 · 4096 + 1
        #expect(decoy.channelSums == expectedSums)
        let k = DCGANVPDCipher.deriveKey(decoy: decoy, timestamp: try VPDTimestamp(parsing: "21-11-2026 06:30:00"),
                                         nonce: [0xAB, 0x01], salt: [], rule: .standard)
        // printf '28673|28673|28673|21-11-2026 06:30:00|ab01|' | sha512sum
        #expect(DCGANVPDCipher.hex(k.secret).hasPrefix(Self.expectedDigestPrefix))
        #expect(k.parameters == ["timestamp": "21-11-2026 06:30:00", "nonce": "ab01", "rule": "37241"])
    }

    static let expectedDigestPrefix = "da711c376e27bd8e7d912ff776c6e6ff1af69690d50e45645c3b8d08558a01d4"

    // MARK: Statistics

    /// A smooth test image with texture (no randomness from the code under test).
    static func rgbImage(side: Int) throws -> PixelBuffer {
        let d = PixelDescriptor(rows: side, columns: side, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8)
        var values = [UInt32](repeating: 0, count: d.valueCount)
        for c in 0..<3 { for r in 0..<side { for x in 0..<side {
            let v = (r * 255 / side + x * (c + 1)) / 2 + Int(40 * Foundation.sin(Double(r * x) / 97.0))
            values[(c * side + r) * side + x] = UInt32(max(0, min(255, v)))
        } } }
        return try PixelBuffer(descriptor: d, values: values)
    }

    /// Wu, Noonan, Agaian (2011): NPCR critical value N*_α and UACI interval (U*−, U*+) for F = 255, α = 0.05.
    static func criticalValues(valueCount: Int) -> (npcr: Double, uaciLow: Double, uaciHigh: Double) {
        let f = 255.0, n = Double(valueCount)
        let zAlpha = 1.6448536269514722, zHalfAlpha = 1.959963984540054   // Φ⁻¹(0.95), Φ⁻¹(0.975)
        let npcr = (f - zAlpha * (f / n).squareRoot()) / (f + 1)
        let mean = (f + 2) / (3 * f + 3)
        let variance = (f + 2) * (f * f + 2 * f + 3) / (18 * (f + 1) * (f + 1) * n * f)
        return (npcr, mean - zHalfAlpha * variance.squareRoot(), mean + zHalfAlpha * variance.squareRoot())
    }

    static func npcrUaci(_ a: [UInt32], _ b: [UInt32]) -> (Double, Double) {
        var differing = 0, total = 0.0
        for (x, y) in zip(a, b) {
            if x != y { differing += 1 }
            total += Double(x > y ? x - y : y - x) / 255
        }
        return (Double(differing) / Double(a.count), total / Double(a.count))
    }

    @Test(arguments: [256, 512])
    func sameKeyPlaintextSensitivityIsInsideTheWuNoonanAgaianIntervals(side: Int) throws {
        let plain = try Self.rgbImage(side: side)
        var changedPlain = plain
        let position = (1 * side + side / 3) * side + side / 2   // green plane, one pixel, one step
        changedPlain.values[position] = (changedPlain.values[position] + 1) & 255
        let key = Self.key(seed: 2025)
        let schedule = try cipher.schedule(key: key, descriptor: plain.descriptor)
        let a = try cipher.encrypt(plain, schedule: schedule).values
        let b = try cipher.encrypt(changedPlain, schedule: schedule).values
        let (npcr, uaci) = Self.npcrUaci(a, b)
        let critical = Self.criticalValues(valueCount: side * side)   // per channel, as in the paper's tables
        // Per channel: each plane is an M×N 8-bit image.
        for c in 0..<3 {
            let range = (c * side * side)..<((c + 1) * side * side)
            let (n, u) = Self.npcrUaci(Array(a[range]), Array(b[range]))
            #expect(n > critical.npcr, "channel \(c) NPCR \(n) ≤ \(critical.npcr)")
            #expect(u > critical.uaciLow && u < critical.uaciHigh,
                    "channel \(c) UACI \(u) outside (\(critical.uaciLow), \(critical.uaciHigh))")
        }
        print("dcgan-vpd \(side)×\(side) RGB: NPCR \(npcr * 100)% UACI \(uaci * 100)%")
    }

    @Test func oneFlippedSecretBitChangesAlmostEveryValueAndWrongKeyDoesNotDecrypt() throws {
        let plain = try Self.rgbImage(side: 256)
        let key = Self.key(seed: 7)
        let reference = try cipher.encrypt(plain, key: key)
        for bit in [0, 77, 300, 511] {
            var flipped = key
            flipped.secret[bit / 8] ^= UInt8(1 << (bit % 8))
            let other = try cipher.encrypt(plain, key: flipped)
            let differing = zip(reference.values, other.values).filter { $0 != $1 }.count
            let fraction = Double(differing) / Double(plain.values.count)
            #expect(fraction > 0.99, "bit \(bit): \(fraction)")
            let wrong = try cipher.decrypt(reference, key: flipped)
            let same = zip(wrong.values, plain.values).filter { $0 == $1 }.count
            #expect(Double(same) / Double(plain.values.count) < 0.01, "bit \(bit): \(same) values recovered")
        }
    }
}
