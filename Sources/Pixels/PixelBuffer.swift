/// Stored pixel values in one normalised order, plus what is needed to rebuild the native bytes exactly.
///
/// Order of `values`: frame, component, row, column — index `((f * components + c) * rows + r) * columns + x`.
/// Planar configuration is normalised away on the way in and restored by `nativeBytes()` from the descriptor.
public struct PixelBuffer: Sendable, Equatable {
    public var descriptor: PixelDescriptor
    /// Unsigned n-bit stored values (n = BitsStored), `descriptor.valueCount` of them.
    public var values: [UInt32]
    /// Per value, the bits of the allocated word outside the stored range, in place; nil when all are zero.
    public var residue: [UInt32]?
    /// Bytes of Pixel Data after the last pixel (an even-length pad byte, or stray data), kept verbatim.
    public var trailingBytes: [UInt8]
    /// BitsAllocated 1 only: the unused high bits of the last, partially filled byte, in place.
    public var packedPadBits: UInt8

    /// A buffer from values; residue, trailing bytes and pad bits default to none.
    public init(
        descriptor: PixelDescriptor, values: [UInt32], residue: [UInt32]? = nil,
        trailingBytes: [UInt8] = [], packedPadBits: UInt8 = 0
    ) throws(PixelError) {
        try descriptor.validate()
        guard values.count == descriptor.valueCount else {
            throw .valueCountMismatch(expected: descriptor.valueCount, actual: values.count)
        }
        if let residue, residue.count != values.count {
            throw .valueCountMismatch(expected: values.count, actual: residue.count)
        }
        self.descriptor = descriptor
        self.values = values
        self.residue = residue
        self.trailingBytes = trailingBytes
        self.packedPadBits = packedPadBits
    }

    /// Index of the first value of plane (frame, component).
    @inlinable
    public func planeStart(frame: Int, component: Int) -> Int {
        (frame * descriptor.components + component) * descriptor.planeSize
    }

    /// The value range of plane (frame, component).
    public func planeRange(frame: Int, component: Int) -> Range<Int> {
        let start = planeStart(frame: frame, component: component)
        return start..<(start + descriptor.planeSize)
    }

    /// The same geometry with other values (residue, trailing bytes and pad bits kept): what a cipher returns.
    public func replacingValues(_ newValues: [UInt32]) throws(PixelError) -> PixelBuffer {
        guard newValues.count == values.count else {
            throw .valueCountMismatch(expected: values.count, actual: newValues.count)
        }
        var copy = self
        copy.values = newValues
        return copy
    }

    /// Throws if any value has bits above BitsStored set (a bug in whoever produced the values).
    public func checkValueRange() throws(PixelError) {
        let outside = ~descriptor.valueMask
        guard outside != 0 else { return }
        var seen: UInt32 = 0
        for v in values { seen |= v }
        guard seen & outside != 0 else { return }
        let index = values.firstIndex { $0 & outside != 0 } ?? 0
        throw .valueOutOfRange(index: index, bitsStored: descriptor.bitsStored)
    }
}
