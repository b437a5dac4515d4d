/// The 1-D Exponential Chebyshev (1-DEC) map of dcgan-vpd and the key streams K1 … K8 drawn from it.
///
///     y(n+1) = 1 − 2·[cos(acos(y(n)) · e^{1/μ} · acos(y(n)))]²     on [−1, 1]
///
/// μ = 1 (format version 1): `OneDECMapTests` measures a Lyapunov exponent of about +2.6 there.
/// Every transcendental call goes through `DeterministicMath`, so a stream is the same bits on every machine.
public struct OneDECMap: Sendable {
    /// μ of format version 1.
    public static let mu = 1.0
    /// Iterations discarded after the initial condition before the first sample is used.
    public static let transient = 100
    /// e^{1/μ}, computed with the project's own exp.
    static let gain = DeterministicMath.exp(1.0 / mu)

    /// The current state y ∈ [−1, 1].
    public private(set) var state: Double

    public init(initialCondition: Double) {
        state = initialCondition
    }

    /// One application of the map: 1 − 2·cos²(acos(y)·e·acos(y)) with `DeterministicMath`'s acos and cos, bit for bit.
    ///
    /// Why it is written out: the key streams are one long dependent chain per stream, so their cost is the
    /// latency of this function. `acosOnUnitInterval` and `cosOfSmallPositive` compute every branch of the shared
    /// functions and select the result (the map's branches are unpredictable, and a mispredicted branch also
    /// throws away the work of the other stream interleaved with it, see `VPDKeySchedule.wordPair`), and they
    /// round with the 1.5·2^52 shift instead of a call to `rint`. `stepIsBitIdenticalToTheSharedFunctions` holds
    /// this to `DeterministicMath.acos` and `DeterministicMath.cos`.
    @inline(__always)
    public static func step(_ y: Double) -> Double {
        // 1 − 2c² lies in [−1, 1] for |c| ≤ 1; the clamp keeps acos defined whatever rounding does.
        let angle = acosOnUnitInterval(y > 1 ? 1 : (y < -1 ? -1 : y))
        let c = cosOfSmallPositive(angle * gain * angle)
        return 1.0 - 2.0 * (c * c)
    }

    /// `DeterministicMath.acos(x)` for −1 ≤ x ≤ 1, bit for bit, without data-dependent branches. For x < −0.5 the
    /// shared function takes √((1 + x)/2); 1 + x and 1 − |x| are the same correctly rounded value.
    @inline(__always)
    static func acosOnUnitInterval(_ x: Double) -> Double {
        let magnitude = x.magnitude
        let outer = magnitude > 0.5
        let root = ((1 - magnitude) * 0.5).squareRoot()
        let s = DeterministicMath.asinKernel(outer ? root : x)
        let twice = 2 * s
        let negative = (DeterministicMath.pi - twice) + DeterministicMath.piTail
        let middle = (DeterministicMath.pio2 - s) + DeterministicMath.pio2Tail
        return outer ? (x > 0 ? twice : negative) : middle
    }

    /// 1.5·2^52: for 0 ≤ v < 2^51, (v + shift) − shift is v rounded to the nearest integer, ties to even (the sum's
    /// unit in the last place is 1), and the sum's low significand bits are that integer.
    static let roundingShift: Double = 0x1.8p52

    /// `DeterministicMath.cos(x)` for 0 ≤ x ≤ π²·e (the map's range), bit for bit: the same reduction and kernels,
    /// k rounded by `roundingShift` and the quadrant k mod 4 read from the shifted sum's low bits; both kernels
    /// are evaluated and one is selected, its sign flipped for quadrants 1 and 2.
    @inline(__always)
    static func cosOfSmallPositive(_ x: Double) -> Double {
        let shifted = x * DeterministicMath.twoOverPi + roundingShift
        let k = shifted - roundingShift
        let quadrant = shifted.bitPattern & 3
        let r = ((x - k * DeterministicMath.pio2High) - k * DeterministicMath.pio2Mid) - k * DeterministicMath.pio2Low
        let cosine = DeterministicMath.cosKernel(r), sine = DeterministicMath.sinKernel(r)
        let value = quadrant & 1 == 0 ? cosine : sine
        let negate = ((quadrant &+ 1) & 2) << 62          // quadrants 1 and 2: −sin, −cos
        return Double(bitPattern: value.bitPattern ^ negate)
    }

    /// Advances the state and returns its quantised form q = ⌊|y|·2^52⌋ mod 2^48 (48 key bits per sample).
    @inline(__always)
    public mutating func nextSample() -> UInt64 {
        state = Self.step(state)
        return Self.quantised(state)
    }

    /// q = ⌊|y|·2^52⌋ mod 2^48.
    @inline(__always)
    static func quantised(_ y: Double) -> UInt64 {
        let magnitude = y < 0 ? -y : y
        // |y| ≤ 1, so |y|·2^52 ≤ 2^52 is exact to convert; the top 4–5 bits (shaped by the map's density) are dropped.
        return UInt64(magnitude * 4_503_599_627_370_496.0) & 0xFFFF_FFFF_FFFF
    }

    /// A map started at `initialCondition` with the transient already discarded.
    static func warmedUp(_ initialCondition: Double) -> OneDECMap {
        var map = OneDECMap(initialCondition: initialCondition)
        for _ in 0..<transient { map.state = step(map.state) }
        return map
    }
}

/// K1 … K8 of one object: eight 1-DEC maps whose initial conditions come from the 512-bit secret.
///
/// Secret bytes 8i … 8i+7 (big-endian) form word w_i. Each word is first mixed with the other seven,
/// m_i = w_i ⊕ rotl(w_0 ⊕ … ⊕ w_7 ⊕ w_i, 17), so that every secret bit reaches every stream (with the paper's
/// plain split, a key differing only in the K1 part decrypts to the image with its rows permuted). The 15 lowest
/// decimal digits of m_i, divided by 10^15, give the initial condition x_i ∈ [0, 1) of stream K(i+1).
public struct VPDKeySchedule: Sendable {
    public let initialConditions: [Double]

    public init(secret: [UInt8]) throws(CipherError) {
        guard secret.count == 64 else {
            throw .invalidKey(profile: DCGANVPDCipher.profileName,
                              reason: "the secret must be 64 bytes (a SHA-512), got \(secret.count)")
        }
        var words: [UInt64] = []
        for i in 0..<8 {
            var word: UInt64 = 0
            for b in secret[(8 * i)..<(8 * i + 8)] { word = word << 8 | UInt64(b) }
            words.append(word)
        }
        let all = words.reduce(0, ^)
        initialConditions = words.map { word in
            let others = all ^ word
            let mixed = word ^ (others << 17 | others >> 47)
            return Double(mixed % 1_000_000_000_000_000) / 1e15
        }
    }

    /// Stream K`index` (1 … 8) after its transient.
    public func stream(_ index: Int) -> OneDECMap {
        precondition((1...8).contains(index), "key streams are K1 … K8")
        return OneDECMap.warmedUp(initialConditions[index - 1])
    }

    /// A permutation of 0..<count from stream K`index`: Fisher–Yates from the top, swap partner j = q mod (i+1),
    /// one sample q per swap (i = count−1 down to 1).
    public func permutation(_ index: Int, count: Int) -> [Int] {
        var map = stream(index)
        var perm = Array(0..<count)
        var i = count - 1
        while i > 0 {
            let j = Int(map.nextSample() % UInt64(i + 1))
            perm.swapAt(i, j)
            i -= 1
        }
        return perm
    }

    /// `count` key words of `bits` (1 … 16) bits from stream K`index`: each sample q yields ⌊48/bits⌋ words,
    /// word m of a sample being bits m·bits … (m+1)·bits−1 of q (lowest first).
    public func words(_ index: Int, count: Int, bits: Int) -> [UInt32] {
        precondition((1...16).contains(bits), "key words are 1 … 16 bits")
        var map = stream(index)
        let perSample = 48 / bits
        let mask = (UInt64(1) << UInt64(bits)) - 1
        return [UInt32](unsafeUninitializedCapacity: count) { buffer, initialized in
            var produced = 0
            while produced < count {
                var q = map.nextSample()
                let take = min(perSample, count - produced)
                for m in 0..<take {
                    buffer[produced + m] = UInt32(truncatingIfNeeded: q & mask)
                    q >>= UInt64(bits)
                }
                produced += take
            }
            initialized = count
        }
    }
}

extension VPDKeySchedule {
    /// K4 and K8 together, as the same words as `words(4, …)` and `words(8, …)`, in the pixel work's element type.
    ///
    /// Why together: each stream is one chain of dependent map steps, so a stream costs the latency of
    /// `OneDECMap.step` per sample while most of the core idles; the two independent streams advance in the two
    /// lanes of `OneDECPair` for about the cost of one.
    func wordPair<Word: FixedWidthInteger & UnsignedInteger>(count: Int, bits: Int, as _: Word.Type)
        -> (k4: [Word], k8: [Word])
    {
        precondition((1...16).contains(bits) && bits <= Word.bitWidth, "key words are 1 … 16 bits and fit the type")
        var states = OneDECPair.Lanes(initialConditions[3], initialConditions[7])
        for _ in 0..<OneDECMap.transient { states = OneDECPair.step(states) }
        let perSample = 48 / bits
        let shift = UInt64(bits)
        let mask = (UInt64(1) << shift) - 1
        var k4 = [Word](repeating: 0, count: count), k8 = [Word](repeating: 0, count: count)
        k4.withUnsafeMutableBufferPointer { k4Words in
            k8.withUnsafeMutableBufferPointer { k8Words in
                var produced = 0
                while produced < count {
                    states = OneDECPair.step(states)
                    var q4 = OneDECMap.quantised(states[0]), q8 = OneDECMap.quantised(states[1])
                    let take = min(perSample, count - produced)
                    for m in produced..<(produced + take) {
                        k4Words[m] = Word(truncatingIfNeeded: q4 & mask)
                        k8Words[m] = Word(truncatingIfNeeded: q8 & mask)
                        q4 >>= shift
                        q8 >>= shift
                    }
                    produced += take
                }
            }
        }
        return (k4, k8)
    }
}
