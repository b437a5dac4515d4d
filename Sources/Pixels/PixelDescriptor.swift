/// Pixels — the exact pixel model of qkdgate (DESIGN.md §3).
///
/// A `PixelBuffer` holds the *stored values* of an image as unsigned n-bit integers (n = BitsStored), one
/// `UInt32` each, in one normalised order (frame, component, row, column), together with everything needed to
/// rebuild the original native Pixel Data bytes exactly: the bits outside the stored range of each allocated
/// word, trailing padding bytes, and the unused bits of a packed 1-bit stream. Signed data is kept as its bits.
///
/// This module knows nothing of DICOM files or networking and nothing of ciphers; it only converts between
/// native (uncompressed, little-endian) Pixel Data bytes and values:
///
/// ```swift
/// let descriptor = PixelDescriptor(rows: 2, columns: 2, bitsAllocated: 16, bitsStored: 12)
/// var buffer = try PixelBuffer(nativeBytes: bytes, descriptor: descriptor)
/// buffer.values[0] ^= 1                      // work on 12-bit values
/// let restored = try buffer.nativeBytes()    // same layout, high bits as they were
/// ```
///
/// | BitsAllocated | BitsStored | layout of the native bytes                                   |
/// |---------------|------------|--------------------------------------------------------------|
/// | 1             | 1          | bits packed LSB first, frames back to back without padding   |
/// | 8             | 1…8        | one byte per sample                                          |
/// | 16            | 1…16       | little-endian 16-bit words                                   |
/// | 32            | 1…32       | little-endian 32-bit words                                   |
///
/// Components: a pixel has `samplesPerPixel` components, except the subsampled `YBR_FULL_422` /
/// `YBR_PARTIAL_422` forms, whose native stream `Y0 Y1 Cb Cr` per pixel pair is presented as two components
/// of `rows × columns` values each: luminance, and chroma as `Cb0 Cr0 Cb1 Cr1 …`. Every consumer can then treat
/// a buffer as `frames × components` planes of `rows × columns` values.

/// How colour samples are arranged in the native bytes.
public enum PlanarConfiguration: Int, Sendable, Hashable, Codable {
    /// Samples of one pixel are adjacent (R1 G1 B1 R2 G2 B2 …).
    case interleaved = 0
    /// Each sample forms its own plane per frame (R1 R2 … G1 G2 … B1 B2 …).
    case separate = 1
}

/// The Image Pixel module attributes that decide how Pixel Data bytes map to values.
public struct PixelDescriptor: Sendable, Hashable, Codable {
    public var rows: Int
    public var columns: Int
    public var frames: Int
    public var samplesPerPixel: Int
    public var bitsAllocated: Int
    public var bitsStored: Int
    public var highBit: Int
    /// PixelRepresentation 1. Values are kept as their unsigned n-bit patterns either way.
    public var isSigned: Bool
    public var planarConfiguration: PlanarConfiguration
    public var photometricInterpretation: String

    public init(
        rows: Int, columns: Int, frames: Int = 1, samplesPerPixel: Int = 1,
        bitsAllocated: Int, bitsStored: Int, highBit: Int? = nil, isSigned: Bool = false,
        planarConfiguration: PlanarConfiguration = .interleaved,
        photometricInterpretation: String? = nil
    ) {
        self.rows = rows
        self.columns = columns
        self.frames = frames
        self.samplesPerPixel = samplesPerPixel
        self.bitsAllocated = bitsAllocated
        self.bitsStored = bitsStored
        self.highBit = highBit ?? (bitsStored - 1)
        self.isSigned = isSigned
        self.planarConfiguration = planarConfiguration
        self.photometricInterpretation = photometricInterpretation ?? (samplesPerPixel == 3 ? "RGB" : "MONOCHROME2")
    }

    /// True for the YBR forms whose native data carries one chroma pair per two pixels.
    public var isChromaSubsampled: Bool {
        photometricInterpretation == "YBR_FULL_422" || photometricInterpretation == "YBR_PARTIAL_422"
    }

    /// Components per pixel as consumers of a `PixelBuffer` see them (2 for the 422 forms).
    public var components: Int { isChromaSubsampled ? 2 : samplesPerPixel }

    /// Values in one plane (one component of one frame).
    public var planeSize: Int { rows * columns }

    /// Values in one frame, all components.
    public var frameSize: Int { planeSize * components }

    /// Values in the whole buffer.
    public var valueCount: Int { frameSize * frames }

    /// Native samples per frame as they sit in Pixel Data (422 carries 2 per pixel).
    public var nativeSampleCount: Int { valueCount }

    /// Bytes the native Pixel Data needs, before any trailing padding.
    public var nativeByteCount: Int {
        bitsAllocated == 1 ? (valueCount + 7) / 8 : valueCount * (bitsAllocated / 8)
    }

    /// Position of the least significant stored bit inside an allocated word.
    public var lowBit: Int { highBit - bitsStored + 1 }

    /// Mask of the n low bits (n = BitsStored).
    public var valueMask: UInt32 { bitsStored >= 32 ? UInt32.max : (UInt32(1) << UInt32(bitsStored)) - 1 }

    /// Largest stored value as unsigned.
    public var maxValue: UInt32 { valueMask }

    /// Checks that the attributes describe a layout this model can represent exactly.
    public func validate() throws(PixelError) {
        guard rows > 0, columns > 0, frames > 0 else {
            throw .invalidAttributes("Rows, Columns and NumberOfFrames must be positive (got \(rows)×\(columns), \(frames) frames)")
        }
        guard samplesPerPixel == 1 || samplesPerPixel == 3 || samplesPerPixel == 4 else {
            throw .invalidAttributes("SamplesPerPixel \(samplesPerPixel) is not 1, 3 or 4")
        }
        guard [1, 8, 16, 32].contains(bitsAllocated) else {
            throw .unsupportedLayout("BitsAllocated \(bitsAllocated) (supported: 1, 8, 16, 32)")
        }
        guard bitsStored >= 1, bitsStored <= bitsAllocated else {
            throw .invalidAttributes("BitsStored \(bitsStored) does not fit BitsAllocated \(bitsAllocated)")
        }
        guard highBit >= bitsStored - 1, highBit < bitsAllocated else {
            throw .invalidAttributes("HighBit \(highBit) does not fit BitsStored \(bitsStored) / BitsAllocated \(bitsAllocated)")
        }
        if bitsAllocated == 1 && samplesPerPixel != 1 {
            throw .unsupportedLayout("BitsAllocated 1 with SamplesPerPixel \(samplesPerPixel)")
        }
        if isChromaSubsampled {
            guard samplesPerPixel == 3, planarConfiguration == .interleaved else {
                throw .invalidAttributes("\(photometricInterpretation) needs 3 samples, PlanarConfiguration 0")
            }
            guard columns % 2 == 0 else {
                throw .invalidAttributes("\(photometricInterpretation) needs an even number of Columns (got \(columns))")
            }
        }
        if photometricInterpretation.hasSuffix("_420") {
            throw .unsupportedLayout("native \(photometricInterpretation) Pixel Data")
        }
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
        guard !overflow, count.multipliedReportingOverflow(by: samplesPerPixel * frames * 4).overflow == false else {
            throw .invalidAttributes("image dimensions overflow")
        }
    }
}

/// Why pixel data could not be represented or rebuilt. Messages carry geometry only, never pixel values.
public enum PixelError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidAttributes(String)
    case unsupportedLayout(String)
    case lengthMismatch(expected: Int, actual: Int)
    case valueOutOfRange(index: Int, bitsStored: Int)
    case valueCountMismatch(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .invalidAttributes(let what):
            "invalid Image Pixel attributes: \(what); fix the object's group 0028 attributes"
        case .unsupportedLayout(let what):
            "unsupported pixel layout: \(what)"
        case .lengthMismatch(let expected, let actual):
            "Pixel Data holds \(actual) bytes but the Image Pixel attributes need \(expected); the object is truncated or its attributes are wrong"
        case .valueOutOfRange(let index, let bits):
            "value #\(index) does not fit in \(bits) bits; the producer of this buffer has a bug"
        case .valueCountMismatch(let expected, let actual):
            "buffer has \(actual) values but its descriptor needs \(expected)"
        }
    }
}
