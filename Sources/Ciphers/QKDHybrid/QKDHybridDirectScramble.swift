/// Bit-plane scrambling (spec stage 2) for small m by direct gathers, without transposes.
///
/// y[r, c] bit k = x[R_k[r], C_k[c]] bit k. For one output row the m source rows R_k[r] are m rows of the plane
/// (a few KB, in L1) and the m column permutations are read in order, so each output value costs m loads from
/// L1 and m index loads. For m ≤ `directGatherLimit` that is cheaper than the two transposes and two per-bit row
/// passes of the general path; above it the general path wins (its per-bit passes are vector loops).
/// The values are the same as the general path's, value for value (`QKDHybridReferenceTests` checks both).
extension QKDHybridStages {
    /// Largest m that takes the direct path.
    static let directGatherLimit = 8

    /// `destination[c] (|)= Σ_k source_k[P_k[c]] & bit_k` for up to four bits k at once; `sources[i]` is the start
    /// of the source row for the i-th bit, `indices[i]` its column permutation, `bits[i]` the bit it contributes.
    /// `accumulate` false overwrites `destination` (the first group of bits).
    @inline(__always)
    static func gatherBits<Source: FixedWidthInteger & UnsignedInteger>(
        count: Int, length: Int, sources: (UnsafePointer<Source>, UnsafePointer<Source>, UnsafePointer<Source>, UnsafePointer<Source>),
        quads q: UnsafePointer<Int32>,
        bits: (Source, Source, Source, Source), accumulate: Bool, into destination: UnsafeMutablePointer<Source>
    ) {
        let (s0, s1, s2, s3) = sources
        let (b0, b1, b2, b3) = bits
        switch count {
        case 4:
            if accumulate {
                for c in 0..<length {
                    destination[c] |= (s0[Int(q[4 &* c &+ 0])] & b0) | (s1[Int(q[4 &* c &+ 1])] & b1) | (s2[Int(q[4 &* c &+ 2])] & b2) | (s3[Int(q[4 &* c &+ 3])] & b3)
                }
            } else {
                for c in 0..<length {
                    destination[c] = (s0[Int(q[4 &* c &+ 0])] & b0) | (s1[Int(q[4 &* c &+ 1])] & b1) | (s2[Int(q[4 &* c &+ 2])] & b2) | (s3[Int(q[4 &* c &+ 3])] & b3)
                }
            }
        case 3:
            if accumulate {
                for c in 0..<length { destination[c] |= (s0[Int(q[4 &* c &+ 0])] & b0) | (s1[Int(q[4 &* c &+ 1])] & b1) | (s2[Int(q[4 &* c &+ 2])] & b2) }
            } else {
                for c in 0..<length { destination[c] = (s0[Int(q[4 &* c &+ 0])] & b0) | (s1[Int(q[4 &* c &+ 1])] & b1) | (s2[Int(q[4 &* c &+ 2])] & b2) }
            }
        case 2:
            if accumulate {
                for c in 0..<length { destination[c] |= (s0[Int(q[4 &* c &+ 0])] & b0) | (s1[Int(q[4 &* c &+ 1])] & b1) }
            } else {
                for c in 0..<length { destination[c] = (s0[Int(q[4 &* c &+ 0])] & b0) | (s1[Int(q[4 &* c &+ 1])] & b1) }
            }
        default:
            if accumulate {
                for c in 0..<length { destination[c] |= s0[Int(q[4 &* c &+ 0])] & b0 }
            } else {
                for c in 0..<length { destination[c] = s0[Int(q[4 &* c &+ 0])] & b0 }
            }
        }
    }

    /// One scrambled row: `destination[c] = Σ_k plane[P_rows[k·rows + r], P_columns[k·columns + c]] & (bit << k)`,
    /// k = 0 … m − 1, in groups of four bits.
    @inline(__always)
    static func gatherScrambledRow<Source: FixedWidthInteger & UnsignedInteger>(
        _ plane: UnsafePointer<Source>, row r: Int, rows: Int, columns: Int, m: Int, lowestBit: Source,
        rowPermutations: UnsafePointer<Int32>, columnQuads: UnsafePointer<Int32>,
        into destination: UnsafeMutablePointer<Source>
    ) {
        var k = 0
        while k < m {
            let count = min(4, m - k)
            @inline(__always) func source(_ i: Int) -> UnsafePointer<Source> {
                plane + Int(rowPermutations[min(k + i, m - 1) &* rows &+ r]) &* columns
            }
            @inline(__always) func bit(_ i: Int) -> Source { i < count ? lowestBit << Source(k + i) : 0 }
            gatherBits(
                count: count, length: columns, sources: (source(0), source(1), source(2), source(3)),
                quads: columnQuads + k &* columns, bits: (bit(0), bit(1), bit(2), bit(3)),
                accumulate: k > 0, into: destination)
            k += 4
        }
    }

    /// Encryption, stages 2 and 3 for m ≤ `directGatherLimit`: scrambled rows gathered straight from the stored
    /// values (bit k + low of the stored value is bit k of x), then S and the first shear into `output` (w1), then
    /// the column shear, second shear and dihedral map into `result`. `temporary` is a plane, `row` holds
    /// `columns` UInt32 values.
    static func scrambleAndShuffleDirect(
        values: UnsafeBufferPointer<UInt32>, low: UInt32, keys: borrowing QKDHybridPlaneKeys,
        valueShuffle: UnsafeBufferPointer<UInt16>, into result: UnsafeMutableBufferPointer<UInt16>,
        output: UnsafeMutableBufferPointer<UInt16>, temporary: UnsafeMutableBufferPointer<UInt16>,
        row: UnsafeMutablePointer<UInt32>
    ) {
        let rows = keys.rows, columns = keys.columns, m = keys.m
        guard let plane = values.baseAddress, let w1 = output.baseAddress, let shuffle = valueShuffle.baseAddress else { return }
        keys.rowPermutations.withUnsafeBufferPointer { rowPermutations in
            keys.columnQuads.withUnsafeBufferPointer { columnQuads in
                keys.shiftRowsFirst.withUnsafeBufferPointer { s in
                    guard let rowPermutations = rowPermutations.baseAddress,
                          let columnQuads = columnQuads.baseAddress else { return }
                    for r in 0..<rows {
                        let base = w1 + r &* columns, shift = Int(s[r])
                        let wrapped = base + shift - columns
                        gatherScrambledRow(
                            plane, row: r, rows: rows, columns: columns, m: m, lowestBit: UInt32(1) << low,
                            rowPermutations: rowPermutations, columnQuads: columnQuads, into: row)
                        for c in 0..<(columns - shift) { base[c &+ shift] = shuffle[Int(row[c] &>> low)] }
                        for c in (columns - shift)..<columns { wrapped[c] = shuffle[Int(row[c] &>> low)] }
                    }
                }
            }
        }
        shearColumnsAndTurn(UnsafeBufferPointer(output), keys: keys, temporary: temporary, into: result)
    }

    /// Decryption, the inverse of `scrambleAndShuffleDirect` (`keys` holds the inverse permutations, `valueShuffle`
    /// is S^−1): z in `input` (overwritten) → the top m bits of `values`. `other` and `temporary` are planes, `row`
    /// holds `columns` values.
    static func unshuffleAndUnscrambleDirect(
        _ input: UnsafeMutableBufferPointer<UInt16>, keys: borrowing QKDHybridPlaneKeys,
        valueShuffle: UnsafeBufferPointer<UInt16>, other: UnsafeMutableBufferPointer<UInt16>,
        temporary: UnsafeMutableBufferPointer<UInt16>, row: UnsafeMutablePointer<UInt16>,
        into values: UnsafeMutableBufferPointer<UInt32>, low: UInt32
    ) {
        let rows = keys.rows, columns = keys.columns, m = keys.m
        // w1 into `temporary`.
        unturnAndUnshearColumns(UnsafeBufferPointer(input), keys: keys, scratch: other, into: temporary)
        guard let y = input.baseAddress, let w1 = temporary.baseAddress, let shuffle = valueShuffle.baseAddress,
              let stored = values.baseAddress else { return }
        // y into `input`: the first shear undone and S^−1, row by row.
        keys.shiftRowsFirst.withUnsafeBufferPointer { s in
            for r in 0..<rows {
                let base = r &* columns, shift = Int(s[r])
                let source = w1 + base + shift, wrapped = source - columns
                let destination = y + base
                for c in 0..<(columns - shift) { destination[c] = shuffle[Int(source[c])] }
                for c in (columns - shift)..<columns { destination[c] = shuffle[Int(wrapped[c])] }
            }
        }
        // x by gathering with the inverse permutations, written into the top m bits of the stored values.
        let lowMask = (UInt32(1) << low) &- 1
        keys.rowPermutations.withUnsafeBufferPointer { rowPermutations in
            keys.columnQuads.withUnsafeBufferPointer { columnQuads in
                guard let rowPermutations = rowPermutations.baseAddress,
                      let columnQuads = columnQuads.baseAddress else { return }
                for r in 0..<rows {
                    gatherScrambledRow(
                        UnsafePointer(y), row: r, rows: rows, columns: columns, m: m, lowestBit: 1,
                        rowPermutations: rowPermutations, columnQuads: columnQuads, into: row)
                    let out = stored + r &* columns
                    for c in 0..<columns { out[c] = (out[c] & lowMask) | (UInt32(row[c]) &<< low) }
                }
            }
        }
    }
}
