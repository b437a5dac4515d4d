/// Conversion between native Pixel Data bytes (uncompressed, little-endian) and `PixelBuffer`.
///
/// Both directions go through one index map from native sample order to the buffer's normalised order, so the
/// two can never disagree about layout.
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
        } else if descriptor.hasIdentityLayout {
            // Native order is normalised order: one pass straight from the bytes, no word array. Every value is
            // written by the pass, so the array is not zero-filled first (a 1 MB memset per 512 x 512 16-bit image).
            let low = UInt32(descriptor.lowBit)
            let mask = descriptor.valueMask
            let outside = ~(mask << low)
            let bitsAllocated = descriptor.bitsAllocated
            var residueSeen: UInt32 = 0
            // One loop per word size, so that each one vectorises.
            values = [UInt32](unsafeUninitializedCapacity: count) { out, initialized in
                // Plain pointers and a masking shift (low < 32), so that the loop has no checks and vectorises.
                func extract<Word: FixedWidthInteger & UnsignedInteger>(_: Word.Type) {
                    guard let source = bytes.baseAddress, let target = out.baseAddress else { return }
                    let stride = MemoryLayout<Word>.size
                    for i in 0..<count {
                        let w = UInt32(truncatingIfNeeded: Word(littleEndian: source.loadUnaligned(fromByteOffset: stride &* i, as: Word.self)))
                        target[i] = (w &>> low) & mask
                        residueSeen |= w & outside
                    }
                }
                switch bitsAllocated {
                case 8: extract(UInt8.self)
                case 16: extract(UInt16.self)
                default: extract(UInt32.self)
                }
                initialized = count
            }
            if residueSeen != 0 {
                residue = [UInt32](unsafeUninitializedCapacity: count) { out, initialized in
                    for i in 0..<count { out[i] = Self.word(bytes, i, bitsAllocated) & outside }
                    initialized = count
                }
            }
        } else {
            let words = Self.readWords(bytes, count: count, bitsAllocated: descriptor.bitsAllocated)
            let low = UInt32(descriptor.lowBit)
            let mask = descriptor.valueMask
            let outside = ~(mask << low)
            var residueSeen: UInt32 = 0
            values = [UInt32](repeating: 0, count: count)
            values.withUnsafeMutableBufferPointer { out in
                Self.forEachNativeIndex(descriptor) { native, normal in
                    let w = words[native]
                    out[normal] = (w >> low) & mask
                    residueSeen |= w & outside
                }
            }
            if residueSeen != 0 {
                var r = [UInt32](repeating: 0, count: count)
                r.withUnsafeMutableBufferPointer { out in
                    Self.forEachNativeIndex(descriptor) { native, normal in out[normal] = words[native] & outside }
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
    /// out of range in native-is-normalised order (8, 16, 32 bits allocated), whose check rides along in the
    /// one pass: call `checkValueRange()` first where `out` must stay untouched on that error.
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
        if descriptor.bitsAllocated != 1 && descriptor.hasIdentityLayout {
            let seen = placeIdentityLayout(into: out)
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
                var words = [UInt32](repeating: 0, count: count)
                let low = UInt32(descriptor.lowBit)
                words.withUnsafeMutableBufferPointer { w in
                    if let residue {
                        Self.forEachNativeIndex(descriptor) { native, normal in
                            w[native] = (values[normal] << low) | residue[normal]
                        }
                    } else {
                        Self.forEachNativeIndex(descriptor) { native, normal in w[native] = values[normal] << low }
                    }
                }
                Self.writeWords(words, into: out, bitsAllocated: descriptor.bitsAllocated)
            }
        }
        for (i, b) in trailingBytes.enumerated() { out[needed + i] = b }
    }

    /// The values (and residue) of 8, 16 or 32 bits allocated in native-is-normalised order into the first
    /// `valueCount` words of `out`, one pass; returns the OR of all values, for the range check.
    private func placeIdentityLayout(into out: UnsafeMutableRawBufferPointer) -> UInt32 {
        let count = values.count
        let low = UInt32(descriptor.lowBit)
        var seen: UInt32 = 0
        values.withUnsafeBufferPointer { valueBuffer in
            // One loop per word size, on plain pointers with masking shifts (low < 32), so that each vectorises.
            func place<Word: FixedWidthInteger & UnsignedInteger>(_: Word.Type) {
                guard let raw = out.baseAddress, let v = valueBuffer.baseAddress else { return }
                let stride = MemoryLayout<Word>.size
                if let residue {
                    residue.withUnsafeBufferPointer { residueBuffer in
                        guard let r = residueBuffer.baseAddress else { return }
                        for i in 0..<count {
                            seen |= v[i]
                            raw.storeBytes(of: Word(truncatingIfNeeded: (v[i] &<< low) | r[i]).littleEndian,
                                           toByteOffset: stride &* i, as: Word.self)
                        }
                    }
                } else {
                    for i in 0..<count {
                        seen |= v[i]
                        raw.storeBytes(of: Word(truncatingIfNeeded: v[i] &<< low).littleEndian,
                                       toByteOffset: stride &* i, as: Word.self)
                    }
                }
            }
            switch descriptor.bitsAllocated {
            case 8: place(UInt8.self)
            case 16: place(UInt16.self)
            default: place(UInt32.self)
            }
        }
        return seen
    }

    // MARK: - Layout

    /// Calls `body(nativeIndex, normalisedIndex)` for every sample.
    @inline(__always)
    static func forEachNativeIndex(_ d: PixelDescriptor, _ body: (Int, Int) -> Void) {
        let plane = d.planeSize
        let comps = d.components
        if d.hasIdentityLayout {
            for i in 0..<d.valueCount { body(i, i) }
        } else if d.isChromaSubsampled {
            // Per row: Y(2g) Y(2g+1) Cb(g) Cr(g) → luminance plane, chroma plane as Cb Cr Cb Cr.
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
        } else {
            for f in 0..<d.frames {
                let base = f * comps * plane
                for p in 0..<plane {
                    let n = base + p * comps
                    for c in 0..<comps { body(n + c, base + c * plane + p) }
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
}
