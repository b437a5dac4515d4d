public import Foundation
internal import CDCMTK

/// One DICOM object (file meta + dataset) held fully in memory by the bridge.
///
/// A reference type that owns its DCMTK handle and frees it in `deinit`. It may be handed from one thread to
/// another but must not be used by two threads at once; use `copy()` to get an independent object.
public final class DicomObject: @unchecked Sendable {
    let handle: OpaquePointer

    /// What decoding changed, once `decodeToNative()` has run on encapsulated data (nil before, and for
    /// objects that were never compressed). The gateway stores it to restore the originals later.
    public internal(set) var decodeRecord: DecodeRecord?

    private init(handle: OpaquePointer, decodeRecord: DecodeRecord? = nil) {
        self.handle = handle
        self.decodeRecord = decodeRecord
    }

    deinit { cdcmtk_object_free(handle) }

    /// An empty object: no meta header values and an empty dataset.
    public convenience init() throws(DicomError) {
        try DICOMLibrary.ensureReady()
        guard let handle = cdcmtk_object_create() else { throw .bridge("could not allocate an object") }
        self.init(handle: handle)
    }

    /// Loads a DICOM file (with or without preamble and meta header) fully into memory.
    public convenience init(contentsOf url: URL) throws(DicomError) {
        try DICOMLibrary.ensureReady()
        var error = cdcmtk_error()
        guard let handle = cdcmtk_object_load_file(url.path, &error) else {
            throw .readFailed(source: url.path, reason: error.text)
        }
        self.init(handle: handle)
    }

    /// Parses a DICOM file (preamble + meta) or a bare dataset from memory.
    public convenience init(bytes: [UInt8]) throws(DicomError) {
        try DICOMLibrary.ensureReady()
        var error = cdcmtk_error()
        let handle = bytes.withUnsafeBufferPointer { buffer in
            cdcmtk_object_load_buffer(buffer.baseAddress, buffer.count, &error)
        }
        guard let handle else { throw .readFailed(source: "memory", reason: error.text) }
        self.init(handle: handle)
    }

    /// An independent deep copy.
    public func copy() throws(DicomError) -> DicomObject {
        var error = cdcmtk_error()
        guard let handle = cdcmtk_object_clone(handle, &error) else { throw .bridge(error.text) }
        return DicomObject(handle: handle, decodeRecord: decodeRecord)
    }

    // MARK: - Writing

    /// Writes a DICOM file (preamble + meta header) in `transferSyntax`. Encapsulated data is decoded first
    /// when a native syntax is asked for; the lossless encoders (JPEG Lossless SV1, JPEG-LS Lossless, RLE)
    /// are used when one of those is asked for. With `fsync` the file is on disk when this returns.
    public func write(
        to url: URL, transferSyntax: TransferSyntax = .explicitVRLittleEndian, fsync: Bool = false
    ) throws(DicomError) {
        try recordDecodeIfNeeded(for: transferSyntax)
        var error = cdcmtk_error()
        let status = cdcmtk_object_save_file(handle, url.path, transferSyntax.uid, fsync ? 1 : 0, &error)
        try check(status, error, destination: url.path)
    }

    /// The object as a DICOM file (preamble + meta header) in memory.
    public func serialized(transferSyntax: TransferSyntax = .explicitVRLittleEndian) throws(DicomError) -> [UInt8] {
        try recordDecodeIfNeeded(for: transferSyntax)
        var error = cdcmtk_error()
        var bytes: UnsafeMutablePointer<UInt8>? = nil
        var length = 0
        let status = cdcmtk_object_save_buffer(handle, transferSyntax.uid, &bytes, &length, &error)
        defer { cdcmtk_free(bytes) }
        try check(status, error, destination: "memory")
        guard let bytes else { return [] }
        return Array(UnsafeBufferPointer(start: bytes, count: length))
    }

    private func recordDecodeIfNeeded(for target: TransferSyntax) throws(DicomError) {
        let current = transferSyntax
        if current.isEncapsulated && current != target { try decodeToNative() }
    }

    private func check(_ status: Int32, _ error: cdcmtk_error, destination: String) throws(DicomError) {
        switch status {
        case Int32(CDCMTK_OK.rawValue): return
        case Int32(CDCMTK_UNSUPPORTED_SYNTAX.rawValue):
            throw .writeFailed(destination: destination, reason: error.text)
        case Int32(CDCMTK_DECODE_FAILED.rawValue):
            throw .decodeFailed(transferSyntaxUID: transferSyntax.uid, reason: error.text)
        default:
            throw .writeFailed(destination: destination, reason: error.text)
        }
    }

    // MARK: - Attributes

    /// The transfer syntax the dataset is in now: as read, or Explicit VR Little Endian after decoding.
    public var transferSyntax: TransferSyntax {
        var uid: UnsafeMutablePointer<CChar>? = nil
        var error = cdcmtk_error()
        _ = cdcmtk_object_transfer_syntax(handle, &uid, &error)
        defer { cdcmtk_free(uid) }
        return TransferSyntax(uid: uid.map { String(cString: $0) } ?? "")
    }

    /// The value of a top-level attribute as DCMTK formats it (multiple values joined by "\"); nil when
    /// absent. Group 0002 is read from the meta header. Trailing padding spaces are removed.
    public func string(_ tag: Tag) -> String? {
        var value: UnsafeMutablePointer<CChar>? = nil
        let status = cdcmtk_get_string(handle, tag.group, tag.element, &value)
        defer { cdcmtk_free(value) }
        guard status == Int32(CDCMTK_OK.rawValue), let value else { return nil }
        var text = String(cString: value)
        while text.last == " " || text.last == "\0" { text.removeLast() }
        return text
    }

    /// An integer attribute (US, IS, UL, …); nil when absent or not a number.
    public func integer(_ tag: Tag) -> Int? {
        guard let text = string(tag) else { return nil }
        let first = text.split(separator: "\\", omittingEmptySubsequences: false).first ?? ""
        return Int(first.trimmingCharacters(in: .whitespaces))
    }

    /// Sets a top-level attribute from a string (VR from the data dictionary, or `vr`); nil removes it.
    public func setString(_ value: String?, for tag: Tag, vr: VR? = nil) throws(DicomError) {
        var error = cdcmtk_error()
        let status: Int32
        if let value {
            status = cdcmtk_set_string(handle, tag.group, tag.element, vr?.rawValue, value, &error)
        } else {
            status = cdcmtk_set_string(handle, tag.group, tag.element, nil, nil, &error)
        }
        guard status == Int32(CDCMTK_OK.rawValue) else { throw .invalidValue(tag: tag, reason: error.text) }
    }

    /// The raw value bytes of a top-level element whatever its VR (UN included); binary VRs little-endian.
    public func rawValue(_ tag: Tag) -> (bytes: [UInt8], vr: String)? {
        var bytes: UnsafeMutablePointer<UInt8>? = nil
        var length = 0
        var vr: (CChar, CChar, CChar) = (0, 0, 0)
        let status = withUnsafeMutablePointer(to: &vr) { pointer in
            pointer.withMemoryRebound(to: CChar.self, capacity: 3) { cdcmtk_get_raw(handle, tag.group, tag.element, &bytes, &length, $0) }
        }
        defer { cdcmtk_free(bytes) }
        guard status == Int32(CDCMTK_OK.rawValue) else { return nil }
        let name = String(decoding: [UInt8(bitPattern: vr.0), UInt8(bitPattern: vr.1)].filter { $0 != 0 }, as: UTF8.self)
        guard let bytes else { return ([], name) }
        return (Array(UnsafeBufferPointer(start: bytes, count: length)), name)
    }

    /// Sets a top-level element from raw little-endian bytes with the given VR.
    public func setRawValue(_ bytes: [UInt8], vr: VR, for tag: Tag) throws(DicomError) {
        var error = cdcmtk_error()
        let status = bytes.withUnsafeBufferPointer { buffer in
            cdcmtk_set_raw(handle, tag.group, tag.element, vr.rawValue, buffer.baseAddress, buffer.count, &error)
        }
        guard status == Int32(CDCMTK_OK.rawValue) else { throw .invalidValue(tag: tag, reason: error.text) }
    }

    /// Removes a top-level element if present.
    public func remove(_ tag: Tag) {
        _ = cdcmtk_remove(handle, tag.group, tag.element)
    }

    /// The tags of the top-level dataset, ascending.
    public func tags() -> [Tag] {
        var list: UnsafeMutablePointer<UInt32>? = nil
        var count = 0
        guard cdcmtk_list_tags(handle, &list, &count) == Int32(CDCMTK_OK.rawValue), let list else { return [] }
        defer { cdcmtk_free(list) }
        return UnsafeBufferPointer(start: list, count: count).map { Tag(UInt16($0 >> 16), UInt16($0 & 0xFFFF)) }
    }

    /// True when the dataset has a Pixel Data (7FE0,0010) element.
    public var hasPixelData: Bool { cdcmtk_has_pixel_data(handle) != 0 }
}

/// What `decodeToNative()` changed, so that the original can be described or restored later.
public struct DecodeRecord: Sendable, Hashable, Codable {
    /// The transfer syntax UID the object arrived in.
    public var originalTransferSyntaxUID: String
    /// PhotometricInterpretation before decoding (decoders turn YBR forms into RGB).
    public var originalPhotometricInterpretation: String?
    /// PlanarConfiguration before decoding.
    public var originalPlanarConfiguration: Int?
}
