/// The stages of `qkd-hybrid` on one plane of m-bit values held in a UInt16 scratch buffer, in place where the
/// stage allows it. Every function here is O(pixels), allocation-free, and has its exact inverse next to it.
/// Arithmetic is in UInt32 with wrap-around and a final `& mask`, which is arithmetic mod 2^m.
enum QKDHybridStages {
    // MARK: Bit-plane scrambling (spec stage 2)

    /// `output` bit k at (r, c) = `input` bit k at (rowPermutation_k[r], columnPermutation_k[c]) for k < m.
    /// Decryption calls it with the inverse permutations. `temporary` is scratch; `input` is left unchanged.
    ///
    /// Computed as: transpose, per-bit row gather with the column permutations, transpose back, per-bit row
    /// gather with the row permutations. Every inner loop then runs along contiguous rows (vectorisable) instead
    /// of gathering single bits across the plane; the result is the same value for value.
    static func scrambleBitPlanes(
        _ input: UnsafeBufferPointer<UInt16>, into output: UnsafeMutableBufferPointer<UInt16>,
        temporary: UnsafeMutableBufferPointer<UInt16>, keys: borrowing QKDHybridPlaneKeys
    ) {
        let rows = keys.rows, columns = keys.columns, m = keys.m
        keys.columnPermutations.withUnsafeBufferPointer { columnPermutations in
            transpose(input, rows: rows, columns: columns, into: temporary)
            gatherBitRows(UnsafeBufferPointer(temporary), rows: columns, length: rows, m: m,
                          permutations: columnPermutations, into: output)
        }
        transpose(UnsafeBufferPointer(output), rows: columns, columns: rows, into: temporary)
        keys.rowPermutations.withUnsafeBufferPointer { rowPermutations in
            gatherBitRows(UnsafeBufferPointer(temporary), rows: rows, length: columns, m: m,
                          permutations: rowPermutations, into: output)
        }
    }

    /// output[r, c] = Σ_k (input[P_k[r], c] & 2^k), for a rows × length layout.
    static func gatherBitRows(
        _ input: UnsafeBufferPointer<UInt16>, rows: Int, length: Int, m: Int,
        permutations: UnsafeBufferPointer<Int32>, into output: UnsafeMutableBufferPointer<UInt16>
    ) {
        guard let source = input.baseAddress, let destinationBase = output.baseAddress else { return }
        for r in 0..<rows {
            let destination = destinationBase + r * length
            let first = source + Int(permutations[r]) * length
            for c in 0..<length { destination[c] = first[c] & 1 }
            for k in 1..<max(m, 1) {
                let bit = UInt16(truncatingIfNeeded: 1 << k)
                let row = source + Int(permutations[k * rows + r]) * length
                for c in 0..<length { destination[c] |= row[c] & bit }
            }
        }
    }

    /// output (columns × rows) = transpose of input (rows × columns), in 32 × 32 tiles for the caches.
    static func transpose(
        _ input: UnsafeBufferPointer<UInt16>, rows: Int, columns: Int, into output: UnsafeMutableBufferPointer<UInt16>
    ) {
        let tile = 32
        var r0 = 0
        while r0 < rows {
            let r1 = min(r0 + tile, rows)
            var c0 = 0
            while c0 < columns {
                let c1 = min(c0 + tile, columns)
                for r in r0..<r1 {
                    for c in c0..<c1 { output[c * rows + r] = input[r * columns + c] }
                }
                c0 = c1
            }
            r0 = r1
        }
    }

    // MARK: Pixel shuffling, value shuffling, rotation / flipping (spec stage 3)

    /// Encryption: `output[position(r, c)] = valueShuffle[input[r · C + c]]`, where position(r, c) is:
    /// c1 = (c + s[r]) mod C, r1 = (r + t[c1]) mod R, c2 = (c1 + u[r1]) mod C, then the dihedral map of (r1, c2).
    /// Done as three passes (row rotation with the value table, column rotation, row rotation with the dihedral
    /// map), each sequential in memory. `temporary` is scratch.
    static func shuffleEncrypt(
        _ input: UnsafeBufferPointer<UInt16>, into output: UnsafeMutableBufferPointer<UInt16>,
        temporary: UnsafeMutableBufferPointer<UInt16>, table: UnsafeBufferPointer<UInt16>,
        keys: borrowing QKDHybridPlaneKeys
    ) {
        let rows = keys.rows, columns = keys.columns
        let base = keys.dihedralBase, rowStep = keys.dihedralRowStep, columnStep = keys.dihedralColumnStep
        keys.shiftRowsFirst.withUnsafeBufferPointer { s in
            // Pass 1: w1[r, (c + s[r]) mod C] = S[y[r, c]] into `output`.
            for r in 0..<rows {
                let row = r * columns, shift = Int(s[r])
                for c in 0..<(columns - shift) { output[row + c + shift] = table[Int(input[row + c])] }
                for c in (columns - shift)..<columns { output[row + c + shift - columns] = table[Int(input[row + c])] }
            }
        }
        keys.shiftColumns.withUnsafeBufferPointer { t in
            // Pass 2: w2[(r + t[c]) mod R, c] = w1[r, c], written as a gather into `temporary`, in strips of 32
            // columns so that the rows being read stay in cache.
            var c0 = 0
            while c0 < columns {
                let c1 = min(c0 + 32, columns)
                for r in 0..<rows {
                    let row = r * columns
                    for c in c0..<c1 {
                        var source = r &- Int(t[c])
                        if source < 0 { source &+= rows }
                        temporary[row + c] = output[source &* columns &+ c]
                    }
                }
                c0 = c1
            }
        }
        keys.shiftRowsSecond.withUnsafeBufferPointer { u in
            // Pass 3: z[dihedral(r, (c + u[r]) mod C)] = w2[r, c].
            for r in 0..<rows {
                let row = r * columns, shift = Int(u[r])
                let rowBase = base &+ rowStep &* r
                for c in 0..<columns {
                    var c2 = c &+ shift
                    if c2 >= columns { c2 &-= columns }
                    output[rowBase &+ columnStep &* c2] = temporary[row + c]
                }
            }
        }
    }

    /// Inverse of `shuffleEncrypt` (`table` is the inverse value table): the three passes in reverse, as gathers.
    static func shuffleDecrypt(
        _ input: UnsafeBufferPointer<UInt16>, into output: UnsafeMutableBufferPointer<UInt16>,
        temporary: UnsafeMutableBufferPointer<UInt16>, table: UnsafeBufferPointer<UInt16>,
        keys: borrowing QKDHybridPlaneKeys
    ) {
        let rows = keys.rows, columns = keys.columns
        let base = keys.dihedralBase, rowStep = keys.dihedralRowStep, columnStep = keys.dihedralColumnStep
        keys.shiftRowsSecond.withUnsafeBufferPointer { u in
            for r in 0..<rows {
                let row = r * columns, shift = Int(u[r])
                let rowBase = base &+ rowStep &* r
                for c in 0..<columns {
                    var c2 = c &+ shift
                    if c2 >= columns { c2 &-= columns }
                    temporary[row + c] = input[rowBase &+ columnStep &* c2]
                }
            }
        }
        keys.shiftColumns.withUnsafeBufferPointer { t in
            var c0 = 0
            while c0 < columns {
                let c1 = min(c0 + 32, columns)
                for r in 0..<rows {
                    let row = r * columns
                    for c in c0..<c1 {
                        var source = r &+ Int(t[c])
                        if source >= rows { source &-= rows }
                        output[row + c] = temporary[source &* columns &+ c]
                    }
                }
                c0 = c1
            }
        }
        keys.shiftRowsFirst.withUnsafeBufferPointer { s in
            for r in 0..<rows {
                let row = r * columns, shift = Int(s[r])
                for c in 0..<(columns - shift) { temporary[row + c] = table[Int(output[row + c + shift])] }
                for c in (columns - shift)..<columns { temporary[row + c] = table[Int(output[row + c + shift - columns])] }
            }
        }
        for i in 0..<output.count { output[i] = temporary[i] }
    }

    // MARK: Diffusion 1 — chained affine transform with a non-linear function

    /// g(x) = rot_m(y · (2y + 1) mod 2^m, ⌈m/2⌉) with y = x ⊕ key, rot_m a left rotation within m bits.
    /// Non-linear over Z/2^m and a bijection (2y² + y is a permutation polynomial), so that two different
    /// c_{t−1} always give different c_t and a difference never dies out along the chain.
    @inline(__always)
    static func nonlinear(_ x: UInt32, key: UInt32, shift: UInt32, back: UInt32, mask: UInt32) -> UInt32 {
        let y = x ^ key
        let q = (y &* (y &+ y &+ 1)) & mask
        return (q << shift) | (q >> back)   // bits above m are cleared by the caller's final mask
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
    /// pairs (2j, 2j+1) per column; an odd last row or column passes through. Then v ← λ_b · v + ω_b with
    /// b = 2 · (r & 1) + (c & 1). (The modulation is done inside the vertical pass, once a row pair is final.)
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
        let (m0, m1, m2, m3) = keys.subbandMultipliers
        let (o0, o1, o2, o3) = keys.subbandOffsets
        @inline(__always) func pair(_ top: Int, _ bottom: Int, _ mt: UInt32, _ ot: UInt32, _ mb: UInt32, _ ob: UInt32) {
            let x0 = UInt32(v[top]), x1 = UInt32(v[bottom])
            let d = (x1 &- x0) & mask
            let s = (x0 &+ (d >> 1)) & mask
            v[top] = UInt16(truncatingIfNeeded: (s &* mt &+ ot) & mask)
            v[bottom] = UInt16(truncatingIfNeeded: (d &* mb &+ ob) & mask)
        }
        for j in 0..<pairRows {
            let top = 2 * j * columns, bottom = top + columns
            var c = 0
            while c + 1 < columns {
                pair(top + c, bottom + c, m0, o0, m2, o2)
                pair(top + c + 1, bottom + c + 1, m1, o1, m3, o3)
                c += 2
            }
            if c < columns { pair(top + c, bottom + c, m0, o0, m2, o2) }
        }
        if rows % 2 == 1 {
            let row = (rows - 1) * columns
            for c in 0..<columns {
                let (mu, omega) = c & 1 == 0 ? (m0, o0) : (m1, o1)
                v[row + c] = UInt16(truncatingIfNeeded: (UInt32(v[row + c]) &* mu &+ omega) & mask)
            }
        }
    }

    /// Inverse of `waveletEncrypt`; `keys` holds the inverse multipliers.
    static func waveletDecrypt(_ v: UnsafeMutableBufferPointer<UInt16>, keys: borrowing QKDHybridPlaneKeys) {
        let rows = keys.rows, columns = keys.columns, mask = UInt32((1 << keys.m) - 1)
        let pairColumns = columns / 2, pairRows = rows / 2
        let (m0, m1, m2, m3) = keys.subbandMultipliers
        let (o0, o1, o2, o3) = keys.subbandOffsets
        if rows % 2 == 1 {
            let row = (rows - 1) * columns
            for c in 0..<columns {
                let (mu, omega) = c & 1 == 0 ? (m0, o0) : (m1, o1)
                v[row + c] = UInt16(truncatingIfNeeded: ((UInt32(v[row + c]) &- omega) &* mu) & mask)
            }
        }
        @inline(__always) func pair(_ top: Int, _ bottom: Int, _ mt: UInt32, _ ot: UInt32, _ mb: UInt32, _ ob: UInt32) {
            let s = ((UInt32(v[top]) &- ot) &* mt) & mask
            let d = ((UInt32(v[bottom]) &- ob) &* mb) & mask
            let x0 = (s &- (d >> 1)) & mask
            v[top] = UInt16(truncatingIfNeeded: x0)
            v[bottom] = UInt16(truncatingIfNeeded: (d &+ x0) & mask)
        }
        for j in 0..<pairRows {
            let top = 2 * j * columns, bottom = top + columns
            var c = 0
            while c + 1 < columns {
                pair(top + c, bottom + c, m0, o0, m2, o2)
                pair(top + c + 1, bottom + c + 1, m1, o1, m3, o3)
                c += 2
            }
            if c < columns { pair(top + c, bottom + c, m0, o0, m2, o2) }
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
