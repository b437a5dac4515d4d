import DICOM
import Foundation
import Testing

/// Broken input gives a typed error with a clear message, never a crash.
@Suite("Bad input")
struct BadInputTests {
    static let ctSmall = TestFiles.sharedSamples.appendingPathComponent("ct_small_s16_explicit.dcm")

    @Test("zero-length file")
    func zeroLength() throws {
        let folder = try TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("empty.dcm")
        try Data().write(to: file)
        do {
            _ = try DicomObject(contentsOf: file)
            Issue.record("an empty file loaded")
        } catch {
            guard case .readFailed(_, let reason) = error else { Issue.record("wrong error \(error)"); return }
            #expect(reason.contains("empty"))
        }
        #expect(throws: DicomError.self) { try DicomObject(bytes: []) }
    }

    @Test("missing file")
    func missingFile() {
        #expect {
            _ = try DicomObject(contentsOf: URL(fileURLWithPath: "/nonexistent/qkdgate/none.dcm"))
        } throws: { error in
            guard let error = error as? DicomError, case .readFailed = error else { return false }
            return true
        }
    }

    @Test("garbage bytes")
    func garbage() {
        var generator = SeededGenerator(seed: 7)
        let bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        #expect {
            _ = try DicomObject(bytes: bytes)
        } throws: { error in
            guard let error = error as? DicomError, case .readFailed(let source, let reason) = error else { return false }
            return source == "memory" && !reason.isEmpty
        }
    }

    @Test("text file is not DICOM")
    func textFile() {
        let bytes = Array("This is not a DICOM file, just some text that goes on for a while.\n".utf8)
        #expect(throws: DicomError.self) { try DicomObject(bytes: bytes) }
    }

    @Test("truncated file", arguments: [0.1, 0.5, 0.9, 0.999])
    func truncated(fraction: Double) throws {
        let bytes = Array(try Data(contentsOf: Self.ctSmall))
        let cut = Array(bytes.prefix(Int(Double(bytes.count) * fraction)))
        do {
            let object = try DicomObject(bytes: cut)
            // DCMTK may accept a prefix that ends between elements; then the pixel data must be rejected.
            _ = try object.pixelBuffer()
            Issue.record("a file truncated to \(Int(fraction * 100))% gave pixels")
        } catch {
            #expect(!error.description.isEmpty)
            switch error {
            case .readFailed, .noPixelData, .pixelData(.lengthMismatch), .invalidPixelAttributes: break
            default: Issue.record("unexpected error for truncation: \(error)")
            }
        }
    }

    @Test("shared malformed sample: Pixel Data shorter than the attributes need")
    func malformedSample() {
        let file = TestFiles.sharedSamples.appendingPathComponent("malformed_mr_truncated_pixeldata.dcm")
        do {
            let object = try DicomObject(contentsOf: file)
            _ = try object.pixelBuffer()
            Issue.record("the malformed sample gave pixels")
        } catch {
            #expect(error.description.contains("truncated") || error.description.contains("DICOM"))
        }
    }

    @Test("Pixel Data length does not match the attributes")
    func lengthMismatch() throws {
        let object = try DicomObject(contentsOf: Self.ctSmall)
        try object.setString("256", for: .rows)  // 128 rows of data, 256 claimed
        do {
            _ = try object.pixelBuffer()
            Issue.record("a short Pixel Data element was accepted")
        } catch {
            guard case .pixelData(.lengthMismatch(let expected, let actual)) = error else {
                Issue.record("wrong error \(error)"); return
            }
            #expect(expected == 256 * 128 * 2)
            #expect(actual == 128 * 128 * 2)
            #expect(error.description.contains("truncated or its attributes are wrong"))
        }
    }

    @Test("missing Image Pixel attributes")
    func missingAttributes() throws {
        let object = try DicomObject(contentsOf: Self.ctSmall)
        try object.setString(nil, for: .bitsAllocated)
        #expect {
            _ = try object.pixelBuffer()
        } throws: { error in
            guard let error = error as? DicomError, case .invalidPixelAttributes(let what) = error else { return false }
            return what.contains("BitsAllocated")
        }
    }

    @Test("transfer syntax without a decoder gives a typed error naming it")
    func unsupportedSyntax() throws {
        // A JPEG Lossless file relabelled as retired JPEG Extended (Process 3 & 5), which DCMTK knows but
        // cannot decode; both UIDs are 22 characters so the meta header stays well-formed.
        let source = TestFiles.sharedSamples.appendingPathComponent("nm_jpeg_lossless_s16_2frag.dcm")
        var bytes = Array(try Data(contentsOf: source))
        let from = Array("1.2.840.10008.1.2.4.70".utf8), to = Array("1.2.840.10008.1.2.4.52".utf8)
        let index = try #require((0...(bytes.count - from.count)).first { Array(bytes[$0..<($0 + from.count)]) == from })
        bytes.replaceSubrange(index..<(index + from.count), with: to)
        let object = try DicomObject(bytes: bytes)
        #expect(object.transferSyntax.uid == "1.2.840.10008.1.2.4.52")
        do {
            _ = try object.pixelBuffer()
            Issue.record("an undecodable syntax gave pixels")
        } catch {
            guard case .unsupportedTransferSyntax(let uid, let name) = error else { Issue.record("wrong error \(error)"); return }
            #expect(uid == "1.2.840.10008.1.2.4.52")
            #expect(name.contains("JPEG"))
            #expect(error.description.contains(uid))
        }
    }

    @Test("no pixel data")
    func noPixelData() throws {
        let object = try DicomObject(contentsOf: TestFiles.sharedSamples.appendingPathComponent("sr_no_pixels.dcm"))
        #expect(!object.hasPixelData)
        #expect(throws: DicomError.noPixelData) { try object.pixelBuffer() }
    }
}
