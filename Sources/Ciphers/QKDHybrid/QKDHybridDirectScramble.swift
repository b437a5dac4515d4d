/// Bit-plane scrambling (spec stage 2) for small m by direct gathers, without transposes.
///
/// y[r, c] bit k = x[R_k[r], C_k[c]] bit k. Both directions first lay the plane being gathered from out as bytes
/// (x extracted from the stored values to encrypt, y written by the S^−1 pass to decrypt), so that the m source
/// rows of one output row are m · columns bytes and stay in L1 together even for 4096-value rows; the m column
/// permutations are read in order, so each output value costs m loads from L1 and m index loads. For m ≤
/// `directGatherLimit` that is cheaper than the two transposes and two per-bit row passes of the general path;
/// above it the general path wins (its per-bit passes are vector loops). The values are the same as the general
/// path's, value for value (`QKDHybridReferenceTests` checks both).
extension QKDHybridStages {
    /// Largest m that takes the direct path (a value of x fits in a byte).
    static let directGatherLimit = 8

    /// `destination[c] (|)= Σ_k source_k[P_k[c]] & bit_k` for up to four bits k at once; `sources[i]` is the start
    /// of the source row for the i-th bit, `indices[i]` its column permutation, `bits[i]` the bit it contributes.
    /// `accumulate` false overwrites `destination` (the first group of bits).
    @inline(__always)
    static func gatherBits(
        count: Int, length: Int, sources: (UnsafePointer<UInt8>, UnsafePointer<UInt8>, UnsafePointer<UInt8>, UnsafePointer<UInt8>),
        quads q: UnsafePointer<Int32>,
        bits: (UInt8, UInt8, UInt8, UInt8), accumulate: Bool, into destination: UnsafeMutablePointer<UInt8>
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

    /// Scrambled rows of a byte plane, one at a time: for r = 0 … rows − 1, `gathered[c] = Σ_k plane[P_rows[k·rows
    /// + r], P_columns[k·columns + c]] & (1 << k)`, k = 0 … m − 1 in groups of four bits, then `body(r)`.
    @inline(__always)
    static func forEachScrambledRow(
        _ plane: UnsafePointer<UInt8>, keys: borrowing QKDHybridPlaneKeys, into gathered: UnsafeMutablePointer<UInt8>,
        _ body: (_ r: Int) -> Void
    ) {
        let rows = keys.rows, columns = keys.columns, m = keys.m
        keys.rowPermutations.withUnsafeBufferPointer { rowPermutations in
            keys.columnQuads.withUnsafeBufferPointer { columnQuads in
                guard let rowPermutations = rowPermutations.baseAddress,
                      let columnQuads = columnQuads.baseAddress else { return }
                for r in 0..<rows {
                    var k = 0
                    while k < m {
                        let count = min(4, m - k)
                        @inline(__always) func source(_ i: Int) -> UnsafePointer<UInt8> {
                            plane + Int(rowPermutations[min(k + i, m - 1) &* rows &+ r]) &* columns
                        }
                        @inline(__always) func bit(_ i: Int) -> UInt8 { i < count ? 1 &<< UInt8(k + i) : 0 }
                        gatherBits(
                            count: count, length: columns, sources: (source(0), source(1), source(2), source(3)),
                            quads: columnQuads + k &* columns, bits: (bit(0), bit(1), bit(2), bit(3)),
                            accumulate: k > 0, into: gathered)
                        k += 4
                    }
                    body(r)
                }
            }
        }
    }

    /// Encryption, stages 2 and 3 for m ≤ `directGatherLimit`: x extracted from the stored values into a byte plane,
    /// scrambled rows gathered from it, then S and the first shear into `output` (w1), then the column shear,
    /// second shear and dihedral map into `result`. `output` and `temporary` are planes of rows × `keys.shearPitch`
    /// UInt16; `temporary` holds the byte plane and one gathered byte row until the column shear needs it.
    static func scrambleAndShuffleDirect(
        values: UnsafeBufferPointer<UInt32>, low: UInt32, keys: borrowing QKDHybridPlaneKeys,
        valueShuffle: UnsafeBufferPointer<UInt16>, into result: UnsafeMutableBufferPointer<UInt16>,
        output: UnsafeMutableBufferPointer<UInt16>, temporary: UnsafeMutableBufferPointer<UInt16>
    ) {
        let rows = keys.rows, columns = keys.columns, m = keys.m, pitch = keys.shearPitch, n = rows &* columns
        guard let stored = values.baseAddress, let w1Start = output.baseAddress, let shuffle = valueShuffle.baseAddress,
              let spare = temporary.baseAddress else { return }
        // w1 (and w2) as bytes: values of S fit in m ≤ 8 bits.
        spare.withMemoryRebound(to: UInt8.self, capacity: n &+ columns) { x in
            w1Start.withMemoryRebound(to: UInt8.self, capacity: rows &* pitch) { w1 in
                let mask = UInt32(1) &<< UInt32(m) &- 1
                for i in 0..<n { x[i] = UInt8(truncatingIfNeeded: (stored[i] &>> low) & mask) }
                let gathered = x + n
                keys.shiftRowsFirst.withUnsafeBufferPointer { s in
                    forEachScrambledRow(x, keys: keys, into: gathered) { r in
                        let base = w1 + r &* pitch, shift = Int(s[r])
                        let wrapped = base + shift - columns
                        for c in 0..<(columns - shift) { base[c &+ shift] = UInt8(truncatingIfNeeded: shuffle[Int(gathered[c])]) }
                        for c in (columns - shift)..<columns { wrapped[c] = UInt8(truncatingIfNeeded: shuffle[Int(gathered[c])]) }
                    }
                }
            }
        }
        output.withMemoryRebound(to: UInt8.self) { w1 in
            temporary.withMemoryRebound(to: UInt8.self) { w2 in
                shearColumnsAndTurn(UnsafeBufferPointer(w1), keys: keys, temporary: w2, into: result)
            }
        }
    }

    /// Decryption, the inverse of `scrambleAndShuffleDirect` (`keys` holds the inverse permutations, `valueShuffle`
    /// is S^−1): z in `input` (overwritten; it then holds y as bytes and one gathered byte row) → the top m bits of
    /// `values`. `other` and `temporary` are planes of rows × `keys.shearPitch`.
    static func unshuffleAndUnscrambleDirect(
        _ input: UnsafeMutableBufferPointer<UInt16>, keys: borrowing QKDHybridPlaneKeys,
        valueShuffle: UnsafeBufferPointer<UInt16>, other: UnsafeMutableBufferPointer<UInt16>,
        temporary: UnsafeMutableBufferPointer<UInt16>,
        into values: UnsafeMutableBufferPointer<UInt32>, low: UInt32
    ) {
        let rows = keys.rows, columns = keys.columns, pitch = keys.shearPitch
        // w1 into `temporary`, as bytes (w2 in `other`, also bytes).
        other.withMemoryRebound(to: UInt8.self) { w2 in
            temporary.withMemoryRebound(to: UInt8.self) { w1 in
                unturnAndUnshearColumns(UnsafeBufferPointer(input), keys: keys, scratch: w2, into: w1)
            }
        }
        guard let planeStart = input.baseAddress, let w1Start = temporary.baseAddress, let shuffle = valueShuffle.baseAddress,
              let stored = values.baseAddress else { return }
        // y as a byte plane over `input`'s first half, then one gathered byte row after it.
        let n = rows &* columns
        w1Start.withMemoryRebound(to: UInt8.self, capacity: rows &* pitch) { w1 in
            planeStart.withMemoryRebound(to: UInt8.self, capacity: n &+ columns) { y in
                // y: the first shear undone and S^−1, row by row.
                keys.shiftRowsFirst.withUnsafeBufferPointer { s in
                    for r in 0..<rows {
                        let shift = Int(s[r])
                        let source = w1 + r &* pitch + shift, wrapped = source - columns
                        let destination = y + r &* columns
                        for c in 0..<(columns - shift) { destination[c] = UInt8(truncatingIfNeeded: shuffle[Int(source[c])]) }
                        for c in (columns - shift)..<columns { destination[c] = UInt8(truncatingIfNeeded: shuffle[Int(wrapped[c])]) }
                    }
                }
                // x by gathering with the inverse permutations, written into the top m bits of the stored values.
                let gathered = y + n
                let lowMask = (UInt32(1) << low) &- 1
                forEachScrambledRow(y, keys: keys, into: gathered) { r in
                    let out = stored + r &* columns
                    for c in 0..<columns { out[c] = (out[c] & lowMask) | (UInt32(gathered[c]) &<< low) }
                }
            }
        }
    }
}
