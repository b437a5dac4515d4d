/// Transcendental functions owned by the project, so that every key stream that uses them is bit-identical on
/// every machine and every libm.
///
/// Why: the platform's `sin`, `cos`, `exp`, `acos` and `log` are not specified to the last bit, and differ
/// between glibc versions, Apple's libm and musl. A chaotic recurrence amplifies a one-ulp difference into a
/// completely different key stream after a few dozen steps, so a ciphertext made on one machine would not
/// decrypt on another. Every function here is plain IEEE-754 double arithmetic (`+ − × ÷`, `sqrt`,
/// `rounded()`, scaling by powers of two), which is correctly rounded by the standard and therefore identical
/// everywhere.
///
/// No fused multiply-add: Swift does not contract `a * b + c` into an FMA (it emits no `fmuladd`), and nothing
/// here calls `addingProduct`. Keep it that way when editing — an FMA changes the last bit.
///
/// Accuracy (checked against libm in `DeterministicMathTests`): within about 1e-15 relative (a few ulp) for
/// `sin`/`cos` with |x| ≤ 1e5, for `exp` over its whole finite range, `log` over all positive doubles and `acos`
/// on [−1, 1]. For |x| > 2^22·π/2 the argument reduction of `sin`/`cos` loses accuracy (still deterministic);
/// key streams never feed such arguments.
///
/// Method: Cody–Waite argument reduction with split constants (the high parts have trailing zero bits so that
/// `k · high` is exact), then Taylor polynomials evaluated by Horner's rule on the reduced range, with
/// coefficients given as hexadecimal literals of the correctly rounded values of 1/n!, 2/(2k+1) and the
/// arcsine series coefficients (2n)!/(4^n (n!)² (2n+1)).
///
/// ```swift
/// let t = 0.4 - 6 / (1 + x * x + y * y)
/// let c = DeterministicMath.cos(t), s = DeterministicMath.sin(t)
/// ```
public enum DeterministicMath {
    // MARK: Constants

    /// π/2 in three parts: `pio2High` and `pio2Mid` have at most 33 significant bits, so `k · part` is exact
    /// for |k| < 2^20.
    static let pio2High: Double = 0x1.921fb544p+0
    static let pio2Mid: Double = 0x1.0b4611a6p-34
    static let pio2Low: Double = 0x1.3198a2e037073p-69
    static let twoOverPi: Double = 0x1.45f306dc9c883p-1

    /// π/2 and π as a double plus the rounding error of that double.
    static let pio2: Double = 0x1.921fb54442d18p+0
    static let pio2Tail: Double = 0x1.1a62633145c07p-54
    static let pi: Double = 0x1.921fb54442d18p+1
    static let piTail: Double = 0x1.1a62633145c07p-53

    /// ln 2 split so that `k · ln2High` is exact for |k| < 2^21.
    static let ln2High: Double = 0x1.62e42ffp-1
    static let ln2Low: Double = -0x1.718432a1b0e26p-35
    static let inverseLn2: Double = 0x1.71547652b82fep+0
    static let sqrt2: Double = 0x1.6a09e667f3bcdp+0

    /// Beyond these, `exp` overflows to +∞ or underflows to 0.
    static let expOverflow: Double = 709.782712893384
    static let expUnderflow: Double = -745.1332191019412

    // MARK: Public functions

    /// Sine of `x` (radians).
    public static func sin(_ x: Double) -> Double {
        guard x.isFinite else { return .nan }
        let (quadrant, r) = reduceQuarterPi(x)
        switch quadrant {
        case 0: return sinKernel(r)
        case 1: return cosKernel(r)
        case 2: return -sinKernel(r)
        default: return -cosKernel(r)
        }
    }

    /// Cosine of `x` (radians).
    public static func cos(_ x: Double) -> Double {
        guard x.isFinite else { return .nan }
        let (quadrant, r) = reduceQuarterPi(x)
        switch quadrant {
        case 0: return cosKernel(r)
        case 1: return -sinKernel(r)
        case 2: return -cosKernel(r)
        default: return sinKernel(r)
        }
    }

    /// `(sin(x), cos(x))` with one argument reduction: bit for bit the values of `sin(x)` and `cos(x)` (same
    /// reduction, same kernels), for callers that need both (the Ikeda map), at about half the cost.
    @inline(__always)
    public static func sinCos(_ x: Double) -> (sin: Double, cos: Double) {
        guard x.isFinite else { return (.nan, .nan) }
        let (quadrant, r) = reduceQuarterPi(x)
        let s = sinKernel(r), c = cosKernel(r)
        switch quadrant {
        case 0: return (s, c)
        case 1: return (c, -s)
        case 2: return (-s, -c)
        default: return (-c, s)
        }
    }

    /// e^x.
    public static func exp(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x > expOverflow { return .infinity }
        if x < expUnderflow { return 0 }
        let k = (x * inverseLn2).rounded(.toNearestOrEven)
        let r = (x - k * ln2High) - k * ln2Low          // |r| ≤ ln2/2 (plus a hair)
        // Taylor series of e^r to r^14: the first omitted term is below 1e-18 relative.
        var p: Double = 0x1.93974a8c07c9dp-37           // 1/14!
        p = p * r + 0x1.6124613a86d09p-33               // 1/13!
        p = p * r + 0x1.1eed8eff8d898p-29
        p = p * r + 0x1.ae64567f544e4p-26
        p = p * r + 0x1.27e4fb7789f5cp-22
        p = p * r + 0x1.71de3a556c734p-19
        p = p * r + 0x1.a01a01a01a01ap-16
        p = p * r + 0x1.a01a01a01a01ap-13
        p = p * r + 0x1.6c16c16c16c17p-10
        p = p * r + 0x1.1111111111111p-7
        p = p * r + 0x1.5555555555555p-5
        p = p * r + 0x1.5555555555555p-3
        p = p * r + 0.5
        let e = 1 + (r + r * r * p)
        return Double(sign: .plus, exponent: Int(k), significand: e)
    }

    /// Natural logarithm of `x`; NaN for negative `x`, −∞ for 0.
    public static func log(_ x: Double) -> Double {
        if x.isNaN || x < 0 { return .nan }
        if x == 0 { return -.infinity }
        if x == .infinity { return x }
        var exponent = Int(x.exponent)
        var m = x.significand                             // in [1, 2), exact (also for subnormals)
        if m > sqrt2 {
            m = m * 0.5
            exponent += 1
        }
        // log(m) = log(1 + f) = 2·atanh(s) with s = f / (2 + f), written as f − f²/2 + s·(f²/2 + R(s²)) so that
        // the leading term f is exact.
        let f = m - 1
        let s = f / (2 + f)
        let z = s * s
        var r: Double = 0x1.47ae147ae147bp-4              // 2/25
        r = r * z + 0x1.642c8590b2164p-4                  // 2/23
        r = r * z + 0x1.8618618618618p-4
        r = r * z + 0x1.af286bca1af28p-4
        r = r * z + 0x1.e1e1e1e1e1e1ep-4
        r = r * z + 0x1.1111111111111p-3
        r = r * z + 0x1.3b13b13b13b14p-3
        r = r * z + 0x1.745d1745d1746p-3
        r = r * z + 0x1.c71c71c71c71cp-3
        r = r * z + 0x1.2492492492492p-2
        r = r * z + 0x1.999999999999ap-2
        r = r * z + 0x1.5555555555555p-1                  // 2/3
        r = r * z
        let halfSquare = 0.5 * f * f
        let logM = f - (halfSquare - s * (halfSquare + r))
        let e = Double(exponent)
        return e * ln2High + (logM + e * ln2Low)
    }

    /// Arc cosine of `x` in [0, π]; NaN outside [−1, 1].
    public static func acos(_ x: Double) -> Double {
        guard x >= -1, x <= 1 else { return .nan }
        if x > 0.5 {
            return 2 * asinKernel(((1 - x) * 0.5).squareRoot())
        }
        if x < -0.5 {
            return (pi - 2 * asinKernel(((1 + x) * 0.5).squareRoot())) + piTail
        }
        return (pio2 - asinKernel(x)) + pio2Tail
    }

    // MARK: Kernels

    /// x = k·π/2 + r with |r| ≤ π/4 (plus a hair); returns k mod 4 and r.
    @inline(__always)
    static func reduceQuarterPi(_ x: Double) -> (Int, Double) {
        let k = (x * twoOverPi).rounded(.toNearestOrEven)
        let r = ((x - k * pio2High) - k * pio2Mid) - k * pio2Low
        let quadrant = Int(k.truncatingRemainder(dividingBy: 4))
        return ((quadrant + 4) & 3, r)
    }

    /// sin(r) for |r| ≤ π/4 + ε: Taylor series to r^19.
    @inline(__always)
    static func sinKernel(_ r: Double) -> Double {
        let z = r * r
        var p: Double = -0x1.2f49b46814157p-57            // −1/19!
        p = p * z + 0x1.952c77030ad4ap-49
        p = p * z - 0x1.ae7f3e733b81fp-41
        p = p * z + 0x1.6124613a86d09p-33
        p = p * z - 0x1.ae64567f544e4p-26
        p = p * z + 0x1.71de3a556c734p-19
        p = p * z - 0x1.a01a01a01a01ap-13
        p = p * z + 0x1.1111111111111p-7
        p = p * z - 0x1.5555555555555p-3                  // −1/3!
        return r + r * z * p
    }

    /// cos(r) for |r| ≤ π/4 + ε: Taylor series to r^20.
    @inline(__always)
    static func cosKernel(_ r: Double) -> Double {
        let z = r * r
        var p: Double = 0x1.e542ba4020225p-62             // 1/20!
        p = p * z - 0x1.6827863b97d97p-53
        p = p * z + 0x1.ae7f3e733b81fp-45
        p = p * z - 0x1.93974a8c07c9dp-37
        p = p * z + 0x1.1eed8eff8d898p-29
        p = p * z - 0x1.27e4fb7789f5cp-22
        p = p * z + 0x1.a01a01a01a01ap-16
        p = p * z - 0x1.6c16c16c16c17p-10
        p = p * z + 0x1.5555555555555p-5                  // 1/4!
        return 1 + z * (-0.5 + z * p)
    }

    /// asin(y) for |y| ≤ 0.5: the arcsine series to y^55 (first omitted term below 1e-18 relative).
    static func asinKernel(_ y: Double) -> Double {
        let z = y * y
        var p: Double = 0x1.018f963c229bfp-9              // coefficient of y^55
        p = p * z + 0x1.1052bc5fa960ap-9
        p = p * z + 0x1.208d3570ae5a6p-9
        p = p * z + 0x1.3275586c5f2f0p-9
        p = p * z + 0x1.464c0950f7d47p-9
        p = p * z + 0x1.5c5f56efaaaabp-9
        p = p * z + 0x1.750de64d7d05fp-9
        p = p * z + 0x1.90cb77f60c7cep-9
        p = p * z + 0x1.b026f57b13b14p-9
        p = p * z + 0x1.d3d2a8e0dd67dp-9
        p = p * z + 0x1.fcaf8fb6db6dbp-9
        p = p * z + 0x1.15ee9d45d1746p-8
        p = p * z + 0x1.31683bdef7bdfp-8
        p = p * z + 0x1.51ba308d3dcb1p-8
        p = p * z + 0x1.782dda12f684cp-8
        p = p * z + 0x1.a6863d70a3d71p-8
        p = p * z + 0x1.df3bd37a6f4dfp-8
        p = p * z + 0x1.12ef3cf3cf3cfp-7
        p = p * z + 0x1.3fde50d79435ep-7
        p = p * z + 0x1.7a87878787878p-7
        p = p * z + 0x1.c99999999999ap-7
        p = p * z + 0x1.1c4ec4ec4ec4fp-6
        p = p * z + 0x1.6e8ba2e8ba2e9p-6
        p = p * z + 0x1.f1c71c71c71c7p-6
        p = p * z + 0x1.6db6db6db6db7p-5
        p = p * z + 0x1.3333333333333p-4
        p = p * z + 0x1.5555555555555p-3                  // 1/6, coefficient of y^3
        return y + y * z * p
    }
}
