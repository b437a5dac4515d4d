import Foundation

/// The 15 statistical tests of NIST SP 800-22 rev 1a, on sequences of bits stored one per byte (0 or 1).
///
/// Each function returns the test's p-value(s) exactly as the publication defines them; a sequence is judged
/// random at level α when p ≥ α. Functions whose input does not meet a precondition that the publication
/// states for the test itself (e.g. too few cycles for the random excursions tests) return nil rather than a
/// p-value. Parameters default to the values NIST's reference run uses for 10⁶-bit sequences.
public enum NIST {
    // MARK: 2.1 Frequency (monobit)

    public static func frequency(_ bits: [UInt8]) -> Double {
        var sum = 0
        for b in bits { sum += b == 1 ? 1 : -1 }
        let statistic = Double(abs(sum)) / Double(bits.count).squareRoot()
        return SpecialFunctions.erfc(statistic / 2.0.squareRoot())
    }

    // MARK: 2.2 Frequency within a block

    public static func blockFrequency(_ bits: [UInt8], blockLength: Int = 128) -> Double {
        let blocks = bits.count / blockLength
        precondition(blocks > 0, "blockFrequency needs at least one block")
        var chi = 0.0
        for i in 0..<blocks {
            var ones = 0
            for j in 0..<blockLength { ones += Int(bits[i * blockLength + j]) }
            let pi = Double(ones) / Double(blockLength) - 0.5
            chi += pi * pi
        }
        chi *= 4 * Double(blockLength)
        return SpecialFunctions.igamc(Double(blocks) / 2, chi / 2)
    }

    // MARK: 2.3 Runs

    public static func runs(_ bits: [UInt8]) -> Double {
        let n = Double(bits.count)
        var ones = 0
        for b in bits { ones += Int(b) }
        let pi = Double(ones) / n
        // The frequency prerequisite: when it fails the runs test is not run and p is 0.
        if abs(pi - 0.5) >= 2 / n.squareRoot() { return 0 }
        var observedRuns = 1
        for k in 1..<bits.count where bits[k] != bits[k - 1] { observedRuns += 1 }
        let numerator = abs(Double(observedRuns) - 2 * n * pi * (1 - pi))
        let denominator = 2 * (2 * n).squareRoot() * pi * (1 - pi)
        return SpecialFunctions.erfc(numerator / denominator)
    }

    // MARK: 2.4 Longest run of ones in a block

    /// Block length and class probabilities by sequence length (SP 800-22 §2.4.2 and §3.4). Nil below 128 bits.
    public static func longestRunOfOnes(_ bits: [UInt8]) -> Double? {
        let n = bits.count
        let blockLength: Int
        let lowestClass: Int
        let probabilities: [Double]
        if n < 128 { return nil }
        if n < 6272 {
            // Exact for M = 8 (55/256, 94/256, 59/256, 48/256), as the reference implementation uses.
            blockLength = 8; lowestClass = 1
            probabilities = [0.21484375, 0.3671875, 0.23046875, 0.1875]
        } else if n < 750_000 {
            blockLength = 128; lowestClass = 4
            probabilities = [0.1174, 0.2430, 0.2493, 0.1752, 0.1027, 0.1124]
        } else {
            blockLength = 10_000; lowestClass = 10
            probabilities = [0.0882, 0.2092, 0.2483, 0.1933, 0.1208, 0.0675, 0.0727]
        }
        let classes = probabilities.count
        let blocks = n / blockLength
        var counts = [Int](repeating: 0, count: classes)
        for i in 0..<blocks {
            var longest = 0
            var current = 0
            for j in 0..<blockLength {
                if bits[i * blockLength + j] == 1 {
                    current += 1
                    if current > longest { longest = current }
                } else {
                    current = 0
                }
            }
            let index = min(max(longest - lowestClass, 0), classes - 1)
            counts[index] += 1
        }
        var chi = 0.0
        for k in 0..<classes {
            let expected = Double(blocks) * probabilities[k]
            chi += (Double(counts[k]) - expected) * (Double(counts[k]) - expected) / expected
        }
        return SpecialFunctions.igamc(Double(classes - 1) / 2, chi / 2)
    }

    // MARK: 2.5 Binary matrix rank

    /// Probability that a random `rows × columns` matrix over GF(2) has rank `rank` (SP 800-22 §3.5).
    public static func rankProbability(rows: Int, columns: Int, rank: Int) -> Double {
        var product = 1.0
        for i in 0..<rank {
            let twoI = Double(i)
            product *= (1 - pow(2, twoI - Double(columns))) * (1 - pow(2, twoI - Double(rows)))
                / (1 - pow(2, twoI - Double(rank)))
        }
        let exponent = Double(rank * (columns + rows - rank) - rows * columns)
        return pow(2, exponent) * product
    }

    /// `probabilities` are those of full rank, rank − 1 and the rest; by default computed for the matrix size.
    /// Nil when the sequence holds no whole matrix.
    public static func binaryMatrixRank(
        _ bits: [UInt8], rows: Int = 32, columns: Int = 32, probabilities: (Double, Double, Double)? = nil
    ) -> Double? {
        precondition(rows <= 64 && columns <= 64, "matrix rows are held in 64-bit words")
        let matrices = bits.count / (rows * columns)
        guard matrices > 0 else { return nil }
        let fullRank = min(rows, columns)
        let p = probabilities ?? {
            let full = rankProbability(rows: rows, columns: columns, rank: fullRank)
            let less = rankProbability(rows: rows, columns: columns, rank: fullRank - 1)
            return (full, less, 1 - full - less)
        }()
        var fullCount = 0
        var lessCount = 0
        var matrix = [UInt64](repeating: 0, count: rows)
        for m in 0..<matrices {
            let base = m * rows * columns
            for r in 0..<rows {
                var word: UInt64 = 0
                for c in 0..<columns where bits[base + r * columns + c] == 1 { word |= 1 << UInt64(c) }
                matrix[r] = word
            }
            let rank = gf2Rank(&matrix, columns: columns)
            if rank == fullRank { fullCount += 1 } else if rank == fullRank - 1 { lessCount += 1 }
        }
        let n = Double(matrices)
        let rest = matrices - fullCount - lessCount
        var chi = 0.0
        for (observed, probability) in [(fullCount, p.0), (lessCount, p.1), (rest, p.2)] {
            chi += (Double(observed) - probability * n) * (Double(observed) - probability * n) / (probability * n)
        }
        return exp(-chi / 2)
    }

    /// Rank over GF(2) by Gaussian elimination on row words (destroys `matrix`).
    static func gf2Rank(_ matrix: inout [UInt64], columns: Int) -> Int {
        var rank = 0
        for c in 0..<columns {
            let bit: UInt64 = 1 << UInt64(c)
            guard let pivot = (rank..<matrix.count).first(where: { matrix[$0] & bit != 0 }) else { continue }
            matrix.swapAt(rank, pivot)
            for r in 0..<matrix.count where r != rank && matrix[r] & bit != 0 { matrix[r] ^= matrix[rank] }
            rank += 1
        }
        return rank
    }

    // MARK: 2.6 Discrete Fourier transform (spectral)

    public static func discreteFourierTransform(_ bits: [UInt8]) -> Double {
        let n = bits.count
        let signal = bits.map { $0 == 1 ? 1.0 : -1.0 }
        let magnitudes = FFT.magnitudes(signal, count: n / 2)
        let threshold = (log(1 / 0.05) * Double(n)).squareRoot()
        let expectedBelow = 0.95 * Double(n) / 2
        let observedBelow = Double(magnitudes.filter { $0 < threshold }.count)
        let d = (observedBelow - expectedBelow) / (Double(n) * 0.95 * 0.05 / 4).squareRoot()
        return SpecialFunctions.erfc(abs(d) / 2.0.squareRoot())
    }

    // MARK: 2.7 Non-overlapping template matching

    /// All aperiodic templates of length m (no proper prefix equal to a suffix), in increasing binary order;
    /// for m = 9 there are 148, the set NIST's reference run uses.
    public static func aperiodicTemplates(length m: Int) -> [[UInt8]] {
        var result: [[UInt8]] = []
        for value in 0..<(1 << m) {
            let template = (0..<m).map { UInt8((value >> (m - 1 - $0)) & 1) }
            var periodic = false
            for shift in 1..<m where Array(template[shift...]) == Array(template[..<(m - shift)]) {
                periodic = true
                break
            }
            if !periodic { result.append(template) }
        }
        return result
    }

    public static func nonOverlappingTemplate(_ bits: [UInt8], template: [UInt8], blocks: Int = 8) -> Double {
        let m = template.count
        let blockLength = bits.count / blocks
        let mean = Double(blockLength - m + 1) / pow(2, Double(m))
        let variance = Double(blockLength) * (1 / pow(2, Double(m)) - Double(2 * m - 1) / pow(2, Double(2 * m)))
        var target = 0
        for b in template { target = target << 1 | Int(b) }
        let mask = (1 << m) - 1
        var chi = 0.0
        for j in 0..<blocks {
            let start = j * blockLength
            var matches = 0
            var i = 0
            while i <= blockLength - m {
                var window = 0
                for k in 0..<m { window = window << 1 | Int(bits[start + i + k]) }
                if window & mask == target { matches += 1; i += m } else { i += 1 }
            }
            chi += (Double(matches) - mean) * (Double(matches) - mean) / variance
        }
        return SpecialFunctions.igamc(Double(blocks) / 2, chi / 2)
    }

    /// All templates of one length at once, sharing the m-bit window values (what the battery runs).
    public static func nonOverlappingTemplates(_ bits: [UInt8], templates: [[UInt8]], blocks: Int = 8) -> [Double] {
        guard let m = templates.first?.count else { return [] }
        let blockLength = bits.count / blocks
        let mean = Double(blockLength - m + 1) / pow(2, Double(m))
        let variance = Double(blockLength) * (1 / pow(2, Double(m)) - Double(2 * m - 1) / pow(2, Double(2 * m)))
        let mask = (1 << m) - 1
        // windows[i] = the m bits starting at i, first bit most significant.
        var windows = [UInt16](repeating: 0, count: max(0, bits.count - m + 1))
        var window = 0
        for i in 0..<bits.count {
            window = (window << 1 | Int(bits[i])) & mask
            if i >= m - 1 { windows[i - m + 1] = UInt16(window) }
        }
        return templates.map { template in
            var target = 0
            for b in template { target = target << 1 | Int(b) }
            let target16 = UInt16(target)
            var chi = 0.0
            windows.withUnsafeBufferPointer { w in
                for j in 0..<blocks {
                    let start = j * blockLength
                    let end = start + blockLength - m
                    var matches = 0
                    var i = start
                    while i <= end {
                        if w[i] == target16 { matches += 1; i += m } else { i += 1 }
                    }
                    chi += (Double(matches) - mean) * (Double(matches) - mean) / variance
                }
            }
            return SpecialFunctions.igamc(Double(blocks) / 2, chi / 2)
        }
    }

    // MARK: 2.8 Overlapping template matching

    /// Class probabilities π₀ … π_K for overlapping runs of m ones in blocks of M bits (SP 800-22 §3.8).
    /// For m = 9, M = 1032, K = 5 these are the corrected values of rev 1a; otherwise the compound-Poisson
    /// formula of §3.8 with η = λ / 2, λ = (M − m + 1) / 2^m.
    public static func overlappingProbabilities(templateLength m: Int, blockLength: Int, classes k: Int) -> [Double] {
        if m == 9 && blockLength == 1032 && k == 5 {
            return [0.364091, 0.185659, 0.139381, 0.100571, 0.070432, 0.139865]
        }
        let lambda = Double(blockLength - m + 1) / pow(2, Double(m))
        let eta = lambda / 2
        var pi = [Double](repeating: 0, count: k + 1)
        pi[0] = exp(-eta)
        for u in 1..<k {
            var sum = 0.0
            for l in 1...u {
                sum += exp(logBinomial(u - 1, l - 1) + Double(l) * log(eta) - SpecialFunctions.logGamma(Double(l + 1)))
            }
            pi[u] = exp(-eta) / pow(2, Double(u)) * sum
        }
        pi[k] = 1 - pi[0..<k].reduce(0, +)
        return pi
    }

    /// Blocks with 0, 1, …, K−1 and ≥ K overlapping runs of m ones (the test's ν).
    public static func overlappingCounts(_ bits: [UInt8], templateLength m: Int, blockLength: Int, classes k: Int) -> [Int] {
        let blocks = bits.count / blockLength
        var counts = [Int](repeating: 0, count: k + 1)
        for j in 0..<blocks {
            let start = j * blockLength
            var run = 0
            var matches = 0
            for i in 0..<blockLength {
                if bits[start + i] == 1 { run += 1 } else { run = 0 }
                if run >= m { matches += 1 }
            }
            counts[min(matches, k)] += 1
        }
        return counts
    }

    /// χ² = Σ (ν_i − N π_i)² / (N π_i) over the classes.
    public static func chiSquared(counts: [Int], probabilities: [Double]) -> Double {
        let n = Double(counts.reduce(0, +))
        var chi = 0.0
        for (count, p) in zip(counts, probabilities) {
            chi += (Double(count) - n * p) * (Double(count) - n * p) / (n * p)
        }
        return chi
    }

    public static func overlappingTemplate(
        _ bits: [UInt8], templateLength m: Int = 9, blockLength: Int = 1032, classes k: Int = 5
    ) -> Double {
        let counts = overlappingCounts(bits, templateLength: m, blockLength: blockLength, classes: k)
        let pi = overlappingProbabilities(templateLength: m, blockLength: blockLength, classes: k)
        return SpecialFunctions.igamc(Double(k) / 2, chiSquared(counts: counts, probabilities: pi) / 2)
    }

    // MARK: 2.9 Maurer's universal statistical test

    /// Expected value and variance of fₙ for L = 1 … 16 (SP 800-22 §2.9.4 table).
    static let universalTable: [(expected: Double, variance: Double)] = [
        (0.7326495, 0.690), (1.5374383, 1.338), (2.4016068, 1.901), (3.3112247, 2.358),
        (4.2534266, 2.705), (5.2177052, 2.954), (6.1962507, 3.125), (7.1836656, 3.238),
        (8.1764248, 3.311), (9.1723243, 3.356), (10.170032, 3.384), (11.168765, 3.401),
        (12.168070, 3.410), (13.167693, 3.416), (14.167488, 3.419), (15.167379, 3.421),
    ]

    /// Block length L recommended for n bits (SP 800-22 §2.9.7); nil below 387,840 bits.
    public static func universalBlockLength(for n: Int) -> Int? {
        let thresholds = [(1_059_061_760, 16), (496_435_200, 15), (231_669_760, 14), (107_560_960, 13),
                          (49_643_520, 12), (22_753_280, 11), (10_342_400, 10), (4_654_080, 9),
                          (2_068_480, 8), (904_960, 7), (387_840, 6)]
        return thresholds.first { n >= $0.0 }?.1
    }

    /// The statistic fₙ: the mean log₂ distance between repeated L-bit blocks after Q initialisation blocks.
    public static func universalStatistic(_ bits: [UInt8], blockLength l: Int, initialisationBlocks q: Int) -> Double {
        let totalBlocks = bits.count / l
        let testBlocks = totalBlocks - q
        precondition(testBlocks > 0, "universal test needs more than Q blocks")
        var lastSeen = [Int](repeating: 0, count: 1 << l)
        func block(_ index: Int) -> Int {
            var value = 0
            for k in 0..<l { value = value << 1 | Int(bits[index * l + k]) }
            return value
        }
        for i in 1...q { lastSeen[block(i - 1)] = i }
        var sum = 0.0
        for i in (q + 1)...(q + testBlocks) {
            let value = block(i - 1)
            sum += log2(Double(i - lastSeen[value]))
            lastSeen[value] = i
        }
        return sum / Double(testBlocks)
    }

    /// Nil when n is below the 387,840 bits the test needs (unless `blockLength` is given).
    public static func universal(_ bits: [UInt8], blockLength: Int? = nil, initialisationBlocks: Int? = nil) -> Double? {
        guard let l = blockLength ?? universalBlockLength(for: bits.count), (1...16).contains(l) else { return nil }
        let q = initialisationBlocks ?? 10 * (1 << l)
        let k = bits.count / l - q
        guard k > 0 else { return nil }
        let fn = universalStatistic(bits, blockLength: l, initialisationBlocks: q)
        let (expected, variance) = universalTable[l - 1]
        let c = 0.7 - 0.8 / Double(l) + (4 + 32 / Double(l)) * pow(Double(k), -3 / Double(l)) / 15
        let sigma = c * (variance / Double(k)).squareRoot()
        return SpecialFunctions.erfc(abs(fn - expected) / (2.0.squareRoot() * sigma))
    }

    // MARK: 2.10 Linear complexity

    /// Length of the shortest LFSR generating `bits` (Berlekamp–Massey over GF(2)), bit-parallel in words.
    public static func linearComplexity(of bits: ArraySlice<UInt8>) -> Int {
        let n = bits.count
        let words = n / 64 + 2
        // c, b: connection polynomials, bit i = coefficient of x^i. window: bit i = s[N − i].
        var c = [UInt64](repeating: 0, count: words)
        var b = [UInt64](repeating: 0, count: words)
        var window = [UInt64](repeating: 0, count: words)
        var scratch = [UInt64](repeating: 0, count: words)
        c[0] = 1
        b[0] = 1
        var complexity = 0
        var m = -1
        let base = bits.startIndex
        for step in 0..<n {
            // Shift the window left by one and put s[step] at bit 0.
            var carry = UInt64(bits[base + step] & 1)
            for w in 0..<words {
                let next = window[w] >> 63
                window[w] = window[w] << 1 | carry
                carry = next
            }
            var parity: UInt64 = 0
            for w in 0..<words { parity ^= c[w] & window[w] }
            guard parity.nonzeroBitCount & 1 == 1 else { continue }
            // c ← c + x^(step − m) · b
            for w in 0..<words { scratch[w] = c[w] }
            let shift = step - m
            let wordShift = shift / 64
            let bitShift = UInt64(shift % 64)
            for w in stride(from: words - 1, through: wordShift, by: -1) {
                var value = b[w - wordShift] << bitShift
                if bitShift != 0 && w - wordShift - 1 >= 0 { value |= b[w - wordShift - 1] >> (64 - bitShift) }
                c[w] ^= value
            }
            if complexity <= step / 2 {
                complexity = step + 1 - complexity
                m = step
                for w in 0..<words { b[w] = scratch[w] }
            }
        }
        return complexity
    }

    public static func linearComplexity(_ bits: [UInt8], blockLength: Int = 500) -> Double {
        let blocks = bits.count / blockLength
        let m = Double(blockLength)
        let sign: Double = blockLength % 2 == 0 ? 1 : -1
        let mu = m / 2 + (9 + -sign) / 36 - (m / 3 + 2.0 / 9) / pow(2, m)
        let pi = [0.010417, 0.03125, 0.125, 0.5, 0.25, 0.0625, 0.020833]
        var counts = [Int](repeating: 0, count: 7)
        for j in 0..<blocks {
            let l = Double(linearComplexity(of: bits[(j * blockLength)..<((j + 1) * blockLength)]))
            let t = sign * (l - mu) + 2.0 / 9
            let index: Int
            if t <= -2.5 { index = 0 } else if t <= -1.5 { index = 1 } else if t <= -0.5 { index = 2 }
            else if t <= 0.5 { index = 3 } else if t <= 1.5 { index = 4 } else if t <= 2.5 { index = 5 }
            else { index = 6 }
            counts[index] += 1
        }
        var chi = 0.0
        for i in 0..<7 {
            let expected = Double(blocks) * pi[i]
            chi += (Double(counts[i]) - expected) * (Double(counts[i]) - expected) / expected
        }
        return SpecialFunctions.igamc(3, chi / 2)
    }

    // MARK: 2.11 Serial

    /// ψ²_m over overlapping m-bit patterns with wrap-around; 0 for m ≤ 0.
    static func psiSquared(_ bits: [UInt8], _ m: Int) -> Double {
        guard m > 0 else { return 0 }
        let n = bits.count
        let mask = (1 << m) - 1
        var counts = [Int](repeating: 0, count: 1 << m)
        var window = 0
        for i in 0..<(m - 1) { window = window << 1 | Int(bits[i % n]) }
        for i in 0..<n {
            window = (window << 1 | Int(bits[(i + m - 1) % n])) & mask
            counts[window] += 1
        }
        var sum = 0.0
        for count in counts { sum += Double(count) * Double(count) }
        return sum * pow(2, Double(m)) / Double(n) - Double(n)
    }

    public static func serial(_ bits: [UInt8], patternLength m: Int = 16) -> (Double, Double) {
        let psi0 = psiSquared(bits, m)
        let psi1 = psiSquared(bits, m - 1)
        let psi2 = psiSquared(bits, m - 2)
        let delta1 = psi0 - psi1
        let delta2 = psi0 - 2 * psi1 + psi2
        return (SpecialFunctions.igamc(pow(2, Double(m - 2)), delta1 / 2),
                SpecialFunctions.igamc(pow(2, Double(m - 3)), delta2 / 2))
    }

    // MARK: 2.12 Approximate entropy

    static func phi(_ bits: [UInt8], _ m: Int) -> Double {
        guard m > 0 else { return 0 }
        let n = bits.count
        let mask = (1 << m) - 1
        var counts = [Int](repeating: 0, count: 1 << m)
        var window = 0
        for i in 0..<(m - 1) { window = window << 1 | Int(bits[i % n]) }
        for i in 0..<n {
            window = (window << 1 | Int(bits[(i + m - 1) % n])) & mask
            counts[window] += 1
        }
        var sum = 0.0
        for count in counts where count > 0 {
            let p = Double(count) / Double(n)
            sum += p * log(p)
        }
        return sum
    }

    public static func approximateEntropy(_ bits: [UInt8], blockLength m: Int = 10) -> Double {
        let apEn = phi(bits, m) - phi(bits, m + 1)
        let chi = 2 * Double(bits.count) * (log(2) - apEn)
        return SpecialFunctions.igamc(pow(2, Double(m - 1)), chi / 2)
    }

    // MARK: 2.13 Cumulative sums

    public static func cumulativeSums(_ bits: [UInt8], forward: Bool = true) -> Double {
        let n = bits.count
        var sum = 0
        var z = 0
        for i in 0..<n {
            let b = forward ? bits[i] : bits[n - 1 - i]
            sum += b == 1 ? 1 : -1
            z = max(z, abs(sum))
        }
        guard z > 0 else { return 0 }
        let rootN = Double(n).squareRoot()
        let zd = Double(z)
        var first = 0.0
        // Integer bounds as in the reference implementation (division truncating toward zero).
        var k = (-n / z + 1) / 4
        while k <= (n / z - 1) / 4 {
            first += SpecialFunctions.normalCDF(Double(4 * k + 1) * zd / rootN)
                - SpecialFunctions.normalCDF(Double(4 * k - 1) * zd / rootN)
            k += 1
        }
        var second = 0.0
        k = (-n / z - 3) / 4
        while k <= (n / z - 1) / 4 {
            second += SpecialFunctions.normalCDF(Double(4 * k + 3) * zd / rootN)
                - SpecialFunctions.normalCDF(Double(4 * k + 1) * zd / rootN)
            k += 1
        }
        return 1 - first + second
    }

    // MARK: 2.14 / 2.15 Random excursions (and variant)

    /// Number of cycles J of the random walk (zero returns, counting the closing one).
    static func walk(_ bits: [UInt8]) -> (partialSums: [Int], cycles: Int) {
        var sums = [Int](repeating: 0, count: bits.count)
        var s = 0
        var zeros = 0
        for (i, b) in bits.enumerated() {
            s += b == 1 ? 1 : -1
            sums[i] = s
            if s == 0 { zeros += 1 }
        }
        let cycles = s == 0 ? zeros : zeros + 1
        return (sums, cycles)
    }

    /// Smallest J the publication accepts for n bits: max(0.005 √n, 500).
    public static func minimumCycles(for n: Int) -> Int {
        max(Int((0.005 * Double(n).squareRoot()).rounded(.up)), 500)
    }

    /// p-values for states −4 … −1, 1 … 4; nil when the walk has fewer than `minimumCycles` cycles.
    /// `printedTable` cuts the class probabilities to the four places printed in §3.14, which is what the
    /// worked example of §2.14.4 used; the battery uses the exact values.
    public static func randomExcursions(_ bits: [UInt8], minimumCycles: Int? = nil, printedTable: Bool = false) -> [Double]? {
        let (sums, cycles) = walk(bits)
        guard cycles >= (minimumCycles ?? self.minimumCycles(for: bits.count)) else { return nil }
        let states = [-4, -3, -2, -1, 1, 2, 3, 4]
        // visits[state][k]: cycles visiting the state k times (k = 5 means ≥ 5).
        var visits = [[Int]](repeating: [Int](repeating: 0, count: 6), count: 8)
        var inCycle = [Int](repeating: 0, count: 8)
        func closeCycle() {
            for s in 0..<8 { visits[s][min(inCycle[s], 5)] += 1; inCycle[s] = 0 }
        }
        for value in sums {
            if value == 0 { closeCycle(); continue }
            if abs(value) <= 4 { inCycle[value < 0 ? value + 4 : value + 3] += 1 }
        }
        if sums.last != 0 { closeCycle() }
        return states.enumerated().map { index, x in
            let ax = Double(abs(x))
            var pi = [Double](repeating: 0, count: 6)
            pi[0] = 1 - 1 / (2 * ax)
            for k in 1...4 { pi[k] = 1 / (4 * ax * ax) * pow(1 - 1 / (2 * ax), Double(k - 1)) }
            pi[5] = 1 / (2 * ax) * pow(1 - 1 / (2 * ax), 4)
            if printedTable { pi = pi.map { ($0 * 10_000).rounded(.down) / 10_000 } }
            var chi = 0.0
            for k in 0..<6 {
                let expected = Double(cycles) * pi[k]
                chi += (Double(visits[index][k]) - expected) * (Double(visits[index][k]) - expected) / expected
            }
            return SpecialFunctions.igamc(2.5, chi / 2)
        }
    }

    /// p-values for states −9 … −1, 1 … 9; nil when the walk has fewer than `minimumCycles` cycles.
    public static func randomExcursionsVariant(_ bits: [UInt8], minimumCycles: Int? = nil) -> [Double]? {
        let (sums, cycles) = walk(bits)
        guard cycles >= (minimumCycles ?? self.minimumCycles(for: bits.count)) else { return nil }
        var visits = [Int](repeating: 0, count: 19)
        for value in sums where abs(value) <= 9 { visits[value + 9] += 1 }
        return (-9...9).filter { $0 != 0 }.map { x in
            let xi = Double(visits[x + 9])
            let j = Double(cycles)
            return SpecialFunctions.erfc(abs(xi - j) / (2 * j * (4 * Double(abs(x)) - 2)).squareRoot())
        }
    }

    // MARK: - Helpers

    static func logBinomial(_ n: Int, _ k: Int) -> Double {
        SpecialFunctions.logGamma(Double(n + 1)) - SpecialFunctions.logGamma(Double(k + 1))
            - SpecialFunctions.logGamma(Double(n - k + 1))
    }
}
