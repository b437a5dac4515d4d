import Foundation
import Testing
@testable import DCGAN
import Ciphers

@Suite("DCGAN generator")
struct GeneratorTests {
    static let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources/DCGAN/Resources").standardized

    /// golden.bin: "QKDDCGG1", u32 count, then per pair 100 float32 latent values and 3×64×64 float32 outputs
    /// computed by the training script (numpy, float64 arithmetic on the stored float16 weights).
    static func goldenPairs() throws -> [(latent: [Float], output: [Float])] {
        let bytes = [UInt8](try Data(contentsOf: resources.appendingPathComponent("golden.bin")))
        var reader = ByteReader(bytes: bytes)
        #expect(try reader.take(8) == Array("QKDDCGG1".utf8))
        let count = try reader.u32()
        return try (0..<count).map { _ in (try reader.float32s(100), try reader.float32s(3 * 64 * 64)) }
    }

    @Test func swiftOutputMatchesTheTrainingFrameworkWithin1e4() throws {
        let generator = try Generator.bundled()
        let pairs = try Self.goldenPairs()
        #expect(!pairs.isEmpty)
        for pair in pairs {
            let output = generator.generate(latent: pair.latent)
            #expect(output.count == pair.output.count)
            var worst: Float = 0
            for (a, b) in zip(output, pair.output) { worst = max(worst, abs(a - b)) }
            #expect(worst <= 1e-4, "largest difference \(worst)")
            // The golden output is not trivial (not constant, uses the tanh range).
            #expect(Set(pair.output.map { ($0 * 10).rounded() }).count > 5)
        }
    }

    @Test func bundledWeightsAreTheCommittedFile() throws {
        let committed = try Data(contentsOf: Self.resources.appendingPathComponent("generator.qdcg"))
        #expect(committed.count < 3_000_000)
        let fromPath = try Generator(contentsOf: Self.resources.appendingPathComponent("generator.qdcg").path)
        let latent = (0..<100).map { Float($0 % 7) / 7 - 0.4 }
        #expect(fromPath.generate(latent: latent) == (try Generator.bundled()).generate(latent: latent))
    }

    @Test func malformedWeightFilesAreRejectedWithReasons() throws {
        let good = [UInt8](try Data(contentsOf: Self.resources.appendingPathComponent("generator.qdcg")))
        #expect(throws: DCGANError.self) { try Generator(bytes: Array(good.prefix(100))) }
        #expect(throws: DCGANError.self) { try Generator(bytes: good + [0]) }
        var badMagic = good
        badMagic[0] = UInt8(ascii: "X")
        #expect(throws: DCGANError.malformed(reason: "bad magic")) { try Generator(bytes: badMagic) }
        #expect(throws: DCGANError.self) { try Generator(contentsOf: "/nonexistent/generator.qdcg") }
    }

    @Test func halfPrecisionDecodingIsExact() {
        #expect(ByteReader.halfToFloat(0x3C00) == 1)
        #expect(ByteReader.halfToFloat(0xC000) == -2)
        #expect(ByteReader.halfToFloat(0x0001) == 0x1p-24)
        #expect(ByteReader.halfToFloat(0x7BFF) == 65504)
        #expect(ByteReader.halfToFloat(0x3555) == Float(0x3555 & 0x3FF + 1024) / 1024 * 0x1p-2)
        #expect(ByteReader.halfToFloat(0x7C00) == .infinity)
    }

    @Test func decoysAreFreshEightBitImages() throws {
        let source = try DCGANDecoySource.bundled()
        let a = try source.makeDecoy(), b = try source.makeDecoy()
        #expect(a.width == 64 && a.height == 64 && a.red.count == 4096)
        #expect(a != b)
        #expect(a.channelSums.allSatisfy { $0 >= 1 && $0 <= 4096 * 255 + 1 })
        // Quantisation: −1 → 0, 1 → 255, 0 → 128 (127.5 rounds away from zero).
        let image = DCGANDecoySource.decoy(from: [Float](repeating: -1, count: 4096) + [Float](repeating: 1, count: 4096)
                                           + [Float](repeating: 0, count: 4096))
        #expect(image.red.allSatisfy { $0 == 0 } && image.green.allSatisfy { $0 == 255 } && image.blue.allSatisfy { $0 == 128 })
    }

    @Test func latentIsStandardNormal() {
        var rng = SystemRandomNumberGenerator()
        var all: [Float] = []
        for _ in 0..<100 { all += DCGANDecoySource.gaussianLatent(using: &rng) }
        let mean = all.reduce(0, +) / Float(all.count)
        let variance = all.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(all.count)
        #expect(abs(mean) < 0.05 && abs(variance - 1) < 0.1)
    }

    @Test func decoySourceDrivesTheCipher() throws {
        let cipher = DCGANVPDCipher(decoySource: try DCGANDecoySource.bundled())
        let key = try cipher.generateKey()
        #expect(key.secret.count == 64)
    }
}
