/// The pixel stages of dcgan-vpd, each with its exact inverse, as fused passes over narrow working arrays.
///
/// How they run, and why: the values are copied once into a working array of the narrowest type that holds them
/// (UInt8 for n ≤ 8, UInt16 above), so that an 8-bit image moves a quarter of the bytes of `[UInt32]`. Two such
/// arrays are allocated per call and passes alternate between them:
///
///     encrypt: VPD → shuffle gather + forward chain → backward chain + scatter → (again) → planet XOR + widen
///     decrypt: narrow + planet XOR → gather + backward decode → forward decode + inverse-shuffle scatter → VPD⁻¹ → …
///
/// The forward and backward zigzag chains of encryption are one dependent operation per value (add, XOR), so they
/// run at the latency of that chain; the 3-D shuffle's loads and the zigzag scatter are independent of the chain
/// and fused into those passes, where they cost nearly nothing. The forward chain writes its output in path order
/// so that the backward chain reads it sequentially. The zigzag path is walked by index arithmetic (no per-pixel
/// tables). VPD coding works on 48-bit chunks (16 symbols): a 12-bit substitution table applies the rule to four
/// symbols at a time and four shift-XORs form the running XOR; 8- and 16-bit values are loaded and stored six bytes
/// at a time. Everything is O(values) and allocates only the working arrays and the result.
enum VPDStages {
    // MARK: Working arrays

    /// Elements after the values in a working array: the 6-byte chunk loads and stores touch 8 bytes.
    static let padding = 8

    /// Bits per chunk: 48 = 16 symbols of 3 bits, held in the low 48 bits of a UInt64, first symbol highest.
    static let chunkBits = 48
    /// 0o1111111111111111: a 3-bit value times this repeats it in all 16 symbol slots.
    static let repeatSymbol: UInt64 = 0x2492_4924_9249

    static func chunkCount(values: Int, bits: Int) -> Int { (values * bits + chunkBits - 1) / chunkBits }

    // MARK: Bitstream of 3-bit symbols

    /// Concatenates the values' n bits (most significant first) into 48-bit chunks; the tail is zero-padded.
    static func pack<Word: FixedWidthInteger>(_ values: UnsafeBufferPointer<Word>, bits: Int,
                                              into chunks: UnsafeMutableBufferPointer<UInt64>) {
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
    static func unpack<Word: FixedWidthInteger>(_ chunks: UnsafeBufferPointer<UInt64>, bits: Int,
                                                into values: UnsafeMutableBufferPointer<Word>) {
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
            values[i] = Word(truncatingIfNeeded: (acc >> accBits) & mask)
            acc &= (UInt64(1) << accBits) &- 1
        }
    }

    @inline(__always)
    static func symbol(_ chunk: UInt64, slot: Int) -> UInt64 {
        (chunk >> UInt64(45 - 3 * slot)) & 7
    }

    @inline(__always)
    static func settingSymbol(_ chunk: UInt64, slot: Int, to value: UInt64) -> UInt64 {
        let shift = UInt64(45 - 3 * slot)
        return (chunk & ~(7 << shift)) | (value << shift)
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

    // MARK: Steps 1 and 4 — VPD coding

    /// One chunk of VPD encoding: T = rule(S1) per symbol, then the running XOR S2[i] = S2[i−1] ⊕ T[i] inside the
    /// chunk (four shift-XORs), then the carry (last S2 symbol of the previous chunk) XORed into all 16 slots.
    /// The carry of the next chunk is this carry ⊕ the chunk's own last running XOR (a one-XOR dependency from
    /// chunk to chunk; the multiplication that spreads the carry stays off that chain).
    @inline(__always)
    static func encodeChunk(_ x: UInt64, _ carry: inout UInt64, _ lut: UnsafeBufferPointer<UInt16>) -> UInt64 {
        var t = substitute(x, lut)
        t ^= t >> 3
        t ^= t >> 6
        t ^= t >> 12
        t ^= t >> 24
        let result = t ^ (carry &* repeatSymbol)
        carry ^= t & 7
        return result
    }

    /// One chunk of VPD decoding: S1[i] = rule⁻¹(S2[i] ⊕ S2[i−1]); the carry is the previous chunk's last S2.
    @inline(__always)
    static func decodeChunk(_ x: UInt64, _ carry: inout UInt64, _ lut: UnsafeBufferPointer<UInt16>) -> UInt64 {
        let y = substitute(x ^ ((x >> 3) | (carry << 45)), lut)
        carry = x & 7
        return y
    }

    /// VPD encoding (`decode == false`, lut = the rule's table) or decoding (lut = the inverse rule's table) of the
    /// first `count` values of `source` into `target`.
    ///
    /// Encoding: the symbols S1 (consecutive 3-bit groups of the bitstream) become S2[i] = S2[i−1] ⊕ rule(S1[i]),
    /// S2[−1] = 0. When the bit count is not a multiple of 3 the last r < 3 bits are XORed with the top r bits of
    /// the last full S2 symbol (unchanged when there is none), so the stream keeps its length and needs no padding
    /// stored. Decoding: S1[i] = rule⁻¹(S2[i] ⊕ S2[i−1]), and the same XOR undoes the tail.
    static func vpd<Word: FixedWidthInteger & UnsignedInteger>(
        _ source: UnsafeMutableBufferPointer<Word>, into target: UnsafeMutableBufferPointer<Word>, count: Int,
        bits: Int, lut: UnsafeBufferPointer<UInt16>, decode: Bool
    ) {
        var carry: UInt64 = 0
        var done = 0
        // Whole 48-bit chunks of 8- or 16-bit values: load 8 bytes, use 6 (the working arrays are padded).
        if bits == Word.bitWidth, bits == 8 || bits == 16, let from = UnsafeRawPointer(source.baseAddress),
           let to = UnsafeMutableRawPointer(target.baseAddress) {
            let valuesPerChunk = 48 / bits
            let chunks = count / valuesPerChunk
            for i in 0..<chunks {
                let word = UInt64(littleEndian: from.loadUnaligned(fromByteOffset: 6 * i, as: UInt64.self))
                let x = bits == 8 ? UInt64(bigEndian: word) >> 16   // bytes b0 … b5 → b0 highest
                                  : (word & 0xFFFF) << 32 | (word & 0xFFFF_0000) | (word >> 32) & 0xFFFF
                let y = decode ? decodeChunk(x, &carry, lut) : encodeChunk(x, &carry, lut)
                let out = bits == 8 ? (y << 16).bigEndian
                                    : (y >> 32) & 0xFFFF | (y & 0xFFFF_0000) | (y & 0xFFFF) << 32
                to.storeBytes(of: out.littleEndian, toByteOffset: 6 * i, as: UInt64.self)
            }
            done = chunks * valuesPerChunk
        }
        // The rest (everything for other depths): pack, code chunk by chunk, fix the partial symbol, unpack.
        let rest = count - done
        guard rest > 0 else { return }
        let restBits = rest * bits
        var chunks = [UInt64](repeating: 0, count: chunkCount(values: rest, bits: bits))
        chunks.withUnsafeMutableBufferPointer { c in
            pack(UnsafeBufferPointer(rebasing: source[done..<count]), bits: bits, into: c)
            let last = c.count - 1
            for i in 0..<last {
                c[i] = decode ? decodeChunk(c[i], &carry, lut) : encodeChunk(c[i], &carry, lut)
            }
            let carryBeforeLast = carry
            let input = c[last]
            var output = decode ? decodeChunk(input, &carry, lut) : encodeChunk(input, &carry, lut)
            let r = restBits % 3   // done · bits is a multiple of 48, so the whole stream has the same remainder
            if r > 0 {
                let slot = (restBits / 3) % 16
                // The last full S2 symbol: of the output when encoding, of the input when decoding.
                let previous = slot == 0 ? carryBeforeLast : symbol(decode ? input : output, slot: slot - 1)
                let shift = UInt64(3 - r)
                let partial = ((symbol(input, slot: slot) >> shift) ^ (previous >> shift)) << shift
                output = settingSymbol(output, slot: slot, to: partial)
            }
            c[last] = output
            unpack(UnsafeBufferPointer(c), bits: bits, into: UnsafeMutableBufferPointer(rebasing: target[done..<count]))
        }
    }

    /// VPD coding of `[UInt32]` values (for tests and small callers; the cipher codes its working arrays).
    static func vpdEncode(_ values: inout [UInt32], bits: Int, rule: VPDRule) {
        vpdInPlace(&values, bits: bits, table: rule.planet, decode: false)
    }

    static func vpdDecode(_ values: inout [UInt32], bits: Int, rule: VPDRule) {
        vpdInPlace(&values, bits: bits, table: rule.inverse, decode: true)
    }

    private static func vpdInPlace(_ values: inout [UInt32], bits: Int, table: [UInt8], decode: Bool) {
        let lut = substitutionTable(table)
        if bits <= 8 {
            var work = WorkingArrays<UInt8>(narrowing: values, bits: bits)
            lut.withUnsafeBufferPointer { work.vpd(bits: bits, lut: $0, decode: decode) }
            values = work.widened()
        } else {
            var work = WorkingArrays<UInt16>(narrowing: values, bits: bits)
            lut.withUnsafeBufferPointer { work.vpd(bits: bits, lut: $0, decode: decode) }
            values = work.widened()
        }
    }

    // MARK: Steps 2 and 3 — 3-D intershuffling fused with the chained zigzag

    /// Calls `body(i, j)` for the cells of a rows × columns plane along its zigzag scan (anti-diagonals
    /// d = 0 … rows+columns−2, even d walked with the row falling, odd d with the row rising, as in JPEG's scan),
    /// or along the same path backwards.
    @inline(__always)
    static func walkZigzag(rows: Int, columns: Int, backwards: Bool, _ body: (Int, Int) -> Void) {
        let diagonals = rows + columns - 1
        var d = backwards ? diagonals - 1 : 0
        for _ in 0..<diagonals {
            let low = max(0, d - columns + 1), high = min(d, rows - 1)
            let rowFalls = (d & 1 == 0) != backwards
            var i = rowFalls ? high : low
            let step = rowFalls ? -1 : 1
            for _ in 0...(high - low) {
                body(i, d &- i)
                i &+= step
            }
            d += backwards ? -1 : 1
        }
    }

    /// The zigzag path of one plane as indices (row · columns + column), for tests and documentation.
    static func zigzagOrder(rows: Int, columns: Int) -> [Int32] {
        var order: [Int32] = []
        order.reserveCapacity(rows * columns)
        walkZigzag(rows: rows, columns: columns, backwards: false) { i, j in order.append(Int32(i * columns + j)) }
        return order
    }
}

/// out(k, i, j) = in(π3(k), π1(i), π2(j)) for one round, as element offsets: i = row, j = column,
/// k = plane (frame × components + component).
struct VPDShuffle: Sendable {
    /// π3(k) · rows · columns.
    let planeOffsets: [Int]
    /// π1(i) · columns.
    let rowOffsets: [Int]
    /// π2(j).
    let columnIndices: [Int]

    init(rows: [Int], columns: [Int], planes: [Int]) {
        planeOffsets = planes.map { $0 * rows.count * columns.count }
        rowOffsets = rows.map { $0 * columns.count }
        columnIndices = columns
    }
}

/// Whether chain arithmetic needs `& (2^n − 1)`: not when n is the working type's width (wrapping does it).
protocol ChainWidth {
    static func reduce<Word: FixedWidthInteger>(_ value: Word, _ mask: Word) -> Word
}

enum FullWidth: ChainWidth {
    @inline(__always)
    static func reduce<Word: FixedWidthInteger>(_ value: Word, _ mask: Word) -> Word { value }
}

enum PartialWidth: ChainWidth {
    @inline(__always)
    static func reduce<Word: FixedWidthInteger>(_ value: Word, _ mask: Word) -> Word { value & mask }
}

/// The two working arrays of one encryption or decryption: `current` holds the data between passes, each pass
/// writes `spare`, then the two are swapped.
struct WorkingArrays<Word: FixedWidthInteger & UnsignedInteger> {
    var current: [Word]
    var spare: [Word]
    let count: Int

    /// The values narrowed to `Word` (each fits: n ≤ Word.bitWidth), optionally XORed with key words first.
    /// The padding is zero (the chunk loads read it and discard it).
    init(narrowing values: [UInt32], bits: Int, xor key: [Word]? = nil) {
        count = values.count
        let n = count, padded = count + VPDStages.padding
        current = [Word](unsafeUninitializedCapacity: padded) { out, initialized in
            values.withUnsafeBufferPointer { v in
                if let key {
                    key.withUnsafeBufferPointer { k in
                        for i in 0..<n { out[i] = Word(truncatingIfNeeded: v[i]) ^ k[i] }
                    }
                } else {
                    for i in 0..<n { out[i] = Word(truncatingIfNeeded: v[i]) }
                }
            }
            for i in n..<padded { out[i] = 0 }
            initialized = padded
        }
        spare = [Word](repeating: 0, count: padded)
    }

    /// The values widened back to `[UInt32]`, optionally XORed with key words.
    func widened(xor key: [Word]? = nil) -> [UInt32] {
        let n = count
        return [UInt32](unsafeUninitializedCapacity: n) { out, initialized in
            current.withUnsafeBufferPointer { v in
                if let key {
                    key.withUnsafeBufferPointer { k in
                        for i in 0..<n { out[i] = UInt32(v[i] ^ k[i]) }
                    }
                } else {
                    for i in 0..<n { out[i] = UInt32(v[i]) }
                }
            }
            initialized = n
        }
    }

    /// Runs `pass(source, target)` from `current` into `spare`, then swaps them.
    @inline(__always)
    mutating func pass(_ body: (UnsafeMutableBufferPointer<Word>, UnsafeMutableBufferPointer<Word>) -> Void) {
        current.withUnsafeMutableBufferPointer { source in
            spare.withUnsafeMutableBufferPointer { target in body(source, target) }
        }
        swap(&current, &spare)
    }

    mutating func vpd(bits: Int, lut: UnsafeBufferPointer<UInt16>, decode: Bool) {
        let n = count
        pass { source, target in VPDStages.vpd(source, into: target, count: n, bits: bits, lut: lut, decode: decode) }
    }
}

/// The chained zigzag of steps 3 and 4 with the shuffle of step 2, along the path P (each plane's zigzag scan,
/// planes in order), k_t the t-th K4 word:
/// forward c_t = ((p_t + c_{t−1}) mod 2^n) ⊕ k_t, then backward d_t = ((c_t + d_{t+1}) mod 2^n) ⊕ k_t,
/// c_{−1} = d_N = 0; p is the shuffled image, so p at (k, i, j) is the input at (π3(k), π1(i), π2(j)).
struct VPDChains<Word: FixedWidthInteger & UnsignedInteger, Width: ChainWidth> {
    let rows: Int, columns: Int, planes: Int
    let mask: Word
    let key: UnsafeBufferPointer<Word>

    init(schedule s: DCGANVPDCipher.Schedule, key: UnsafeBufferPointer<Word>) {
        (rows, columns, planes) = (s.rows, s.columns, s.planes)
        mask = Word(truncatingIfNeeded: (UInt32(1) << UInt32(s.bits)) &- 1)
        self.key = key
    }

    /// Shuffle gather + forward chain: `target` receives c in path order.
    func shuffleForward(_ source: UnsafeMutableBufferPointer<Word>, _ target: UnsafeMutableBufferPointer<Word>,
                        _ shuffle: UnsafeShuffle) {
        var c: Word = 0
        var t = 0
        for k in 0..<planes {
            let base = shuffle.planeOffsets[k]
            VPDStages.walkZigzag(rows: rows, columns: columns, backwards: false) { i, j in
                let p = source[base &+ shuffle.rowOffsets[i] &+ shuffle.columnIndices[j]]
                c = Width.reduce(p &+ c, mask) ^ key[t]
                target[t] = c
                t &+= 1
            }
        }
    }

    /// Backward chain over c in path order + scatter: `target` receives d in buffer order.
    func backwardScatter(_ source: UnsafeMutableBufferPointer<Word>, _ target: UnsafeMutableBufferPointer<Word>) {
        var d: Word = 0
        var t = rows * columns * planes
        for k in stride(from: planes - 1, through: 0, by: -1) {
            let base = k * rows * columns
            VPDStages.walkZigzag(rows: rows, columns: columns, backwards: true) { i, j in
                t &-= 1
                d = Width.reduce(source[t] &+ d, mask) ^ key[t]
                target[base &+ i &* columns &+ j] = d
            }
        }
    }

    /// Inverse of `backwardScatter`: gathers d from buffer order, `target` receives c in path order.
    func gatherBackwardInverse(_ source: UnsafeMutableBufferPointer<Word>, _ target: UnsafeMutableBufferPointer<Word>) {
        var next: Word = 0
        var t = rows * columns * planes
        for k in stride(from: planes - 1, through: 0, by: -1) {
            let base = k * rows * columns
            VPDStages.walkZigzag(rows: rows, columns: columns, backwards: true) { i, j in
                t &-= 1
                let x = source[base &+ i &* columns &+ j]
                target[t] = Width.reduce((x ^ key[t]) &- next, mask)
                next = x
            }
        }
    }

    /// Inverse of `shuffleForward`: c in path order → p, scattered back through the shuffle into buffer order.
    func forwardInverseScatter(_ source: UnsafeMutableBufferPointer<Word>, _ target: UnsafeMutableBufferPointer<Word>,
                               _ shuffle: UnsafeShuffle) {
        var previous: Word = 0
        var t = 0
        for k in 0..<planes {
            let base = shuffle.planeOffsets[k]
            VPDStages.walkZigzag(rows: rows, columns: columns, backwards: false) { i, j in
                let x = source[t]
                target[base &+ shuffle.rowOffsets[i] &+ shuffle.columnIndices[j]] = Width.reduce((x ^ key[t]) &- previous, mask)
                previous = x
                t &+= 1
            }
        }
    }
}

/// A `VPDShuffle` lent as buffer pointers for the duration of a pass.
struct UnsafeShuffle {
    let planeOffsets: UnsafeBufferPointer<Int>
    let rowOffsets: UnsafeBufferPointer<Int>
    let columnIndices: UnsafeBufferPointer<Int>
}

extension VPDShuffle {
    func withUnsafe<R>(_ body: (UnsafeShuffle) -> R) -> R {
        planeOffsets.withUnsafeBufferPointer { p in
            rowOffsets.withUnsafeBufferPointer { r in
                columnIndices.withUnsafeBufferPointer { c in
                    body(UnsafeShuffle(planeOffsets: p, rowOffsets: r, columnIndices: c))
                }
            }
        }
    }
}

extension VPDStages {
    // MARK: Step 5 — planet XOR

    /// Each 3-bit triplet c of the bitstream becomes code(planet(c)) ⊕ (the same 3 bits of the K8 bitstream),
    /// planet(c) being the c-th planet by ascending Sun distance and code(p) its solar-order index. The K8
    /// bitstream is the K8 words (n bits each) concatenated like the values, so when the table is the identity
    /// (always, see `PlanetTable`) this is value ⊕ word. A last partial triplet gets the XOR only.
    static func planetEncode(_ values: inout [UInt32], bits: Int, table: [UInt8], key: [UInt32]) {
        if table == PlanetTable.solarOrder {
            xorWords(&values, key)
        } else {
            planetGeneral(&values, bits: bits, table: table, key: key, decode: false)
        }
    }

    static func planetDecode(_ values: inout [UInt32], bits: Int, table: [UInt8], key: [UInt32]) {
        if table == PlanetTable.solarOrder {
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
                let partial = r > 0 ? symbol(c[full / 16], slot: full % 16) : 0
                for i in 0..<c.count {
                    c[i] = decode ? substitute(c[i] ^ keyChunks[i], table) : substitute(c[i], table) ^ keyChunks[i]
                }
                if r > 0 {
                    let keySymbol = (keyChunks[full / 16] >> UInt64(45 - 3 * (full % 16))) & 7
                    let shift = UInt64(3 - r)
                    c[full / 16] = settingSymbol(c[full / 16], slot: full % 16, to: ((partial ^ keySymbol) >> shift) << shift)
                }
            }
        }
        chunks.withUnsafeBufferPointer { c in values.withUnsafeMutableBufferPointer { unpack(c, bits: bits, into: $0) } }
    }
}
