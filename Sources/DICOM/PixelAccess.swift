internal import CDCMTK

extension DicomObject {
    /// Decodes encapsulated Pixel Data to native and switches the object to Explicit VR Little Endian,
    /// dropping the compressed representation (so later edits to the native pixels cannot be lost).
    /// Returns (and keeps in `decodeRecord`) what it changed; nil when the object was not encapsulated.
    /// Throws `.unsupportedTransferSyntax(uid:name:)` when nothing here decodes the syntax.
    @discardableResult
    public func decodeToNative() throws(DicomError) -> DecodeRecord? {
        let syntax = transferSyntax
        guard syntax.isEncapsulated || syntax != .explicitVRLittleEndian else { return decodeRecord }
        let record = syntax.isEncapsulated
            ? DecodeRecord(
                originalTransferSyntaxUID: syntax.uid,
                originalPhotometricInterpretation: string(.photometricInterpretation),
                originalPlanarConfiguration: integer(.planarConfiguration))
            : nil
        var error = cdcmtk_error()
        let status = cdcmtk_decode_to_native(handle, &error)
        switch status {
        case Int32(CDCMTK_OK.rawValue):
            break
        case Int32(CDCMTK_UNSUPPORTED_SYNTAX.rawValue):
            throw .unsupportedTransferSyntax(uid: syntax.uid, name: syntax.name)
        case Int32(CDCMTK_NO_PIXEL_DATA.rawValue):
            throw .noPixelData
        default:
            throw .decodeFailed(transferSyntaxUID: syntax.uid, reason: error.text)
        }
        if let record { decodeRecord = record }
        return decodeRecord
    }

    /// The Image Pixel attributes as a `PixelDescriptor` (no pixel data is read).
    public func pixelDescriptor() throws(DicomError) -> PixelDescriptor {
        func required(_ tag: Tag, _ name: String) throws(DicomError) -> Int {
            guard let value = integer(tag) else { throw .invalidPixelAttributes("\(name) \(tag) is missing or not a number") }
            return value
        }
        let rows = try required(.rows, "Rows")
        let columns = try required(.columns, "Columns")
        let bitsAllocated = try required(.bitsAllocated, "BitsAllocated")
        let bitsStored = integer(.bitsStored) ?? bitsAllocated
        let samples = integer(.samplesPerPixel) ?? 1
        let planar: PlanarConfiguration = samples > 1 && integer(.planarConfiguration) == 1 ? .separate : .interleaved
        let frames = integer(.numberOfFrames) ?? 1
        let descriptor = PixelDescriptor(
            rows: rows, columns: columns, frames: frames,
            samplesPerPixel: samples, bitsAllocated: bitsAllocated, bitsStored: bitsStored,
            highBit: integer(.highBit) ?? (bitsStored - 1), isSigned: integer(.pixelRepresentation) == 1,
            planarConfiguration: planar,
            photometricInterpretation: string(.photometricInterpretation) ?? (samples == 3 ? "RGB" : "MONOCHROME2"))
        do {
            try descriptor.validate()
        } catch {
            throw .pixelData(error)
        }
        return descriptor
    }

    /// Lends the native Pixel Data bytes for the duration of `body` (decoding first if needed).
    public func withNativePixelBytes<Result>(
        _ body: (UnsafeRawBufferPointer) throws(DicomError) -> Result
    ) throws(DicomError) -> Result {
        guard hasPixelData else { throw .noPixelData }
        if transferSyntax.isEncapsulated { try decodeToNative() }
        var error = cdcmtk_error()
        var bytes: UnsafePointer<UInt8>? = nil
        var length = 0
        let status = cdcmtk_pixel_bytes(handle, &bytes, &length, &error)
        guard status == Int32(CDCMTK_OK.rawValue) else {
            if status == Int32(CDCMTK_NO_PIXEL_DATA.rawValue) { throw .noPixelData }
            throw .bridge(error.text)
        }
        return try body(UnsafeRawBufferPointer(start: bytes, count: bytes == nil ? 0 : length))
    }

    /// The pixel values and everything needed to rebuild the native bytes (decodes first if needed).
    public func pixelBuffer() throws(DicomError) -> PixelBuffer {
        guard hasPixelData else { throw .noPixelData }
        if transferSyntax.isEncapsulated { try decodeToNative() }
        let descriptor = try pixelDescriptor()
        return try withNativePixelBytes { (raw) throws(DicomError) -> PixelBuffer in
            do throws(PixelError) {
                return try PixelBuffer(nativeBytes: raw, descriptor: descriptor)
            } catch {
                throw .pixelData(error)
            }
        }
    }

    /// Writes the buffer's values back as native Pixel Data (OW above 8 bits allocated, else OB; padded to
    /// even length with a zero byte) together with the Image Pixel attributes its descriptor implies.
    /// NumberOfFrames is written when there is more than one frame or the object already had it;
    /// PlanarConfiguration only for colour data.
    public func setPixelBuffer(_ buffer: PixelBuffer) throws(DicomError) {
        let d = buffer.descriptor
        // The geometry is checked before the object changes; the bytes are then written once, straight into the
        // element DCMTK keeps, with the values' range checked in the same pass (a separate pass would cost what
        // the copy it saves did). A value out of range (a bug in whoever made the buffer) leaves the object
        // without Pixel Data rather than with half of it.
        do throws(PixelError) {
            try d.validate()
            guard buffer.values.count == d.valueCount else {
                throw .valueCountMismatch(expected: d.valueCount, actual: buffer.values.count)
            }
        } catch {
            throw .pixelData(error)
        }
        let length = d.nativeByteCount + buffer.trailingBytes.count
        let padded = length + length % 2   // Pixel Data has even length: a zero pad byte
        try setString(String(d.rows), for: .rows)
        try setString(String(d.columns), for: .columns)
        if d.frames > 1 || integer(.numberOfFrames) != nil { try setString(String(d.frames), for: .numberOfFrames) }
        try setString(String(d.samplesPerPixel), for: .samplesPerPixel)
        try setString(d.photometricInterpretation, for: .photometricInterpretation)
        try setString(String(d.bitsAllocated), for: .bitsAllocated)
        try setString(String(d.bitsStored), for: .bitsStored)
        try setString(String(d.highBit), for: .highBit)
        try setString(d.isSigned ? "1" : "0", for: .pixelRepresentation)
        if d.samplesPerPixel > 1 {
            try setString(String(d.planarConfiguration.rawValue), for: .planarConfiguration)
        } else {
            try setString(nil, for: .planarConfiguration)
        }
        var error = cdcmtk_error()
        var storage: UnsafeMutablePointer<UInt8>? = nil
        let status = cdcmtk_create_pixel_bytes(handle, padded, d.bitsAllocated > 8 ? 1 : 0, &storage, &error)
        guard status == Int32(CDCMTK_OK.rawValue) else { throw .bridge(error.text) }
        guard padded > 0 else { return }
        guard let storage else { throw .bridge("DCMTK lent no storage for the Pixel Data") }
        do throws(PixelError) {
            try buffer.writeNativeBytes(into: UnsafeMutableRawBufferPointer(start: storage, count: length))
        } catch {
            try? setString(nil, for: .pixelData)
            throw .pixelData(error)
        }
        if padded > length { storage[length] = 0 }
    }
}
