/// Everything `qkd-hybrid` derives from its key: object-wide tables and per-plane parameters
/// (docs/ciphers/qkd-hybrid.md §3–§4 list the exact order of every draw).

/// The labels of the HKDF derivations (`KeySchedule`), part of the format.
enum QKDHybridLabel {
    static let tables = "tables"
    static let chen = "chen"
    static let ikeda = "ikeda"
    static let stream = "stream"
}

/// Odd multiplier inverse mod 2^32 by Newton's iteration (each step doubles the correct low bits: 3 → 48).
@inline(__always)
func oddInverse(_ a: UInt32) -> UInt32 {
    precondition(a & 1 == 1, "only odd numbers are invertible mod 2^m")
    var x = a
    for _ in 0..<4 { x = x &* (2 &- a &* x) }
    return x
}

/// Tables shared by all planes of one object, for m-bit values, in the direction of the run: encryption needs
/// the forward tables, decryption only their inverses.
struct QKDHybridTables: Sendable {
    /// Pixel value shuffling: a keyed bijection on 0 ..< 2^m (its inverse when decrypting).
    let valueShuffle: [UInt16]
    /// Möbius map over GF(2^m) with cycle-walking, then the permutation polynomial: the last two diffusion
    /// steps are point-wise bijections applied one after the other, so they are stored composed (P ∘ M), or its
    /// inverse when decrypting.
    let mobiusThenPolynomial: [UInt16]
    /// The coefficients, kept for the golden tests and the format doc.
    let mobius: (a: UInt32, b: UInt32, c: UInt32, d: UInt32)
    let polynomial: [UInt32]

    init(schedule: KeySchedule, m: Int, inverse: Bool = false) {
        var generator = schedule.generator(QKDHybridLabel.tables, plane: KeySchedule.objectWide)
        let size = 1 << m
        let mask = UInt32(size - 1)

        // 1. Value shuffle: Fisher–Yates over 2^m entries.
        var shuffle = [UInt16](repeating: 0, count: size)
        shuffle.withUnsafeMutableBufferPointer { table in
            for i in 0..<size { table[i] = UInt16(truncatingIfNeeded: i) }
            var i = size - 1
            while i > 0 {
                table.swapAt(i, generator.below(i + 1))
                i -= 1
            }
        }
        valueShuffle = inverse ? Permutations.inverse(ofTable: shuffle) : shuffle

        // 2. Möbius coefficients: draw (a, b, c, d) until c ≠ 0 and ad ≠ bc.
        let field = GaloisField.field(degree: m)
        var a: UInt32, b: UInt32, c: UInt32, d: UInt32
        repeat {
            a = UInt32(truncatingIfNeeded: generator.next()) & mask
            b = UInt32(truncatingIfNeeded: generator.next()) & mask
            c = UInt32(truncatingIfNeeded: generator.next()) & mask
            d = UInt32(truncatingIfNeeded: generator.next()) & mask
        } while c == 0 || field.multiply(a, d) == field.multiply(b, c)
        mobius = (a, b, c, d)

        // 3. Permutation polynomial a0 + a1 x + a2 x² + a3 x³ + a4 x⁴ mod 2^m (Rivest: a1 odd, a3 even,
        //    a2 + a4 even).
        let a0 = UInt32(truncatingIfNeeded: generator.next()) & mask
        let a1 = (UInt32(truncatingIfNeeded: generator.next()) | 1) & mask
        let a2 = UInt32(truncatingIfNeeded: generator.next()) & mask
        let a3 = (UInt32(truncatingIfNeeded: generator.next()) & ~1) & mask
        let a4 = ((UInt32(truncatingIfNeeded: generator.next()) & ~1) | (a2 & 1)) & mask
        polynomial = [a0, a1, a2, a3, a4]

        // M(z) = (a z + b)/(c z + d) = α + e · w^−1 with w = c z + d, α = a c^−1 and e = b + α d (characteristic 2),
        // and e ≠ 0 because ad ≠ bc. The pole z = d/c (w = 0) is sent to α = a/c, the image of ∞, which no finite z
        // reaches otherwise: this is cycle-walking past the point at infinity, and it is what inverse[0] = 0 gives.
        // Multiplications by the constants c and e go through 256-entry tables, the inverse through the field's.
        let alpha = field.multiply(a, field.inverse(c))
        let e = b ^ field.multiply(alpha, d)
        let byC = field.multiplicationTables(by: c), byE = field.multiplicationTables(by: e)
        var composed = [UInt16](repeating: 0, count: size)
        composed.withUnsafeMutableBufferPointer { composed in
            field.inverses.withUnsafeBufferPointer { inverses in
                byC.low.withUnsafeBufferPointer { cLow in
                    byC.high.withUnsafeBufferPointer { cHigh in
                        byE.low.withUnsafeBufferPointer { eLow in
                            byE.high.withUnsafeBufferPointer { eHigh in
                                let lowMask = min(size, 256) - 1
                                for z in 0..<size {
                                    let w = Int(cLow[z & lowMask] ^ cHigh[z >> 8]) ^ Int(d)
                                    let winv = Int(inverses[w])
                                    let image = UInt32(eLow[winv & lowMask] ^ eHigh[winv >> 8]) ^ alpha
                                    let p = a0 &+ image &* (a1 &+ image &* (a2 &+ image &* (a3 &+ image &* a4)))
                                    composed[z] = UInt16(truncatingIfNeeded: p & mask)
                                }
                            }
                        }
                    }
                }
            }
        }
        assert(Permutations.isBijection(composed), "Möbius ∘ polynomial must be a bijection (m = \(m))")
        mobiusThenPolynomial = inverse ? Permutations.inverse(ofTable: composed) : composed
    }
}

/// The parameters of one plane (one component of one frame).
struct QKDHybridPlaneKeys {
    let rows: Int
    let columns: Int
    let m: Int
    /// Bit-plane scrambling: for bit k, row permutation k (Chen) and column permutation k (Ikeda), flattened
    /// (k · rows + r, k · columns + c), gather convention; their inverses for decryption.
    var rowPermutations: [Int32]
    var columnPermutations: [Int32]
    /// The column permutations of each group of four bits interleaved (entry 4 · (g · columns + c) + i is column
    /// permutation 4g + i at c; a group short of four bits repeats its last), for the direct gathers
    /// (m ≤ `QKDHybridStages.directGatherLimit`; empty otherwise): one index pointer instead of four keeps the
    /// gather loop's pointers and masks in registers.
    var columnQuads: [Int32]
    /// Pixel shuffling: three keyed shears (row rotations, column rotations, row rotations).
    var shiftRowsFirst: [Int32]
    var shiftColumns: [Int32]
    var shiftRowsSecond: [Int32]
    /// Row pitch of the two planes the column shear reads or writes down the columns (w1, w2).
    var shearPitch: Int { QKDHybridStages.shearPitch(rows: rows, columns: columns) }
    /// Rotation / flipping: final index = base + rowStep · r + columnStep · c.
    var dihedralBase: Int
    var dihedralRowStep: Int
    var dihedralColumnStep: Int
    /// Chained affine diffusion (forward, backward).
    var forwardMultiplier: UInt32, forwardFunctionKey: UInt32, forwardStart: UInt32
    var backwardMultiplier: UInt32, backwardFunctionKey: UInt32, backwardStart: UInt32
    /// Lifting transform modulation: one odd multiplier per position in the 4-value block.
    var blockMultipliers: (UInt32, UInt32, UInt32, UInt32)
    /// Wavelet modulation: multiplier (odd) and offset per subband LL, LH, HL, HH (index (r & 1) · 2 + (c & 1)).
    var subbandMultipliers: (UInt32, UInt32, UInt32, UInt32)
    var subbandOffsets: (UInt32, UInt32, UInt32, UInt32)

    init(schedule: KeySchedule, formatVersion: Int, plane: UInt32, rows: Int, columns: Int, m: Int, inverse: Bool,
         stream: UnsafeMutableBufferPointer<UInt16>) {
        self.rows = rows
        self.columns = columns
        self.m = m
        let mask = UInt32((1 << m) - 1)

        (rowPermutations, columnPermutations) = Self.chaoticPermutations(
            chenSeed: schedule.bytes(QKDHybridLabel.chen, plane: plane, count: 48),
            ikedaSeed: schedule.bytes(QKDHybridLabel.ikeda, plane: plane, count: 24),
            formatVersion: formatVersion, rows: rows, columns: columns, m: m, inverse: inverse)
        columnQuads = m <= QKDHybridStages.directGatherLimit
            ? Self.interleaveInQuads(columnPermutations, m: m, columns: columns) : []

        var generator = schedule.generator(QKDHybridLabel.stream, plane: plane)
        shiftRowsFirst = (0..<rows).map { _ in Int32(generator.below(columns)) }
        shiftColumns = (0..<columns).map { _ in Int32(generator.below(rows)) }
        shiftRowsSecond = (0..<rows).map { _ in Int32(generator.below(columns)) }

        let dihedral = generator.next() & 7
        let flipRows = dihedral & 1 != 0
        let flipColumns = dihedral & 2 != 0
        if dihedral & 4 != 0 && rows == columns {
            // Transpose, then flips: with the flips this gives the quarter turns.
            dihedralBase = (flipColumns ? (columns - 1) * columns : 0) + (flipRows ? rows - 1 : 0)
            dihedralRowStep = flipRows ? -1 : 1
            dihedralColumnStep = flipColumns ? -columns : columns
        } else {
            dihedralBase = (flipRows ? (rows - 1) * columns : 0) + (flipColumns ? columns - 1 : 0)
            dihedralRowStep = flipRows ? -columns : columns
            dihedralColumnStep = flipColumns ? -1 : 1
        }

        func word() -> UInt32 { UInt32(truncatingIfNeeded: generator.next()) & mask }
        func odd() -> UInt32 { (UInt32(truncatingIfNeeded: generator.next()) | 1) & mask }
        forwardMultiplier = odd(); forwardFunctionKey = word(); forwardStart = word()
        backwardMultiplier = odd(); backwardFunctionKey = word(); backwardStart = word()
        blockMultipliers = (odd(), odd(), odd(), odd())
        subbandMultipliers = (odd(), odd(), odd(), odd())
        subbandOffsets = (word(), word(), word(), word())
        if inverse {
            forwardMultiplier = oddInverse(forwardMultiplier) & mask
            backwardMultiplier = oddInverse(backwardMultiplier) & mask
            blockMultipliers = (oddInverse(blockMultipliers.0) & mask, oddInverse(blockMultipliers.1) & mask,
                                oddInverse(blockMultipliers.2) & mask, oddInverse(blockMultipliers.3) & mask)
            subbandMultipliers = (oddInverse(subbandMultipliers.0) & mask, oddInverse(subbandMultipliers.1) & mask,
                                  oddInverse(subbandMultipliers.2) & mask, oddInverse(subbandMultipliers.3) & mask)
        }
        // Per-pixel key words: forward chain, backward chain, block offsets (N words each, in that order).
        generator.fill(stream)
    }

    /// The m row permutations (Chen) and the m column permutations (Ikeda) of a plane, flattened, or their
    /// inverses. Each Fisher–Yates shuffle of n entries draws n − 1 words; both streams' words come from one loop
    /// (`ChaoticWordPair`), then the shuffles read them.
    static func chaoticPermutations(
        chenSeed: [UInt8], ikedaSeed: [UInt8], formatVersion: Int, rows: Int, columns: Int, m: Int, inverse: Bool
    ) -> (rows: [Int32], columns: [Int32]) {
        let chenCount = m * max(rows - 1, 0), ikedaCount = m * max(columns - 1, 0)
        return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: chenCount + ikedaCount) { words in
            let chen = UnsafeMutableBufferPointer(rebasing: words[0..<chenCount])
            let ikeda = UnsafeMutableBufferPointer(rebasing: words[chenCount...])
            ChaoticWordPair.fill(
                chenSeed: chenSeed, chenTransient: ChenWordStream.transientSteps(formatVersion: formatVersion), chen: chen,
                ikedaSeed: ikedaSeed, ikedaTransient: IkedaWordStream.transientSteps(formatVersion: formatVersion),
                ikeda: ikeda)
            func shuffles(count: Int, words: UnsafeMutableBufferPointer<UInt32>) -> [Int32] {
                var flattened = [Int32]()
                flattened.reserveCapacity(m * count)
                var next = 0
                for _ in 0..<m {
                    let permutation = Permutations.fisherYates(count: count) { bound in
                        defer { next += 1 }
                        return belowChaotic(words[next], bound)
                    }
                    flattened += inverse ? Permutations.inverse(of: permutation) : permutation
                }
                return flattened
            }
            return (shuffles(count: rows, words: chen), shuffles(count: columns, words: ikeda))
        }
    }

    /// See `columnQuads`.
    static func interleaveInQuads(_ permutations: [Int32], m: Int, columns: Int) -> [Int32] {
        let groups = (m + 3) / 4
        var quads = [Int32](repeating: 0, count: groups * 4 * columns)
        for g in 0..<groups {
            for i in 0..<4 {
                let k = min(4 * g + i, m - 1)
                for c in 0..<columns { quads[4 * (g * columns + c) + i] = permutations[k * columns + c] }
            }
        }
        return quads
    }
}
