/// The pixel stages of dcgan-vpd on the stored values (frame, component, row, column order), each with its
/// exact inverse. All are O(values) and allocate only their working arrays.
enum VPDStages {
    // MARK: Bitstream of 3-bit symbols

    /// Bits per chunk: 48 = 16 symbols of 3 bits, held in the low 48 bits of a UInt64, first symbol highest.
    static let chunkBits = 48
    /// 0o1111111111111111: a 3-bit value times this repeats it in all 16 symbol slots.
    static let repeatSymbol: UInt64 = 0x2492_4924_9249

    static func chunkCount(values: Int, bits: Int) -> Int { (values * bits + chunkBits - 1) / chunkBits }

    /// Concatenates the values' n bits (most significant first) into 48-bit chunks; the tail is zero-padded.
    static func pack(_ values: UnsafeBufferPointer<UInt32>, bits: Int, into chunks: UnsafeMutableBufferPointer<UInt64>) {
        let n = UInt64(bits)
        var acc: UInt64 = 0
        var accBits: UInt64 = 0
        var out = 0
        for v in values {
            acc = (acc << n) | UInt64(v)
            accBits += n
            if accBits >= 48 {
                accBits -= 48
                chunks[out] = (acc >> accBits) & 0xFFFF_FFFF_FFFF
                out += 1
                acc &= (UInt64(1) << accBits) &- 1
            }
        }
        if accBits > 0 { chunks[out] = (acc << (48 - accBits)) & 0xFFFF_FFFF_FFFF }
    }

    /// Inverse of `pack` for `values.count` values.
    static func unpack(_ chunks: UnsafeBufferPointer<UInt64>, bits: Int, into values: UnsafeMutableBufferPointer<UInt32>) {
        let n = UInt64(bits)
        let mask = (UInt64(1) << n) - 1
        var acc: UInt64 = 0
        var accBits: UInt64 = 0
        var next = 0
        for i in 0..<values.count {
            if accBits < n {
                acc = (acc << 48) | chunks[next]
                next += 1
                accBits += 48
            }
            accBits -= n
            values[i] = UInt32(truncatingIfNeeded: (acc >> accBits) & mask)
            acc &= (UInt64(1) << accBits) &- 1
        }
    }

    @inline(__always)
    static func symbol(_ chunks: UnsafeMutableBufferPointer<UInt64>, _ index: Int) -> UInt64 {
        (chunks[index / 16] >> UInt64(45 - 3 * (index % 16))) & 7
    }

    @inline(__always)
    static func setSymbol(_ chunks: UnsafeMutableBufferPointer<UInt64>, _ index: Int, _ value: UInt64) {
        let shift = UInt64(45 - 3 * (index % 16))
        chunks[index / 16] = (chunks[index / 16] & ~(7 << shift)) | (value << shift)
    }

    /// A table applying a 3-bit substitution to the four symbols of a 12-bit group.
    static func substitutionTable(_ table: [UInt8]) -> [UInt16] {
        (0..<4096).map { g in
            var out: UInt16 = 0
            for slot in 0..<4 {
                let s = (g >> (9 - 3 * slot)) & 7
                out |= UInt16(table[s]) << UInt16(9 - 3 * slot)
            }
            return out
        }
    }

    @inline(__always)
    static func substitute(_ c: UInt64, _ lut: UnsafeBufferPointer<UInt16>) -> UInt64 {
        UInt64(lut[Int((c >> 36) & 0xFFF)]) << 36 | UInt64(lut[Int((c >> 24) & 0xFFF)]) << 24
            | UInt64(lut[Int((c >> 12) & 0xFFF)]) << 12 | UInt64(lut[Int(c & 0xFFF)])
    }

    // MARK: Step 1 — VPD encoding

    /// Symbols S1 (consecutive 3-bit groups of the bitstream) become S2[i] = S2[i−1] ⊕ rule(S1[i]), S2[−1] = 0.
    /// When the bit count is not a multiple of 3 the last r < 3 bits are XORed with the top r bits of the last
    /// full S2 symbol (unchanged when there is none), so the stream keeps its length and needs no padding stored.
    static func vpdEncode(_ values: inout [UInt32], bits: Int, rule: VPDRule) {
        let lut = substitutionTable(rule.planet)
        let totalBits = values.count * bits
        let full = totalBits / 3, r = totalBits % 3
        var chunks = [UInt64](repeating: 0, count: chunkCount(values: values.count, bits: bits))
        values.withUnsafeBufferPointer { v in chunks.withUnsafeMutableBufferPointer { pack(v, bits: bits, into: $0) } }
        chunks.withUnsafeMutableBufferPointer { c in
            lut.withUnsafeBufferPointer { table in
                let partialIn = r > 0 ? symbol(c, full) : 0
                var carry: UInt64 = 0
                for i in 0..<c.count {
                    var t = substitute(c[i], table)
                    t ^= t >> 3
                    t ^= t >> 6
                    t ^= t >> 12
                    t ^= t >> 24
                    t ^= carry &* repeatSymbol
                    c[i] = t
                    carry = t & 7
                }
                if r > 0 {
                    let previous = full > 0 ? symbol(c, full - 1) : 0
                    let shift = UInt64(3 - r)
                    setSymbol(c, full, ((partialIn >> shift) ^ (previous >> shift)) << shift)
                }
            }
        }
        chunks.withUnsafeBufferPointer { c in values.withUnsafeMutableBufferPointer { unpack(c, bits: bits, into: $0) } }
    }

    /// Inverse of `vpdEncode`: S1[i] = rule⁻¹(S2[i] ⊕ S2[i−1]).
    static func vpdDecode(_ values: inout [UInt32], bits: Int, rule: VPDRule) {
        let lut = substitutionTable(rule.inverse)
        let totalBits = values.count * bits
        let full = totalBits / 3, r = totalBits % 3
        var chunks = [UInt64](repeating: 0, count: chunkCount(values: values.count, bits: bits))
        values.withUnsafeBufferPointer { v in chunks.withUnsafeMutableBufferPointer { pack(v, bits: bits, into: $0) } }
        chunks.withUnsafeMutableBufferPointer { c in
            lut.withUnsafeBufferPointer { table in
                let partialOut = r > 0 ? symbol(c, full) : 0
                let previous = full > 0 ? symbol(c, full - 1) : 0
                var carry: UInt64 = 0
                for i in 0..<c.count {
                    let x = c[i]
                    c[i] = substitute(x ^ ((x >> 3) | (carry << 45)), table)
                    carry = x & 7
                }
                if r > 0 {
                    let shift = UInt64(3 - r)
                    setSymbol(c, full, ((partialOut >> shift) ^ (previous >> shift)) << shift)
                }
            }
        }
        chunks.withUnsafeBufferPointer { c in values.withUnsafeMutableBufferPointer { unpack(c, bits: bits, into: $0) } }
    }

    // MARK: Step 2 — 3D intershuffling

    /// out(k, i, j) = in(π3(k), π1(i), π2(j)); i = row, j = column, k = plane (frame × components + component).
    static func shuffle(_ values: inout [UInt32], rows: [Int], columns: [Int], planes: [Int], inverse: Bool) {
        let r = rows.count, c = columns.count
        var out = [UInt32](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                columns.withUnsafeBufferPointer { pc in
                    for k in 0..<planes.count {
                        for i in 0..<r {
                            let outRow = (k * r + i) * c
                            let inRow = (planes[k] * r + rows[i]) * c
                            if inverse {
                                for j in 0..<c { dst[inRow + pc[j]] = src[outRow + j] }
                            } else {
                                for j in 0..<c { dst[outRow + j] = src[inRow + pc[j]] }
                            }
                        }
                    }
                }
            }
        }
        values = out
    }

    // MARK: Step 3 — chained zigzag

    /// Zigzag scan of a rows × columns plane: anti-diagonals d = 0 … rows+columns−2, even d walked up
    /// (row decreasing), odd d walked down (row increasing), as in JPEG's scan generalised to rectangles.
    static func zigzagOrder(rows: Int, columns: Int) -> [Int32] {
        var order: [Int32] = []
        order.reserveCapacity(rows * columns)
        for d in 0..<(rows + columns - 1) {
            let low = max(0, d - columns + 1), high = min(d, rows - 1)
            if d % 2 == 0 {
                var i = high
                while i >= low { order.append(Int32(i * columns + (d - i))); i -= 1 }
            } else {
                for i in low...high { order.append(Int32(i * columns + (d - i))) }
            }
        }
        return order
    }

    /// Along the path P (each plane's zigzag, planes in order): forward c_t = ((p_t + c_{t−1}) mod 2^n) ⊕ k_t,
    /// then backward d_t = ((c_t + d_{t+1}) mod 2^n) ⊕ k_t, with c_{−1} = d_N = 0 and k_t the t-th K4 word.
    static func zigzagEncode(_ values: inout [UInt32], planeSize: Int, order: [Int32], key: [UInt32], bits: Int) {
        let mask = bits >= 32 ? UInt32.max : (UInt32(1) << UInt32(bits)) - 1
        let planes = values.count / planeSize
        values.withUnsafeMutableBufferPointer { v in
            order.withUnsafeBufferPointer { z in
                key.withUnsafeBufferPointer { k in
                    var previous: UInt32 = 0
                    var t = 0
                    for plane in 0..<planes {
                        let base = plane * planeSize
                        for step in 0..<planeSize {
                            let index = base + Int(z[step])
                            previous = ((v[index] &+ previous) & mask) ^ k[t]
                            v[index] = previous
                            t += 1
                        }
                    }
                    previous = 0
                    for plane in stride(from: planes - 1, through: 0, by: -1) {
                        let base = plane * planeSize
                        for step in stride(from: planeSize - 1, through: 0, by: -1) {
                            t -= 1
                            let index = base + Int(z[step])
                            previous = ((v[index] &+ previous) & mask) ^ k[t]
                            v[index] = previous
                        }
                    }
                }
            }
        }
    }

    /// Inverse of `zigzagEncode`.
    static func zigzagDecode(_ values: inout [UInt32], planeSize: Int, order: [Int32], key: [UInt32], bits: Int) {
        let mask = bits >= 32 ? UInt32.max : (UInt32(1) << UInt32(bits)) - 1
        let total = values.count
        let planes = total / planeSize
        values.withUnsafeMutableBufferPointer { v in
            order.withUnsafeBufferPointer { z in
                key.withUnsafeBufferPointer { k in
                    var next: UInt32 = 0
                    var t = total
                    for plane in stride(from: planes - 1, through: 0, by: -1) {
                        let base = plane * planeSize
                        for step in stride(from: planeSize - 1, through: 0, by: -1) {
                            t -= 1
                            let index = base + Int(z[step])
                            let c = v[index]
                            v[index] = ((c ^ k[t]) &- next) & mask
                            next = c
                        }
                    }
                    var previous: UInt32 = 0
                    for plane in 0..<planes {
                        let base = plane * planeSize
                        for step in 0..<planeSize {
                            let index = base + Int(z[step])
                            let c = v[index]
                            v[index] = ((c ^ k[t]) &- previous) & mask
                            previous = c
                            t += 1
                        }
                    }
                }
            }
        }
    }

    // MARK: Step 5 — planet XOR

    /// Each 3-bit triplet c of the bitstream becomes code(planet(c)) ⊕ (the same 3 bits of the K8 bitstream),
    /// planet(c) being the c-th planet by ascending Sun distance and code(p) its solar-order index. The K8
    /// bitstream is the K8 words (n bits each) concatenated like the values, so when the table is the identity
    /// (always, see `PlanetTable`) this is value ⊕ word. A last partial triplet gets the XOR only.
    static func planetEncode(_ values: inout [UInt32], bits: Int, table: [UInt8], key: [UInt32]) {
        if table == [0, 1, 2, 3, 4, 5, 6, 7] {
            xorWords(&values, key)
        } else {
            planetGeneral(&values, bits: bits, table: table, key: key, decode: false)
        }
    }

    static func planetDecode(_ values: inout [UInt32], bits: Int, table: [UInt8], key: [UInt32]) {
        if table == [0, 1, 2, 3, 4, 5, 6, 7] {
            xorWords(&values, key)
        } else {
            var inverse = [UInt8](repeating: 0, count: 8)
            for (c, p) in table.enumerated() { inverse[Int(p)] = UInt8(c) }
            planetGeneral(&values, bits: bits, table: inverse, key: key, decode: true)
        }
    }

    static func xorWords(_ values: inout [UInt32], _ key: [UInt32]) {
        values.withUnsafeMutableBufferPointer { v in
            key.withUnsafeBufferPointer { k in
                for i in 0..<v.count { v[i] ^= k[i] }
            }
        }
    }

    /// The table-driven form of the planet step (used only if the distance order ever differed from solar order).
    static func planetGeneral(_ values: inout [UInt32], bits: Int, table: [UInt8], key: [UInt32], decode: Bool) {
        let lut = substitutionTable(table)
        let totalBits = values.count * bits
        let full = totalBits / 3, r = totalBits % 3
        let count = chunkCount(values: values.count, bits: bits)
        var chunks = [UInt64](repeating: 0, count: count)
        var keyChunks = [UInt64](repeating: 0, count: count)
        values.withUnsafeBufferPointer { v in chunks.withUnsafeMutableBufferPointer { pack(v, bits: bits, into: $0) } }
        key.withUnsafeBufferPointer { k in keyChunks.withUnsafeMutableBufferPointer { pack(k, bits: bits, into: $0) } }
        chunks.withUnsafeMutableBufferPointer { c in
            lut.withUnsafeBufferPointer { table in
                let partial = r > 0 ? symbol(c, full) : 0
                for i in 0..<c.count {
                    c[i] = decode ? substitute(c[i] ^ keyChunks[i], table) : substitute(c[i], table) ^ keyChunks[i]
                }
                if r > 0 {
                    let keySymbol = (keyChunks[full / 16] >> UInt64(45 - 3 * (full % 16))) & 7
                    let shift = UInt64(3 - r)
                    setSymbol(c, full, ((partial ^ keySymbol) >> shift) << shift)
                }
            }
        }
        chunks.withUnsafeBufferPointer { c in values.withUnsafeMutableBufferPointer { unpack(c, bits: bits, into: $0) } }
    }
}
