import DICOM
import Foundation
import Testing

/// Lossless compressed samples decode to exactly what an independent decoder (pydicom + pylibjpeg +
/// pyjpegls, see Tests/tools/independent_decode.py) produces. Skipped when the Python packages are absent.
@Suite("Independent decoder agreement")
struct IndependentDecoderTests {
    static let script = TestFiles.packageRoot.appendingPathComponent("Tests/tools/independent_decode.py")

    static let pythonReady: Bool = {
        guard let python = findExecutable("python3") else { return false }
        let result = try? runProcess(python, ["-c", "import pydicom, pylibjpeg, numpy, libjpeg, openjpeg, rle, jpeg_ls"])
        return result?.status == 0
    }()

    static let losslessSyntaxes: Set<String> = [
        TransferSyntax.jpegLossless.uid, TransferSyntax.jpegLosslessSV1.uid, TransferSyntax.jpegLSLossless.uid,
        TransferSyntax.rleLossless.uid, TransferSyntax.jpeg2000Lossless.uid,
    ]

    /// The script's values file (little-endian UInt32) as values.
    static func readValues(_ url: URL) throws -> [UInt32] {
        let data = try Data(contentsOf: url)
        let bytes = [UInt8](data)
        return stride(from: 0, to: bytes.count - 3, by: 4).map { i in
            UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
        }
    }

    @Test("lossless and native decodes match pydicom/pylibjpeg", .enabled(if: pythonReady, "needs python3 with pydicom, pylibjpeg(-libjpeg,-openjpeg,-rle), pyjpegls"))
    func losslessMatchesIndependentDecoder() throws {
        let candidates = TestFiles.dicomFiles(in: TestFiles.sharedSamples) + TestFiles.dicomFiles(in: TestFiles.repoSamples)
        var lossless: [URL: DicomObject] = [:]
        for file in candidates where !file.lastPathComponent.hasPrefix("malformed") {
            // Lossless compressed files, and native ones too (big endian, deflated, 1-bit, 32-bit, signed with
            // junk high bits); not native 4:2:2 (pydicom upsamples it to RGB) and not lossy ones.
            guard let object = try? DicomObject(contentsOf: file), object.hasPixelData,
                  Self.losslessSyntaxes.contains(object.transferSyntax.uid) || !object.transferSyntax.isEncapsulated,
                  object.string(.photometricInterpretation)?.hasSuffix("_422") != true else { continue }
            lossless[file] = object
        }
        #expect(lossless.count >= 20, "expected the shared set's native, JPEG lossless, JPEG-LS, RLE and J2K files")
        let files = lossless.keys.sorted { $0.path < $1.path }
        let python = try #require(findExecutable("python3"))
        let folder = try TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try runProcess(python, [Self.script.path, folder.path] + files.map(\.path))
        #expect(result.status == 0)
        var decodedByPython: Set<String> = []
        for line in result.output.split(separator: "\n") {
            guard let data = line.data(using: .utf8),
                  let entry = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let name = entry["file"] as? String else { continue }
            if entry["sha256"] is String { decodedByPython.insert(name) } else {
                Issue.record("independent decoder failed on \(name): \(entry["error"] ?? "?")")
            }
        }
        var syntaxesSeen = Set<String>()
        for file in files {
            let object = try #require(lossless[file])
            syntaxesSeen.insert(object.transferSyntax.uid)
            let name = file.lastPathComponent
            guard decodedByPython.contains(name) else { continue }
            let buffer = try object.pixelBuffer()
            let theirs = try Self.readValues(folder.appendingPathComponent(name + ".values"))
            #expect(theirs.count == buffer.values.count, "\(name): value count")
            let agree = theirs == buffer.values
            #expect(agree, "\(name): decoded values differ from pydicom's")
        }
        #expect(syntaxesSeen.contains(TransferSyntax.jpeg2000Lossless.uid))
        #expect(syntaxesSeen.contains(TransferSyntax.rleLossless.uid))
        #expect(syntaxesSeen.contains(TransferSyntax.jpegLSLossless.uid))
        #expect(syntaxesSeen.contains(TransferSyntax.jpegLosslessSV1.uid))
        #expect(syntaxesSeen.contains(TransferSyntax.explicitVRBigEndian.uid))
        #expect(syntaxesSeen.contains(TransferSyntax.deflatedExplicitVRLittleEndian.uid))
    }

    @Test("shared samples agree with catalogue.csv")
    func catalogueFacts() throws {
        let catalogue = try TestFiles.catalogue()
        #expect(catalogue.count >= 25)
        for (name, facts) in catalogue.sorted(by: { $0.key < $1.key }) {
            let file = TestFiles.sharedSamples.appendingPathComponent(name)
            guard let object = try? DicomObject(contentsOf: file) else {
                #expect(name.hasPrefix("malformed"), "\(name) did not load")
                continue
            }
            #expect(object.string(.sopClassUID) == facts["sop_class_uid"], "\(name) SOP class")
            if let uid = facts["transfer_syntax_uid"], uid.hasPrefix("1.2") {
                #expect(object.transferSyntax.uid == uid, "\(name) transfer syntax")
            }
            guard let rows = facts["rows"], !rows.isEmpty, rows != "-" else {
                #expect(!object.hasPixelData || name.hasPrefix("ecg"), "\(name) has no pixel facts but has Pixel Data")
                continue
            }
            let descriptor = try object.pixelDescriptor()
            #expect(String(descriptor.rows) == rows, "\(name) rows")
            #expect(String(descriptor.columns) == facts["cols"], "\(name) columns")
            #expect(String(descriptor.frames) == facts["frames"], "\(name) frames")
            #expect(String(descriptor.bitsAllocated) == facts["bits_allocated"], "\(name) bits allocated")
            #expect(String(descriptor.bitsStored) == facts["bits_stored"], "\(name) bits stored")
            #expect(String(descriptor.highBit) == facts["high_bit"], "\(name) high bit")
            #expect((descriptor.isSigned ? "1" : "0") == facts["pixel_representation"], "\(name) pixel representation")
            #expect(String(descriptor.samplesPerPixel) == facts["samples_per_pixel"], "\(name) samples")
            #expect(descriptor.photometricInterpretation == facts["photometric"], "\(name) photometric")
        }
    }
}
