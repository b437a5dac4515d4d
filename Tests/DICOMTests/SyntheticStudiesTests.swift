import DICOM
import Foundation
import Testing

@Suite("Synthetic samples")
struct SyntheticStudiesTests {
    @Test("regenerating with the default seed reproduces the committed dicom-samples/ byte for byte")
    func reproducible() throws {
        let folder = try TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try SyntheticStudies.write(to: folder)
        #expect(files.count >= 17)
        for file in files {
            let generated = try Data(contentsOf: folder.appendingPathComponent(file.name))
            let committed = try? Data(contentsOf: TestFiles.repoSamples.appendingPathComponent(file.name))
            #expect(committed == generated, "\(file.name) differs from the committed copy; run `qkdgate samples --out dicom-samples/`")
        }
        let readme = try String(contentsOf: folder.appendingPathComponent("README.md"), encoding: .utf8)
        for file in files { #expect(readme.contains(file.name)) }
    }

    @Test("committed samples have the promised layouts and synthetic identities")
    func layouts() throws {
        func load(_ name: String) throws -> DicomObject {
            try DicomObject(contentsOf: TestFiles.repoSamples.appendingPathComponent(name))
        }
        let ct = try load("ct_phantom_s1.dcm")
        let ctPixels = try ct.pixelDescriptor()
        #expect((ctPixels.rows, ctPixels.columns, ctPixels.bitsAllocated, ctPixels.bitsStored, ctPixels.isSigned) == (512, 512, 16, 12, true))
        #expect(ct.string(.rescaleIntercept) == "-1024")
        #expect(ct.string(.patientName)?.hasPrefix("SYNTHETIC^") == true)
        #expect(ct.string(.sopInstanceUID)?.hasPrefix("2.25.") == true)
        let slices = try (1...8).map { try load("ct_phantom_s\($0).dcm") }
        #expect(Set(slices.compactMap { $0.string(.seriesInstanceUID) }).count == 1)
        #expect(Set(slices.compactMap { $0.string(.sopInstanceUID) }).count == 8)
        let mr = try load("mr_head_s1.dcm").pixelDescriptor()
        #expect((mr.rows, mr.columns, mr.bitsAllocated, mr.isSigned) == (256, 256, 16, false))
        let cr = try load("cr_chest_mono1.dcm").pixelDescriptor()
        #expect(cr.photometricInterpretation == "MONOCHROME1" && cr.bitsStored == 12)
        let us = try load("us_rgb_cine_8frames.dcm").pixelDescriptor()
        #expect(us.frames == 8 && us.samplesPerPixel == 3 && us.photometricInterpretation == "RGB")
        let xc = try load("xc_skin_rgb.dcm")
        #expect(xc.string(.modality) == "XC")
        #expect(try xc.pixelDescriptor().samplesPerPixel == 3)
        // Encoded copies decode to the same values as their originals.
        let pairs = [
            ("ct_phantom_s1.dcm", "ct_phantom_s1_jpeg_lossless.dcm", TransferSyntax.jpegLosslessSV1),
            ("ct_phantom_s1.dcm", "ct_phantom_s1_jpegls_lossless.dcm", .jpegLSLossless),
            ("ct_phantom_s1.dcm", "ct_phantom_s1_rle.dcm", .rleLossless),
            ("mr_head_s1.dcm", "mr_head_s1_jpegls_lossless.dcm", .jpegLSLossless),
            ("us_rgb_cine_8frames.dcm", "us_rgb_cine_8frames_rle.dcm", .rleLossless),
            ("cr_chest_mono1.dcm", "cr_chest_mono1_jpeg_lossless.dcm", .jpegLosslessSV1),
        ]
        for (plainName, encodedName, syntax) in pairs {
            let encoded = try load(encodedName)
            #expect(encoded.transferSyntax == syntax, "\(encodedName)")
            #expect(try encoded.pixelBuffer().values == load(plainName).pixelBuffer().values, "\(encodedName)")
        }
    }

    @Test("samples pass dciodvfy without errors", .enabled(if: findExecutable("dciodvfy") != nil, "needs dicom3tools' dciodvfy"))
    func dciodvfy() throws {
        let tool = try #require(findExecutable("dciodvfy"))
        for file in TestFiles.dicomFiles(in: TestFiles.repoSamples) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = [file.path]
            let pipe = Pipe()
            process.standardError = pipe
            process.standardOutput = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let errors = output.split(separator: "\n").filter { $0.hasPrefix("Error") }
            #expect(errors.isEmpty, "\(file.lastPathComponent): \(errors.joined(separator: "; "))")
        }
    }

    @Test("UIDs are 2.25 decimal integers below 2^128")
    func uidFormat() throws {
        for file in TestFiles.dicomFiles(in: TestFiles.repoSamples) {
            let object = try DicomObject(contentsOf: file)
            for tag in [DicomTag.sopInstanceUID, .studyInstanceUID, .seriesInstanceUID] {
                let uid = try #require(object.string(tag))
                #expect(uid.hasPrefix("2.25."))
                let digits = uid.dropFirst(5)
                #expect(!digits.isEmpty && digits.allSatisfy(\.isNumber) && digits.count <= 39 && (digits.count == 1 || digits.first != "0"))
                #expect(uid.count <= 64)
            }
        }
    }
}
