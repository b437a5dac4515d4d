/// DICOM — Swift types over the DCMTK bridge (`CDCMTK`). No DCMTK type leaks past this module.
///
/// It knows DICOM objects, transfer syntaxes, pixel data and private blocks; it knows nothing of ciphers, keys
/// or networking policy. Pixel values travel as `PixelBuffer` (module `Pixels`, re-exported here).
///
/// ```swift
/// DICOMLibrary.initialize()
/// let object = try DicomObject(contentsOf: URL(fileURLWithPath: "ct.dcm"))
/// var pixels = try object.pixelBuffer()            // decodes JPEG / JPEG-LS / RLE / JPEG 2000 first
/// pixels.values[0] ^= 1
/// try object.setPixelBuffer(pixels)
/// let block = try object.reservePrivateBlock(creator: "QKDGATE 1")
/// try object.setPrivateElement([1, 2, 3, 4], vr: .ob, offset: 0x01, in: block)
/// try object.write(to: URL(fileURLWithPath: "out.dcm"))   // Explicit VR Little Endian
/// ```
///
/// Transfer syntaxes (DCMTK 3.6.7 + OpenJPEG 2.5):
///
/// | transfer syntax                                | read | decode to native        | write |
/// |------------------------------------------------|------|-------------------------|-------|
/// | Implicit / Explicit VR Little Endian           | yes  | (native)                | yes   |
/// | Explicit VR Big Endian (retired)               | yes  | (native, byte-swapped)  | yes   |
/// | Deflated Explicit VR Little Endian             | yes  | (native)                | yes   |
/// | JPEG Baseline, Extended (lossy)                | yes  | DCMTK dcmjpeg           | no    |
/// | JPEG Lossless (Process 14, SV1)                | yes  | DCMTK dcmjpeg, exact    | yes   |
/// | JPEG-LS Lossless / Near-Lossless               | yes  | DCMTK dcmjpls           | lossless only |
/// | RLE Lossless                                   | yes  | DCMTK, exact            | yes   |
/// | JPEG 2000 (Lossless Only, and lossy), 8/16-bit | yes  | OpenJPEG, exact lossless| no    |
/// | anything else (MPEG, HTJ2K, JPEG XL, …)        | if DCMTK knows the UID | `.unsupportedTransferSyntax` | no |
///
/// Decoding changes PhotometricInterpretation for colour JPEG (YBR_FULL, YBR_FULL_422 → RGB) and JPEG 2000
/// (YBR_RCT, YBR_ICT → RGB); `DicomObject.decodeToNative()` returns what it changed.
@_exported public import Pixels
internal import CDCMTK
internal import Logging

/// Facts about the DCMTK library this build links.
public enum DCMTKLibrary {
    /// DCMTK's version string, e.g. "3.6.7".
    public static var version: String { String(cString: cdcmtk_version()) }
}

/// Process-wide set-up of the DICOM toolkit.
public enum DICOMLibrary {
    /// DCMTK's own log lines, forwarded at debug level (DCMTK itself only reports warnings and worse).
    static let dcmtkLogger = Logger(label: "qkdgate.dcmtk")

    private static let setUpResult: DicomError? = {
        var error = cdcmtk_error()
        let status = cdcmtk_initialize({ level, logger, message in
            guard let message else { return }
            let source = logger.map { String(cString: $0) } ?? "dcmtk"
            DICOMLibrary.dcmtkLogger.debug(
                "\(String(cString: message))",
                metadata: ["dcmtk.logger": "\(source)", "dcmtk.level": "\(level)"]
            )
        }, &error)
        guard status == Int32(CDCMTK_OK.rawValue) else { return .dictionaryMissing(error.text) }
        return nil
    }()

    /// Idempotent: sets `TCP_NODELAY=1` in the environment (before any socket opens), checks the data
    /// dictionary, registers the codecs and routes DCMTK logging to swift-log. Call it at start-up; every
    /// `DicomObject` initialiser calls it too.
    public static func initialize() {
        _ = setUpResult
    }

    /// Why set-up failed (the dictionary did not load), or nil when the library is ready.
    public static var setUpError: DicomError? { setUpResult }

    static func ensureReady() throws(DicomError) {
        if let error = setUpResult { throw error }
    }
}

extension cdcmtk_error {
    /// The bridge's message text.
    var text: String {
        withUnsafeBytes(of: message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
