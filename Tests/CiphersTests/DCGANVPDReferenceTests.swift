import Testing
@testable import Ciphers
import Pixels

/// A deliberately plain model of docs/ciphers/dcgan-vpd.md, written from the document: the bitstream is an array
/// of single bits, the zigzag path is found by sorting positions, every stage is its own pass. It shares only the
/// key streams with the cipher (`VPDKeySchedule.permutation` / `words`, pinned by `keyStreamGoldenValues` to an
/// independent Python model), so the optimised, fused pixel stages are held to the format by comparison.
enum DCGANVPDReference {
    /// The values' n bits, most significant first.
    static func bitstream(_ values: [UInt32], bits n: Int) -> [Int] {
        values.flatMap { v in (0..<n).map { Int(v >> UInt32(n - 1 - $0)) & 1 } }
    }

    static func values(_ stream: [Int], bits n: Int) -> [UInt32] {
        stride(from: 0, to: stream.count, by: n).map { start in
            stream[start..<(start + n)].reduce(UInt32(0)) { $0 << 1 | UInt32($1) }
        }
    }

    /// S2[i] = S2[i−1] ⊕ planet(S1[i]); a last partial symbol is XORed with the top bits of the last full S2.
    static func vpdEncode(_ values: [UInt32], bits n: Int, planet: [UInt8]) -> [UInt32] {
        var stream = bitstream(values, bits: n)
        var previous = 0
        var i = 0
        while i + 3 <= stream.count {
            let symbol = stream[i] << 2 | stream[i + 1] << 1 | stream[i + 2]
            previous ^= Int(planet[symbol])
            (stream[i], stream[i + 1], stream[i + 2]) = (previous >> 2 & 1, previous >> 1 & 1, previous & 1)
            i += 3
        }
        for k in 0..<(stream.count - i) { stream[i + k] ^= previous >> (2 - k) & 1 }
        return Self.values(stream, bits: n)
    }

    /// out(k, i, j) = in(π3(k), π1(i), π2(j)).
    static func shuffle(_ values: [UInt32], rows: [Int], columns: [Int], planes: [Int]) -> [UInt32] {
        let r = rows.count, c = columns.count
        var out = values
        for k in 0..<planes.count { for i in 0..<r { for j in 0..<c {
            out[(k * r + i) * c + j] = values[(planes[k] * r + rows[i]) * c + columns[j]]
        } } }
        return out
    }

    /// Positions of one plane in zigzag order: by anti-diagonal d = i + j; even d with the row falling, odd d rising.
    static func zigzagPath(rows: Int, columns: Int) -> [Int] {
        var cells: [(i: Int, j: Int)] = []
        for i in 0..<rows { for j in 0..<columns { cells.append((i, j)) } }
        cells.sort { a, b in
            let da = a.i + a.j, db = b.i + b.j
            if da != db { return da < db }
            return da % 2 == 0 ? a.i > b.i : a.i < b.i
        }
        return cells.map { $0.i * columns + $0.j }
    }

    /// Forward c_t = ((p_t + c_{t−1}) mod 2^n) ⊕ k_t, then backward d_t = ((c_t + d_{t+1}) mod 2^n) ⊕ k_t.
    static func zigzag(_ values: [UInt32], rows: Int, columns: Int, planes: Int, key: [UInt32], bits n: Int) -> [UInt32] {
        let modulus = UInt64(1) << UInt64(n)
        let path = zigzagPath(rows: rows, columns: columns)
        let positions = (0..<planes).flatMap { plane in path.map { plane * rows * columns + $0 } }
        var v = values
        var previous: UInt64 = 0
        for (t, index) in positions.enumerated() {
            previous = ((UInt64(v[index]) + previous) % modulus) ^ UInt64(key[t])
            v[index] = UInt32(previous)
        }
        previous = 0
        for (t, index) in positions.enumerated().reversed() {
            previous = ((UInt64(v[index]) + previous) % modulus) ^ UInt64(key[t])
            v[index] = UInt32(previous)
        }
        return v
    }

    /// The whole encryption of format version 1 (the planet table is the identity at every timestamp).
    static func encrypt(_ plain: PixelBuffer, key: CipherKey) throws -> [UInt32] {
        let d = plain.descriptor
        let n = d.bitsStored, planes = d.frames * d.components
        let streams = try VPDKeySchedule(secret: key.secret)
        let rule = try VPDRule(number: Int(key.parameters["rule"] ?? "") ?? 0)
        let k4 = streams.words(4, count: d.valueCount, bits: n), k8 = streams.words(8, count: d.valueCount, bits: n)
        var v = plain.values
        for round in 0..<2 {
            let first = round == 0 ? 1 : 5
            v = vpdEncode(v, bits: n, planet: rule.planet)
            v = shuffle(v, rows: streams.permutation(first, count: d.rows),
                        columns: streams.permutation(first + 1, count: d.columns),
                        planes: streams.permutation(first + 2, count: planes))
            v = zigzag(v, rows: d.rows, columns: d.columns, planes: planes, key: k4, bits: n)
        }
        return zip(v, k8).map { $0 ^ $1 }
    }
}

@Suite("dcgan-vpd against the plain reference model")
struct DCGANVPDReferenceTests {
    static func key(seed: UInt64, rule: Int) -> CipherKey {
        var key = DCGANVPDCipherTests.key(seed: seed)
        key.parameters["rule"] = String(rule)
        return key
    }

    @Test func referenceZigzagPathIsJPEGsOnASquare() {
        #expect(DCGANVPDReference.zigzagPath(rows: 3, columns: 3) == [0, 1, 3, 6, 4, 2, 5, 7, 8])
        #expect(DCGANVPDReference.zigzagPath(rows: 2, columns: 3) == [0, 1, 3, 4, 2, 5])
    }

    @Test func cipherMatchesTheReferenceOverThePropertySpace() throws {
        var rng = SplitMix64(seed: 0x5EF_0DE1)
        for caseIndex in 0..<200 {
            let plain = try DCGANVPDCipherTests.randomBuffer(&rng, caseIndex: caseIndex)
            let key = Self.key(seed: UInt64(caseIndex), rule: Int.random(in: 1...VPDRule.count, using: &rng))
            let cipher = DCGANVPDCipher(decoySource: FlatDecoySource(level: 1))
            let sealed = try cipher.encrypt(plain, key: key)
            let expected = try DCGANVPDReference.encrypt(plain, key: key)
            if sealed.values != expected {
                Issue.record("case \(caseIndex) differs from the reference: \(plain.descriptor)")
                return
            }
            #expect(try cipher.decrypt(sealed, key: key) == plain)
        }
    }

    @Test(arguments: [(48, 64, 1, 3, 8), (40, 40, 2, 1, 16), (37, 23, 3, 1, 12), (16, 21, 1, 3, 10), (9, 70, 4, 1, 1)])
    func cipherMatchesTheReferenceOnLargerImages(rows: Int, columns: Int, frames: Int, samples: Int, bits: Int) throws {
        let d = PixelDescriptor(rows: rows, columns: columns, frames: frames, samplesPerPixel: samples,
                                bitsAllocated: bits == 1 ? 1 : (bits > 8 ? 16 : 8), bitsStored: bits,
                                photometricInterpretation: samples == 3 ? "RGB" : "MONOCHROME2")
        let plain = try PixelBuffer(descriptor: d, values: (0..<d.valueCount).map {
            UInt32(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 7) & d.valueMask
        })
        let key = Self.key(seed: UInt64(rows * columns), rule: 37_241)
        let cipher = DCGANVPDCipher(decoySource: FlatDecoySource(level: 1))
        let sealed = try cipher.encrypt(plain, key: key)
        #expect(sealed.values == (try DCGANVPDReference.encrypt(plain, key: key)))
        #expect(try cipher.decrypt(sealed, key: key) == plain)
    }
}
