/// Why a DICOM operation failed. Cases are named for the failed step; payloads carry facts (paths, UIDs,
/// DCMTK's text), never attribute values that could be PHI, and never key material.
public enum DicomError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes could not be parsed as DICOM. `source` is the file path or "memory".
    case readFailed(source: String, reason: String)
    /// Serialising or writing failed. `destination` is the file path or "memory".
    case writeFailed(destination: String, reason: String)
    /// No decoder (or encoder) here handles this transfer syntax.
    case unsupportedTransferSyntax(uid: String, name: String)
    /// A decoder ran and failed: the compressed data is corrupt or disagrees with the attributes.
    case decodeFailed(transferSyntaxUID: String, reason: String)
    /// The object has no Pixel Data element.
    case noPixelData
    /// The Image Pixel attributes are missing or contradictory (names the attribute).
    case invalidPixelAttributes(String)
    /// The native Pixel Data does not fit the pixel model (length mismatch, unsupported layout, …).
    case pixelData(PixelError)
    /// DCMTK rejected a value for an element (the value itself is not repeated).
    case invalidValue(tag: Tag, reason: String)
    /// A private block could not be reserved, found or written.
    case privateBlock(String)
    /// The DICOM data dictionary did not load at start-up.
    case dictionaryMissing(String)
    /// An unexpected failure inside the bridge.
    case bridge(String)

    public var description: String {
        switch self {
        case .readFailed(let source, let reason):
            "cannot read DICOM from \(source): \(reason); check that it is a complete DICOM file"
        case .writeFailed(let destination, let reason):
            "cannot write DICOM to \(destination): \(reason)"
        case .unsupportedTransferSyntax(let uid, let name):
            "transfer syntax \(name) (\(uid)) cannot be decoded here; send the object uncompressed or in JPEG, JPEG-LS, RLE or JPEG 2000"
        case .decodeFailed(let uid, let reason):
            "decoding pixel data in transfer syntax \(uid) failed: \(reason)"
        case .noPixelData:
            "the object has no Pixel Data (7FE0,0010); treat it as a non-image object"
        case .invalidPixelAttributes(let what):
            "invalid Image Pixel attributes: \(what); fix the object's group 0028 attributes"
        case .pixelData(let error):
            error.description
        case .invalidValue(let tag, let reason):
            "the value for \(tag) was rejected: \(reason)"
        case .privateBlock(let what):
            "private block: \(what)"
        case .dictionaryMissing(let what):
            what
        case .bridge(let what):
            "internal DCMTK bridge failure: \(what); report this with the input that caused it"
        }
    }
}
