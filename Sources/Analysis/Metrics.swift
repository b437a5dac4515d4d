import Foundation

/// The image-cipher metrics both seed papers report, as plain functions over value arrays. Values are the
/// unsigned n-bit stored values of one plane (or of a whole buffer) in row-major order.
public enum Metrics {
    // MARK: Histograms and entropy

    /// Histogram of `values >> shift` over `bins` bins (values at or above `bins` after the shift are clamped).
    public static func histogram<C: Collection>(_ values: C, bins: Int, shift: Int = 0) -> [Int] where C.Element == UInt32 {
        var counts = [Int](repeating: 0, count: bins)
        let top = bins - 1
        for v in values { counts[min(Int(v >> UInt32(shift)), top)] += 1 }
        return counts
    }

    /// Shannon entropy in bits of a histogram.
    public static func entropy(histogram: [Int]) -> Double {
        let total = Double(histogram.reduce(0, +))
        guard total > 0 else { return 0 }
        var h = 0.0
        for count in histogram where count > 0 {
            let p = Double(count) / total
            h -= p * log2(p)
        }
        return h
    }

    /// Entropy of the top 8 bits of n-bit values (all n bits when n ≤ 8); the maximum is min(n, 8).
    public static func entropy8<C: Collection>(_ values: C, bitsStored: Int) -> Double where C.Element == UInt32 {
        let bits = min(bitsStored, 8)
        return entropy(histogram: histogram(values, bins: 1 << bits, shift: max(0, bitsStored - 8)))
    }

    /// Entropy of the full n-bit values; the maximum is n bits (and log₂ of the value count).
    public static func entropyN<C: Collection>(_ values: C, bitsStored: Int) -> Double where C.Element == UInt32 {
        if bitsStored <= 20 { return entropy(histogram: histogram(values, bins: 1 << bitsStored)) }
        // Wide values: count equal runs of the sorted values instead of a 2^n-bin table.
        let sorted = values.sorted()
        var counts: [Int] = []
        var run = 0
        for (i, v) in sorted.enumerated() {
            if i > 0 && v != sorted[i - 1] { counts.append(run); run = 0 }
            run += 1
        }
        if run > 0 { counts.append(run) }
        return entropy(histogram: counts)
    }

    /// χ² goodness of fit of a histogram against the uniform distribution over its bins: (statistic, p-value).
    public static func uniformity(histogram: [Int]) -> (statistic: Double, pValue: Double) {
        let total = Double(histogram.reduce(0, +))
        let expected = total / Double(histogram.count)
        guard expected > 0 else { return (0, 1) }
        var chi = 0.0
        for count in histogram { chi += (Double(count) - expected) * (Double(count) - expected) / expected }
        return (chi, SpecialFunctions.chiSquaredPValue(chi, degreesOfFreedom: Double(histogram.count - 1)))
    }

    // MARK: Correlation

    public enum Direction: String, Sendable, Codable, CaseIterable {
        case horizontal, vertical, diagonal
    }

    /// Pearson correlation; nil when either side is constant (the coefficient is undefined).
    public static func pearson(_ xs: [Double], _ ys: [Double]) -> Double? {
        let n = Double(xs.count)
        guard xs.count == ys.count, xs.count > 1 else { return nil }
        let mx = xs.reduce(0, +) / n
        let my = ys.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in 0..<xs.count {
            let dx = xs[i] - mx
            let dy = ys[i] - my
            sxy += dx * dy
            sxx += dx * dx
            syy += dy * dy
        }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }

    /// Positions of `count` random adjacent pairs in a rows × columns plane: (first index, neighbour index).
    /// Nil when the plane has no such neighbour (one row for vertical, one column for horizontal).
    public static func samplePairs(
        rows: Int, columns: Int, direction: Direction, count: Int, generator: inout SeededGenerator
    ) -> [(Int, Int)]? {
        let (dr, dc) = switch direction {
        case .horizontal: (0, 1)
        case .vertical: (1, 0)
        case .diagonal: (1, 1)
        }
        guard rows > dr, columns > dc else { return nil }
        return (0..<count).map { _ in
            let r = Int(generator.next() % UInt64(rows - dr))
            let c = Int(generator.next() % UInt64(columns - dc))
            let first = r * columns + c
            return (first, first + dr * columns + dc)
        }
    }

    // MARK: Differences between two images

    /// Mean squared error between equally long value arrays.
    public static func meanSquaredError(_ a: [UInt32], _ b: [UInt32]) -> Double {
        precondition(a.count == b.count, "MSE needs equally long inputs")
        guard !a.isEmpty else { return 0 }
        var sum = 0.0
        for i in 0..<a.count {
            let d = Double(a[i]) - Double(b[i])
            sum += d * d
        }
        return sum / Double(a.count)
    }

    /// PSNR in dB for a peak value; infinite for identical images.
    public static func psnr(meanSquaredError mse: Double, peak: Double) -> Double {
        mse == 0 ? .infinity : 10 * log10(peak * peak / mse)
    }

    /// NPCR in percent: share of positions whose values differ.
    public static func npcr(_ a: [UInt32], _ b: [UInt32]) -> Double {
        precondition(a.count == b.count, "NPCR needs equally long inputs")
        guard !a.isEmpty else { return 0 }
        var differing = 0
        for i in 0..<a.count where a[i] != b[i] { differing += 1 }
        return 100 * Double(differing) / Double(a.count)
    }

    /// UACI in percent: mean absolute difference relative to the largest value F = 2^n − 1.
    public static func uaci(_ a: [UInt32], _ b: [UInt32], maxValue: UInt32) -> Double {
        precondition(a.count == b.count, "UACI needs equally long inputs")
        guard !a.isEmpty, maxValue > 0 else { return 0 }
        var sum = 0.0
        for i in 0..<a.count { sum += abs(Double(a[i]) - Double(b[i])) }
        return 100 * sum / (Double(a.count) * Double(maxValue))
    }

    /// Wu, Noonan, Agaian (2011): NPCR critical value N*_α = (F − z_α √(F/T)) / (F + 1), z_α the upper
    /// α-quantile of the standard normal, in percent; a cipher passes when its NPCR is at least N*_α.
    /// T = number of values compared.
    public static func npcrCriticalValue(alpha: Double, maxValue: UInt32, count: Int) -> Double {
        let f = Double(maxValue)
        let t = Double(count)
        let z = -SpecialFunctions.normalQuantile(alpha)
        return 100 * (f - z * (f / t).squareRoot()) / (f + 1)
    }

    /// Expected NPCR of two independent uniform images, F / (F + 1), in percent.
    public static func npcrExpected(maxValue: UInt32) -> Double {
        100 * Double(maxValue) / (Double(maxValue) + 1)
    }

    /// Wu, Noonan, Agaian (2011): the UACI acceptance interval (U*−, U*+) at level α, in percent, from
    /// μ = (F + 2) / (3F + 3) and σ² = (F + 2)(F² + 2F + 3) / (18 (F + 1)² F T).
    public static func uaciCriticalInterval(alpha: Double, maxValue: UInt32, count: Int) -> (lower: Double, upper: Double) {
        let f = Double(maxValue)
        let t = Double(count)
        let mu = (f + 2) / (3 * f + 3)
        let sigma = ((f + 2) * (f * f + 2 * f + 3) / (18 * (f + 1) * (f + 1) * f * t)).squareRoot()
        let z = -SpecialFunctions.normalQuantile(alpha / 2)
        return (100 * (mu - z * sigma), 100 * (mu + z * sigma))
    }

    /// Expected UACI of two independent uniform images, (F + 2) / (3F + 3), in percent.
    public static func uaciExpected(maxValue: UInt32) -> Double {
        let f = Double(maxValue)
        return 100 * (f + 2) / (3 * f + 3)
    }

    // MARK: Structural similarity

    /// Mean SSIM (Wang et al. 2004, K₁ = 0.01, K₂ = 0.03, L = peak) over all 7 × 7 windows of a plane, with
    /// uniform weights computed from summed-area tables so that the cost is O(pixels). Planes smaller than a
    /// window use the whole plane as one window.
    public static func ssim(_ a: ArraySlice<UInt32>, _ b: ArraySlice<UInt32>, rows: Int, columns: Int, peak: Double) -> Double {
        precondition(a.count == rows * columns && b.count == rows * columns, "SSIM needs whole planes")
        let window = min(7, rows, columns)
        let c1 = (0.01 * peak) * (0.01 * peak)
        let c2 = (0.03 * peak) * (0.03 * peak)
        let width = columns + 1
        var sa = [Double](repeating: 0, count: (rows + 1) * width)
        var sb = sa, saa = sa, sbb = sa, sab = sa
        let a0 = a.startIndex, b0 = b.startIndex
        for r in 0..<rows {
            var ra = 0.0, rb = 0.0, raa = 0.0, rbb = 0.0, rab = 0.0
            for c in 0..<columns {
                let x = Double(a[a0 + r * columns + c])
                let y = Double(b[b0 + r * columns + c])
                ra += x; rb += y; raa += x * x; rbb += y * y; rab += x * y
                let i = (r + 1) * width + c + 1
                let above = r * width + c + 1
                sa[i] = sa[above] + ra
                sb[i] = sb[above] + rb
                saa[i] = saa[above] + raa
                sbb[i] = sbb[above] + rbb
                sab[i] = sab[above] + rab
            }
        }
        func boxSum(_ table: [Double], _ r: Int, _ c: Int) -> Double {
            let r2 = r + window, c2 = c + window
            return table[r2 * width + c2] - table[r * width + c2] - table[r2 * width + c] + table[r * width + c]
        }
        let n = Double(window * window)
        var total = 0.0
        var windows = 0
        for r in 0...(rows - window) {
            for c in 0...(columns - window) {
                let ma = boxSum(sa, r, c) / n
                let mb = boxSum(sb, r, c) / n
                let va = max(0, boxSum(saa, r, c) / n - ma * ma)
                let vb = max(0, boxSum(sbb, r, c) / n - mb * mb)
                let cov = boxSum(sab, r, c) / n - ma * mb
                total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
                windows += 1
            }
        }
        return total / Double(windows)
    }

    // MARK: Bit planes

    /// For each bit plane k = 0 (LSB) … n − 1: the share of Σ values that plane carries, Σ 2^k·bit_k / Σ v.
    /// The paper's "> 94 % of the information in the MSB planes" is the sum of the top shares.
    public static func bitPlaneShares<C: Collection>(_ values: C, bitsStored: Int) -> [Double] where C.Element == UInt32 {
        var ones = [Int](repeating: 0, count: bitsStored)
        var total = 0.0
        for v in values {
            total += Double(v)
            var x = v
            var k = 0
            while x != 0 {
                if x & 1 == 1 { ones[k] += 1 }
                x >>= 1
                k += 1
            }
        }
        guard total > 0 else { return [Double](repeating: 0, count: bitsStored) }
        return (0..<bitsStored).map { Double(ones[$0]) * pow(2, Double($0)) / total }
    }

    /// Share of the top `m` planes in the value range itself: (2^n − 2^(n−m)) / (2^n − 1); 240/255 for 8 and 4.
    public static func nominalTopPlaneShare(bitsStored n: Int, planes m: Int) -> Double {
        (pow(2, Double(n)) - pow(2, Double(n - m))) / (pow(2, Double(n)) - 1)
    }

    /// For each bit plane, the fraction of positions where `a` and `b` have the same bit (≈ 0.5 for an
    /// encrypted plane, 1 for a plane the cipher left untouched).
    public static func equalBitFractions(_ a: [UInt32], _ b: [UInt32], bitsStored: Int) -> [Double] {
        precondition(a.count == b.count, "bit comparison needs equally long inputs")
        var differing = [Int](repeating: 0, count: bitsStored)
        for i in 0..<a.count {
            var x = a[i] ^ b[i]
            var k = 0
            while x != 0 && k < bitsStored {
                if x & 1 == 1 { differing[k] += 1 }
                x >>= 1
                k += 1
            }
        }
        guard !a.isEmpty else { return [Double](repeating: 1, count: bitsStored) }
        return differing.map { 1 - Double($0) / Double(a.count) }
    }
}
