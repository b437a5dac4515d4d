import Testing
@testable import Ciphers
import Pixels

@Suite("Chaotic systems and fields")
struct ChaoticSystemTests {
    /// The Jacobian of the coupled Chen system, written out here from the equations in spec/qkd-hybrid.md
    /// (independently of the library, which only has the vector field).
    static func jacobian(_ s: State6, _ p: CoupledChen) -> [[Double]] {
        [
            [-p.a1, p.a1, 0, p.epsilon, 0, 0],
            [p.c1 - p.a1 - s.x3, p.c1, -s.x1, 0, 0, 0],
            [s.x2, s.x1, -p.b1, 0, 0, 0],
            [p.epsilon, 0, 0, -p.a2, p.a2, 0],
            [0, 0, 0, p.c2 - p.a2 - s.x6, p.c2, -s.x4],
            [0, 0, 0, s.x5, s.x4, -p.b2],
        ]
    }

    /// Benettin's method: RK4 on the state and six tangent vectors (variational equation), modified
    /// Gram–Schmidt every few steps, exponents = mean log growth of the orthogonalised vectors.
    static func lyapunovSpectrum(timeUnits: Double, h: Double) -> [Double] {
        let system = CoupledChen()
        var state = ChenWordStream.origin
        for _ in 0..<Int(5 / h) { state = system.rk4Step(state, h: h) }
        var tangent: [[Double]] = (0..<6).map { i in (0..<6).map { $0 == i ? 1.0 : 0.0 } }
        var sums = [Double](repeating: 0, count: 6)

        func tangentRate(_ s: State6, _ v: [[Double]]) -> [[Double]] {
            let j = jacobian(s, system)
            return v.map { vector in (0..<6).map { row in (0..<6).reduce(0.0) { $0 + j[row][$1] * vector[$1] } } }
        }
        func add(_ v: [[Double]], _ k: [[Double]], _ h: Double) -> [[Double]] {
            zip(v, k).map { a, b in zip(a, b).map { $0 + h * $1 } }
        }
        let steps = Int(timeUnits / h)
        let orthonormaliseEvery = 10
        for step in 1...steps {
            // The state half of RK4 must follow the library's step, so the tangent stages use the same points.
            let k1 = system.derivative(state), t1 = tangentRate(state, tangent)
            let s2 = state.adding(k1, times: h / 2)
            let k2 = system.derivative(s2), t2 = tangentRate(s2, add(tangent, t1, h / 2))
            let s3 = state.adding(k2, times: h / 2)
            let k3 = system.derivative(s3), t3 = tangentRate(s3, add(tangent, t2, h / 2))
            let s4 = state.adding(k3, times: h)
            let t4 = tangentRate(s4, add(tangent, t3, h))
            state = system.rk4Step(state, h: h)
            tangent = (0..<6).map { i in
                (0..<6).map { c in tangent[i][c] + h / 6 * (t1[i][c] + 2 * t2[i][c] + 2 * t3[i][c] + t4[i][c]) }
            }
            if step % orthonormaliseEvery == 0 {
                for i in 0..<6 {
                    for j in 0..<i {
                        let dot = zip(tangent[i], tangent[j]).reduce(0.0) { $0 + $1.0 * $1.1 }
                        tangent[i] = zip(tangent[i], tangent[j]).map { $0 - dot * $1 }
                    }
                    let norm = tangent[i].reduce(0.0) { $0 + $1 * $1 }.squareRoot()
                    sums[i] += DeterministicMath.log(norm)
                    tangent[i] = tangent[i].map { $0 / norm }
                }
            }
        }
        let time = Double(steps / orthonormaliseEvery * orthonormaliseEvery) * h
        return sums.map { $0 / time }
    }

    /// The spec measured ≈ (1.93, 0.50, −0.03, −1.11, −11.3, −19.0) over 150 time units; a 40-unit run must
    /// show the same signature: exactly two clearly positive exponents, and a sum equal to the trace of the
    /// Jacobian (−a1 + c1 − b1 − a2 + c2 − b2 = −29), which checks the bookkeeping.
    @Test func coupledChenIsHyperchaotic() {
        let spectrum = Self.lyapunovSpectrum(timeUnits: 40, h: 0.005)
        #expect(spectrum[0] > 1.0, "\(spectrum)")
        #expect(spectrum[1] > 0.2, "\(spectrum)")
        #expect(spectrum[2] < 0.15, "\(spectrum)")
        #expect(spectrum[5] < -5, "\(spectrum)")
        #expect(abs(spectrum.reduce(0, +) - (-29)) < 0.5, "\(spectrum)")
    }

    /// Key-derived initial conditions stay on a bounded, moving orbit after the (format version 2) transient, and
    /// that transient is long enough to have left the neighbourhood of the origin, where every start lies: on the
    /// attractor x3 stays well above the initial conditions' range (≤ 0.8).
    @Test func orbitsFromManyKeysStayBoundedAndMove() {
        var rng = SplitMix64(seed: 99)
        for _ in 0..<20 {
            let seed = (0..<48).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var chen = ChenWordStream(seed: seed, transientSteps: ChenWordStream.transientSteps(formatVersion: 2))
            #expect(chen.state.x3 > 2)
            let words = (0..<600).map { _ in chen.next() }
            for x in chen.state.components { #expect(x.isFinite && abs(x) < 200) }
            #expect(Set(words).count > 590)
            var ikeda = IkedaWordStream(seed: Array(seed[0..<24]), transientSteps: IkedaWordStream.transientSteps(formatVersion: 2))
            let ikedaWords = (0..<400).map { _ in ikeda.next() }
            #expect(ikeda.x.isFinite && ikeda.y.isFinite && abs(ikeda.x) < 10 && abs(ikeda.y) < 10)
            #expect(Set(ikedaWords).count > 390)
        }
    }

    /// The one-loop generator of the plane key schedule gives exactly the words of the two streams taken one by
    /// one: either stream longer than the other, counts that end inside a Chen step or an Ikeda iteration, empty
    /// counts, both format versions' transients.
    @Test func theOneLoopGeneratorGivesTheStreamsWords() {
        var rng = SplitMix64(seed: 2026)
        let cases: [(chen: Int, ikeda: Int, chenTransient: Int, ikedaTransient: Int)] = [
            (0, 0, 500, 100), (1, 0, 500, 100), (0, 3, 500, 100), (7, 5, 500, 100), (252, 252, 500, 100),
            (4 * 511, 4 * 511, 500, 100), (3 * 63, 16 * 4095, 500, 100), (16 * 4095, 2, 500, 100),
            (61, 33, 2_000, 1_000), (13, 900, 0, 0),
        ]
        for (index, item) in cases.enumerated() {
            let chenSeed = (0..<48).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let ikedaSeed = (0..<24).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var chenStream = ChenWordStream(seed: chenSeed, transientSteps: item.chenTransient)
            var ikedaStream = IkedaWordStream(seed: ikedaSeed, transientSteps: item.ikedaTransient)
            let expectedChen = (0..<item.chen).map { _ in chenStream.next() }
            let expectedIkeda = (0..<item.ikeda).map { _ in ikedaStream.next() }
            var chen = [UInt32](repeating: 0, count: item.chen), ikeda = [UInt32](repeating: 0, count: item.ikeda)
            chen.withUnsafeMutableBufferPointer { chen in
                ikeda.withUnsafeMutableBufferPointer { ikeda in
                    ChaoticWordPair.fill(chenSeed: chenSeed, chenTransient: item.chenTransient, chen: chen,
                                         ikedaSeed: ikedaSeed, ikedaTransient: item.ikedaTransient, ikeda: ikeda)
                }
            }
            // Compared by the first differing index: a failing `==` on long arrays makes Swift Testing diff them
            // element by element, which takes minutes.
            let chenDifference = QKDHybridReferenceTests.firstDifference(chen, expectedChen)
            let ikedaDifference = QKDHybridReferenceTests.firstDifference(ikeda, expectedIkeda)
            #expect(chenDifference == nil, "case \(index): Chen words differ first at \(chenDifference ?? -1)")
            #expect(ikedaDifference == nil, "case \(index): Ikeda words differ first at \(ikedaDifference ?? -1)")
        }
    }

    /// Fisher–Yates from chaotic words yields permutations, and their inverses undo them.
    @Test func permutationsAreBijectionsWithInverses() {
        var chen = ChenWordStream(seed: [UInt8](repeating: 7, count: 48), transientSteps: 500)
        for n in [1, 2, 3, 17, 512] {
            let p = Permutations.fisherYates(count: n) { chen.below($0) }
            #expect(Set(p).count == n && p.allSatisfy { $0 >= 0 && Int($0) < n })
            let inverse = Permutations.inverse(of: p)
            #expect((0..<n).allSatisfy { Int(inverse[Int(p[$0])]) == $0 })
        }
    }

    @Test func galoisFieldPolynomialsArePrimitive() {
        for m in 1...16 {
            let field = GaloisField.field(degree: m)
            #expect(field.generatorIsPrimitive, "m = \(m)")
            // Spot-check inverses.
            for a in stride(from: 1, to: 1 << m, by: max(1, (1 << m) / 97)) {
                #expect(field.multiply(UInt32(a), field.inverse(UInt32(a))) == 1, "m = \(m), a = \(a)")
            }
        }
    }

    @Test func objectTablesAreBijectionsForEveryDepth() {
        let schedule = KeySchedule(secret: Array(0..<32), profile: "qkd-hybrid", version: 1)
        for m in 1...16 {
            let tables = QKDHybridTables(schedule: schedule, m: m)
            #expect(Permutations.isBijection(tables.valueShuffle), "m = \(m)")
            #expect(Permutations.isBijection(tables.mobiusThenPolynomial), "m = \(m)")
            #expect(tables.mobius.c != 0)
        }
    }

    @Test func oddInversesAreInverses() {
        var rng = SplitMix64(seed: 5)
        for _ in 0..<1000 {
            let a = UInt32(truncatingIfNeeded: rng.next()) | 1
            #expect(a &* oddInverse(a) == 1)
        }
    }
}
