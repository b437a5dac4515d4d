import Testing
import Pixels
@testable import Analysis

/// Every metric on inputs whose answer is known without running the code under test.
@Suite struct MetricsTests {
    static func randomImage(seed: UInt64, count: Int = 512 * 512) -> [UInt32] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in UInt32(generator.next() & 0xFF) }
    }

    /// value = (row + column) / 4 on 512 × 512: a smooth ramp from 0 to 255.
    static let gradient: [UInt32] = (0..<(512 * 512)).map { (i: Int) -> UInt32 in
        let sum: Int = i / 512 + i % 512
        return UInt32(sum / 4)
    }

    @Test func entropyOfUniformRandomIsEight() {
        let h = Metrics.entropy8(Self.randomImage(seed: 7), bitsStored: 8)
        #expect(h > 7.999 && h <= 8)
    }

    @Test func entropyOfConstantIsZero() {
        #expect(Metrics.entropy8([UInt32](repeating: 93, count: 4096), bitsStored: 8) == 0)
        #expect(Metrics.entropyN([UInt32](repeating: 3000, count: 4096), bitsStored: 12) == 0)
    }

    @Test func entropyOfTwoEqualHalvesIsOneBit() {
        let values = [UInt32](repeating: 0, count: 50) + [UInt32](repeating: 4095, count: 50)
        #expect(Metrics.entropyN(values, bitsStored: 12) == 1)
        // 12-bit values: the 8-bit entropy looks at the top 8 bits, which are 0 and 255 here.
        #expect(Metrics.entropy8(values, bitsStored: 12) == 1)
        // All 4096 12-bit values once each: n-bit entropy 12, 8-bit entropy 8.
        let all = (0..<4096).map { UInt32($0) }
        #expect(abs(Metrics.entropyN(all, bitsStored: 12) - 12) < 1e-12)
        #expect(abs(Metrics.entropy8(all, bitsStored: 12) - 8) < 1e-12)
        // Wide values take the sorting path.
        let wide = (0..<1024).map { UInt32($0) << 22 }
        #expect(abs(Metrics.entropyN(wide, bitsStored: 32) - 10) < 1e-12)
    }

    @Test func gradientCorrelationIsNearOne() {
        var generator = SeededGenerator(seed: 3)
        for direction in Metrics.Direction.allCases {
            let pairs = Metrics.samplePairs(rows: 512, columns: 512, direction: direction, count: 5000, generator: &generator)!
            let r = Metrics.pearson(pairs.map { Double(Self.gradient[$0.0]) }, pairs.map { Double(Self.gradient[$0.1]) })!
            #expect(r > 0.99, "\(direction) correlation \(r)")
        }
    }

    @Test func randomImageCorrelationIsNearZero() {
        let image = Self.randomImage(seed: 11)
        var generator = SeededGenerator(seed: 5)
        let pairs = Metrics.samplePairs(rows: 512, columns: 512, direction: .horizontal, count: 5000, generator: &generator)!
        let r = Metrics.pearson(pairs.map { Double(image[$0.0]) }, pairs.map { Double(image[$0.1]) })!
        // 5,000 pairs: the standard error is 1/√5000 ≈ 0.014.
        #expect(abs(r) < 0.06)
        #expect(Metrics.pearson([1, 1, 1], [1, 2, 3]) == nil)
        #expect(Metrics.samplePairs(rows: 1, columns: 5, direction: .vertical, count: 3, generator: &generator) == nil)
    }

    @Test func npcrAndUACIOfIndependentRandomImages() {
        let a = Self.randomImage(seed: 1)
        let b = Self.randomImage(seed: 2)
        let npcr = Metrics.npcr(a, b)
        let uaci = Metrics.uaci(a, b, maxValue: 255)
        #expect(abs(npcr - 99.61) < 0.05)
        #expect(abs(uaci - 33.46) < 0.2)
        #expect(abs(Metrics.npcrExpected(maxValue: 255) - 99.609375) < 1e-9)
        #expect(abs(Metrics.uaciExpected(maxValue: 255) - 33.4635) < 1e-4)
    }

    @Test func identicalImagesHaveNoDifference() {
        let a = Self.randomImage(seed: 9, count: 1000)
        #expect(Metrics.npcr(a, a) == 0)
        #expect(Metrics.uaci(a, a, maxValue: 255) == 0)
        #expect(Metrics.meanSquaredError(a, a) == 0)
        #expect(Metrics.psnr(meanSquaredError: 0, peak: 255) == .infinity)
        let plane = Self.gradient[...]
        #expect(abs(Metrics.ssim(plane, plane, rows: 512, columns: 512, peak: 255) - 1) < 1e-12)
    }

    @Test func mseAndPSNRKnownValues() {
        let a: [UInt32] = [0, 0, 0, 0]
        let b: [UInt32] = [2, 2, 2, 2]
        #expect(Metrics.meanSquaredError(a, b) == 4)
        // 10 log10(255² / 4) = 42.1102…
        #expect(abs(Metrics.psnr(meanSquaredError: 4, peak: 255) - 42.11020) < 1e-4)
        #expect(Metrics.npcr(a, b) == 100)
        #expect(abs(Metrics.uaci(a, b, maxValue: 255) - 100 * 2 / 255.0) < 1e-12)
    }

    /// Table values of Wu, Noonan, Agaian (2011) for 8-bit images.
    @Test func wuNoonanAgaianCriticalValues() {
        let t256 = 256 * 256
        #expect(abs(Metrics.npcrCriticalValue(alpha: 0.05, maxValue: 255, count: t256) - 99.5693) < 1e-4)
        #expect(abs(Metrics.npcrCriticalValue(alpha: 0.01, maxValue: 255, count: t256) - 99.5527) < 1e-4)
        #expect(abs(Metrics.npcrCriticalValue(alpha: 0.001, maxValue: 255, count: t256) - 99.5341) < 1e-4)
        let u05 = Metrics.uaciCriticalInterval(alpha: 0.05, maxValue: 255, count: t256)
        #expect(abs(u05.lower - 33.2824) < 1e-4 && abs(u05.upper - 33.6447) < 1e-4)
        let u001 = Metrics.uaciCriticalInterval(alpha: 0.001, maxValue: 255, count: t256)
        #expect(abs(u001.lower - 33.1594) < 1e-4 && abs(u001.upper - 33.7677) < 1e-4)
        let t512 = 512 * 512
        #expect(abs(Metrics.npcrCriticalValue(alpha: 0.05, maxValue: 255, count: t512) - 99.5893) < 1e-4)
        let u512 = Metrics.uaciCriticalInterval(alpha: 0.01, maxValue: 255, count: t512)
        #expect(abs(u512.lower - 33.3445) < 1e-4 && abs(u512.upper - 33.5826) < 1e-4)
    }

    @Test func histogramUniformity() {
        let flat = (0..<(256 * 40)).map { UInt32($0 % 256) }
        let u = Metrics.uniformity(histogram: Metrics.histogram(flat, bins: 256))
        #expect(u.statistic == 0 && u.pValue == 1)
        let skewed = Metrics.uniformity(histogram: Metrics.histogram(Self.gradient, bins: 256))
        #expect(skewed.pValue < 1e-10)
    }

    @Test func bitPlaneShares() {
        let shares = Metrics.bitPlaneShares([UInt32](repeating: 255, count: 10), bitsStored: 8)
        let expected: Double = 240.0 / 255.0
        let topFour: Double = shares.suffix(4).reduce(0, +)
        let nominal: Double = Metrics.nominalTopPlaneShare(bitsStored: 8, planes: 4)
        #expect(abs(topFour - expected) < 1e-12)
        #expect(abs(nominal - expected) < 1e-12)
        // Value 128 everywhere: all information in the MSB plane.
        #expect(Metrics.bitPlaneShares([UInt32](repeating: 128, count: 4), bitsStored: 8) == [0, 0, 0, 0, 0, 0, 0, 1])
        let equal = Metrics.equalBitFractions([0b1010, 0b0000], [0b0010, 0b0001], bitsStored: 4)
        #expect(equal == [0.5, 1, 1, 0.5])
    }

    @Test func attacks() {
        let descriptor = PixelDescriptor(rows: 8, columns: 8, bitsAllocated: 8, bitsStored: 8)
        let buffer = try! PixelBuffer(descriptor: descriptor, values: [UInt32](repeating: 100, count: 64))
        let cropped = Attacks.crop(buffer, denominator: 4)
        #expect(cropped.values.filter { $0 == 0 }.count == 16)
        #expect(Attacks.crop(buffer, denominator: 16).values.filter { $0 == 0 }.count == 4)
        #expect(Attacks.crop(buffer, denominator: 2).values.filter { $0 == 0 }.count == 32)
        var generator = SeededGenerator(seed: 1)
        let noisy = Attacks.saltAndPepper(buffer, density: 1, generator: &generator)
        #expect(noisy.values.allSatisfy { $0 == 0 || $0 == 255 })
        let gauss = Attacks.gaussianNoise(buffer, variance: 0.01, generator: &generator)
        #expect(gauss.values != buffer.values && gauss.values.allSatisfy { $0 <= 255 })
    }
}
