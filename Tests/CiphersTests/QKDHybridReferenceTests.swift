import Testing
@testable import Ciphers
import Pixels

/// A second, deliberately plain implementation of `qkd-hybrid` encryption, written from docs/ciphers/qkd-hybrid.md
/// §1–§6 (one formula per stage, no fusion, no tables beyond the format's own, no shortcuts), against which the
/// optimised engine is compared on many shapes and plane counts. It shares only the pieces the golden vectors pin
/// on their own: the HKDF key schedule, the Chen and Ikeda word streams, xoshiro256** and Fisher–Yates. GF(2^m)
/// arithmetic is done here by shift-and-add multiplication, independent of the engine's log/exp tables.
enum QKDHybridReference {
    static func encrypt(_ buffer: PixelBuffer, secret: [UInt8], m: Int) -> [UInt32] {
        let d = buffer.descriptor
        let rows = d.rows, columns = d.columns, n = rows * columns, bitsStored = d.bitsStored
        let mask = UInt32((1 << m) - 1)
        let schedule = KeySchedule(secret: secret, profile: "qkd-hybrid", version: 2)
        let tables = ObjectTables(schedule: schedule, m: m)
        var output = buffer.values
        for plane in 0..<(d.frames * d.components) {
            let start = plane * n
            // §6.1 extraction.
            let x = (0..<n).map { (buffer.values[start + $0] >> UInt32(bitsStored - m)) & mask }
            // §3.3 permutations, §5 plane parameters.
            // §3: transients of format version 2.
            var chen = ChenWordStream(seed: schedule.bytes("chen", plane: UInt32(plane), count: 48), transientSteps: 500)
            var ikeda = IkedaWordStream(seed: schedule.bytes("ikeda", plane: UInt32(plane), count: 24), transientSteps: 100)
            let rowPermutations = (0..<m).map { _ in Permutations.fisherYates(count: rows) { chen.below($0) } }
            let columnPermutations = (0..<m).map { _ in Permutations.fisherYates(count: columns) { ikeda.below($0) } }
            var g = schedule.generator("stream", plane: UInt32(plane))
            let s = (0..<rows).map { _ in g.below(columns) }
            let t = (0..<columns).map { _ in g.below(rows) }
            let u = (0..<rows).map { _ in g.below(columns) }
            let dihedral = g.next() & 7
            func word() -> UInt32 { UInt32(truncatingIfNeeded: g.next()) & mask }
            func odd() -> UInt32 { (UInt32(truncatingIfNeeded: g.next()) | 1) & mask }
            let af = odd(), kf = word(), startF = word(), ab = odd(), kb = word(), startB = word()
            let mu = (0..<4).map { _ in odd() }
            let lambda = (0..<4).map { _ in odd() }
            let omega = (0..<4).map { _ in word() }
            var words = [UInt16](repeating: 0, count: 3 * n)
            words.withUnsafeMutableBufferPointer { g.fill($0) }
            let keyForward = (0..<n).map { UInt32(words[$0]) }
            let keyBackward = (0..<n).map { UInt32(words[n + $0]) }
            let nu = (0..<n).map { UInt32(words[2 * n + $0]) }

            // §6.2 bit-plane scrambling.
            var y = [UInt32](repeating: 0, count: n)
            for r in 0..<rows {
                for c in 0..<columns {
                    var v: UInt32 = 0
                    for k in 0..<m {
                        let source = Int(rowPermutations[k][r]) * columns + Int(columnPermutations[k][c])
                        v |= x[source] & (1 << UInt32(k))
                    }
                    y[r * columns + c] = v
                }
            }
            // §6.3 shears, value shuffle, dihedral map.
            var z = [UInt32](repeating: 0, count: n)
            for r in 0..<rows {
                for c in 0..<columns {
                    let c1 = (c + s[r]) % columns
                    let r1 = (r + t[c1]) % rows
                    let c2 = (c1 + u[r1]) % columns
                    let rr = dihedral & 1 != 0 ? rows - 1 - r1 : r1
                    let cc = dihedral & 2 != 0 ? columns - 1 - c2 : c2
                    let index = dihedral & 4 != 0 && rows == columns ? cc * columns + rr : rr * columns + cc
                    z[index] = UInt32(tables.shuffle[Int(y[r * columns + c])])
                }
            }
            // §6.4 chains.
            let rotate = UInt32((m + 1) / 2)
            func nonlinear(_ v: UInt32, _ key: UInt32) -> UInt32 {
                let w = v ^ key
                let q = (w &* (2 &* w &+ 1)) & mask
                return ((q << rotate) | (q >> (UInt32(m) - rotate))) & mask
            }
            var previous = startF
            for i in 0..<n {
                z[i] = (af &* z[i] &+ keyForward[i] &+ nonlinear(previous, kf)) & mask
                previous = z[i]
            }
            previous = startB
            for i in stride(from: n - 1, through: 0, by: -1) {
                z[i] = (ab &* z[i] &+ keyBackward[i] &+ nonlinear(previous, kb)) & mask
                previous = z[i]
            }
            // §6.5 blocks of four.
            func lift(_ v: UInt32) -> UInt32 { ((3 &* v) & mask) >> 3 }
            for j in 0..<(n / 4) {
                var (x0, x1, x2, x3) = (z[4 * j], z[4 * j + 1], z[4 * j + 2], z[4 * j + 3])
                x3 = (x0 &- x3) & mask
                x0 = (x0 &- (x3 >> 1)) & mask
                x2 = (x1 &- x2) & mask
                x1 = (x1 &- (x2 >> 1)) & mask
                x1 = (x0 &- x1) & mask
                x0 = (x0 &- (x1 >> 1)) & mask
                x2 = (x2 &+ lift(x3)) & mask
                x3 = (x3 &- lift(x2)) & mask
                (z[4 * j], z[4 * j + 1], z[4 * j + 2], z[4 * j + 3]) = (x0, x1, x2, x3)
            }
            for i in 0..<n {
                z[i] = (z[i] &* mu[i % 4] &+ nu[i]) & mask
            }
            // §6.6 Haar rows, then columns, then subband modulation.
            for r in 0..<rows {
                for i in 0..<(columns / 2) {
                    let p = r * columns + 2 * i
                    let dd = (z[p + 1] &- z[p]) & mask
                    z[p] = (z[p] &+ (dd >> 1)) & mask
                    z[p + 1] = dd
                }
            }
            for j in 0..<(rows / 2) {
                for c in 0..<columns {
                    let top = 2 * j * columns + c, bottom = top + columns
                    let dd = (z[bottom] &- z[top]) & mask
                    z[top] = (z[top] &+ (dd >> 1)) & mask
                    z[bottom] = dd
                }
            }
            for r in 0..<rows {
                for c in 0..<columns {
                    let b = 2 * (r & 1) + (c & 1)
                    z[r * columns + c] = (z[r * columns + c] &* lambda[b] &+ omega[b]) & mask
                }
            }
            // §6.7 Möbius then polynomial, §6.8 output.
            let lowMask = (UInt32(1) << UInt32(bitsStored - m)) - 1
            for i in 0..<n {
                let v = tables.polynomial(tables.mobius(z[i]))
                output[start + i] = (buffer.values[start + i] & lowMask) | (v << UInt32(bitsStored - m))
            }
        }
        return output
    }

    /// §4: value shuffle, Möbius coefficients, polynomial, from G_T.
    struct ObjectTables {
        let m: Int
        let mask: UInt32
        let shuffle: [Int32]
        let a: UInt32, b: UInt32, c: UInt32, d: UInt32
        let coefficients: [UInt32]

        init(schedule: KeySchedule, m: Int) {
            self.m = m
            mask = UInt32((1 << m) - 1)
            var g = schedule.generator("tables", plane: KeySchedule.objectWide)
            shuffle = Permutations.fisherYates(count: 1 << m) { g.below($0) }
            let mask = self.mask
            var a, b, c, d: UInt32
            repeat {
                a = UInt32(truncatingIfNeeded: g.next()) & mask
                b = UInt32(truncatingIfNeeded: g.next()) & mask
                c = UInt32(truncatingIfNeeded: g.next()) & mask
                d = UInt32(truncatingIfNeeded: g.next()) & mask
            } while c == 0 || Self.multiply(a, d, m: m) == Self.multiply(b, c, m: m)
            (self.a, self.b, self.c, self.d) = (a, b, c, d)
            let a0 = UInt32(truncatingIfNeeded: g.next()) & mask
            let a1 = (UInt32(truncatingIfNeeded: g.next()) | 1) & mask
            let a2 = UInt32(truncatingIfNeeded: g.next()) & mask
            let a3 = UInt32(truncatingIfNeeded: g.next()) & ~1 & mask
            let a4 = ((UInt32(truncatingIfNeeded: g.next()) & ~1) | (a2 & 1)) & mask
            coefficients = [a0, a1, a2, a3, a4]
        }

        /// Carry-less multiplication reduced by the format's primitive polynomial for m.
        static func multiply(_ x: UInt32, _ y: UInt32, m: Int) -> UInt32 {
            let polynomial: [UInt32] = [0x3, 0x7, 0xB, 0x13, 0x25, 0x43, 0x83, 0x11D, 0x211, 0x409, 0x805, 0x1053,
                                        0x201B, 0x4443, 0x8003, 0x1100B]
            var product: UInt32 = 0, a = x, b = y
            while b != 0 {
                if b & 1 != 0 { product ^= a }
                b >>= 1
                a <<= 1
                if a & (1 << UInt32(m)) != 0 { a ^= polynomial[m - 1] }
            }
            return product
        }

        /// x^(2^m − 2), the inverse of a non-zero x.
        func inverse(_ x: UInt32) -> UInt32 {
            var result: UInt32 = 1, base = x, e = (1 << m) - 2
            while e > 0 {
                if e & 1 != 0 { result = Self.multiply(result, base, m: m) }
                base = Self.multiply(base, base, m: m)
                e >>= 1
            }
            return result
        }

        func mobius(_ z: UInt32) -> UInt32 {
            let denominator = Self.multiply(c, z, m: m) ^ d
            if denominator == 0 { return Self.multiply(a, inverse(c), m: m) }
            return Self.multiply(Self.multiply(a, z, m: m) ^ b, inverse(denominator), m: m)
        }

        func polynomial(_ x: UInt32) -> UInt32 {
            var p: UInt32 = 0
            for coefficient in coefficients.reversed() { p = p &* x &+ coefficient }
            return p & mask
        }
    }
}

@Suite("qkd-hybrid against a plain second implementation")
struct QKDHybridReferenceTests {
    /// Shapes chosen to reach every special case of the engine: 1 × 1, single rows and columns, odd sides, square
    /// (rotations), non-square, side not a multiple of 4 or 32, and a plane above 2^14 values (the two-step chain
    /// table).
    static let shapes: [(rows: Int, columns: Int)] = [
        (1, 1), (1, 7), (5, 1), (3, 5), (2, 2), (6, 8), (7, 7), (8, 8), (9, 6), (16, 16), (33, 40), (40, 33),
        (64, 64), (37, 100), (96, 96), (130, 66), (129, 128),
    ]

    static func image(rows: Int, columns: Int, samples: Int, bitsStored: Int, seed: UInt64) throws -> PixelBuffer {
        var rng = SplitMix64(seed: seed)
        let descriptor = PixelDescriptor(
            rows: rows, columns: columns, samplesPerPixel: samples, bitsAllocated: bitsStored > 8 ? 16 : 8,
            bitsStored: bitsStored)
        let mask = descriptor.valueMask
        return try PixelBuffer(
            descriptor: descriptor,
            values: (0..<descriptor.valueCount).map { _ in UInt32(truncatingIfNeeded: rng.next()) & mask })
    }

    /// The first index where two value arrays differ (or the shorter one's end), nil if equal: a failure names one
    /// position instead of printing (and diffing) arrays of a quarter of a million values.
    static func firstDifference(_ a: [UInt32], _ b: [UInt32]) -> Int? {
        if let index = (0..<min(a.count, b.count)).first(where: { a[$0] != b[$0] }) { return index }
        return a.count == b.count ? nil : min(a.count, b.count)
    }

    /// Encrypts random values of `descriptor` on one core and on all cores, compares with the reference, and
    /// decrypts back.
    static func checkAgainstReference(_ descriptor: PixelDescriptor, planes: String, seed: UInt64) throws {
        let setting = try #require(QKDHybridCipher.Planes(parameter: planes))
        var rng = SplitMix64(seed: seed)
        let secret = (0..<32).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let plain = try PixelBuffer(
            descriptor: descriptor,
            values: (0..<descriptor.valueCount).map { _ in UInt32(truncatingIfNeeded: rng.next()) & descriptor.valueMask })
        let key = CipherKey(secret: secret, parameters: ["planes": planes])
        let sealed = try QKDHybridCipher(planes: setting, parallel: false).encrypt(plain, key: key)
        let expected = QKDHybridReference.encrypt(plain, secret: secret, m: setting.encryptedPlanes(bitsStored: descriptor.bitsStored))
        #expect(firstDifference(sealed.values, expected) == nil,
                "\(descriptor.rows)×\(descriptor.columns)×\(descriptor.samplesPerPixel) × \(descriptor.frames) frames, \(planes)")
        #expect(try QKDHybridCipher(planes: setting, parallel: true).encrypt(plain, key: key) == sealed)
        #expect(try QKDHybridCipher(planes: setting, parallel: false).decrypt(sealed, key: key) == plain)
    }

    /// One core and all cores, three samples per pixel, two frames (plane indices), planes above 2^14 values (the
    /// two-step chain tables) and a small odd shape, in the modes that take the direct bit-plane gathers.
    @Test("three-plane frames equal the reference", arguments: ["msb:4", "msb:2", "msb:5", "all"])
    func threePlaneFramesEqualReference(planes: String) throws {
        for (index, shape) in [(rows: 130, columns: 130), (rows: 9, columns: 7)].enumerated() {
            try Self.checkAgainstReference(
                PixelDescriptor(rows: shape.rows, columns: shape.columns, frames: 2, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8),
                planes: planes, seed: UInt64(0xC0105 + index))
        }
    }

    /// Multi-plane encryption runs the chains of up to three planes together (groups of 3 and 2 for five planes),
    /// with an even and an odd plane size above 2^14 (an odd size leaves one single step at each chain's end).
    @Test("planes whose chains run together equal the reference", arguments: ["msb:4", "msb:1", "msb:3"])
    func groupedChainsEqualReference(planes: String) throws {
        for (index, shape) in [(rows: 131, columns: 127), (rows: 128, columns: 130)].enumerated() {
            try Self.checkAgainstReference(
                PixelDescriptor(rows: shape.rows, columns: shape.columns, frames: 5, bitsAllocated: 16, bitsStored: 12),
                planes: planes, seed: UInt64(0x6A0 + index))
        }
    }

    /// Wide rows (the gathers' byte rows larger than L1 per bit group) and planes of 128 rows and more, whose w1
    /// and w2 have a padded pitch: a short wide plane, and one that has both.
    @Test("wide rows and padded planes equal the reference", arguments: ["msb:4", "msb:1", "msb:8"])
    func wideRowsEqualReference(planes: String) throws {
        let shapes = [(rows: 3, columns: 2051, bitsStored: 12), (rows: 130, columns: 2048, bitsStored: 8)]
        #expect(QKDHybridStages.shearPitch(rows: 3, columns: 2051) == 2051)
        #expect(QKDHybridStages.shearPitch(rows: 130, columns: 2048) > 2048)
        for (index, shape) in shapes.enumerated() {
            try Self.checkAgainstReference(
                PixelDescriptor(rows: shape.rows, columns: shape.columns, bitsAllocated: 16, bitsStored: shape.bitsStored),
                planes: planes, seed: UInt64(0x71DE + index))
        }
    }

    @Test("engine equals the reference", arguments: [
        (16, "msb:4"), (16, "all"), (8, "all"), (8, "msb:4"), (12, "msb:4"), (12, "all"), (10, "msb:6"), (13, "all"),
        (16, "msb:1"), (16, "msb:2"), (16, "msb:3"), (16, "msb:5"), (16, "msb:9"), (7, "all"), (1, "all"),
    ])
    func engineEqualsReference(bitsStored: Int, planes: String) throws {
        let setting = try #require(QKDHybridCipher.Planes(parameter: planes))
        let m = setting.encryptedPlanes(bitsStored: bitsStored)
        for (index, shape) in Self.shapes.enumerated() {
            let seed = UInt64(bitsStored * 1000 + m * 100 + index)
            var rng = SplitMix64(seed: seed ^ 0x5EC2E7)
            let secret = (0..<32).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let samples = index % 3 == 0 ? 3 : 1
            let plain = try Self.image(rows: shape.rows, columns: shape.columns, samples: samples, bitsStored: bitsStored, seed: seed)
            let key = CipherKey(secret: secret, parameters: ["planes": planes])
            let sealed = try QKDHybridCipher(planes: setting, parallel: index % 2 == 0).encrypt(plain, key: key)
            let expected = QKDHybridReference.encrypt(plain, secret: secret, m: m)
            #expect(Self.firstDifference(sealed.values, expected) == nil, "\(shape.rows)×\(shape.columns)×\(samples), n = \(bitsStored), \(planes)")
            #expect(try QKDHybridCipher(planes: setting).decrypt(sealed, key: key) == plain)
        }
    }
}
