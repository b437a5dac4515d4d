import Foundation

/// The special functions the statistics need, owned by the project so that p-values do not depend on which
/// libm a machine has (only `exp`, `log` and `sqrt` are taken from the platform; they are correctly rounded
/// or within an ulp everywhere we run).
public enum SpecialFunctions {
    /// ln Γ(x) for x > 0: Stirling's series beyond 15, shifted there by the recurrence Γ(x + 1) = x Γ(x).
    public static func logGamma(_ x: Double) -> Double {
        precondition(x > 0, "logGamma is only defined here for x > 0")
        var shift = 0.0
        var z = x
        // Accumulate ln(x (x+1) … (z−1)) in a product, taking logs often enough that it cannot overflow.
        var product = 1.0
        while z < 15 {
            product *= z
            if product > 1e280 { shift += log(product); product = 1 }
            z += 1
        }
        shift += log(product)
        let inverse = 1 / z
        let inverse2 = inverse * inverse
        // Bernoulli-number terms B2k / (2k (2k−1) z^(2k−1)), k = 1 … 6.
        let series = inverse * (1.0 / 12 + inverse2 * (-1.0 / 360 + inverse2 * (1.0 / 1260 + inverse2 * (-1.0 / 1680
            + inverse2 * (1.0 / 1188 + inverse2 * (-691.0 / 360360))))))
        let stirling = (z - 0.5) * log(z) - z + 0.5 * log(2 * Double.pi) + series
        return stirling - shift
    }

    /// Regularised lower incomplete gamma P(a, x).
    public static func igam(_ a: Double, _ x: Double) -> Double {
        precondition(a > 0 && x >= 0, "igam needs a > 0 and x ≥ 0")
        if x == 0 { return 0 }
        if x < a + 1 { return lowerSeries(a, x) }
        return 1 - upperContinuedFraction(a, x)
    }

    /// Regularised upper incomplete gamma Q(a, x) = 1 − P(a, x), the χ² tail NIST calls igamc.
    public static func igamc(_ a: Double, _ x: Double) -> Double {
        precondition(a > 0 && x >= 0, "igamc needs a > 0 and x ≥ 0")
        if x == 0 { return 1 }
        if x < a + 1 { return 1 - lowerSeries(a, x) }
        return upperContinuedFraction(a, x)
    }

    /// Complementary error function, through erfc(x) = Q(1/2, x²) for x ≥ 0.
    public static func erfc(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        if x < 0 { return 2 - erfc(-x) }
        if x > 27 { return 0 }
        return igamc(0.5, x * x)
    }

    /// Standard normal cumulative distribution Φ(x).
    public static func normalCDF(_ x: Double) -> Double {
        0.5 * erfc(-x / 2.0.squareRoot())
    }

    /// Φ⁻¹(p) for 0 < p < 1, by bisection on Φ (used for a handful of critical values, not in loops).
    public static func normalQuantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "normalQuantile needs 0 < p < 1")
        var low = -40.0
        var high = 40.0
        for _ in 0..<200 {
            let mid = (low + high) / 2
            if normalCDF(mid) < p { low = mid } else { high = mid }
            if high - low < 1e-15 { break }
        }
        return (low + high) / 2
    }

    /// χ² upper tail with `degreesOfFreedom`: the p-value of a χ² statistic.
    public static func chiSquaredPValue(_ statistic: Double, degreesOfFreedom: Double) -> Double {
        igamc(degreesOfFreedom / 2, max(0, statistic) / 2)
    }

    // MARK: - Series and continued fraction

    /// P(a, x) by its power series Σ xⁿ / (a (a+1) … (a+n)), good for x < a + 1.
    private static func lowerSeries(_ a: Double, _ x: Double) -> Double {
        var term = 1 / a
        var sum = term
        var denominator = a
        for _ in 0..<10_000 {
            denominator += 1
            term *= x / denominator
            sum += term
            if abs(term) < abs(sum) * 1e-17 { break }
        }
        return sum * exp(-x + a * log(x) - logGamma(a))
    }

    /// Q(a, x) by its continued fraction (modified Lentz), good for x ≥ a + 1.
    private static func upperContinuedFraction(_ a: Double, _ x: Double) -> Double {
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return exp(-x + a * log(x) - logGamma(a)) * h
    }
}
