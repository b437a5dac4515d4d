/// Two 1-DEC maps advanced together in the two lanes of a `SIMD2<Double>`: the K4 and K8 key streams.
///
/// Why: a stream is one chain of dependent map steps, so its cost is the latency of `OneDECMap.step` (about 300
/// cycles) with most of the core idle. Two independent chains in scalar code do not overlap well (each chain's
/// dependent operations fill the core's floating-point scheduler before the other chain's reach it); in the lanes
/// of one vector they advance in lockstep at the cost of one.
///
/// Bit for bit the scalar step: each lane performs the same IEEE-754 operations (`+ − × ÷ √`, correctly rounded,
/// no fused multiply-add) in the same order as `OneDECMap.step`, `DeterministicMath.acos` and
/// `DeterministicMath.cos`; branches become lane selects. The kernel coefficients below are the hexadecimal
/// literals of `DeterministicMath.asinKernel`, `sinKernel` and `cosKernel` (copied by a script, in the same
/// order); `pairedStepIsBitIdenticalToTheScalarStep` and `keyStreamGoldenValues` pin them.
enum OneDECPair {
    typealias Lanes = SIMD2<Double>
    typealias LaneBits = SIMD2<UInt64>

    /// `mask ? a : b` per lane, by bit operations (no branch).
    @inline(__always)
    static func select(_ mask: SIMDMask<SIMD2<Int64>>, _ a: Lanes, _ b: Lanes) -> Lanes {
        let m = unsafeBitCast(mask, to: LaneBits.self)
        let bits = (unsafeBitCast(a, to: LaneBits.self) & m) | (unsafeBitCast(b, to: LaneBits.self) & ~m)
        return unsafeBitCast(bits, to: Lanes.self)
    }

    /// `OneDECMap.step` in both lanes.
    @inline(__always)
    static func step(_ y: Lanes) -> Lanes {
        let x = select(y .> 1, Lanes(repeating: 1), select(y .< -1, Lanes(repeating: -1), y))
        let angle = acos(x)
        let c = cosOfSmallPositive(angle * OneDECMap.gain * angle)
        return 1.0 - 2.0 * (c * c)
    }

    /// `OneDECMap.acosOnUnitInterval` in both lanes.
    @inline(__always)
    static func acos(_ x: Lanes) -> Lanes {
        let magnitude = unsafeBitCast(unsafeBitCast(x, to: LaneBits.self) & LaneBits(repeating: 0x7FFF_FFFF_FFFF_FFFF),
                                      to: Lanes.self)
        let outer = magnitude .> 0.5
        let root = ((1 - magnitude) * 0.5).squareRoot()
        let s = asinKernel(select(outer, root, x))
        let twice = 2 * s
        let negative = (DeterministicMath.pi - twice) + DeterministicMath.piTail
        let middle = (DeterministicMath.pio2 - s) + DeterministicMath.pio2Tail
        return select(outer, select(x .> 0, twice, negative), middle)
    }

    /// `OneDECMap.cosOfSmallPositive` in both lanes.
    @inline(__always)
    static func cosOfSmallPositive(_ x: Lanes) -> Lanes {
        let shifted = x * DeterministicMath.twoOverPi + OneDECMap.roundingShift
        let k = shifted - OneDECMap.roundingShift
        let quadrant = unsafeBitCast(shifted, to: LaneBits.self) & 3
        let r = ((x - k * DeterministicMath.pio2High) - k * DeterministicMath.pio2Mid) - k * DeterministicMath.pio2Low
        let value = select((quadrant & 1) .== 1, sinKernel(r), cosKernel(r))
        let negate = ((quadrant &+ 1) & 2) &<< 62
        return unsafeBitCast(unsafeBitCast(value, to: LaneBits.self) ^ negate, to: Lanes.self)
    }

    // MARK: Kernels (generated from DeterministicMath.swift; see the type's comment)

    @inline(__always)
    static func asinKernel(_ y: Lanes) -> Lanes {
        let z = y * y
        var p = Lanes(repeating: 0x1.018f963c229bfp-9)
        p = p * z + Lanes(repeating: 0x1.1052bc5fa960ap-9)
        p = p * z + Lanes(repeating: 0x1.208d3570ae5a6p-9)
        p = p * z + Lanes(repeating: 0x1.3275586c5f2f0p-9)
        p = p * z + Lanes(repeating: 0x1.464c0950f7d47p-9)
        p = p * z + Lanes(repeating: 0x1.5c5f56efaaaabp-9)
        p = p * z + Lanes(repeating: 0x1.750de64d7d05fp-9)
        p = p * z + Lanes(repeating: 0x1.90cb77f60c7cep-9)
        p = p * z + Lanes(repeating: 0x1.b026f57b13b14p-9)
        p = p * z + Lanes(repeating: 0x1.d3d2a8e0dd67dp-9)
        p = p * z + Lanes(repeating: 0x1.fcaf8fb6db6dbp-9)
        p = p * z + Lanes(repeating: 0x1.15ee9d45d1746p-8)
        p = p * z + Lanes(repeating: 0x1.31683bdef7bdfp-8)
        p = p * z + Lanes(repeating: 0x1.51ba308d3dcb1p-8)
        p = p * z + Lanes(repeating: 0x1.782dda12f684cp-8)
        p = p * z + Lanes(repeating: 0x1.a6863d70a3d71p-8)
        p = p * z + Lanes(repeating: 0x1.df3bd37a6f4dfp-8)
        p = p * z + Lanes(repeating: 0x1.12ef3cf3cf3cfp-7)
        p = p * z + Lanes(repeating: 0x1.3fde50d79435ep-7)
        p = p * z + Lanes(repeating: 0x1.7a87878787878p-7)
        p = p * z + Lanes(repeating: 0x1.c99999999999ap-7)
        p = p * z + Lanes(repeating: 0x1.1c4ec4ec4ec4fp-6)
        p = p * z + Lanes(repeating: 0x1.6e8ba2e8ba2e9p-6)
        p = p * z + Lanes(repeating: 0x1.f1c71c71c71c7p-6)
        p = p * z + Lanes(repeating: 0x1.6db6db6db6db7p-5)
        p = p * z + Lanes(repeating: 0x1.3333333333333p-4)
        p = p * z + Lanes(repeating: 0x1.5555555555555p-3)
        return y + y * z * p
    }

    @inline(__always)
    static func sinKernel(_ r: Lanes) -> Lanes {
        let z = r * r
        var p = Lanes(repeating: -0x1.2f49b46814157p-57)
        p = p * z + Lanes(repeating: 0x1.952c77030ad4ap-49)
        p = p * z - Lanes(repeating: 0x1.ae7f3e733b81fp-41)
        p = p * z + Lanes(repeating: 0x1.6124613a86d09p-33)
        p = p * z - Lanes(repeating: 0x1.ae64567f544e4p-26)
        p = p * z + Lanes(repeating: 0x1.71de3a556c734p-19)
        p = p * z - Lanes(repeating: 0x1.a01a01a01a01ap-13)
        p = p * z + Lanes(repeating: 0x1.1111111111111p-7)
        p = p * z - Lanes(repeating: 0x1.5555555555555p-3)
        return r + r * z * p
    }

    @inline(__always)
    static func cosKernel(_ r: Lanes) -> Lanes {
        let z = r * r
        var p = Lanes(repeating: 0x1.e542ba4020225p-62)
        p = p * z - Lanes(repeating: 0x1.6827863b97d97p-53)
        p = p * z + Lanes(repeating: 0x1.ae7f3e733b81fp-45)
        p = p * z - Lanes(repeating: 0x1.93974a8c07c9dp-37)
        p = p * z + Lanes(repeating: 0x1.1eed8eff8d898p-29)
        p = p * z - Lanes(repeating: 0x1.27e4fb7789f5cp-22)
        p = p * z + Lanes(repeating: 0x1.a01a01a01a01ap-16)
        p = p * z - Lanes(repeating: 0x1.6c16c16c16c17p-10)
        p = p * z + Lanes(repeating: 0x1.5555555555555p-5)
        return 1 + z * (-0.5 + z * p)
    }
}
