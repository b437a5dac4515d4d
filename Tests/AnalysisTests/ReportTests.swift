import Foundation
import Testing
import Ciphers
import Pixels
@testable import Analysis

/// The whole report over generated images: files exist, PNGs decode with libpng, JSON and Markdown agree.
@Suite struct ReportTests {
    static func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("analysis-test-\(UUID().uuidString)")
    }

    static func gradient(rows: Int, columns: Int, bits: Int) -> PixelBuffer {
        let descriptor = PixelDescriptor(rows: rows, columns: columns, bitsAllocated: bits > 8 ? 16 : 8, bitsStored: bits)
        let top = Double(descriptor.maxValue)
        let values = (0..<(rows * columns)).map { i -> UInt32 in
            let r = i / columns, c = i % columns
            return UInt32((Double(r + c) / Double(rows + columns - 2) * top).rounded())
        }
        return try! PixelBuffer(descriptor: descriptor, values: values)
    }

    static func rgb(rows: Int, columns: Int) -> PixelBuffer {
        let descriptor = PixelDescriptor(rows: rows, columns: columns, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8)
        let plane = rows * columns
        let values = (0..<(3 * plane)).map { i -> UInt32 in
            let c = i / plane, p = i % plane
            return UInt32((p / columns * (c + 1) + p % columns) % 256)
        }
        return try! PixelBuffer(descriptor: descriptor, values: values)
    }

    @Test func pngRoundTripThroughLibpng() throws {
        var canvas = Canvas(width: 40, height: 20)
        canvas.text("NPCR 99.6%", x: 1, y: 1)
        canvas.fill(x: 30, y: 10, width: 5, height: 5, colour: Canvas.red)
        let url = Self.temporaryDirectory().appendingPathExtension("png")
        defer { try? FileManager.default.removeItem(at: url) }
        try canvas.raster.writePNG(to: url)
        let back = try Raster.readPNG(from: url)
        #expect(back == canvas.raster)
        let grey = Raster(width: 3, height: 2, channels: 1, samples: [0, 50, 100, 150, 200, 255])
        try grey.writePNG(to: url)
        #expect(try Raster.readPNG(from: url) == grey)
        #expect(throws: AnalysisError.self) { try Raster.readPNG(from: URL(fileURLWithPath: "/nonexistent/x.png")) }
    }

    @Test func reportOverGeneratedImages() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let options = AnalysisOptions(seed: 42, correlationPairs: 2000,
                                      nist: NISTConfiguration(sequenceCount: 2, sequenceLength: 20_000))
        let images: [(name: String, buffer: PixelBuffer)] = [
            ("gradient-8bit", Self.gradient(rows: 64, columns: 64, bits: 8)),
            ("gradient-12bit", Self.gradient(rows: 48, columns: 40, bits: 12)),
            ("rgb", Self.rgb(rows: 32, columns: 32)),
        ]
        let ciphers: [any PixelCipher] = [ChainedTestCipher(), XORStreamCipher(encryptedPlanes: 4)]
        let report = try AnalysisRun.run(images: images, ciphers: ciphers, options: options, outputDirectory: directory)

        // Files: report.md, report.json, and every figure, each a valid PNG.
        let markdown = try String(contentsOf: directory.appendingPathComponent("report.md"), encoding: .utf8)
        let decoded = try AnalysisRun.decode(Data(contentsOf: directory.appendingPathComponent("report.json")))
        #expect(decoded == report)
        var figureCount = 0
        for image in decoded.images {
            for profile in image.profiles {
                #expect(profile.roundTripExact)
                for figure in profile.figures {
                    let raster = try Raster.readPNG(from: directory.appendingPathComponent(figure))
                    #expect(raster.width > 50 && raster.height > 50)
                    #expect(markdown.contains("(\(figure))"))
                    figureCount += 1
                }
            }
        }
        #expect(figureCount >= 3 * 2 * 4)

        // Markdown numbers are the JSON's numbers.
        for image in decoded.images {
            for profile in image.profiles {
                for e in profile.entropy { #expect(markdown.contains(String(format: "%.4f", e.cipher8))) }
                #expect(markdown.contains(String(format: "MSE %.2f", profile.mse)))
                #expect(markdown.contains(String(format: "| same key | %.4f | %.4f |", profile.differential.sameKey.npcr, profile.differential.sameKey.uaci)))
                for r in profile.robustness {
                    let psnr = r.psnr.isInfinite ? "∞" : String(format: "%.2f", r.psnr)
                    #expect(markdown.contains("| \(r.attack) | \(psnr) | " + String(format: "%.4f |", r.ssim)))
                }
            }
        }
        for c in decoded.comparison {
            #expect(markdown.contains(String(format: "%.4f", c.npcr)))
            #expect(markdown.contains(String(format: "%.2f", c.psnr)))
        }
        #expect(markdown.contains("Paper A"))

        // What the metrics must say about these two ciphers.
        let chained = report.images[0].profiles[0]
        let msbOnly = report.images[0].profiles[1]
        #expect(chained.differential.sameKey.npcr > 99)
        #expect(chained.leakage.untouchedPlanes.isEmpty && chained.leakage.lowerPlanes == nil)
        #expect(chained.keySensitivity.cipherValuesChanged ?? 0 > 98)
        #expect(chained.keySensitivity.wrongKeyDecryptionNPCR ?? 0 > 98)
        // A plain XOR stream changes one cipher value when one plain value changes: the same-key test fails.
        #expect(msbOnly.differential.sameKey.npcr < 1)
        #expect(msbOnly.differential.critical.allSatisfy { !$0.sameKeyNPCRPasses })
        // MSB-only mode: the four low planes are found untouched and equal to the plain image's.
        #expect(msbOnly.leakage.untouchedPlanes == [0, 1, 2, 3])
        #expect(msbOnly.leakage.lowerPlanes?.npcrVersusPlain == 0)
        // The crop attack leaves the uncropped part of an XOR-stream image exactly decryptable.
        let crop = msbOnly.robustness.first { $0.attack == "crop 1/16" }
        #expect((crop?.psnr ?? 0) > 10)
        // 12-bit values in a 48 × 40 plane: the n-bit maximum is log₂(1920), not 12.
        #expect(report.images[1].bitsStored == 12 && abs(report.images[1].profiles[0].entropy[0].maxN - log2(1920.0)) < 1e-12)
        #expect(report.images[2].components == 3 && report.images[2].profiles[0].correlation.count == 9)
    }
}

@Suite struct SignedInputTests {
    /// A signed 12-bit ramp from −300 to +300: read as unsigned bits it jumps at zero, so the plain image's
    /// correlation is only near 1 when the analysis orders values by their signed meaning.
    @Test func signedDataIsAnalysedInSignedOrder() throws {
        let rows = 64, columns = 64
        let descriptor = PixelDescriptor(rows: rows, columns: columns, bitsAllocated: 16, bitsStored: 12, isSigned: true)
        let values = (0..<(rows * columns)).map { i -> UInt32 in
            let signed = (i % columns + i / columns) * 600 / (rows + columns - 2) - 300
            return UInt32(bitPattern: Int32(signed)) & 0xFFF
        }
        let plain = try PixelBuffer(descriptor: descriptor, values: values)
        let analyzer = Analyzer(options: AnalysisOptions(seed: 3, correlationPairs: 2000, nist: nil))
        let result = try analyzer.analyze(plain, cipher: ChainedTestCipher(), figurePrefix: "signed")
        #expect(result.report.valuesAsOffsetBinary)
        #expect(result.report.roundTripExact)
        for c in result.report.correlation { #expect((c.plain ?? 0) > 0.99) }
        #expect(OffsetBinary.flip(OffsetBinary.flip(plain)) == plain)
        #expect(OffsetBinary.flip(plain).values[0] == UInt32(2048 - 300))
    }
}
