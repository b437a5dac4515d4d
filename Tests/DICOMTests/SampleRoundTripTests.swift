import DICOM
import Foundation
import Testing

/// Every shared and generated sample: parse, decode, extract, reinsert, save, reload, compare bit for bit.
@Suite("Sample files round-trip")
struct SampleRoundTripTests {
    static let files: [URL] = TestFiles.dicomFiles(in: TestFiles.sharedSamples) + TestFiles.dicomFiles(in: TestFiles.repoSamples)

    @Test("shared sample set is present")
    func sharedSamplesPresent() {
        #expect(TestFiles.dicomFiles(in: TestFiles.sharedSamples).count >= 25, "expected ../shared/dicom-samples next to the package")
    }

    @Test("round trip", arguments: files)
    func roundTrip(file: URL) throws {
        let name = file.lastPathComponent
        let object: DicomObject
        do {
            object = try DicomObject(contentsOf: file)
        } catch {
            // Only the deliberately malformed file may fail to parse, and it must fail with a typed error.
            #expect(name.hasPrefix("malformed"), "\(name): \(error)")
            return
        }
        guard object.hasPixelData else {
            #expect(throws: DicomError.noPixelData) { try object.pixelBuffer() }
            return
        }
        let original: PixelBuffer
        do {
            original = try object.pixelBuffer()
        } catch {
            #expect(name.hasPrefix("malformed"), "\(name): \(error)")
            if case .pixelData(.lengthMismatch) = error { } else if name.hasPrefix("malformed") {
                Issue.record("\(name): expected a length mismatch, got \(error)")
            }
            return
        }
        #expect(!name.hasPrefix("malformed"), "\(name) should have been rejected")
        let decodedBytes = try object.withNativePixelBytes { Array($0) }
        // Encapsulated objects were decoded to Explicit VR Little Endian; native ones keep their syntax.
        #expect(!object.transferSyntax.isEncapsulated)

        // Reinsert the extracted buffer, save, reload, extract again.
        try object.setPixelBuffer(original)
        let folder = try TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("roundtrip.dcm")
        try object.write(to: output)
        let reloaded = try DicomObject(contentsOf: output)
        #expect(reloaded.transferSyntax == .explicitVRLittleEndian)
        let reloadedBytes = try reloaded.withNativePixelBytes { Array($0) }
        let paddedOriginal = decodedBytes.count % 2 == 1 ? decodedBytes + [0] : decodedBytes
        #expect(reloadedBytes == paddedOriginal, "\(name): native Pixel Data changed in the round trip")
        let again = try reloaded.pixelBuffer()
        #expect(again.values == original.values)
        #expect(again.residue == original.residue)
        #expect(again.descriptor == original.descriptor)

        // The in-memory serialisation gives the same object back.
        let fromMemory = try DicomObject(bytes: try object.serialized())
        #expect(try fromMemory.withNativePixelBytes { Array($0) } == paddedOriginal)
    }
}
