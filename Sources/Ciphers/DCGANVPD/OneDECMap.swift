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

    /// One application of the map.
    @inline(__always)
    public static func step(_ y: Double) -> Double {
        // 1 − 2c² lies in [−1, 1] for |c| ≤ 1; the clamp keeps acos defined whatever rounding does.
        let angle = DeterministicMath.acos(y > 1 ? 1 : (y < -1 ? -1 : y))
        let c = cosOfSmallPositive(angle * gain * angle)
        return 1.0 - 2.0 * (c * c)
    }

    /// `DeterministicMath.cos` for 0 ≤ x ≤ π²·e (the map's range), bit for bit: the same reduction and kernels,
    /// with the quadrant taken as `Int(k) & 3` instead of through `truncatingRemainder` (a libm fmod call that
    /// cost a third of the key-stream time); both give k mod 4 for integral k. `keyStreamGoldenValues` and
    /// `cosShortcutIsBitIdentical` hold it to the shared function.
    @inline(__always)
    static func cosOfSmallPositive(_ x: Double) -> Double {
        let k = (x * DeterministicMath.twoOverPi).rounded(.toNearestOrEven)
        let r = ((x - k * DeterministicMath.pio2High) - k * DeterministicMath.pio2Mid) - k * DeterministicMath.pio2Low
        switch Int(k) & 3 {
        case 0: return DeterministicMath.cosKernel(r)
        case 1: return -DeterministicMath.sinKernel(r)
        case 2: return -DeterministicMath.cosKernel(r)
        default: return DeterministicMath.sinKernel(r)
        }
    }

    /// Advances the state and returns its quantised form q = ⌊|y|·2^52⌋ mod 2^48 (48 key bits per sample).
    @inline(__always)
    public mutating func nextSample() -> UInt64 {
        state = Self.step(state)
        let magnitude = state < 0 ? -state : state
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
