import DICOM
import Foundation
import Testing

@Suite("Library set-up and object basics")
struct LibraryTests {
    @Test("initialize is idempotent, sets TCP_NODELAY and loads the dictionary")
    func initialize() {
        DICOMLibrary.initialize()
        DICOMLibrary.initialize()
        #expect(DICOMLibrary.setUpError == nil)
        #expect(ProcessInfo.processInfo.environment["TCP_NODELAY"] == "1")
        #expect(DCMTKLibrary.version.hasPrefix("3."))
    }

    @Test("dictionary tags resolve by number (a fresh object takes dictionary VRs)")
    func dictionary() throws {
        let object = try DicomObject()
        try object.setString("12", for: .rows)
        #expect(object.rawValue(.rows)?.vr == "US")
        #expect(object.rawValue(.rows)?.bytes == [12, 0])
        try object.setString("DOE^JOHN", for: .patientName)
        #expect(object.rawValue(.patientName)?.vr == "PN")
    }

    @Test("decoding records what it changed: YBR_FULL_422 JPEG becomes RGB")
    func decodeRecordJPEG() throws {
        let object = try DicomObject(contentsOf: TestFiles.sharedSamples.appendingPathComponent("us_30frame_jpeg_baseline_ybr422.dcm"))
        #expect(object.decodeRecord == nil)
        let record = try #require(try object.decodeToNative())
        #expect(record.originalTransferSyntaxUID == TransferSyntax.jpegBaseline.uid)
        #expect(record.originalPhotometricInterpretation == "YBR_FULL_422")
        #expect(object.string(.photometricInterpretation) == "RGB")
        #expect(object.transferSyntax == .explicitVRLittleEndian)
        #expect(object.decodeRecord == record)
        let descriptor = try object.pixelDescriptor()
        #expect(descriptor.frames == 30 && descriptor.samplesPerPixel == 3)
        // The stale compressed representation is gone: writing JPEG baseline again is refused, not re-used.
        #expect(throws: DicomError.self) { try object.serialized(transferSyntax: .jpegBaseline) }
    }

    @Test("JPEG 2000 YBR_RCT decodes to RGB, 13 fragments form one frame")
    func decodeRecordJ2K() throws {
        let rgb = try DicomObject(contentsOf: TestFiles.sharedSamples.appendingPathComponent("us_rgb_j2k_lossless_3frag.dcm"))
        let record = try #require(try rgb.decodeToNative())
        #expect(record.originalPhotometricInterpretation == "YBR_RCT")
        #expect(rgb.string(.photometricInterpretation) == "RGB")
        let cr = try DicomObject(contentsOf: TestFiles.sharedSamples.appendingPathComponent("cr_mono1_10bit_j2k_lossless_13frag.dcm"))
        let buffer = try cr.pixelBuffer()
        #expect(buffer.descriptor.rows == 1760 && buffer.descriptor.bitsStored == 10)
        #expect(buffer.values.max().map { $0 <= 1023 } == true)
    }

    @Test("a native object needs no decode record")
    func nativeNoRecord() throws {
        let object = try DicomObject(contentsOf: TestFiles.sharedSamples.appendingPathComponent("ct_512_s16_implicit.dcm"))
        #expect(try object.decodeToNative() == nil)
        #expect(object.transferSyntax == .explicitVRLittleEndian)
    }

    @Test("copy is independent")
    func copyIsIndependent() throws {
        let object = try DicomObject(contentsOf: TestFiles.sharedSamples.appendingPathComponent("ct_small_s16_explicit.dcm"))
        let copy = try object.copy()
        var pixels = try copy.pixelBuffer()
        pixels.values[0] ^= 1
        try copy.setPixelBuffer(pixels)
        try copy.setString("OT", for: .modality)
        #expect(object.string(.modality) == "CT")
        #expect(try object.pixelBuffer().values[0] != pixels.values[0])
    }

    @Test("a buffer with a value out of range leaves no half-written Pixel Data")
    func outOfRangeBufferIsRefused() throws {
        let object = try DicomObject(contentsOf: TestFiles.sharedSamples.appendingPathComponent("ct_small_s16_explicit.dcm"))
        var pixels = try object.pixelBuffer()
        let last = pixels.values.count - 1
        pixels.values[last] = pixels.descriptor.valueMask &+ 1   // one bit above BitsStored: a producer's bug
        #expect(throws: DicomError.pixelData(.valueOutOfRange(index: last, bitsStored: pixels.descriptor.bitsStored))) {
            try object.setPixelBuffer(pixels)
        }
        #expect(!object.hasPixelData)
    }

    @Test("lossless re-encoding round-trips through every encoder")
    func reencode() throws {
        let object = try DicomObject(contentsOf: TestFiles.sharedSamples.appendingPathComponent("ct_small_s16_explicit.dcm"))
        let original = try object.pixelBuffer()
        for syntax in [TransferSyntax.jpegLosslessSV1, .jpegLSLossless, .rleLossless, .implicitVRLittleEndian, .explicitVRBigEndian, .deflatedExplicitVRLittleEndian] {
            let bytes = try object.serialized(transferSyntax: syntax)
            let reread = try DicomObject(bytes: bytes)
            #expect(reread.transferSyntax == syntax)
            #expect(try reread.pixelBuffer().values == original.values, "\(syntax)")
        }
        // The object itself still holds native pixels afterwards.
        #expect(!object.transferSyntax.isEncapsulated)
        #expect(try object.pixelBuffer() == original)
    }

    @Test("writing an undecodable syntax fails with a typed error")
    func unsupportedWrite() throws {
        let object = try DicomObject(contentsOf: TestFiles.sharedSamples.appendingPathComponent("ct_small_s16_explicit.dcm"))
        #expect(throws: DicomError.self) { try object.serialized(transferSyntax: .jpeg2000Lossless) }
        #expect(throws: DicomError.self) { try object.serialized(transferSyntax: TransferSyntax(uid: "1.2.3.4")) }
    }

    @Test("write with fsync creates a readable file")
    func fsyncWrite() throws {
        let folder = try TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let object = try DicomObject(contentsOf: TestFiles.sharedSamples.appendingPathComponent("rtstruct_nometa_implicit.dcm"))
        let file = folder.appendingPathComponent("out.dcm")
        try object.write(to: file, fsync: true)
        let reread = try DicomObject(contentsOf: file)
        #expect(reread.string(.sopInstanceUID) == object.string(.sopInstanceUID))
        #expect(reread.string(.transferSyntaxUID) == TransferSyntax.explicitVRLittleEndian.uid)
        #expect(throws: DicomError.self) { try object.write(to: URL(fileURLWithPath: "/nonexistent/dir/out.dcm")) }
    }

    /// A file that exists (a recycled spool file, an earlier output) is written over in place and cut to the new
    /// length: same inode, same mode, and exactly the bytes `serialized()` gives, none of the longer old file's
    /// tail. A new file gets the same bytes.
    @Test("write over a longer existing file in place")
    func writeOverInPlace() throws {
        let folder = try TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let object = try DicomObject(contentsOf: TestFiles.sharedSamples.appendingPathComponent("ct_small_s16_explicit.dcm"))
        let expected = Data(try object.serialized(transferSyntax: .explicitVRLittleEndian))
        let file = folder.appendingPathComponent("reused.dcm")
        try Data(repeating: 0xEE, count: expected.count * 3 + 17).write(to: file)
        #expect(chmod(file.path, 0o600) == 0)
        var before = stat()
        #expect(stat(file.path, &before) == 0)
        try object.write(to: file, transferSyntax: .explicitVRLittleEndian, fsync: true)
        var after = stat()
        #expect(stat(file.path, &after) == 0)
        #expect(after.st_ino == before.st_ino)
        #expect(after.st_mode & 0o7777 == 0o600)
        #expect(try Data(contentsOf: file) == expected)
        let fresh = folder.appendingPathComponent("fresh.dcm")
        try object.write(to: fresh, transferSyntax: .explicitVRLittleEndian)
        #expect(try Data(contentsOf: fresh) == expected)
    }
}
