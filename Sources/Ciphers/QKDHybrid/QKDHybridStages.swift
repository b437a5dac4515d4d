/// The stages of `qkd-hybrid` on one plane of m-bit values held in a UInt16 scratch buffer, in place where the
/// stage allows it. Every function here is O(pixels), allocation-free, and has its exact inverse next to it.
/// Arithmetic is in UInt32 with wrap-around and a final `& mask`, which is arithmetic mod 2^m.
enum QKDHybridStages {
    // MARK: Bit-plane scrambling (spec stage 2)

    /// `output` bit k at (r, c) = `input` bit k at (rowPermutation_k[r], columnPermutation_k[c]) for k < m.
    /// Decryption calls it with the inverse permutations.
    static func scrambleBitPlanes(
        _ input: UnsafeBufferPointer<UInt16>, into output: UnsafeMutableBufferPointer<UInt16>,
        keys: borrowing QKDHybridPlaneKeys
    ) {
        let rows = keys.rows, columns = keys.columns
        for i in 0..<output.count { output[i] = 0 }
        keys.rowPermutations.withUnsafeBufferPointer { rowPermutations in
            keys.columnPermutations.withUnsafeBufferPointer { columnPermutations in
                for k in 0..<keys.m {
                    let bit = UInt16(truncatingIfNeeded: 1 << k)
                    let columnPermutation = UnsafeBufferPointer(rebasing: columnPermutations[(k * columns)..<((k + 1) * columns)])
                    for r in 0..<rows {
                        let source = Int(rowPermutations[k * rows + r]) * columns
                        let destination = r * columns
                        for c in 0..<columns {
                            output[destination + c] |= input[source + Int(columnPermutation[c])] & bit
                        }
                    }
                }
            }
        }
    }

    // MARK: Pixel shuffling, value shuffling, rotation / flipping (spec stage 3)

    /// Encryption: `output[position(r, c)] = valueShuffle[input[r · C + c]]`.
    /// Decryption (`gather == true`): `output[r · C + c] = valueShuffleInverse[input[position(r, c)]]`.
    /// position(r, c): c1 = (c + s[r]) mod C, r1 = (r + t[c1]) mod R, c2 = (c1 + u[r1]) mod C, then the dihedral map.
    static func shufflePositionsAndValues(
        _ input: UnsafeBufferPointer<UInt16>, into output: UnsafeMutableBufferPointer<UInt16>,
        table: UnsafeBufferPointer<UInt16>, keys: borrowing QKDHybridPlaneKeys, gather: Bool
    ) {
        let rows = keys.rows, columns = keys.columns
        let base = keys.dihedralBase, rowStep = keys.dihedralRowStep, columnStep = keys.dihedralColumnStep
        keys.shiftRowsFirst.withUnsafeBufferPointer { s in
            keys.shiftColumns.withUnsafeBufferPointer { t in
                keys.shiftRowsSecond.withUnsafeBufferPointer { u in
                    for r in 0..<rows {
                        let sr = Int(s[r])
                        let here = r * columns
                        for c in 0..<columns {
                            var c1 = c &+ sr
                            if c1 >= columns { c1 &-= columns }
                            var r1 = r &+ Int(t[c1])
                            if r1 >= rows { r1 &-= rows }
                            var c2 = c1 &+ Int(u[r1])
                            if c2 >= columns { c2 &-= columns }
                            let there = base &+ rowStep &* r1 &+ columnStep &* c2
                            if gather {
                                output[here &+ c] = table[Int(input[there])]
                            } else {
                                output[there] = table[Int(input[here &+ c])]
                            }
                        }
                    }
                }
            }
        }
    }

    // MARK: Diffusion 1 — chained affine transform with a non-linear function

    /// g(x) = rot_m(y · (2y + 1) mod 2^m, ⌈m/2⌉) with y = x ⊕ key, rot_m a left rotation within m bits.
    /// Non-linear over Z/2^m and a bijection (2y² + y is a permutation polynomial), so that two different
    /// c_{t−1} always give different c_t and a difference never dies out along the chain.
    @inline(__always)
    static func nonlinear(_ x: UInt32, key: UInt32, shift: UInt32, back: UInt32, mask: UInt32) -> UInt32 {
        let y = x ^ key
        let q = (y &* (y &+ y &+ 1)) & mask
        return ((q << shift) | (q >> back)) & mask
    }

    /// Forward c_t = a·p_t + k_t + g(c_{t−1}) (c_{−1} = start), then backward d_t = a'·c_t + k'_t + g'(d_{t+1})
    /// (d_N = start').
    static func affineChainEncrypt(
        _ v: UnsafeMutableBufferPointer<UInt16>, stream: UnsafeBufferPointer<UInt16>,
        keys: borrowing QKDHybridPlaneKeys
    ) {
        let n = v.count, mask = UInt32((1 << keys.m) - 1), shift = UInt32((keys.m + 1) / 2), back = UInt32(keys.m) - shift
        let a = keys.forwardMultiplier, fk = keys.forwardFunctionKey
        var previous = keys.forwardStart
        for t in 0..<n {
            let c = (a &* UInt32(v[t]) &+ UInt32(stream[t]) &+ nonlinear(previous, key: fk, shift: shift, back: back, mask: mask)) & mask
            v[t] = UInt16(truncatingIfNeeded: c)
            previous = c
        }
        let b = keys.backwardMultiplier, bk = keys.backwardFunctionKey
        previous = keys.backwardStart
        var t = n - 1
        while t >= 0 {
            let d = (b &* UInt32(v[t]) &+ UInt32(stream[n + t]) &+ nonlinear(previous, key: bk, shift: shift, back: back, mask: mask)) & mask
            v[t] = UInt16(truncatingIfNeeded: d)
            previous = d
            t -= 1
        }
    }

    /// Inverse of `affineChainEncrypt`; `keys` holds the inverse multipliers. No serial dependency: every output
    /// depends only on cipher values.
    static func affineChainDecrypt(
        _ v: UnsafeMutableBufferPointer<UInt16>, stream: UnsafeBufferPointer<UInt16>,
        keys: borrowing QKDHybridPlaneKeys
    ) {
        let n = v.count, mask = UInt32((1 << keys.m) - 1), shift = UInt32((keys.m + 1) / 2), back = UInt32(keys.m) - shift
        let bInverse = keys.backwardMultiplier, bk = keys.backwardFunctionKey
        // Ascending, so v[t + 1] is still d_{t+1} when c_t is computed.
        for t in 0..<n {
            let next = t + 1 < n ? UInt32(v[t + 1]) : keys.backwardStart
            let d = UInt32(v[t])
            v[t] = UInt16(truncatingIfNeeded: (bInverse &* (d &- UInt32(stream[n + t]) &- nonlinear(next, key: bk, shift: shift, back: back, mask: mask))) & mask)
        }
        let aInverse = keys.forwardMultiplier, fk = keys.forwardFunctionKey
        // Descending, so v[t − 1] is still c_{t−1}.
        var t = n - 1
        while t >= 0 {
            let previous = t > 0 ? UInt32(v[t - 1]) : keys.forwardStart
            let c = UInt32(v[t])
            v[t] = UInt16(truncatingIfNeeded: (aInverse &* (c &- UInt32(stream[t]) &- nonlinear(previous, key: fk, shift: shift, back: back, mask: mask))) & mask)
            t -= 1
        }
    }

    // MARK: Diffusion 2 — block lifting transform (integer DCT-like) with keyed modulation

    /// f(v) = ((3v) mod 2^m) >> 3: the lifting coefficient ≈ 3/8 of the odd-part rotation.
    @inline(__always)
    static func lift(_ v: UInt32, mask: UInt32) -> UInt32 { ((v &* 3) & mask) >> 3 }

    /// Blocks of 4 consecutive values (raster order within the plane): butterflies and a rotation as lifting
    /// steps, then y_j ← μ_j · y_j + ν_t. A last partial block (N mod 4 values) gets the modulation only.
    static func blockTransformEncrypt(
        _ v: UnsafeMutableBufferPointer<UInt16>, offsets: UnsafeBufferPointer<UInt16>,
        keys: borrowing QKDHybridPlaneKeys
    ) {
        let mask = UInt32((1 << keys.m) - 1)
        let (m0, m1, m2, m3) = keys.blockMultipliers
        let blocks = v.count / 4
        for j in 0..<blocks {
            let i = 4 * j
            var x0 = UInt32(v[i]), x1 = UInt32(v[i + 1]), x2 = UInt32(v[i + 2]), x3 = UInt32(v[i + 3])
            x3 = (x0 &- x3) & mask
            x0 = (x0 &- (x3 >> 1)) & mask
            x2 = (x1 &- x2) & mask
            x1 = (x1 &- (x2 >> 1)) & mask
            x1 = (x0 &- x1) & mask
            x0 = (x0 &- (x1 >> 1)) & mask
            x2 = (x2 &+ lift(x3, mask: mask)) & mask
            x3 = (x3 &- lift(x2, mask: mask)) & mask
            v[i] = UInt16(truncatingIfNeeded: (x0 &* m0 &+ UInt32(offsets[i])) & mask)
            v[i + 1] = UInt16(truncatingIfNeeded: (x1 &* m1 &+ UInt32(offsets[i + 1])) & mask)
            v[i + 2] = UInt16(truncatingIfNeeded: (x2 &* m2 &+ UInt32(offsets[i + 2])) & mask)
            v[i + 3] = UInt16(truncatingIfNeeded: (x3 &* m3 &+ UInt32(offsets[i + 3])) & mask)
        }
        let multipliers = [m0, m1, m2]
        for i in (4 * blocks)..<v.count {
            v[i] = UInt16(truncatingIfNeeded: (UInt32(v[i]) &* multipliers[i - 4 * blocks] &+ UInt32(offsets[i])) & mask)
        }
    }

    /// Inverse of `blockTransformEncrypt`; `keys` holds the inverse multipliers.
    static func blockTransformDecrypt(
        _ v: UnsafeMutableBufferPointer<UInt16>, offsets: UnsafeBufferPointer<UInt16>,
        keys: borrowing QKDHybridPlaneKeys
    ) {
        let mask = UInt32((1 << keys.m) - 1)
        let (m0, m1, m2, m3) = keys.blockMultipliers
        let blocks = v.count / 4
        for j in 0..<blocks {
            let i = 4 * j
            var x0 = ((UInt32(v[i]) &- UInt32(offsets[i])) &* m0) & mask
            var x1 = ((UInt32(v[i + 1]) &- UInt32(offsets[i + 1])) &* m1) & mask
            var x2 = ((UInt32(v[i + 2]) &- UInt32(offsets[i + 2])) &* m2) & mask
            var x3 = ((UInt32(v[i + 3]) &- UInt32(offsets[i + 3])) &* m3) & mask
            x3 = (x3 &+ lift(x2, mask: mask)) & mask
            x2 = (x2 &- lift(x3, mask: mask)) & mask
            x0 = (x0 &+ (x1 >> 1)) & mask
            x1 = (x0 &- x1) & mask
            x1 = (x1 &+ (x2 >> 1)) & mask
            x2 = (x1 &- x2) & mask
            x0 = (x0 &+ (x3 >> 1)) & mask
            x3 = (x0 &- x3) & mask
            v[i] = UInt16(truncatingIfNeeded: x0)
            v[i + 1] = UInt16(truncatingIfNeeded: x1)
            v[i + 2] = UInt16(truncatingIfNeeded: x2)
            v[i + 3] = UInt16(truncatingIfNeeded: x3)
        }
        let multipliers = [m0, m1, m2]
        for i in (4 * blocks)..<v.count {
            v[i] = UInt16(truncatingIfNeeded: ((UInt32(v[i]) &- UInt32(offsets[i])) &* multipliers[i - 4 * blocks]) & mask)
        }
    }

    // MARK: Diffusion 3 — one level of 2D integer Haar lifting with keyed per-subband modulation

    /// Rows: (x0, x1) at columns (2i, 2i+1) → (s, d) with d = x1 − x0, s = x0 + (d >> 1); then the same on row
    /// pairs (2j, 2j+1) per column; an odd last row or column passes through. Then v ← μ_b · v + ν_b with
    /// b = (r & 1) · 2 + (c & 1).
    static func waveletEncrypt(_ v: UnsafeMutableBufferPointer<UInt16>, keys: borrowing QKDHybridPlaneKeys) {
        let rows = keys.rows, columns = keys.columns, mask = UInt32((1 << keys.m) - 1)
        let pairColumns = columns / 2, pairRows = rows / 2
        for r in 0..<rows {
            let row = r * columns
            for i in 0..<pairColumns {
                let p = row + 2 * i
                let x0 = UInt32(v[p]), x1 = UInt32(v[p + 1])
                let d = (x1 &- x0) & mask
                v[p] = UInt16(truncatingIfNeeded: (x0 &+ (d >> 1)) & mask)
                v[p + 1] = UInt16(truncatingIfNeeded: d)
            }
        }
        for j in 0..<pairRows {
            let top = 2 * j * columns, bottom = top + columns
            for c in 0..<columns {
                let x0 = UInt32(v[top + c]), x1 = UInt32(v[bottom + c])
                let d = (x1 &- x0) & mask
                v[top + c] = UInt16(truncatingIfNeeded: (x0 &+ (d >> 1)) & mask)
                v[bottom + c] = UInt16(truncatingIfNeeded: d)
            }
        }
        let (m0, m1, m2, m3) = keys.subbandMultipliers
        let (o0, o1, o2, o3) = keys.subbandOffsets
        for r in 0..<rows {
            let row = r * columns
            let (me, mo, oe, oo) = r & 1 == 0 ? (m0, m1, o0, o1) : (m2, m3, o2, o3)
            var c = 0
            while c + 1 < columns {
                v[row + c] = UInt16(truncatingIfNeeded: (UInt32(v[row + c]) &* me &+ oe) & mask)
                v[row + c + 1] = UInt16(truncatingIfNeeded: (UInt32(v[row + c + 1]) &* mo &+ oo) & mask)
                c += 2
            }
            if c < columns { v[row + c] = UInt16(truncatingIfNeeded: (UInt32(v[row + c]) &* me &+ oe) & mask) }
        }
    }

    /// Inverse of `waveletEncrypt`; `keys` holds the inverse multipliers.
    static func waveletDecrypt(_ v: UnsafeMutableBufferPointer<UInt16>, keys: borrowing QKDHybridPlaneKeys) {
        let rows = keys.rows, columns = keys.columns, mask = UInt32((1 << keys.m) - 1)
        let pairColumns = columns / 2, pairRows = rows / 2
        let (m0, m1, m2, m3) = keys.subbandMultipliers
        let (o0, o1, o2, o3) = keys.subbandOffsets
        for r in 0..<rows {
            let row = r * columns
            let (me, mo, oe, oo) = r & 1 == 0 ? (m0, m1, o0, o1) : (m2, m3, o2, o3)
            var c = 0
            while c + 1 < columns {
                v[row + c] = UInt16(truncatingIfNeeded: ((UInt32(v[row + c]) &- oe) &* me) & mask)
                v[row + c + 1] = UInt16(truncatingIfNeeded: ((UInt32(v[row + c + 1]) &- oo) &* mo) & mask)
                c += 2
            }
            if c < columns { v[row + c] = UInt16(truncatingIfNeeded: ((UInt32(v[row + c]) &- oe) &* me) & mask) }
        }
        for j in 0..<pairRows {
            let top = 2 * j * columns, bottom = top + columns
            for c in 0..<columns {
                let s = UInt32(v[top + c]), d = UInt32(v[bottom + c])
                let x0 = (s &- (d >> 1)) & mask
                v[top + c] = UInt16(truncatingIfNeeded: x0)
                v[bottom + c] = UInt16(truncatingIfNeeded: (d &+ x0) & mask)
            }
        }
        for r in 0..<rows {
            let row = r * columns
            for i in 0..<pairColumns {
                let p = row + 2 * i
                let s = UInt32(v[p]), d = UInt32(v[p + 1])
                let x0 = (s &- (d >> 1)) & mask
                v[p] = UInt16(truncatingIfNeeded: x0)
                v[p + 1] = UInt16(truncatingIfNeeded: (d &+ x0) & mask)
            }
        }
    }

    // MARK: Diffusion 4 + 5 — Möbius map over GF(2^m) then permutation polynomial, as one table

    static func substitute(_ v: UnsafeMutableBufferPointer<UInt16>, table: UnsafeBufferPointer<UInt16>) {
        for i in 0..<v.count { v[i] = table[Int(v[i])] }
    }
}
