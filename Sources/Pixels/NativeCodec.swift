/// Conversion between native Pixel Data bytes (uncompressed, little-endian) and `PixelBuffer`.
///
/// Both directions go through the same description of the layout — runs of samples (`forEachRun`) for 8, 16
/// and 32 bits allocated, an index map for YBR 4:2:2 (`forEachSubsampledIndex`), bit positions for 1-bit data —
/// so the two can never disagree about it.
extension PixelBuffer {
    /// Reads native Pixel Data. `bytes` may be longer than needed (the extra bytes are kept), never shorter.
    public init(nativeBytes bytes: UnsafeRawBufferPointer, descriptor: PixelDescriptor) throws(PixelError) {
        try descriptor.validate()
        let needed = descriptor.nativeByteCount
        guard bytes.count >= needed else { throw .lengthMismatch(expected: needed, actual: bytes.count) }
        let count = descriptor.valueCount
        var values: [UInt32]
        var residue: [UInt32]? = nil
        var padBits: UInt8 = 0

        if descriptor.bitsAllocated == 1 {
            values = [UInt32](repeating: 0, count: count)
            values.withUnsafeMutableBufferPointer { out in
                for i in 0..<count {
                    out[i] = UInt32((bytes[i >> 3] >> UInt8(i & 7)) & 1)
                }
            }
            if count % 8 != 0 {
                let usedMask = UInt8((1 << (count % 8)) - 1)
                padBits = bytes[count / 8] & ~usedMask
            }
        } else if descriptor.hasRunLayout {
            // One pass straight from the bytes per run of samples (see `forEachRun`), no word array and no index
            // map. Every value is written by the runs, so the array is not zero-filled first (a 1 MB memset per
            // 512 x 512 16-bit image).
            let low = UInt32(descriptor.lowBit)
            let mask = descriptor.valueMask
            let outside = ~(mask << low)
            let bitsAllocated = descriptor.bitsAllocated
            var residueSeen: UInt32 = 0
            values = [UInt32](unsafeUninitializedCapacity: count) { out, initialized in
                guard let source = bytes.baseAddress, let target = out.baseAddress else { return }
                LargeArrays.adviseHugePages(UnsafeMutableRawBufferPointer(out))
                Self.forEachRun(descriptor) { run in
                    switch bitsAllocated {
                    case 8: Self.extract(UInt8.self, run, from: source, into: target, low: low, mask: mask, outside: outside, seen: &residueSeen)
                    case 16: Self.extract(UInt16.self, run, from: source, into: target, low: low, mask: mask, outside: outside, seen: &residueSeen)
                    default: Self.extract(UInt32.self, run, from: source, into: target, low: low, mask: mask, outside: outside, seen: &residueSeen)
                    }
                }
                initialized = count
            }
            if residueSeen != 0 {
                residue = [UInt32](unsafeUninitializedCapacity: count) { out, initialized in
                    Self.forEachRun(descriptor) { run in
                        for i in 0..<run.count {
                            out[run.normal + i] = Self.word(bytes, run.native + i * run.stride, bitsAllocated) & outside
                        }
                    }
                    initialized = count
                }
            }
        } else {
            // YBR 4:2:2: through the index map.
            let words = Self.readWords(bytes, count: count, bitsAllocated: descriptor.bitsAllocated)
            let low = UInt32(descriptor.lowBit)
            let mask = descriptor.valueMask
            let outside = ~(mask << low)
            var residueSeen: UInt32 = 0
            values = [UInt32](repeating: 0, count: count)
            values.withUnsafeMutableBufferPointer { out in
                Self.forEachSubsampledIndex(descriptor) { native, normal in
                    let w = words[native]
                    out[normal] = (w >> low) & mask
                    residueSeen |= w & outside
                }
            }
            if residueSeen != 0 {
                var r = [UInt32](repeating: 0, count: count)
                r.withUnsafeMutableBufferPointer { out in
                    Self.forEachSubsampledIndex(descriptor) { native, normal in out[normal] = words[native] & outside }
                }
                residue = r
            }
        }
        self.descriptor = descriptor
        self.values = values
        self.residue = residue
        self.trailingBytes = Array(bytes[needed...])
        self.packedPadBits = padBits
    }

    /// Reads native Pixel Data from an array.
    public init(nativeBytes bytes: [UInt8], descriptor: PixelDescriptor) throws(PixelError) {
        // withUnsafeBytes rethrows untyped errors, so the typed error travels in a Result.
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(PixelError) -> PixelBuffer in try PixelBuffer(nativeBytes: raw, descriptor: descriptor) }
        }
        self = try result.get()
    }

    /// Rebuilds native Pixel Data: values in their bit positions, residue bits, pad bits and trailing bytes
    /// exactly as they were read. Throws if a value does not fit in BitsStored.
    public func nativeBytes() throws(PixelError) -> [UInt8] {
        try descriptor.validate()
        let total = descriptor.nativeByteCount + trailingBytes.count
        var failure: PixelError?
        let bytes = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            LargeArrays.adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            do throws(PixelError) {
                try writeNativeBytes(into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
            }
            initialized = total
        }
        if let failure { throw failure }
        return bytes
    }

    /// Writes what `nativeBytes()` returns into `out`, which must hold exactly `descriptor.nativeByteCount +
    /// trailingBytes.count` bytes, whatever they held before (every byte is written): the native Pixel Data can
    /// go straight to where it is kept. Everything is checked before the first byte is written, except a value
    /// out of range in a layout of runs (8, 16, 32 bits allocated, all but YBR 4:2:2), whose check rides along
    /// in the one pass: call `checkValueRange()` first where `out` must stay untouched on that error.
    public func writeNativeBytes(into out: UnsafeMutableRawBufferPointer) throws(PixelError) {
        try descriptor.validate()
        guard values.count == descriptor.valueCount else {
            throw .valueCountMismatch(expected: descriptor.valueCount, actual: values.count)
        }
        let needed = descriptor.nativeByteCount
        guard out.count == needed + trailingBytes.count else {
            throw .lengthMismatch(expected: needed + trailingBytes.count, actual: out.count)
        }
        let count = values.count
        if descriptor.hasRunLayout {
            let seen = placeRuns(into: out)
            if seen & ~descriptor.valueMask != 0 { try checkValueRange() }
        } else {
            try checkValueRange()
            if descriptor.bitsAllocated == 1 {
                let packed = UnsafeMutableRawBufferPointer(rebasing: out[..<needed])
                packed.initializeMemory(as: UInt8.self, repeating: 0)
                for i in 0..<count where values[i] != 0 {
                    packed[i >> 3] |= UInt8(1) << UInt8(i & 7)
                }
                if count % 8 != 0 { packed[count / 8] |= packedPadBits }
            } else {
                // YBR 4:2:2: through the index map.
                var words = [UInt32](repeating: 0, count: count)
                let low = UInt32(descriptor.lowBit)
                words.withUnsafeMutableBufferPointer { w in
                    if let residue {
                        Self.forEachSubsampledIndex(descriptor) { native, normal in
                            w[native] = (values[normal] << low) | residue[normal]
                        }
                    } else {
                        Self.forEachSubsampledIndex(descriptor) { native, normal in w[native] = values[normal] << low }
                    }
                }
                Self.writeWords(words, into: out, bitsAllocated: descriptor.bitsAllocated)
            }
        }
        for (i, b) in trailingBytes.enumerated() { out[needed + i] = b }
    }

    /// The values (and residue) of 8, 16 or 32 bits allocated, in a layout of runs, into the first `valueCount`
    /// words of `out`, one pass; returns the OR of all values, for the range check.
    private func placeRuns(into out: UnsafeMutableRawBufferPointer) -> UInt32 {
        let low = UInt32(descriptor.lowBit)
        var seen: UInt32 = 0
        let descriptor = descriptor
        values.withUnsafeBufferPointer { valueBuffer in
            guard let raw = out.baseAddress, let v = valueBuffer.baseAddress else { return }
            func place(_ residue: UnsafePointer<UInt32>?) {
                Self.forEachRun(descriptor) { run in
                    switch descriptor.bitsAllocated {
                    case 8: Self.place(UInt8.self, run, from: v, residue: residue, into: raw, low: low, seen: &seen)
                    case 16: Self.place(UInt16.self, run, from: v, residue: residue, into: raw, low: low, seen: &seen)
                    default: Self.place(UInt32.self, run, from: v, residue: residue, into: raw, low: low, seen: &seen)
                    }
                }
            }
            if let residue {
                residue.withUnsafeBufferPointer { place($0.baseAddress) }
            } else {
                place(nil)
            }
        }
        return seen
    }

    /// A run of samples that are `stride` words apart in the native bytes (from word `native`) and consecutive in
    /// the normalised order (from value `normal`).
    struct Run {
        var native: Int
        var stride: Int
        var normal: Int
        var count: Int
    }

    /// Calls `body` for the runs that make up a layout with `hasRunLayout`: one run when native order is normalised
    /// order; one per component and frame when the samples are interleaved (planar configuration 0), a plane each.
    @inline(__always)
    static func forEachRun(_ d: PixelDescriptor, _ body: (Run) -> Void) {
        if d.hasIdentityLayout {
            body(Run(native: 0, stride: 1, normal: 0, count: d.valueCount))
            return
        }
        let plane = d.planeSize, components = d.components
        for f in 0..<d.frames {
            let base = f * components * plane
            for c in 0..<components {
                body(Run(native: base + c, stride: components, normal: base + c * plane, count: plane))
            }
        }
    }

    /// `target[run.normal + i] = (w >> low) & mask` for the run's native words w, and the OR of their bits
    /// outside the value into `seen`. Plain pointers and masking shifts (low < 32), so that the loops have no
    /// checks; the one for consecutive words vectorises.
    @inline(__always)
    static func extract<Word: FixedWidthInteger & UnsignedInteger>(
        _: Word.Type, _ run: Run, from source: UnsafeRawPointer, into target: UnsafeMutablePointer<UInt32>,
        low: UInt32, mask: UInt32, outside: UInt32, seen: inout UInt32
    ) {
        let size = MemoryLayout<Word>.size
        let from = source + run.native &* size, to = target + run.normal
        var outsideSeen: UInt32 = 0
        @inline(__always) func word(_ offset: Int) -> UInt32 {
            UInt32(truncatingIfNeeded: Word(littleEndian: from.loadUnaligned(fromByteOffset: offset, as: Word.self)))
        }
        if run.stride == 1 {
            for i in 0..<run.count {
                let w = word(size &* i)
                to[i] = (w &>> low) & mask
                outsideSeen |= w & outside
            }
        } else {
            let step = size &* run.stride
            for i in 0..<run.count {
                let w = word(step &* i)
                to[i] = (w &>> low) & mask
                outsideSeen |= w & outside
            }
        }
        seen |= outsideSeen
    }

    /// The inverse of `extract`: the run's values shifted to `low` (with their residue bits) into its native words,
    /// and the OR of the values into `seen`.
    @inline(__always)
    static func place<Word: FixedWidthInteger & UnsignedInteger>(
        _: Word.Type, _ run: Run, from values: UnsafePointer<UInt32>, residue: UnsafePointer<UInt32>?,
        into raw: UnsafeMutableRawPointer, low: UInt32, seen: inout UInt32
    ) {
        let size = MemoryLayout<Word>.size
        let step = size &* run.stride
        let v = values + run.normal, to = raw + run.native &* size
        var valuesSeen: UInt32 = 0
        @inline(__always) func store(_ w: UInt32, _ offset: Int) {
            to.storeBytes(of: Word(truncatingIfNeeded: w).littleEndian, toByteOffset: offset, as: Word.self)
        }
        if let residue {
            let r = residue + run.normal
            for i in 0..<run.count {
                valuesSeen |= v[i]
                store((v[i] &<< low) | r[i], step &* i)
            }
        } else if run.stride == 1 {
            for i in 0..<run.count {
                valuesSeen |= v[i]
                store(v[i] &<< low, size &* i)
            }
        } else {
            for i in 0..<run.count {
                valuesSeen |= v[i]
                store(v[i] &<< low, step &* i)
            }
        }
        seen |= valuesSeen
    }

    // MARK: - Layout

    /// Calls `body(nativeIndex, normalisedIndex)` for every sample of YBR 4:2:2 (`isChromaSubsampled`), the one
    /// layout of 8 bits or more that is not made of runs: per row Y(2g) Y(2g+1) Cb(g) Cr(g) → the luminance
    /// plane, and a chroma plane as Cb Cr Cb Cr.
    @inline(__always)
    static func forEachSubsampledIndex(_ d: PixelDescriptor, _ body: (Int, Int) -> Void) {
        let plane = d.planeSize
        let cols = d.columns
        for f in 0..<d.frames {
            let frameNative = f * 2 * plane
            let lumaBase = f * 2 * plane
            let chromaBase = lumaBase + plane
            for r in 0..<d.rows {
                let rowNative = frameNative + r * cols * 2
                let rowNormal = r * cols
                for g in 0..<(cols / 2) {
                    let n = rowNative + g * 4
                    body(n, lumaBase + rowNormal + 2 * g)
                    body(n + 1, lumaBase + rowNormal + 2 * g + 1)
                    body(n + 2, chromaBase + rowNormal + 2 * g)
                    body(n + 3, chromaBase + rowNormal + 2 * g + 1)
                }
            }
        }
    }

    /// The `index`-th little-endian word of `bitsAllocated` (8, 16 or 32) bits.
    @inline(__always)
    static func word(_ bytes: UnsafeRawBufferPointer, _ index: Int, _ bitsAllocated: Int) -> UInt32 {
        switch bitsAllocated {
        case 8: return UInt32(bytes[index])
        case 16: return UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)))
        default: return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))
        }
    }

    static func readWords(_ bytes: UnsafeRawBufferPointer, count: Int, bitsAllocated: Int) -> [UInt32] {
        [UInt32](unsafeUninitializedCapacity: count) { out, initialized in
            switch bitsAllocated {
            case 8:
                for i in 0..<count { out[i] = UInt32(bytes[i]) }
            case 16:
                for i in 0..<count { out[i] = UInt32(bytes[2 * i]) | UInt32(bytes[2 * i + 1]) << 8 }
            default:
                for i in 0..<count {
                    let b = 4 * i
                    out[i] = UInt32(bytes[b]) | UInt32(bytes[b + 1]) << 8 | UInt32(bytes[b + 2]) << 16 | UInt32(bytes[b + 3]) << 24
                }
            }
            initialized = count
        }
    }

    static func writeWords(_ words: [UInt32], into out: UnsafeMutableRawBufferPointer, bitsAllocated: Int) {
        switch bitsAllocated {
        case 8:
            for (i, w) in words.enumerated() { out[i] = UInt8(truncatingIfNeeded: w) }
        case 16:
            for (i, w) in words.enumerated() {
                out[2 * i] = UInt8(truncatingIfNeeded: w)
                out[2 * i + 1] = UInt8(truncatingIfNeeded: w >> 8)
            }
        default:
            for (i, w) in words.enumerated() {
                out[4 * i] = UInt8(truncatingIfNeeded: w)
                out[4 * i + 1] = UInt8(truncatingIfNeeded: w >> 8)
                out[4 * i + 2] = UInt8(truncatingIfNeeded: w >> 16)
                out[4 * i + 3] = UInt8(truncatingIfNeeded: w >> 24)
            }
        }
    }
}

extension PixelDescriptor {
    /// True when native sample order already is the buffer's normalised order (one component, or planes stored
    /// one after another), so conversions need no index map.
    var hasIdentityLayout: Bool { components == 1 || planarConfiguration == .separate }

    /// True when the conversions can go by runs (`PixelBuffer.forEachRun`): 8, 16 or 32 bits allocated, and native
    /// order is normalised order or interleaves whole samples. Left for the index map: 1-bit data and YBR 4:2:2.
    var hasRunLayout: Bool { bitsAllocated != 1 && !isChromaSubsampled }
}
