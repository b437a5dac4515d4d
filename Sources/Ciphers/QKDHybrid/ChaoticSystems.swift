/// The two chaotic systems of `qkd-hybrid` (spec/qkd-hybrid.md §2) and the way their states become key words.
///
/// Both are evaluated in plain double arithmetic in a fixed order, with `DeterministicMath` for the
/// transcendental functions, so the word streams are identical on every machine.

/// A point of the six-dimensional phase space.
struct State6: Sendable, Equatable {
    var x1, x2, x3, x4, x5, x6: Double

    init(_ x1: Double, _ x2: Double, _ x3: Double, _ x4: Double, _ x5: Double, _ x6: Double) {
        (self.x1, self.x2, self.x3, self.x4, self.x5, self.x6) = (x1, x2, x3, x4, x5, x6)
    }

    var components: [Double] { [x1, x2, x3, x4, x5, x6] }

    /// `self + h · k`, component by component (one multiply and one add each, never fused).
    @inline(__always)
    func adding(_ k: State6, times h: Double) -> State6 {
        State6(x1 + h * k.x1, x2 + h * k.x2, x3 + h * k.x3, x4 + h * k.x4, x5 + h * k.x5, x6 + h * k.x6)
    }
}

/// Two mutually coupled Chen oscillators (the spec's 6D hyperchaotic system), integrated with classical RK4.
struct CoupledChen: Sendable {
    var a1 = 35.0, b1 = 3.0, c1 = 28.0
    var a2 = 36.0, b2 = 3.0, c2 = 20.0
    var epsilon = 1.0

    /// The vector field, each line evaluated left to right as written.
    @inline(__always)
    func derivative(_ s: State6) -> State6 {
        State6(
            a1 * (s.x2 - s.x1) + epsilon * s.x4,
            (c1 - a1) * s.x1 - s.x1 * s.x3 + c1 * s.x2,
            s.x1 * s.x2 - b1 * s.x3,
            a2 * (s.x5 - s.x4) + epsilon * s.x1,
            (c2 - a2) * s.x4 - s.x4 * s.x6 + c2 * s.x5,
            s.x4 * s.x5 - b2 * s.x6
        )
    }

    /// One classical Runge–Kutta step: s + (h/6)·(k1 + 2·k2 + 2·k3 + k4), with the sum formed left to right.
    @inline(__always)
    func rk4Step(_ s: State6, h: Double) -> State6 {
        let half = 0.5 * h
        let k1 = derivative(s)
        let k2 = derivative(s.adding(k1, times: half))
        let k3 = derivative(s.adding(k2, times: half))
        let k4 = derivative(s.adding(k3, times: h))
        let w = h / 6
        @inline(__always) func combine(_ x: Double, _ a: Double, _ b: Double, _ c: Double, _ d: Double) -> Double {
            x + w * (a + 2 * b + 2 * c + d)
        }
        return State6(
            combine(s.x1, k1.x1, k2.x1, k3.x1, k4.x1), combine(s.x2, k1.x2, k2.x2, k3.x2, k4.x2),
            combine(s.x3, k1.x3, k2.x3, k3.x3, k4.x3), combine(s.x4, k1.x4, k2.x4, k3.x4, k4.x4),
            combine(s.x5, k1.x5, k2.x5, k3.x5, k4.x5), combine(s.x6, k1.x6, k2.x6, k3.x6, k4.x6)
        )
    }
}

/// The Ikeda map: t = 0.4 − 6/(1 + x² + y²), x' = 1 + u(x cos t − y sin t), y' = u(x sin t + y cos t).
struct IkedaMap: Sendable {
    var u: Double

    @inline(__always)
    func step(_ x: Double, _ y: Double) -> (Double, Double) {
        let t = 0.4 - 6 / (1 + x * x + y * y)
        let (s, c) = DeterministicMath.sinCos(t)
        return (1 + u * (x * c - y * s), u * (x * s + y * c))
    }
}

/// The 32-bit key word of one state variable: bits 0–31 of ⌊|v| · 2^scale⌋. These are the fast-moving low
/// fraction bits of the trajectory. A non-finite or huge value (which a bounded orbit never produces) falls back
/// to the low 32 bits of its bit pattern, so no input can trap.
@inline(__always)
func chaoticWord(_ v: Double, scale: Int) -> UInt32 {
    let scaled = Double(sign: .plus, exponent: scale, significand: v.magnitude)
    guard scaled.isFinite, scaled < 0x1p63 else { return UInt32(truncatingIfNeeded: v.bitPattern) }
    return UInt32(truncatingIfNeeded: UInt64(scaled))
}

/// A value in 0..<bound from a chaotic word: ⌊word · bound / 2^32⌋ (`belowChaotic` in docs/ciphers/qkd-hybrid.md).
@inline(__always)
func belowChaotic(_ word: UInt32, _ bound: Int) -> Int { Int((UInt64(word) &* UInt64(bound)) >> 32) }

/// Key words from the coupled Chen system: each RK4 step (h = 0.001) yields six words, one per variable in the
/// order x1 … x6, each `chaoticWord(x_i, scale: 40)`.
struct ChenWordStream: Sendable {
    static let step = 0.001
    /// Discarded RK4 steps after the initial condition, by format version. Version 1 used 2,000 (2 time units);
    /// version 2 uses 500: near the origin the linearised Chen system grows by e^{23.8 t}, so an orbit starting
    /// within about 1 of the origin reaches the attractor's scale (≈ 20) after ≈ 0.16 time units, and 0.5 time
    /// units is three times that.
    static func transientSteps(formatVersion: Int) -> Int { formatVersion == 1 ? 2_000 : 500 }
    /// Reference point of the spec; key-derived offsets in [−0.5, 0.5) are added to it.
    static let origin = State6(0.1, 0.2, 0.3, 0.4, 0.5, 0.6)

    private let system = CoupledChen()
    private(set) var state: State6
    private var words: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0, 0)
    private var used = 6

    /// `seed` holds 48 bytes: six little-endian words whose top 53 bits give the offsets.
    init(seed: [UInt8], transientSteps: Int) {
        var s = Self.initialState(seed: seed)
        for _ in 0..<transientSteps { s = system.rk4Step(s, h: Self.step) }
        state = s
    }

    /// The initial condition: `origin` plus the six key-derived offsets of `seed` (48 bytes).
    static func initialState(seed: [UInt8]) -> State6 {
        precondition(seed.count >= 48, "the Chen stream needs 48 seed bytes")
        let o = (0..<6).map { unitInterval(seed.littleEndianWord(at: 8 * $0)) - 0.5 }
        let base = origin
        return State6(base.x1 + o[0], base.x2 + o[1], base.x3 + o[2], base.x4 + o[3], base.x5 + o[4], base.x6 + o[5])
    }

    /// The six words of one state, in the order `next()` returns them.
    @inline(__always)
    static func words(of s: State6) -> (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) {
        (chaoticWord(s.x1, scale: 40), chaoticWord(s.x2, scale: 40), chaoticWord(s.x3, scale: 40),
         chaoticWord(s.x4, scale: 40), chaoticWord(s.x5, scale: 40), chaoticWord(s.x6, scale: 40))
    }

    @inline(__always)
    mutating func next() -> UInt32 {
        if used == 6 {
            state = system.rk4Step(state, h: Self.step)
            words = Self.words(of: state)
            used = 0
        }
        defer { used += 1 }
        switch used {
        case 0: return words.0
        case 1: return words.1
        case 2: return words.2
        case 3: return words.3
        case 4: return words.4
        default: return words.5
        }
    }

    @inline(__always)
    mutating func below(_ bound: Int) -> Int { belowChaotic(next(), bound) }
}

/// Key words from the Ikeda map: each iteration yields two words, `chaoticWord(x, scale: 50)` then
/// `chaoticWord(y, scale: 50)`.
struct IkedaWordStream: Sendable {
    /// Discarded iterations, by format version: 1,000 in version 1, 100 in version 2. The map shrinks areas by
    /// u² < 0.81 per iteration, so after 100 iterations a point is within about 1e-9 of the attractor.
    static func transientSteps(formatVersion: Int) -> Int { formatVersion == 1 ? 1_000 : 100 }

    private let map: IkedaMap
    private(set) var x: Double
    private(set) var y: Double
    private var pending: UInt32?

    /// `seed` holds 24 bytes: x0 and y0 = unit − 0.5 from the first two words, u = 0.878 + 0.02 · unit from the
    /// third. Why that band: a scan of u (step 0.0002, several initial points) found periodic windows at 0.85,
    /// 0.8752 and everywhere from 0.9025 up (orbits of period 1 or 2), and a chaotic attractor in [0.878, 0.898).
    init(seed: [UInt8], transientSteps: Int) {
        var (map, x, y) = Self.initialState(seed: seed)
        for _ in 0..<transientSteps { (x, y) = map.step(x, y) }
        self.map = map
        self.x = x
        self.y = y
    }

    /// The map and the initial point of `seed` (24 bytes).
    static func initialState(seed: [UInt8]) -> (map: IkedaMap, x: Double, y: Double) {
        precondition(seed.count >= 24, "the Ikeda stream needs 24 seed bytes")
        return (IkedaMap(u: 0.878 + 0.02 * unitInterval(seed.littleEndianWord(at: 16))),
                unitInterval(seed.littleEndianWord(at: 0)) - 0.5, unitInterval(seed.littleEndianWord(at: 8)) - 0.5)
    }

    var parameter: Double { map.u }

    @inline(__always)
    mutating func next() -> UInt32 {
        if let word = pending {
            pending = nil
            return word
        }
        (x, y) = map.step(x, y)
        pending = chaoticWord(y, scale: 50)
        return chaoticWord(x, scale: 50)
    }

    @inline(__always)
    mutating func below(_ bound: Int) -> Int { belowChaotic(next(), bound) }
}

/// The first words of a Chen stream and of an Ikeda stream, computed in one loop.
///
/// Why one loop: each recurrence is a chain of dependent floating-point operations (an RK4 step ≈ 25 ns, an
/// Ikeda iteration with its sine and cosine ≈ 40 ns on the CI's VM) that leaves most of the core's execution units
/// idle; stepping both in the same loop body lets the core run the two chains side by side. The loop advances
/// them in proportion to their step counts (the shorter one by one step per pass), so that both end together.
/// The words are those of `ChenWordStream` and `IkedaWordStream` with the same transients: the same operations in
/// the same order on each state, so the streams are unchanged (`ChaoticSystemTests` compares them).
enum ChaoticWordPair {
    static func fill(
        chenSeed: [UInt8], chenTransient: Int, chen: UnsafeMutableBufferPointer<UInt32>,
        ikedaSeed: [UInt8], ikedaTransient: Int, ikeda: UnsafeMutableBufferPointer<UInt32>
    ) {
        let system = CoupledChen()
        var s = ChenWordStream.initialState(seed: chenSeed)
        var (map, x, y) = IkedaWordStream.initialState(seed: ikedaSeed)
        let chenSteps = chenTransient + (chen.count + 5) / 6
        let ikedaSteps = ikedaTransient + (ikeda.count + 1) / 2
        var i = 0, j = 0  // steps taken
        var c = 0, k = 0  // words written
        @inline(__always) func put(_ word: UInt32, _ buffer: UnsafeMutableBufferPointer<UInt32>, _ index: inout Int) {
            if index < buffer.count { buffer[index] = word }
            index += 1
        }
        let passes = max(1, min(chenSteps, ikedaSteps))
        for pass in 1...passes {
            let chenTarget = chenSteps * pass / passes, ikedaTarget = ikedaSteps * pass / passes
            while i < chenTarget {
                s = system.rk4Step(s, h: ChenWordStream.step)
                if i >= chenTransient {
                    let w = ChenWordStream.words(of: s)
                    put(w.0, chen, &c); put(w.1, chen, &c); put(w.2, chen, &c)
                    put(w.3, chen, &c); put(w.4, chen, &c); put(w.5, chen, &c)
                }
                i += 1
            }
            while j < ikedaTarget {
                (x, y) = map.step(x, y)
                if j >= ikedaTransient {
                    put(chaoticWord(x, scale: 50), ikeda, &k)
                    put(chaoticWord(y, scale: 50), ikeda, &k)
                }
                j += 1
            }
        }
    }
}
