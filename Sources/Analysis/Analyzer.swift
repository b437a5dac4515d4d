import Foundation
public import Ciphers
public import Pixels

/// Settings of one analysis run. Everything random in the run (pixel pairs, the changed pixel, the flipped key
/// bit, noise) comes from `seed`; cipher keys come from the cipher's own `generateKey()`.
public struct AnalysisOptions: Sendable {
    public var seed: UInt64
    public var correlationPairs: Int
    public var alphas: [Double]
    /// Nil skips the NIST battery.
    public var nist: NISTConfiguration?
    /// Gaussian noise variances on the [0, 1]-scaled cipher image (0.0005 = the paper's "0.05 %").
    public var gaussianVariances: [Double]
    /// Salt-and-pepper densities (0.0002 = the paper's "0.02 %").
    public var saltAndPepperDensities: [Double]

    public init(
        seed: UInt64 = 1, correlationPairs: Int = 5_000, alphas: [Double] = [0.05, 0.01, 0.001],
        nist: NISTConfiguration? = NISTConfiguration(),
        gaussianVariances: [Double] = [0.0005, 0.01], saltAndPepperDensities: [Double] = [0.0002, 0.01]
    ) {
        self.seed = seed
        self.correlationPairs = correlationPairs
        self.alphas = alphas
        self.nist = nist
        self.gaussianVariances = gaussianVariances
        self.saltAndPepperDensities = saltAndPepperDensities
    }
}

/// One profile's results on one image, with the figures still in memory.
public struct ProfileAnalysis: Sendable {
    public var report: ProfileReport
    /// File name → picture.
    public var figures: [(name: String, raster: Raster)]
}

/// Runs the security battery of both seed papers on one plain image and one cipher.
public struct Analyzer: Sendable {
    public var options: AnalysisOptions

    public init(options: AnalysisOptions = AnalysisOptions()) { self.options = options }

    /// Bit-plane information of the input (computed on the plain image, all planes; signed data as offset binary).
    public func bitPlanes(of input: PixelBuffer) -> BitPlaneInformation {
        let plain = input.descriptor.isSigned ? OffsetBinary.flip(input) : input
        let n = plain.descriptor.bitsStored
        let shares = Metrics.bitPlaneShares(plain.values, bitsStored: n)
        let top = min(4, n)
        return BitPlaneInformation(
            shares: shares, topFourShare: shares.suffix(top).reduce(0, +),
            nominalTopFourShare: Metrics.nominalTopPlaneShare(bitsStored: n, planes: top))
    }

    /// Runs every metric for `cipher` on `plain`. `figurePrefix` starts every figure file name.
    public func analyze(_ plain: PixelBuffer, cipher: any PixelCipher, figurePrefix: String) throws(AnalysisError) -> ProfileAnalysis {
        // Signed data: metrics and pictures work on offset binary (sign bit flipped), which orders values as
        // their signed meaning does; the cipher still sees the original bits through the wrapper.
        if plain.descriptor.isSigned {
            return try analyze(OffsetBinary.flip(plain), cipher: OffsetBinary.Cipher(inner: cipher), figurePrefix: figurePrefix,
                               signedInput: true)
        }
        return try analyze(plain, cipher: cipher, figurePrefix: figurePrefix, signedInput: false)
    }

    func analyze(_ plain: PixelBuffer, cipher: any PixelCipher, figurePrefix: String, signedInput: Bool) throws(AnalysisError) -> ProfileAnalysis {
        let d = plain.descriptor
        let profile = cipher.profile
        var seconds: [String: Double] = [:]
        var figures: [(name: String, raster: Raster)] = []
        let clock = ContinuousClock()
        func timed<T, E: Error>(_ name: String, _ body: () throws(E) -> T) throws(E) -> T {
            let start = clock.now
            let result = try body()
            let elapsed = clock.now - start
            seconds[name] = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            return result
        }
        func run<T>(_ step: String, _ body: () throws(CipherError) -> T) throws(AnalysisError) -> T {
            do { return try body() } catch {
                throw .cipher(profile: profile, step: step, error: .init(text: error.description))
            }
        }
        do { try cipher.checkSupported(d) } catch {
            throw .cipher(profile: profile, step: "checking the pixel format", error: .init(text: error.description))
        }

        // Encryption and exact round trip.
        let (key, sealed, opened) = try timed("encrypt") { () throws(AnalysisError) in
            let key = try run("drawing a key") { () throws(CipherError) in try cipher.generateKey() }
            let sealed = try run("encrypting") { () throws(CipherError) in try cipher.encrypt(plain, key: key) }
            let opened = try run("decrypting") { () throws(CipherError) in try cipher.decrypt(sealed, key: key) }
            return (key, sealed, opened)
        }
        let maxValue = d.maxValue
        let peak = Double(maxValue)

        let entropy = timed("entropy") { entropies(plain, sealed) }
        let (correlation, scatterPanels) = timed("correlation") { correlations(plain, sealed) }
        let histogram = timed("histogram") { uniformities(plain, sealed) }
        let mse = Metrics.meanSquaredError(plain.values, sealed.values)
        let psnr = Metrics.psnr(meanSquaredError: mse, peak: peak)
        let differential = try timed("differential") { () throws(AnalysisError) in
            try differentialTest(plain, key: key, sealed: sealed, cipher: cipher, run: run)
        }
        let keySensitivity = try timed("keySensitivity") { () throws(AnalysisError) in
            try keySensitivityTest(plain, key: key, sealed: sealed, cipher: cipher, run: run)
        }
        let (robustness, robustnessCells) = try timed("robustness") { () throws(AnalysisError) in
            try robustnessTest(plain, key: key, sealed: sealed, cipher: cipher, run: run)
        }
        let (leakage, leakageCells) = timed("leakage") { leakageTest(plain, sealed) }
        var nistReport: NISTReport? = nil
        if let configuration = options.nist {
            nistReport = try timed("nist") { () throws(AnalysisError) in
                let sequences = try nistSequences(plain, cipher: cipher, configuration: configuration,
                                                  untouched: Set(leakage.untouchedPlanes), run: run)
                return NIST.runBattery(sequences, alpha: configuration.alpha)
            }
        }

        // Figures.
        timed("figures") {
            figures.append((figurePrefix + "-images.png", Plots.imageGrid(
                [("PLAIN", display(plain)), ("CIPHER", display(sealed)), ("DECRYPTED", display(opened))],
                columns: 3)))
            var histogramPanels: [(title: String, counts: [Int])] = []
            for c in 0..<min(3, d.components) {
                let range = plain.planeRange(frame: 0, component: c)
                let bits = min(8, d.bitsStored)
                let shift = max(0, d.bitsStored - 8)
                histogramPanels.append(("PLAIN C\(c)", Metrics.histogram(plain.values[range], bins: 1 << bits, shift: shift)))
                histogramPanels.append(("CIPHER C\(c)", Metrics.histogram(sealed.values[range], bins: 1 << bits, shift: shift)))
            }
            figures.append((figurePrefix + "-histogram.png", Plots.histograms(histogramPanels)))
            if !scatterPanels.isEmpty {
                figures.append((figurePrefix + "-correlation.png",
                                Plots.scatter(scatterPanels, maxValue: peak, columns: max(1, scatterPanels.count / 2))))
            }
            figures.append((figurePrefix + "-robustness.png", Plots.imageGrid(robustnessCells, columns: 4, cellSize: 192)))
            if !leakageCells.isEmpty {
                figures.append((figurePrefix + "-leakage.png", Plots.imageGrid(leakageCells, columns: 3)))
            }
        }

        let report = ProfileReport(
            profile: profile, formatVersion: cipher.formatVersion, valuesAsOffsetBinary: signedInput,
            roundTripExact: opened.values == plain.values,
            entropy: entropy, correlation: correlation, histogram: histogram, mse: mse, psnr: psnr,
            differential: differential, keySensitivity: keySensitivity, robustness: robustness, leakage: leakage,
            nist: nistReport, figures: figures.map(\.name), seconds: seconds)
        return ProfileAnalysis(report: report, figures: figures)
    }

    // MARK: - Sections

    func entropies(_ plain: PixelBuffer, _ sealed: PixelBuffer) -> [PlaneEntropy] {
        let d = plain.descriptor
        let n = d.bitsStored
        var result: [PlaneEntropy] = []
        for f in 0..<d.frames {
            for c in 0..<d.components {
                let range = plain.planeRange(frame: f, component: c)
                result.append(PlaneEntropy(
                    frame: f, component: c,
                    plain8: Metrics.entropy8(plain.values[range], bitsStored: n),
                    cipher8: Metrics.entropy8(sealed.values[range], bitsStored: n),
                    max8: Double(min(8, n)),
                    plainN: Metrics.entropyN(plain.values[range], bitsStored: n),
                    cipherN: Metrics.entropyN(sealed.values[range], bitsStored: n),
                    maxN: min(Double(n), log2(Double(d.planeSize)))))
            }
        }
        return result
    }

    /// Correlation of adjacent pairs in frame 0, each component; the scatter panels show component 0.
    func correlations(_ plain: PixelBuffer, _ sealed: PixelBuffer)
        -> ([PlaneCorrelation], [(title: String, points: [(Double, Double)])]) {
        let d = plain.descriptor
        var generator = SeededGenerator(seed: options.seed)
        var result: [PlaneCorrelation] = []
        var plainPanels: [(title: String, points: [(Double, Double)])] = []
        var cipherPanels: [(title: String, points: [(Double, Double)])] = []
        for c in 0..<d.components {
            let start = plain.planeStart(frame: 0, component: c)
            for direction in Metrics.Direction.allCases {
                guard let pairs = Metrics.samplePairs(rows: d.rows, columns: d.columns, direction: direction,
                                                      count: options.correlationPairs, generator: &generator)
                else { continue }
                let px = pairs.map { Double(plain.values[start + $0.0]) }
                let py = pairs.map { Double(plain.values[start + $0.1]) }
                let cx = pairs.map { Double(sealed.values[start + $0.0]) }
                let cy = pairs.map { Double(sealed.values[start + $0.1]) }
                result.append(PlaneCorrelation(component: c, direction: direction,
                                               plain: Metrics.pearson(px, py), cipher: Metrics.pearson(cx, cy)))
                if c == 0 {
                    let label = direction.rawValue.uppercased()
                    plainPanels.append(("PLAIN " + label, Array(zip(px, py))))
                    cipherPanels.append(("CIPHER " + label, Array(zip(cx, cy))))
                }
            }
        }
        return (result, plainPanels + cipherPanels)
    }

    func uniformities(_ plain: PixelBuffer, _ sealed: PixelBuffer) -> [PlaneUniformity] {
        let d = plain.descriptor
        let bits = min(8, d.bitsStored)
        let shift = max(0, d.bitsStored - 8)
        let bins = 1 << bits
        let critical = chiSquaredCritical(alpha: 0.05, degreesOfFreedom: Double(bins - 1))
        return (0..<d.components).map { c in
            var plainCounts = [Int](repeating: 0, count: bins)
            var cipherCounts = [Int](repeating: 0, count: bins)
            for f in 0..<d.frames {
                let range = plain.planeRange(frame: f, component: c)
                for (i, count) in Metrics.histogram(plain.values[range], bins: bins, shift: shift).enumerated() { plainCounts[i] += count }
                for (i, count) in Metrics.histogram(sealed.values[range], bins: bins, shift: shift).enumerated() { cipherCounts[i] += count }
            }
            let p = Metrics.uniformity(histogram: plainCounts)
            let q = Metrics.uniformity(histogram: cipherCounts)
            return PlaneUniformity(component: c, bins: bins, plainChiSquared: p.statistic, plainPValue: p.pValue,
                                   cipherChiSquared: q.statistic, cipherPValue: q.pValue, criticalValue05: critical)
        }
    }

    func differentialTest(
        _ plain: PixelBuffer, key: CipherKey, sealed: PixelBuffer, cipher: any PixelCipher,
        run: (String, () throws(CipherError) -> PixelBuffer) throws(AnalysisError) -> PixelBuffer
    ) throws(AnalysisError) -> Differential {
        let d = plain.descriptor
        var generator = SeededGenerator(seed: options.seed &+ 1)
        let index = Int(generator.next() % UInt64(d.planeSize))
        var changed = plain
        let value = changed.values[index]
        changed.values[index] = value == d.maxValue ? value - 1 : value + 1
        let sameKey = try run("encrypting the changed image") { () throws(CipherError) in try cipher.encrypt(changed, key: key) }
        let freshA = try run("encrypting under a fresh key") { () throws(CipherError) in
            try cipher.encrypt(plain, key: try cipher.generateKey())
        }
        let freshB = try run("encrypting under a fresh key") { () throws(CipherError) in
            try cipher.encrypt(changed, key: try cipher.generateKey())
        }
        let same = DifferentialResult(npcr: Metrics.npcr(sealed.values, sameKey.values),
                                      uaci: Metrics.uaci(sealed.values, sameKey.values, maxValue: d.maxValue))
        let fresh = DifferentialResult(npcr: Metrics.npcr(freshA.values, freshB.values),
                                       uaci: Metrics.uaci(freshA.values, freshB.values, maxValue: d.maxValue))
        let count = plain.values.count
        let critical = options.alphas.map { alpha in
            let npcr = Metrics.npcrCriticalValue(alpha: alpha, maxValue: d.maxValue, count: count)
            let uaci = Metrics.uaciCriticalInterval(alpha: alpha, maxValue: d.maxValue, count: count)
            return CriticalValues(
                alpha: alpha, npcrCritical: npcr, uaciLower: uaci.lower, uaciUpper: uaci.upper,
                sameKeyNPCRPasses: same.npcr >= npcr, sameKeyUACIPasses: (uaci.lower...uaci.upper).contains(same.uaci),
                freshKeysNPCRPasses: fresh.npcr >= npcr, freshKeysUACIPasses: (uaci.lower...uaci.upper).contains(fresh.uaci))
        }
        return Differential(changedIndex: index, sameKey: same, freshKeys: fresh,
                            expectedNPCR: Metrics.npcrExpected(maxValue: d.maxValue),
                            expectedUACI: Metrics.uaciExpected(maxValue: d.maxValue), critical: critical)
    }

    func keySensitivityTest(
        _ plain: PixelBuffer, key: CipherKey, sealed: PixelBuffer, cipher: any PixelCipher,
        run: (String, () throws(CipherError) -> PixelBuffer) throws(AnalysisError) -> PixelBuffer
    ) throws(AnalysisError) -> KeySensitivity {
        var generator = SeededGenerator(seed: options.seed &+ 2)
        let bitCount = key.secret.count * 8
        guard bitCount > 0 else { return KeySensitivity(flippedBit: -1, refused: "the key has no secret bytes") }
        let bit = Int(generator.next() % UInt64(bitCount))
        var flipped = key
        flipped.secret[bit / 8] ^= UInt8(0x80) >> UInt8(bit % 8)
        let other: PixelBuffer
        let wrong: PixelBuffer
        do {
            other = try cipher.encrypt(plain, key: flipped)
            wrong = try cipher.decrypt(sealed, key: flipped)
        } catch {
            return KeySensitivity(flippedBit: bit, refused: error.description)
        }
        let d = plain.descriptor
        return KeySensitivity(
            flippedBit: bit, cipherValuesChanged: Metrics.npcr(sealed.values, other.values),
            cipherUACI: Metrics.uaci(sealed.values, other.values, maxValue: d.maxValue),
            wrongKeyDecryptionNPCR: Metrics.npcr(plain.values, wrong.values))
    }

    func robustnessTest(
        _ plain: PixelBuffer, key: CipherKey, sealed: PixelBuffer, cipher: any PixelCipher,
        run: (String, () throws(CipherError) -> PixelBuffer) throws(AnalysisError) -> PixelBuffer
    ) throws(AnalysisError) -> ([RobustnessResult], [(label: String, image: Raster)]) {
        let d = plain.descriptor
        var generator = SeededGenerator(seed: options.seed &+ 3)
        var attacks: [(name: String, label: String, buffer: PixelBuffer)] = []
        for variance in options.gaussianVariances {
            attacks.append(("gaussian noise, variance \(variance)", "GAUSS \(variance)",
                            Attacks.gaussianNoise(sealed, variance: variance, generator: &generator)))
        }
        for density in options.saltAndPepperDensities {
            attacks.append(("salt-and-pepper noise, density \(density)", "S+P \(density)",
                            Attacks.saltAndPepper(sealed, density: density, generator: &generator)))
        }
        for (name, label, fraction) in [("crop 1/16", "CROP 1/16", 16), ("crop 1/4", "CROP 1/4", 4), ("crop 1/2", "CROP 1/2", 2)] {
            attacks.append((name, label, Attacks.crop(sealed, denominator: fraction)))
        }
        var results: [RobustnessResult] = []
        var cells: [(label: String, image: Raster)] = []
        for attack in attacks {
            let restored = try run("decrypting an attacked cipher image") { () throws(CipherError) in
                try cipher.decrypt(attack.buffer, key: key)
            }
            let mse = Metrics.meanSquaredError(plain.values, restored.values)
            var ssimSum = 0.0
            for c in 0..<d.components {
                let range = plain.planeRange(frame: 0, component: c)
                ssimSum += Metrics.ssim(plain.values[range], restored.values[range], rows: d.rows, columns: d.columns,
                                        peak: Double(d.maxValue))
            }
            results.append(RobustnessResult(attack: attack.name, psnr: Metrics.psnr(meanSquaredError: mse, peak: Double(d.maxValue)),
                                            ssim: ssimSum / Double(d.components)))
            cells.append((attack.label, display(attack.buffer)))
            cells.append(("DECRYPTED", display(restored)))
        }
        return (results, cells)
    }

    func leakageTest(_ plain: PixelBuffer, _ sealed: PixelBuffer) -> (Leakage, [(label: String, image: Raster)]) {
        let d = plain.descriptor
        let n = d.bitsStored
        let equal = Metrics.equalBitFractions(plain.values, sealed.values, bitsStored: n)
        let untouched = (0..<n).filter { equal[$0] == 1 }
        guard !untouched.isEmpty, untouched.count < n else {
            return (Leakage(equalBitFraction: equal, untouchedPlanes: untouched, lowerPlanes: nil), [])
        }
        var mask: UInt32 = 0
        for k in untouched { mask |= 1 << UInt32(k) }
        // Untouched planes packed to the low bits, so that they form a small image of their own.
        func pack(_ v: UInt32) -> UInt32 {
            var out: UInt32 = 0
            for (i, k) in untouched.enumerated() where v & (1 << UInt32(k)) != 0 { out |= 1 << UInt32(i) }
            return out
        }
        let plainLow = plain.values.map(pack)
        let cipherLow = sealed.values.map(pack)
        let bits = untouched.count
        let range = plain.planeRange(frame: 0, component: 0)
        var generator = SeededGenerator(seed: options.seed)
        var correlations: [PlaneCorrelation] = []
        for direction in Metrics.Direction.allCases {
            guard let pairs = Metrics.samplePairs(rows: d.rows, columns: d.columns, direction: direction,
                                                  count: options.correlationPairs, generator: &generator) else { continue }
            let cx = pairs.map { Double(cipherLow[range.lowerBound + $0.0]) }
            let cy = pairs.map { Double(cipherLow[range.lowerBound + $0.1]) }
            let px = pairs.map { Double(plainLow[range.lowerBound + $0.0]) }
            let py = pairs.map { Double(plainLow[range.lowerBound + $0.1]) }
            correlations.append(PlaneCorrelation(component: 0, direction: direction,
                                                 plain: Metrics.pearson(px, py), cipher: Metrics.pearson(cx, cy)))
        }
        let metrics = LowerPlaneMetrics(
            entropyPlain: Metrics.entropyN(plainLow[range], bitsStored: bits),
            entropyCipher: Metrics.entropyN(cipherLow[range], bitsStored: bits),
            correlationCipher: correlations,
            npcrVersusPlain: Metrics.npcr(plainLow, cipherLow),
            correlationWithPlain: Metrics.pearson(plain.values[range].map(Double.init), cipherLow[range].map(Double.init)))
        let cells: [(label: String, image: Raster)] = [
            ("PLAIN", display(plain)),
            ("CIPHER", display(sealed)),
            ("CIPHER, UNTOUCHED PLANES", Plots.greyRaster(cipherLow[range], rows: d.rows, columns: d.columns)),
        ]
        return (Leakage(equalBitFraction: equal, untouchedPlanes: untouched, lowerPlanes: metrics), cells)
    }

    /// Bit sequences for NIST: the cipher's changed planes (MSB first within each value), from encryptions of
    /// the plain image under fresh keys, concatenated until every sequence is full.
    func nistSequences(
        _ plain: PixelBuffer, cipher: any PixelCipher, configuration: NISTConfiguration, untouched: Set<Int>,
        run: (String, () throws(CipherError) -> PixelBuffer) throws(AnalysisError) -> PixelBuffer
    ) throws(AnalysisError) -> [[UInt8]] {
        let n = plain.descriptor.bitsStored
        let planes = (0..<n).reversed().filter { !untouched.contains($0) }
        guard !planes.isEmpty else { throw .unsuitableInput("the cipher changed no bit plane, so there is no cipher bit stream") }
        let total = configuration.sequenceCount * configuration.sequenceLength
        var stream = [UInt8]()
        stream.reserveCapacity(total)
        while stream.count < total {
            let sealed = try run("encrypting for the NIST bit stream") { () throws(CipherError) in
                try cipher.encrypt(plain, key: try cipher.generateKey())
            }
            outer: for v in sealed.values {
                for k in planes {
                    stream.append(UInt8((v >> UInt32(k)) & 1))
                    if stream.count == total { break outer }
                }
            }
        }
        return (0..<configuration.sequenceCount).map { i in
            Array(stream[(i * configuration.sequenceLength)..<((i + 1) * configuration.sequenceLength)])
        }
    }

    // MARK: - Helpers

    /// Frame 0 as a picture: RGB when the image is RGB, otherwise component 0 in grey.
    func display(_ buffer: PixelBuffer) -> Raster {
        let d = buffer.descriptor
        if d.components == 3 && d.photometricInterpretation == "RGB" {
            return Plots.rgbRaster(buffer.values[buffer.planeRange(frame: 0, component: 0)],
                                   buffer.values[buffer.planeRange(frame: 0, component: 1)],
                                   buffer.values[buffer.planeRange(frame: 0, component: 2)],
                                   rows: d.rows, columns: d.columns, maxValue: d.maxValue)
        }
        return Plots.greyRaster(buffer.values[buffer.planeRange(frame: 0, component: 0)], rows: d.rows, columns: d.columns)
    }

    func chiSquaredCritical(alpha: Double, degreesOfFreedom: Double) -> Double {
        var low = 0.0
        var high = degreesOfFreedom * 10 + 100
        for _ in 0..<200 {
            let mid = (low + high) / 2
            if SpecialFunctions.chiSquaredPValue(mid, degreesOfFreedom: degreesOfFreedom) > alpha { low = mid } else { high = mid }
        }
        return (low + high) / 2
    }
}

/// Two's complement ↔ offset binary: flipping the top stored bit maps signed n-bit values onto 0 … 2ⁿ − 1 in
/// their numeric order. Its own inverse, so wrapping a cipher with it stays exact.
enum OffsetBinary {
    static func flip(_ buffer: PixelBuffer) -> PixelBuffer {
        let bit = UInt32(1) << UInt32(buffer.descriptor.bitsStored - 1)
        var out = buffer
        for i in 0..<out.values.count { out.values[i] ^= bit }
        return out
    }

    /// Presents a cipher on sign-flipped buffers: flip, run the real cipher on the original bits, flip back.
    struct Cipher: PixelCipher {
        let inner: any PixelCipher
        var profile: String { inner.profile }
        var formatVersion: Int { inner.formatVersion }
        func checkSupported(_ descriptor: PixelDescriptor) throws(CipherError) { try inner.checkSupported(descriptor) }
        func generateKey() throws(CipherError) -> CipherKey { try inner.generateKey() }
        func encrypt(_ plain: PixelBuffer, key: CipherKey) throws(CipherError) -> PixelBuffer {
            flip(try inner.encrypt(flip(plain), key: key))
        }
        func decrypt(_ cipher: PixelBuffer, key: CipherKey) throws(CipherError) -> PixelBuffer {
            flip(try inner.decrypt(flip(cipher), key: key))
        }
    }
}

/// Damage done to a cipher image before decryption in the robustness test.
public enum Attacks {
    /// Adds N(0, variance) noise on the [0, 1]-scaled values (Box–Muller), rounded and clamped.
    public static func gaussianNoise(_ buffer: PixelBuffer, variance: Double, generator: inout SeededGenerator) -> PixelBuffer {
        var out = buffer
        let peak = Double(buffer.descriptor.maxValue)
        let sigma = variance.squareRoot() * peak
        for i in 0..<out.values.count {
            let u1 = max(generator.nextUnit(), 1e-300)
            let u2 = generator.nextUnit()
            let z = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
            let noisy = (Double(out.values[i]) + sigma * z).rounded()
            out.values[i] = UInt32(min(peak, max(0, noisy)))
        }
        return out
    }

    /// Sets each value, with probability `density`, to 0 or the maximum (even odds).
    public static func saltAndPepper(_ buffer: PixelBuffer, density: Double, generator: inout SeededGenerator) -> PixelBuffer {
        var out = buffer
        let peak = buffer.descriptor.maxValue
        for i in 0..<out.values.count where generator.nextUnit() < density {
            out.values[i] = generator.next() & 1 == 0 ? 0 : peak
        }
        return out
    }

    /// Zeroes the top-left block that covers 1/`denominator` of every plane: 1/16 → a quarter of the rows and
    /// columns, 1/4 → half of each, 1/2 → the top half of the rows.
    public static func crop(_ buffer: PixelBuffer, denominator: Int) -> PixelBuffer {
        let d = buffer.descriptor
        let (rows, columns): (Int, Int) = switch denominator {
        case 16: (d.rows / 4, d.columns / 4)
        case 4: (d.rows / 2, d.columns / 2)
        default: (d.rows / 2, d.columns)
        }
        var out = buffer
        for f in 0..<d.frames {
            for c in 0..<d.components {
                let start = out.planeStart(frame: f, component: c)
                for r in 0..<rows {
                    for x in 0..<columns { out.values[start + r * d.columns + x] = 0 }
                }
            }
        }
        return out
    }
}
