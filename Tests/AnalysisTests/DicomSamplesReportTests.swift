import Ciphers
import DICOM
import Foundation
import Pixels
import Testing
@testable import Analysis

/// The report over the repository's synthetic DICOM samples with the real cipher profiles.
@Suite struct DicomSamplesReportTests {
    static let samples = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("dicom-samples")

    @Test func inputFilesFindsTheSamples() throws {
        let files = try AnalysisRun.inputFiles([Self.samples])
        #expect(files.count == 20)
        #expect(files.allSatisfy { $0.pathExtension == "dcm" })
        #expect(throws: AnalysisError.self) { try AnalysisRun.inputFiles([Self.samples.appendingPathComponent("missing")]) }
    }

    @Test func reportOverDicomSamples() throws {
        DICOMLibrary.initialize()
        let names = ["xc_skin_rgb.dcm", "mr_head_s1.dcm"]
        let images = try names.map { name -> (name: String, buffer: PixelBuffer) in
            (name, try DicomObject(contentsOf: Self.samples.appendingPathComponent(name)).pixelBuffer())
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("analysis-dicom-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let options = AnalysisOptions(seed: 7, correlationPairs: 1000,
                                      nist: NISTConfiguration(sequenceCount: 1, sequenceLength: 20_000))
        let ciphers: [any PixelCipher] = [QKDHybridCipher(planes: .msb(4)), AESCTRCipher()]
        let report = try AnalysisRun.run(images: images, ciphers: ciphers, options: options, outputDirectory: directory)

        let decoded = try AnalysisRun.decode(Data(contentsOf: directory.appendingPathComponent("report.json")))
        #expect(decoded == report)
        let markdown = try String(contentsOf: directory.appendingPathComponent("report.md"), encoding: .utf8)
        for image in report.images {
            for profile in image.profiles {
                #expect(profile.roundTripExact)
                for figure in profile.figures {
                    let raster = try Raster.readPNG(from: directory.appendingPathComponent(figure))
                    #expect(raster.width > 50 && raster.height > 50)
                    #expect(markdown.contains("(\(figure))"))
                }
                #expect(markdown.contains(String(format: "MSE %.2f", profile.mse)))
            }
        }
        // The skin photograph is 8-bit RGB, the MR 16-bit: MSB mode leaves 4 and 12 planes untouched.
        let skin = report.images[0]
        let mr = report.images[1]
        #expect(skin.components == 3 && skin.bitsStored == 8 && mr.bitsStored == 16)
        #expect(skin.profiles[0].leakage.untouchedPlanes == [0, 1, 2, 3])
        #expect(mr.profiles[0].leakage.untouchedPlanes == Array(0..<12))
        #expect(skin.profiles[0].leakage.lowerPlanes?.npcrVersusPlain == 0)
        // AES-CTR encrypts every plane; under one key and nonce it is a stream cipher, so a one-step plain
        // change changes exactly one cipher value: the same-key differential test must show that.
        let aes = skin.profiles[1]
        #expect(aes.leakage.untouchedPlanes.isEmpty)
        #expect(aes.differential.sameKey.npcr < 0.01)
        #expect(aes.differential.freshKeys.npcr > 99)
        #expect(aes.entropy.allSatisfy { $0.cipher8 > 7.9 })
    }
}
