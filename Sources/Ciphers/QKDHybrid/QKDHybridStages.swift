/// The stages of `qkd-hybrid` on one plane of m-bit values held in a UInt16 scratch buffer, in place where the
/// stage allows it. Every function here is O(pixels), allocation-free, and has its exact inverse next to it.
/// Arithmetic is in UInt32 with wrap-around and a final `& mask`, which is arithmetic mod 2^m.
enum QKDHybridStages {
    // MARK: Bit-plane scrambling (spec stage 2) and pixel/value shuffling, rotation, flipping (spec stage 3)
    //
    // Scrambling: y bit k at (r, c) = x bit k at (R_k[r], C_k[c]). Computed as transpose, per-bit row gather with
    // the C_k, transpose back, per-bit row gather with the R_k: every inner loop then runs along contiguous rows
    // (vectorisable) instead of gathering single bits across the plane; the result is the same value for value.
    // Shuffling: w1[r, (c + s[r]) mod C] = S[y[r, c]]; w2[(r + t[c]) mod R, c] = w1[r, c];
    // z[dihedral(r, (c + u[r]) mod C)] = w2[r, c]. Neighbouring stages share passes: the extraction rides on the
    // first transpose, S and the first shear on the last row gather, and the column shear on the dihedral pass.
    // Decryption runs the same passes backwards with the inverse permutations and S^−1.

    /// Encryption, spec stages 2 and 3: the top m bits of `values` (v >> low) → z in `result`. `output`,
    /// `temporary` (planes of rows × `keys.shearPitch`; w1 ends in `output`) and `row` (max(rows, columns) values)
    /// are scratch.
    static func scrambleAndShuffle(
        values: UnsafeBufferPointer<UInt32>, low: UInt32, keys: borrowing QKDHybridPlaneKeys,
        valueShuffle: UnsafeBufferPointer<UInt16>, into result: UnsafeMutableBufferPointer<UInt16>,
        output: UnsafeMutableBufferPointer<UInt16>, temporary: UnsafeMutableBufferPointer<UInt16>,
        row: UnsafeMutablePointer<UInt16>
    ) {
        let rows = keys.rows, columns = keys.columns, m = keys.m, pitch = keys.shearPitch
        transposeExtracting(values, low: low, mask: UInt32((1 << m) - 1), rows: rows, columns: columns, into: temporary)
        keys.columnPermutations.withUnsafeBufferPointer { columnPermutations in
            for r in 0..<columns {
                gatherBitRow(UnsafeBufferPointer(temporary), row: r, rows: columns, length: rows, m: m,
                             permutations: columnPermutations, into: output.baseAddress! + r * rows)
            }
        }
        transpose(UnsafeBufferPointer(output), rows: columns, columns: rows, into: temporary)
        // w1 into `output`: per row, gather the bits (into `row`), then S and the first shear.
        keys.rowPermutations.withUnsafeBufferPointer { rowPermutations in
            keys.shiftRowsFirst.withUnsafeBufferPointer { s in
                for r in 0..<rows {
                    gatherBitRow(UnsafeBufferPointer(temporary), row: r, rows: rows, length: columns, m: m,
                                 permutations: rowPermutations, into: row)
                    let base = r * pitch, shift = Int(s[r])
                    for c in 0..<(columns - shift) { output[base + c + shift] = valueShuffle[Int(row[c])] }
                    for c in (columns - shift)..<columns { output[base + c + shift - columns] = valueShuffle[Int(row[c])] }
                }
            }
        }
        shearColumnsAndTurn(UnsafeBufferPointer(output), keys: keys, temporary: temporary, into: result)
    }

    /// Decryption, the inverse of `scrambleAndShuffle` (`keys` holds the inverse permutations, `valueShuffle` is
    /// S^−1): z in `input` (overwritten) → the top m bits of `values`. `other`, `temporary` and `row` are scratch.
    static func unshuffleAndUnscramble(
        _ input: UnsafeMutableBufferPointer<UInt16>, keys: borrowing QKDHybridPlaneKeys,
        valueShuffle: UnsafeBufferPointer<UInt16>, other: UnsafeMutableBufferPointer<UInt16>,
        temporary: UnsafeMutableBufferPointer<UInt16>,
        row: UnsafeMutablePointer<UInt16>, into values: UnsafeMutableBufferPointer<UInt32>, low: UInt32
    ) {
        let rows = keys.rows, columns = keys.columns, m = keys.m
        // w1 into `temporary`.
        unturnAndUnshearColumns(UnsafeBufferPointer(input), keys: keys, scratch: other, into: temporary)
        // y^T into `input`: S^−1 and the first shear undone on the way through the transpose.
        let pitch = keys.shearPitch
        keys.shiftRowsFirst.withUnsafeBufferPointer { s in
            let tile = 32
            var r0 = 0
            while r0 < rows {
                let r1 = min(r0 + tile, rows)
                var c0 = 0
                while c0 < columns {
                    let c1 = min(c0 + tile, columns)
                    for r in r0..<r1 {
                        let base = r * pitch, shift = Int(s[r])
                        for c in c0..<c1 {
                            var source = c &+ shift
                            if source >= columns { source &-= columns }
                            input[c &* rows &+ r] = valueShuffle[Int(temporary[base &+ source])]
                        }
                    }
                    c0 = c1
                }
                r0 = r1
            }
        }
        keys.columnPermutations.withUnsafeBufferPointer { columnPermutations in
            for r in 0..<columns {
                gatherBitRow(UnsafeBufferPointer(input), row: r, rows: columns, length: rows, m: m,
                             permutations: columnPermutations, into: temporary.baseAddress! + r * rows)
            }
        }
        transpose(UnsafeBufferPointer(temporary), rows: columns, columns: rows, into: input)
        let lowMask = (UInt32(1) << low) &- 1
        keys.rowPermutations.withUnsafeBufferPointer { rowPermutations in
            for r in 0..<rows {
                gatherBitRow(UnsafeBufferPointer(input), row: r, rows: rows, length: columns, m: m,
                             permutations: rowPermutations, into: row)
                let stored = values.baseAddress! + r * columns
                for c in 0..<columns { stored[c] = (stored[c] & lowMask) | (UInt32(row[c]) << low) }
            }
        }
    }

    /// destination[c] = Σ_k (input[P_k[r], c] & 2^k) for c < length, in a rows × length layout.
    @inline(__always)
    static func gatherBitRow(
        _ input: UnsafeBufferPointer<UInt16>, row r: Int, rows: Int, length: Int, m: Int,
        permutations: UnsafeBufferPointer<Int32>, into destination: UnsafeMutablePointer<UInt16>
    ) {
        guard let source = input.baseAddress else { return }
        let first = source + Int(permutations[r]) * length
        for c in 0..<length { destination[c] = first[c] & 1 }
        for k in 1..<max(m, 1) {
            let bit = UInt16(truncatingIfNeeded: 1 << k)
            let other = source + Int(permutations[k * rows + r]) * length
            for c in 0..<length { destination[c] |= other[c] & bit }
        }
    }

    /// Width of the column strips of the shear passes: the strip's rows being read (one 64-byte line each for
    /// UInt16 values) stay in cache, and each write run is this many consecutive values.
    static let shearStrip = 32

    /// Row pitch (in values) of w1 and w2, the planes that the column shear reads or writes down the columns: a
    /// strip touches one line in each of its rows, and with a row length of a power of two those lines all fall
    /// into a few sets of the caches (a 4096-value row is 8 KB: the whole strip competes for 8 of the L2's 1,024
    /// sets and misses on nearly every read). Two extra lines per row spread them over all sets. Small planes
    /// stay dense; their strips fit in L1 either way.
    static func shearPitch(rows: Int, columns: Int) -> Int { rows >= 128 ? columns &+ 64 : columns }

    /// Runs `body(r, c0, width, offsets)` for each strip of `shearStrip` columns and each row r in turn; `offsets[j]`
    /// is the plane index of row (r + direction · t[c0 + j]) mod R, column c0 + j — the row a column shear by
    /// t reads (direction −1) or writes back (+1). The offsets move down one row per call (one add and one
    /// wrap test per column), instead of a modulo and a multiplication per value. `Offset` is Int32 wherever the
    /// plane allows it (`fitsInt32Offsets`): the offsets' update then vectorises (x86-64's baseline has no 64-bit
    /// vector compare), which took the column shear from 0.65 to 0.44 ns/px at 512 × 512.
    @inline(__always)
    static func forEachShearedRow<Offset: FixedWidthInteger & SignedInteger>(
        rows: Int, columns: Int, pitch: Int, shifts t: UnsafeBufferPointer<Int32>, direction: Int, strip: Int = shearStrip,
        offset _: Offset.Type, _ body: (_ r: Int, _ c0: Int, _ width: Int, _ offsets: UnsafeMutablePointer<Offset>) -> Void
    ) {
        let total = Offset(truncatingIfNeeded: rows &* pitch), step = Offset(truncatingIfNeeded: pitch)
        withUnsafeTemporaryAllocation(of: Offset.self, capacity: strip) { buffer in
            guard let offsets = buffer.baseAddress else { return }
            var c0 = 0
            while c0 < columns {
                let width = min(strip, columns &- c0)
                for j in 0..<width {
                    var row = direction &* Int(t[c0 &+ j])
                    if row < 0 { row &+= rows }
                    offsets[j] = Offset(truncatingIfNeeded: row &* pitch &+ c0 &+ j)
                }
                for r in 0..<rows {
                    body(r, c0, width, offsets)
                    for j in 0..<width {
                        var next = offsets[j] &+ step
                        if next >= total { next &-= total }
                        offsets[j] = next
                    }
                }
                c0 &+= width
            }
        }
    }

    /// Whether the strips' offsets into a plane of rows × `pitch` values fit an Int32, including the one-row step
    /// past the end before a wrap (all but planes of about 2^31 values and more).
    static func fitsInt32Offsets(rows: Int, pitch: Int) -> Bool {
        let (extent, overflow) = (rows &+ 1).multipliedReportingOverflow(by: pitch)
        return !overflow && extent <= Int(Int32.max)
    }

    /// Columns per strip for w1 and w2 of element type `Word`: one 64-byte line of each row (32 UInt16, 64 UInt8).
    @inline(__always)
    static func shearStrip<Word>(of _: Word.Type) -> Int { shearStrip &* 2 / MemoryLayout<Word>.stride }

    /// Column shear then (row shear + dihedral map): z[dihedral(r, (c + u[r]) mod C)] = w1[(r − t[c]) mod R, c].
    /// `input`, `temporary` and `output` are three different planes; `input` (w1) and `temporary` (w2) have the
    /// row pitch `keys.shearPitch`, `output` (z) is dense. w1 and w2 are bytes on the direct path (m ≤ 8), so that
    /// a strip's line in each row holds 64 columns: at 4096 rows the strips' reads and writes miss the caches, and
    /// byte planes halve the lines they move.
    static func shearColumnsAndTurn<Word: FixedWidthInteger & UnsignedInteger>(
        _ input: UnsafeBufferPointer<Word>, keys: borrowing QKDHybridPlaneKeys,
        temporary: UnsafeMutableBufferPointer<Word>, into output: UnsafeMutableBufferPointer<UInt16>
    ) {
        if fitsInt32Offsets(rows: keys.rows, pitch: keys.shearPitch) {
            shearColumnsAndTurn(input, keys: keys, temporary: temporary, into: output, offset: Int32.self)
        } else {
            shearColumnsAndTurn(input, keys: keys, temporary: temporary, into: output, offset: Int.self)
        }
    }

    static func shearColumnsAndTurn<Word: FixedWidthInteger & UnsignedInteger, Offset: FixedWidthInteger & SignedInteger>(
        _ input: UnsafeBufferPointer<Word>, keys: borrowing QKDHybridPlaneKeys,
        temporary: UnsafeMutableBufferPointer<Word>, into output: UnsafeMutableBufferPointer<UInt16>, offset: Offset.Type
    ) {
        let strip = shearStrip(of: Word.self)
        let rows = keys.rows, columns = keys.columns, pitch = keys.shearPitch
        let base = keys.dihedralBase, rowStep = keys.dihedralRowStep, columnStep = keys.dihedralColumnStep
        keys.shiftColumns.withUnsafeBufferPointer { t in
            keys.shiftRowsSecond.withUnsafeBufferPointer { u in
                if columnStep == 1 || columnStep == -1 {
                    // Rows of z are rows of w2; within a strip the row shear by u[r] wraps at most once, so the
                    // strip's values go to two runs of consecutive positions.
                    forEachShearedRow(rows: rows, columns: columns, pitch: pitch, shifts: t, direction: -1, strip: strip, offset: offset) { r, c0, width, offsets in
                        let shift = Int(u[r])
                        let split = min(width, max(0, columns &- shift &- c0))
                        let first = base &+ rowStep &* r &+ columnStep &* (c0 &+ shift)
                        let second = first &- columnStep &* columns
                        for j in 0..<split { output[first &+ columnStep &* j] = UInt16(truncatingIfNeeded: input[Int(offsets[j])]) }
                        for j in split..<width { output[second &+ columnStep &* j] = UInt16(truncatingIfNeeded: input[Int(offsets[j])]) }
                    }
                } else {
                    // Transposed: w2 first (strips, as above), then bands of 32 rows column by column, so that
                    // each write run is 32 consecutive values of z and the 32 rows being read stay in L1.
                    forEachShearedRow(rows: rows, columns: columns, pitch: pitch, shifts: t, direction: -1, strip: strip, offset: offset) { r, c0, width, offsets in
                        let row = r &* pitch &+ c0
                        for j in 0..<width { temporary[row &+ j] = input[Int(offsets[j])] }
                    }
                    var r0 = 0
                    while r0 < rows {
                        let r1 = min(r0 &+ 32, rows)
                        for c2 in 0..<columns {
                            let destination = base &+ columnStep &* c2
                            for r in r0..<r1 {
                                var c = c2 &- Int(u[r])
                                if c < 0 { c &+= columns }
                                output[destination &+ rowStep &* r] = UInt16(truncatingIfNeeded: temporary[r &* pitch &+ c])
                            }
                        }
                        r0 = r1
                    }
                }
            }
        }
    }

    /// Inverse of `shearColumnsAndTurn`: w1 into `output` from z in `input`; three different planes, `scratch` (w2)
    /// and `output` at the row pitch `keys.shearPitch`.
    static func unturnAndUnshearColumns<Word: FixedWidthInteger & UnsignedInteger>(
        _ input: UnsafeBufferPointer<UInt16>, keys: borrowing QKDHybridPlaneKeys,
        scratch: UnsafeMutableBufferPointer<Word>, into output: UnsafeMutableBufferPointer<Word>
    ) {
        if fitsInt32Offsets(rows: keys.rows, pitch: keys.shearPitch) {
            unturnAndUnshearColumns(input, keys: keys, scratch: scratch, into: output, offset: Int32.self)
        } else {
            unturnAndUnshearColumns(input, keys: keys, scratch: scratch, into: output, offset: Int.self)
        }
    }

    static func unturnAndUnshearColumns<Word: FixedWidthInteger & UnsignedInteger, Offset: FixedWidthInteger & SignedInteger>(
        _ input: UnsafeBufferPointer<UInt16>, keys: borrowing QKDHybridPlaneKeys,
        scratch: UnsafeMutableBufferPointer<Word>, into output: UnsafeMutableBufferPointer<Word>, offset: Offset.Type
    ) {
        let strip = shearStrip(of: Word.self)
        let rows = keys.rows, columns = keys.columns, pitch = keys.shearPitch
        let base = keys.dihedralBase, rowStep = keys.dihedralRowStep, columnStep = keys.dihedralColumnStep
        keys.shiftColumns.withUnsafeBufferPointer { t in
            keys.shiftRowsSecond.withUnsafeBufferPointer { u in
                if columnStep == 1 || columnStep == -1 {
                    forEachShearedRow(rows: rows, columns: columns, pitch: pitch, shifts: t, direction: -1, strip: strip, offset: offset) { r, c0, width, offsets in
                        let shift = Int(u[r])
                        let split = min(width, max(0, columns &- shift &- c0))
                        let first = base &+ rowStep &* r &+ columnStep &* (c0 &+ shift)
                        let second = first &- columnStep &* columns
                        for j in 0..<split { output[Int(offsets[j])] = Word(truncatingIfNeeded: input[first &+ columnStep &* j]) }
                        for j in split..<width { output[Int(offsets[j])] = Word(truncatingIfNeeded: input[second &+ columnStep &* j]) }
                    }
                } else {
                    // w2 into `scratch` (bands of 32 rows, column by column), then the column shear into `output`.
                    var r0 = 0
                    while r0 < rows {
                        let r1 = min(r0 &+ 32, rows)
                        for c2 in 0..<columns {
                            let source = base &+ columnStep &* c2
                            for r in r0..<r1 {
                                var c = c2 &- Int(u[r])
                                if c < 0 { c &+= columns }
                                scratch[r &* pitch &+ c] = Word(truncatingIfNeeded: input[source &+ rowStep &* r])
                            }
                        }
                        r0 = r1
                    }
                    forEachShearedRow(rows: rows, columns: columns, pitch: pitch, shifts: t, direction: 1, strip: strip, offset: offset) { r, c0, width, offsets in
                        let row = r &* pitch &+ c0
                        for j in 0..<width { output[row &+ j] = scratch[Int(offsets[j])] }
                    }
                }
            }
        }
    }

    /// output (columns × rows) = transpose of the top bits ((v >> low) & mask) of input (rows × columns).
    static func transposeExtracting(
        _ input: UnsafeBufferPointer<UInt32>, low: UInt32, mask: UInt32, rows: Int, columns: Int,
        into output: UnsafeMutableBufferPointer<UInt16>
    ) {
        let tile = 32
        var r0 = 0
        while r0 < rows {
            let r1 = min(r0 + tile, rows)
            var c0 = 0
            while c0 < columns {
                let c1 = min(c0 + tile, columns)
                for r in r0..<r1 {
                    for c in c0..<c1 {
                        output[c &* rows &+ r] = UInt16(truncatingIfNeeded: (input[r &* columns &+ c] &>> low) & mask)
                    }
                }
                c0 = c1
            }
            r0 = r1
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
                    for c in c0..<c1 { output[c &* rows &+ r] = input[r &* columns &+ c] }
                }
                c0 = c1
            }
            r0 = r1
        }
    }

    // MARK: Diffusion 1 — chained affine transform with a non-linear function

    /// g(x) = rot_m(y · (2y + 1) mod 2^m, ⌈m/2⌉) with y = x ⊕ key, rot_m a left rotation within m bits.
    /// Non-linear over Z/2^m and a bijection (2y² + y is a permutation polynomial), so that two different
    /// c_{t−1} always give different c_t and a difference never dies out along the chain.
    /// Computed in 16-bit lanes: every operation is mod 2^16, hence right mod 2^m after the caller's mask (bits
    /// above m may be set). Shift amounts are below 16, so the masking shifts are the plain ones.
    @inline(__always)
    static func nonlinear(_ x: UInt16, key: UInt16, shift: UInt16, back: UInt16, mask: UInt16) -> UInt16 {
        let y = x ^ key
        let q = (y &* (y &+ y &+ 1)) & mask
        return (q &<< shift) | (q &>> back)
    }

    /// The chain's serial step is latency-bound, so for m ≤ `tableLimit` g is read from a table (one L1 load)
    /// instead of computed (a multiply, shifts and masks in a row).
    static let tableLimit = 12
    /// Two chain steps per table read for m ≤ `pairLimit`: tables indexed by (p_t, p_{t+1}, c_{t−1}) give c_t and
    /// c_{t+1} (2^{3m} entries each), which halves the serial path. Built only when the plane is large enough to
    /// pay for them.
    static let pairLimit = 4
    static let pairMinimumCount = 1 << 14
    /// Bytes of one pair table: 2^{3 · pairLimit}, whatever m, so that the second table sits at a constant
    /// distance from the first.
    static let pairTableBytes = 1 << (3 * pairLimit)

    /// Scratch for the chain tables of one direction: g doubled, then (for small m) the two pair tables.
    static func chainScratchCount(m: Int) -> Int {
        m <= pairLimit ? (2 << m) + pairTableBytes : (m <= tableLimit ? 2 << m : 0)
    }

    /// One direction of the encryption chain over ascending or descending positions, one step at a time:
    /// c_t = a · z_t + k_t + g(c_{prev}), `z` replaced by c in place. For the planes that take no pair tables.
    @inline(__always)
    static func chainEncrypt(
        _ v: UnsafeMutablePointer<UInt16>, count n: Int, keyWords: UnsafePointer<UInt16>, multiplier: UInt32,
        functionKey: UInt32, start: UInt32, m: Int, descending: Bool, scratch: UnsafeMutablePointer<UInt16>
    ) {
        guard n > 0 else { return }
        let mask16 = UInt16(truncatingIfNeeded: (1 << m) - 1), key16 = UInt16(truncatingIfNeeded: functionKey)
        let shift = UInt16((m + 1) / 2), back = UInt16(m) - shift
        let a16 = UInt16(truncatingIfNeeded: multiplier)
        let step = descending ? -1 : 1
        var t = descending ? n - 1 : 0
        if m > tableLimit {
            var previous = UInt16(truncatingIfNeeded: start)
            for _ in 0..<n {
                let c = (a16 &* v[t] &+ keyWords[t] &+ nonlinear(previous, key: key16, shift: shift, back: back, mask: mask16)) & mask16
                v[t] = c
                previous = c
                t &+= step
            }
            return
        }
        buildChainTables(functionKey: functionKey, m: m, pairs: false, into: scratch)
        var c = Int(start)
        for _ in 0..<n {
            let p = Int((a16 &* v[t] &+ keyWords[t]) & mask16)
            c = p &+ Int(scratch[c])
            v[t] = UInt16(truncatingIfNeeded: c) & mask16
            t &+= step
        }
    }

    /// Fills `scratch` with g doubled (table[x] = g(x mod 2^m) for x < 2^(m+1), so that the sum of two m-bit values
    /// indexes it unmasked) and, when `pairs` (m ≤ `pairLimit`), the two pair tables after it as bytes: at
    /// i = (p1 << 2m) | (p0 << m) | c, first[i] = F(p0, c) and second[i] = F(p1, F(p0, c)) with
    /// F(p, c) = (p + g(c)) mod 2^m; `second` starts `pairTableBytes` after `first`. Needs m ≤ `tableLimit`.
    static func buildChainTables(functionKey: UInt32, m: Int, pairs: Bool, into scratch: UnsafeMutablePointer<UInt16>) {
        let mask16 = UInt16(truncatingIfNeeded: (1 << m) - 1), key16 = UInt16(truncatingIfNeeded: functionKey)
        let shift = UInt16((m + 1) / 2), back = UInt16(m) - shift
        let size = 1 << m
        let table = scratch
        for x in 0..<size {
            let g = nonlinear(UInt16(truncatingIfNeeded: x), key: key16, shift: shift, back: back, mask: mask16) & mask16
            table[x] = g
            table[x + size] = g
        }
        guard pairs else { return }
        // Byte tables in the UInt16 scratch: written and read through raw pointers.
        let first = UnsafeMutableRawPointer(scratch + 2 * size)
        let second = first + pairTableBytes
        let mask = size - 1
        for p1 in 0..<size {
            for p0 in 0..<size {
                let base = (p1 << (2 * m)) | (p0 << m)
                for c0 in 0..<size {
                    let c1 = (p0 + Int(table[c0])) & mask
                    first.storeBytes(of: UInt8(truncatingIfNeeded: c1), toByteOffset: base | c0, as: UInt8.self)
                    second.storeBytes(of: UInt8(truncatingIfNeeded: (p1 + Int(table[c1])) & mask), toByteOffset: base | c0, as: UInt8.self)
                }
            }
        }
    }

    /// The chain's key material of one plane and its tables' scratch, for `affineChainEncrypt(_:count:m:)`.
    struct ChainPlane {
        var values: UnsafeMutablePointer<UInt16>
        /// Forward key words, then backward key words (N each).
        var keyWords: UnsafePointer<UInt16>
        var scratch: UnsafeMutablePointer<UInt16>
        var forward: (multiplier: UInt32, functionKey: UInt32, start: UInt32)
        var backward: (multiplier: UInt32, functionKey: UInt32, start: UInt32)

        init?(_ v: UnsafeMutableBufferPointer<UInt16>, stream: UnsafeBufferPointer<UInt16>, keys: borrowing QKDHybridPlaneKeys,
              scratch: UnsafeMutableBufferPointer<UInt16>) {
            guard let values = v.baseAddress, let words = stream.baseAddress else { return nil }
            self.values = values
            keyWords = words
            // A plane without tables (m above `tableLimit`) has an empty scratch; nothing reads it then.
            self.scratch = scratch.baseAddress ?? values
            forward = (keys.forwardMultiplier, keys.forwardFunctionKey, keys.forwardStart)
            backward = (keys.backwardMultiplier, keys.backwardFunctionKey, keys.backwardStart)
        }
    }

    /// Forward c_t = a·p_t + k_t + g(c_{t−1}) (c_{−1} = start), then backward d_t = a'·c_t + k'_t + g'(d_{t+1})
    /// (d_N = start'). `scratch` holds `chainScratchCount(m:)` values.
    static func affineChainEncrypt(
        _ v: UnsafeMutableBufferPointer<UInt16>, stream: UnsafeBufferPointer<UInt16>,
        keys: borrowing QKDHybridPlaneKeys, scratch: UnsafeMutableBufferPointer<UInt16>
    ) {
        guard let plane = ChainPlane(v, stream: stream, keys: keys, scratch: scratch) else { return }
        affineChainEncrypt([plane], count: v.count, m: keys.m)
    }

    /// `affineChainEncrypt` on several planes of `n` values each (each with its own keys and scratch). With pair
    /// tables the serial steps of up to three planes run interleaved: one plane's chain waits on a table read
    /// every two steps, and the other planes' reads fill that wait.
    static func affineChainEncrypt(_ planes: [ChainPlane], count n: Int, m: Int) {
        guard n > 0 else { return }
        for descending in [false, true] {
            guard m <= pairLimit && n >= pairMinimumCount else {
                for plane in planes {
                    let (multiplier, functionKey, start) = descending ? plane.backward : plane.forward
                    chainEncrypt(plane.values, count: n, keyWords: plane.keyWords + (descending ? n : 0),
                                 multiplier: multiplier, functionKey: functionKey, start: start, m: m,
                                 descending: descending, scratch: plane.scratch)
                }
                continue
            }
            var chains = planes.map { plane in
                let (multiplier, functionKey, start) = descending ? plane.backward : plane.forward
                buildChainTables(functionKey: functionKey, m: m, pairs: true, into: plane.scratch)
                let words = plane.keyWords + (descending ? n : 0)
                preparePairs(plane.values, count: n, keyWords: words, multiplier: multiplier, m: m, descending: descending)
                return PairChain(
                    values: plane.values, table: UnsafePointer(plane.scratch),
                    first: UnsafeRawPointer(plane.scratch + (2 << m)),
                    keyWords: words, multiplier: multiplier, c: Int(start))
            }
            var index = 0
            while index < chains.count {
                let group = min(3, chains.count - index)
                chains.withUnsafeMutableBufferPointer { all in
                    guard let base = all.baseAddress else { return }
                    if descending {
                        runPairs(base + index, group: group, pairs: n / 2, firstSlot: n - 2, slotStep: -2, firstOffset: 1)
                    } else {
                        runPairs(base + index, group: group, pairs: n / 2, firstSlot: 0, slotStep: 2, firstOffset: 0)
                    }
                }
                index += group
            }
            // An odd count leaves the last position of the chain (n − 1 forward, 0 backward) for one single step.
            if n % 2 == 1 {
                let t = descending ? 0 : n - 1
                let mask = (1 << m) - 1
                for chain in chains {
                    let p = Int((chain.multiplier &* UInt32(chain.values[t]) &+ UInt32(chain.keyWords[t])) & UInt32(mask))
                    chain.values[t] = UInt16(truncatingIfNeeded: (p &+ Int(chain.table[chain.c])) & mask)
                }
            }
        }
    }

    /// One plane's running pair chain.
    struct PairChain {
        let values: UnsafeMutablePointer<UInt16>
        let table: UnsafePointer<UInt16>
        /// The first pair table; the second is `pairTableBytes` after it.
        let first: UnsafeRawPointer
        let keyWords: UnsafePointer<UInt16>
        let multiplier: UInt32
        /// The chain value before the next step.
        var c: Int
    }

    /// Vector pre-pass of the pair chains: p = (a · z + k) mod 2^m for every position of the `n / 2` pairs, and the
    /// pair's table index (p_t << m) | (p_{t'} << 2m) (t the pair's first step along the chain, t' its second)
    /// written into its lower position. Ascending the pairs are (2j, 2j + 1), descending (n − 1 − 2j, n − 2 − 2j);
    /// the serial pass overwrites both positions.
    static func preparePairs(
        _ v: UnsafeMutablePointer<UInt16>, count n: Int, keyWords: UnsafePointer<UInt16>, multiplier a: UInt32, m: Int,
        descending: Bool
    ) {
        let start = descending ? n % 2 : 0
        let pairs = n / 2
        let shift = UInt32(m), shift2 = UInt32(2 * m)
        // p in 16-bit lanes first (a native vector multiply), then the pairs as 32-bit words, the lower position
        // in the low half.
        let a16 = UInt16(truncatingIfNeeded: a), mask16 = UInt16(truncatingIfNeeded: (1 << m) - 1)
        let z = v + start, k = keyWords + start
        for t in 0..<(2 &* pairs) { z[t] = (a16 &* z[t] &+ k[t]) & mask16 }
        let raw = UnsafeMutableRawPointer(z)
        if descending {
            for i in 0..<pairs {
                let w = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 &* i, as: UInt32.self))
                raw.storeBytes(of: (((w &>> 16) &<< shift) | ((w & 0xFFFF) &<< shift2)).littleEndian, toByteOffset: 4 &* i, as: UInt32.self)
            }
        } else {
            for i in 0..<pairs {
                let w = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 &* i, as: UInt32.self))
                raw.storeBytes(of: (((w & 0xFFFF) &<< shift) | ((w &>> 16) &<< shift2)).littleEndian, toByteOffset: 4 &* i, as: UInt32.self)
            }
        }
    }

    /// The serial pass over `pairs` pairs of one to three chains at once. The pair at slot b (its lower position,
    /// b = firstSlot + j · slotStep) holds its table index; c_t goes to b + firstOffset, c_{t'} to the other.
    @inline(__always)
    static func runPairs(
        _ chains: UnsafeMutablePointer<PairChain>, group: Int, pairs: Int, firstSlot: Int, slotStep: Int, firstOffset: Int
    ) {
        let secondOffset = 1 - firstOffset
        let distance = pairTableBytes
        @inline(__always) func step(_ v: UnsafeMutablePointer<UInt16>, _ first: UnsafeRawPointer, _ c: inout Int, _ b: Int) {
            let i = Int(v[b]) | c
            let next = first.load(fromByteOffset: i &+ distance, as: UInt8.self)
            v[b &+ firstOffset] = UInt16(first.load(fromByteOffset: i, as: UInt8.self))
            v[b &+ secondOffset] = UInt16(next)
            c = Int(next)
        }
        var b = firstSlot
        switch group {
        case 3:
            let (v0, v1, v2) = (chains[0].values, chains[1].values, chains[2].values)
            let (f0, f1, f2) = (chains[0].first, chains[1].first, chains[2].first)
            var (c0, c1, c2) = (chains[0].c, chains[1].c, chains[2].c)
            for _ in 0..<pairs {
                step(v0, f0, &c0, b)
                step(v1, f1, &c1, b)
                step(v2, f2, &c2, b)
                b &+= slotStep
            }
            (chains[0].c, chains[1].c, chains[2].c) = (c0, c1, c2)
        case 2:
            let (v0, v1) = (chains[0].values, chains[1].values)
            let (f0, f1) = (chains[0].first, chains[1].first)
            var (c0, c1) = (chains[0].c, chains[1].c)
            for _ in 0..<pairs {
                step(v0, f0, &c0, b)
                step(v1, f1, &c1, b)
                b &+= slotStep
            }
            (chains[0].c, chains[1].c) = (c0, c1)
        default:
            let v0 = chains[0].values, f0 = chains[0].first
            var c0 = chains[0].c
            for _ in 0..<pairs {
                step(v0, f0, &c0, b)
                b &+= slotStep
            }
            chains[0].c = c0
        }
    }

    /// Inverse of `affineChainEncrypt`; `keys` holds the inverse multipliers. No serial dependency (every output
    /// depends only on cipher values), so each direction is one vectorisable pass from `v` into `temporary` and back.
    static func affineChainDecrypt(
        _ v: UnsafeMutableBufferPointer<UInt16>, stream: UnsafeBufferPointer<UInt16>,
        keys: borrowing QKDHybridPlaneKeys, temporary: UnsafeMutableBufferPointer<UInt16>
    ) {
        let n = v.count
        guard n > 0, let d = v.baseAddress, let words = stream.baseAddress, let c = temporary.baseAddress else { return }
        let m = keys.m
        let mask = UInt16(truncatingIfNeeded: (1 << m) - 1)
        let shift = UInt16((m + 1) / 2), back = UInt16(m) - shift
        // c_t = A_b^−1 (d_t − k'_t − g'(d_{t+1})), d_N = start'.
        let bInverse = UInt16(truncatingIfNeeded: keys.backwardMultiplier), bk = UInt16(truncatingIfNeeded: keys.backwardFunctionKey)
        let kb = words + n
        for t in 0..<(n - 1) {
            c[t] = (bInverse &* (d[t] &- kb[t] &- nonlinear(d[t + 1], key: bk, shift: shift, back: back, mask: mask))) & mask
        }
        let lastD = UInt16(truncatingIfNeeded: keys.backwardStart)
        c[n - 1] = (bInverse &* (d[n - 1] &- kb[n - 1] &- nonlinear(lastD, key: bk, shift: shift, back: back, mask: mask))) & mask
        // z_t = A_f^−1 (c_t − k_t − g(c_{t−1})), c_{−1} = start.
        let aInverse = UInt16(truncatingIfNeeded: keys.forwardMultiplier), fk = UInt16(truncatingIfNeeded: keys.forwardFunctionKey)
        let firstC = UInt16(truncatingIfNeeded: keys.forwardStart)
        d[0] = (aInverse &* (c[0] &- words[0] &- nonlinear(firstC, key: fk, shift: shift, back: back, mask: mask))) & mask
        for t in 1..<max(n, 1) {
            d[t] = (aInverse &* (c[t] &- words[t] &- nonlinear(c[t - 1], key: fk, shift: shift, back: back, mask: mask))) & mask
        }
    }

    // MARK: Diffusion 2 — block lifting transform (integer DCT-like) with keyed modulation

    /// f(v) = ((3v) mod 2^m) >> 3: the lifting coefficient ≈ 3/8 of the odd-part rotation.
    @inline(__always)
    static func lift(_ v: UInt32, mask: UInt32) -> UInt32 { ((v &* 3) & mask) >> 3 }
    @inline(__always)
    static func lift(_ v: UInt16, mask: UInt16) -> UInt16 { ((v &* 3) & mask) &>> 3 }

    /// Multipliers as 16-bit words: the products they enter keep only their low m ≤ 16 bits.
    @inline(__always)
    static func sixteenBit(_ m: (UInt32, UInt32, UInt32, UInt32)) -> (UInt16, UInt16, UInt16, UInt16) {
        (UInt16(truncatingIfNeeded: m.0), UInt16(truncatingIfNeeded: m.1), UInt16(truncatingIfNeeded: m.2),
         UInt16(truncatingIfNeeded: m.3))
    }

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

    /// The horizontal half: (x0, x1) at columns (2i, 2i+1) → (s, d) with d = x1 − x0, s = x0 + (d >> 1); an odd
    /// last column passes through. The vertical half, the modulation and diffusion 4 + 5 follow in
    /// `columnsSubstituteAndStore`.
    static func waveletRowsEncrypt(_ v: UnsafeMutableBufferPointer<UInt16>, keys: borrowing QKDHybridPlaneKeys) {
        let rows = keys.rows, columns = keys.columns, mask = UInt32((1 << keys.m) - 1)
        for r in 0..<rows {
            let row = r * columns
            for i in 0..<(columns / 2) {
                let p = row + 2 * i
                let x0 = UInt32(v[p]), x1 = UInt32(v[p + 1])
                let d = (x1 &- x0) & mask
                v[p] = UInt16(truncatingIfNeeded: (x0 &+ (d >> 1)) & mask)
                v[p + 1] = UInt16(truncatingIfNeeded: d)
            }
        }
    }

    /// Inverse of `waveletRowsEncrypt`.
    static func waveletRowsDecrypt(_ v: UnsafeMutableBufferPointer<UInt16>, keys: borrowing QKDHybridPlaneKeys) {
        let rows = keys.rows, columns = keys.columns, mask = UInt32((1 << keys.m) - 1)
        for r in 0..<rows {
            let row = r * columns
            for i in 0..<(columns / 2) {
                let p = row + 2 * i
                let s = UInt32(v[p]), d = UInt32(v[p + 1])
                let x0 = (s &- (d >> 1)) & mask
                v[p] = UInt16(truncatingIfNeeded: x0)
                v[p + 1] = UInt16(truncatingIfNeeded: (d &+ x0) & mask)
            }
        }
    }

    /// Diffusion 2 and the horizontal half of diffusion 3 in one pass. Needs an even number of columns: then
    /// every block of four consecutive values holds two whole Haar pairs of one row, and N mod 4 is 0 or 2.
    static func blockAndRowsEncrypt(
        _ v: UnsafeMutableBufferPointer<UInt16>, offsets: UnsafeBufferPointer<UInt16>, keys: borrowing QKDHybridPlaneKeys
    ) {
        precondition(keys.columns % 2 == 0, "the fused block and row pass needs an even number of columns")
        guard let v = v.baseAddress, let o = offsets.baseAddress else { return }
        let n = keys.rows * keys.columns, mask = UInt32((1 << keys.m) - 1)
        // 16-bit arithmetic throughout (exact: every step keeps only the low m ≤ 16 bits), so the vectorised
        // loop works on eight values per register instead of four.
        let (m0, m1, m2, m3) = sixteenBit(keys.blockMultipliers)
        let mask16 = UInt16(truncatingIfNeeded: mask)
        @inline(__always) func haar(_ i: Int, _ y0: UInt16, _ y1: UInt16) {
            let d = (y1 &- y0) & mask16
            v[i] = (y0 &+ (d &>> 1)) & mask16
            v[i + 1] = d
        }
        let blocks = n / 4
        for j in 0..<blocks {
            let i = 4 * j
            var x0 = v[i], x1 = v[i + 1], x2 = v[i + 2], x3 = v[i + 3]
            x3 = (x0 &- x3) & mask16
            x0 = (x0 &- (x3 &>> 1)) & mask16
            x2 = (x1 &- x2) & mask16
            x1 = (x1 &- (x2 &>> 1)) & mask16
            x1 = (x0 &- x1) & mask16
            x0 = (x0 &- (x1 &>> 1)) & mask16
            x2 = (x2 &+ lift(x3, mask: mask16)) & mask16
            x3 = (x3 &- lift(x2, mask: mask16)) & mask16
            haar(i, (x0 &* m0 &+ o[i]) & mask16, (x1 &* m1 &+ o[i + 1]) & mask16)
            haar(i + 2, (x2 &* m2 &+ o[i + 2]) & mask16, (x3 &* m3 &+ o[i + 3]) & mask16)
        }
        if n % 4 == 2 {
            let i = 4 * blocks
            haar(i, (v[i] &* m0 &+ o[i]) & mask16, (v[i + 1] &* m1 &+ o[i + 1]) & mask16)
        }
    }

    /// Inverse of `blockAndRowsEncrypt`; `keys` holds the inverse multipliers.
    static func blockAndRowsDecrypt(
        _ v: UnsafeMutableBufferPointer<UInt16>, offsets: UnsafeBufferPointer<UInt16>, keys: borrowing QKDHybridPlaneKeys
    ) {
        precondition(keys.columns % 2 == 0, "the fused block and row pass needs an even number of columns")
        guard let v = v.baseAddress, let o = offsets.baseAddress else { return }
        let n = keys.rows * keys.columns, mask = UInt32((1 << keys.m) - 1)
        let (m0, m1, m2, m3) = sixteenBit(keys.blockMultipliers)
        let mask16 = UInt16(truncatingIfNeeded: mask)
        @inline(__always) func unhaar(_ i: Int) -> (UInt16, UInt16) {
            let s = v[i], d = v[i + 1]
            let y0 = (s &- (d &>> 1)) & mask16
            return (y0, (d &+ y0) & mask16)
        }
        let blocks = n / 4
        for j in 0..<blocks {
            let i = 4 * j
            let (y0, y1) = unhaar(i), (y2, y3) = unhaar(i + 2)
            var x0 = ((y0 &- o[i]) &* m0) & mask16
            var x1 = ((y1 &- o[i + 1]) &* m1) & mask16
            var x2 = ((y2 &- o[i + 2]) &* m2) & mask16
            var x3 = ((y3 &- o[i + 3]) &* m3) & mask16
            x3 = (x3 &+ lift(x2, mask: mask16)) & mask16
            x2 = (x2 &- lift(x3, mask: mask16)) & mask16
            x0 = (x0 &+ (x1 &>> 1)) & mask16
            x1 = (x0 &- x1) & mask16
            x1 = (x1 &+ (x2 &>> 1)) & mask16
            x2 = (x1 &- x2) & mask16
            x0 = (x0 &+ (x3 &>> 1)) & mask16
            x3 = (x0 &- x3) & mask16
            v[i] = x0
            v[i + 1] = x1
            v[i + 2] = x2
            v[i + 3] = x3
        }
        if n % 4 == 2 {
            let i = 4 * blocks
            let (y0, y1) = unhaar(i)
            v[i] = ((y0 &- o[i]) &* m0) & mask16
            v[i + 1] = ((y1 &- o[i + 1]) &* m1) & mask16
        }
    }

    // MARK: Vertical Haar + modulation + diffusion 4 + 5 (Möbius then polynomial, one table) + output

    /// Per-column copies of the four subband pairs (λ_b, ω_b) as 16-bit words, laid out as four rows of `columns`:
    /// top-row multipliers, top-row offsets, bottom-row multipliers, bottom-row offsets (column parity chooses
    /// b's low bit). With them the vertical Haar half and the modulation are one element-wise 16-bit loop that
    /// the compiler vectorises; the 16-bit products are exact because only their low m ≤ 16 bits are kept.
    @inline(__always)
    static func withSubbandColumns(
        _ keys: borrowing QKDHybridPlaneKeys,
        _ body: (_ mt: UnsafePointer<UInt16>, _ ot: UnsafePointer<UInt16>, _ mb: UnsafePointer<UInt16>, _ ob: UnsafePointer<UInt16>) -> Void
    ) {
        let columns = keys.columns
        let (m0, m1, m2, m3) = keys.subbandMultipliers
        let (o0, o1, o2, o3) = keys.subbandOffsets
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: 4 &* columns) { buffer in
            guard let p = buffer.baseAddress else { return }
            for (k, (even, odd)) in [(m0, m1), (o0, o1), (m2, m3), (o2, o3)].enumerated() {
                let row = p + k &* columns
                for c in 0..<columns { row[c] = UInt16(truncatingIfNeeded: c & 1 == 0 ? even : odd) }
            }
            body(p, p + columns, p + 2 &* columns, p + 3 &* columns)
        }
    }

    /// For every pair of rows (2j, 2j + 1), per column: d = x1 − x0, s = x0 + (d >> 1); then v ← λ_b · v + ω_b with
    /// b = 2 · (r & 1) + (c & 1) for every value (an odd last row is only modulated); then v ← T[v]; then the
    /// value is written into the top m bits of its stored value (`low` = n − m bits below are kept). `v` is
    /// overwritten. Per pair of rows, three loops: the Haar half and the modulation (vector), T (one table load
    /// per value, the only scalar part) and the store (vector), instead of one scalar loop doing all of it.
    static func columnsSubstituteAndStore(
        _ input: UnsafeMutableBufferPointer<UInt16>, keys: borrowing QKDHybridPlaneKeys, table: UnsafeBufferPointer<UInt16>,
        into values: UnsafeMutableBufferPointer<UInt32>, low: UInt32
    ) {
        guard let v = input.baseAddress, let t = table.baseAddress, let out = values.baseAddress else { return }
        let rows = keys.rows, columns = keys.columns
        let mask = UInt16(truncatingIfNeeded: (1 << keys.m) - 1)
        let lowMask = (UInt32(1) << low) &- 1
        withSubbandColumns(keys) { mt, ot, mb, ob in
            for j in 0..<(rows / 2) {
                let top = v + 2 &* j &* columns, bottom = top + columns
                for c in 0..<columns {
                    let x0 = top[c], x1 = bottom[c]
                    let d = (x1 &- x0) & mask
                    let s = (x0 &+ (d &>> 1)) & mask
                    top[c] = (s &* mt[c] &+ ot[c]) & mask
                    bottom[c] = (d &* mb[c] &+ ob[c]) & mask
                }
                for i in 0..<(2 &* columns) { top[i] = t[Int(top[i])] }
                let stored = out + 2 &* j &* columns
                for i in 0..<(2 &* columns) { stored[i] = (stored[i] & lowMask) | (UInt32(top[i]) &<< low) }
            }
            if rows % 2 == 1 {
                let row = v + (rows - 1) &* columns, stored = out + (rows - 1) &* columns
                for c in 0..<columns { row[c] = t[Int((row[c] &* mt[c] &+ ot[c]) & mask)] }
                for c in 0..<columns { stored[c] = (stored[c] & lowMask) | (UInt32(row[c]) &<< low) }
            }
        }
    }

    /// Inverse of `columnsSubstituteAndStore`: reads the top m bits of each stored value, applies T^−1 (`table`),
    /// undoes the modulation (`keys` holds the inverse multipliers) and the vertical Haar half, into `v`. Per pair
    /// of rows: the loads through T^−1 (scalar), then the rest as one vector loop.
    static func loadSubstituteAndColumnsDecrypt(
        _ values: UnsafeBufferPointer<UInt32>, low: UInt32, table: UnsafeBufferPointer<UInt16>,
        keys: borrowing QKDHybridPlaneKeys, into output: UnsafeMutableBufferPointer<UInt16>
    ) {
        guard let v = output.baseAddress, let t = table.baseAddress, let input = values.baseAddress else { return }
        let rows = keys.rows, columns = keys.columns
        let mask = UInt16(truncatingIfNeeded: (1 << keys.m) - 1), mask32 = UInt32(mask)
        withSubbandColumns(keys) { mt, ot, mb, ob in
            for j in 0..<(rows / 2) {
                let top = v + 2 &* j &* columns, bottom = top + columns
                let stored = input + 2 &* j &* columns
                for i in 0..<(2 &* columns) { top[i] = t[Int((stored[i] &>> low) & mask32)] }
                for c in 0..<columns {
                    let s = ((top[c] &- ot[c]) &* mt[c]) & mask
                    let d = ((bottom[c] &- ob[c]) &* mb[c]) & mask
                    let x0 = (s &- (d &>> 1)) & mask
                    top[c] = x0
                    bottom[c] = (d &+ x0) & mask
                }
            }
            if rows % 2 == 1 {
                let row = v + (rows - 1) &* columns, stored = input + (rows - 1) &* columns
                for c in 0..<columns { row[c] = ((t[Int((stored[c] &>> low) & mask32)] &- ot[c]) &* mt[c]) & mask }
            }
        }
    }
}
