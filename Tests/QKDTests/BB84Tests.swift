import Foundation
import Testing
@testable import QKD

/// Physics and post-processing of the simulated link. Every run is seeded, so a failure reproduces.
@Suite("BB84 simulator")
struct BB84Tests {
    /// A link with given misalignment, eavesdropper and dark counts; short blocks keep the tests fast.
    func link(misalignment: Double = 0.015, eavesdrop: Double = 0, dark: Double = 1e-6,
              siftedBits: Int = 16_384) -> LinkParameters {
        var p = LinkParameters()
        p.misalignmentError = misalignment
        p.eavesdropFraction = eavesdrop
        p.darkCountProbability = dark
        p.siftedBitsPerBlock = siftedBits
        return p
    }

    /// QBER expected from the physics alone: signal clicks err with e_mis, dark-only clicks with 1/2.
    func expectedQBER(_ p: LinkParameters) -> Double {
        let signal = 1 - exp(-p.meanPhotonNumber * p.channelTransmittance * p.detectorEfficiency)
        let click = 1 - (1 - signal) * (1 - p.darkCountProbability)
        let darkOnly = 1 - signal / click
        let eve = p.eavesdropFraction
        // Intercepted pulses: half the time Eve's basis is wrong and Bob's sifted bit is random.
        let signalError = (1 - eve) * p.misalignmentError + eve * (0.5 * p.misalignmentError + 0.25)
        return (1 - darkOnly) * signalError + darkOnly * 0.5
    }

    @Test("QBER equals the misalignment error without an eavesdropper")
    func qberWithoutEve() throws {
        for (seed, misalignment) in [(1 as UInt64, 0.01), (2, 0.03), (3, 0.05)] {
            var simulator = try BB84Simulator(parameters: link(misalignment: misalignment),
                                              random: SeededRandom(seed: seed))
            let report = simulator.runBlock().report
            // trueQBER is over ~14,700 bits: σ ≈ 0.0018 at 5 %; the disclosed sample (1,638 bits) is noisier.
            #expect(abs(report.trueQBER - misalignment) < 0.006, "true QBER \(report.trueQBER) vs \(misalignment)")
            #expect(abs(report.estimatedQBER - misalignment) < 0.02)
            #expect(report.outcome == .key)
            #expect(report.residualErrors == 0)
        }
    }

    @Test("intercept-resend on a fraction p of pulses adds a QBER of 25 % × p")
    func qberWithEve() throws {
        for (seed, p) in [(11 as UInt64, 0.2), (12, 0.4), (13, 1.0)] {
            var simulator = try BB84Simulator(parameters: link(misalignment: 0, eavesdrop: p, dark: 0),
                                              random: SeededRandom(seed: seed))
            let report = simulator.runBlock().report
            #expect(abs(report.interceptedFraction - p) < 0.02)
            #expect(abs(report.trueQBER - 0.25 * p) < 0.01, "QBER \(report.trueQBER) for p = \(p)")
        }
        // With the default misalignment on top, the physics formula still holds.
        let parameters = link(eavesdrop: 0.3)
        var simulator = try BB84Simulator(parameters: parameters, random: SeededRandom(seed: 14))
        let report = simulator.runBlock().report
        #expect(abs(report.trueQBER - expectedQBER(parameters)) < 0.008)
    }

    @Test("a block whose estimated QBER exceeds the threshold (11 %) is aborted and gives no key")
    func abortAboveThreshold() throws {
        // p = 0.6 gives 15 % QBER; misalignment 0.13 gives 13 %.
        for (seed, parameters) in [(21 as UInt64, link(eavesdrop: 0.6)), (22, link(misalignment: 0.13))] {
            var simulator = try BB84Simulator(parameters: parameters, random: SeededRandom(seed: seed))
            let block = simulator.runBlock()
            #expect(block.report.outcome == .abortedQBER)
            #expect(block.report.estimatedQBER > 0.11)
            #expect(block.key.isEmpty && block.report.finalKeyBits == 0)
        }
        // Just below the threshold the block still distils key.
        var simulator = try BB84Simulator(parameters: link(misalignment: 0.06), random: SeededRandom(seed: 23))
        #expect(simulator.runBlock().report.outcome == .key)
    }

    @Test("sifting keeps about half of the detections")
    func siftedFraction() throws {
        var simulator = try BB84Simulator(parameters: link(), random: SeededRandom(seed: 31))
        let report = simulator.runBlock().report
        let fraction = Double(report.siftedBits) / Double(report.detections)
        // 16,384 of ~32,768 detections: σ ≈ 0.0028.
        #expect(abs(fraction - 0.5) < 0.012, "sifted fraction \(fraction)")
        // Detections per pulse follow 1 − e^{−μη}(1 − d).
        let p = link()
        let click = 1 - exp(-p.meanPhotonNumber * p.totalTransmittance) * (1 - p.darkCountProbability)
        let perPulse = Double(report.detections) / Double(report.pulsesSent)
        #expect(abs(perPulse / click - 1) < 0.03, "click probability \(perPulse) vs \(click)")
    }

    @Test("final key length tracks n·(1 − h(Q) − leak/n) within the documented margin")
    func finalKeyRate() throws {
        for (seed, misalignment) in [(41 as UInt64, 0.01), (42, 0.03), (43, 0.05)] {
            let parameters = link(misalignment: misalignment, siftedBits: 32_768)
            var simulator = try BB84Simulator(parameters: parameters, random: SeededRandom(seed: seed))
            let block = simulator.runBlock()
            let r = block.report
            #expect(r.outcome == .key)
            #expect(block.key.count * 8 == r.finalKeyBits)
            let n = Double(r.reconciledBits)
            // Against the true error rate (not the estimate the code used): the difference comes from the QBER
            // estimate's sampling error (|ΔQ| < 0.01 → |Δh| < 0.04 here), the fixed 164-bit verification and margin
            // cost, and byte rounding. docs/kme.md states this margin.
            let ideal = 1 - binaryEntropy(r.trueQBER) - Double(r.cascadeLeakBits) / n
            let rate = Double(r.finalKeyBits) / n
            #expect(abs(rate - ideal) < 0.04 + 172 / n, "rate \(rate) vs ideal \(ideal) at Q = \(r.trueQBER)")
            // Cascade's leak stays near the Shannon limit on the real string.
            #expect(Double(r.cascadeLeakBits) <= 1.25 * n * binaryEntropy(r.trueQBER) + 64)
        }
    }

    @Test("seeded runs repeat exactly; different seeds give different keys")
    func determinism() throws {
        var a = try BB84Simulator(parameters: link(), random: SeededRandom(seed: 51))
        var b = try BB84Simulator(parameters: link(), random: SeededRandom(seed: 51))
        var c = try BB84Simulator(parameters: link(), random: SeededRandom(seed: 52))
        let ka = a.runBlock(), kb = b.runBlock(), kc = c.runBlock()
        #expect(ka.key == kb.key && ka.report == kb.report)
        #expect(ka.key != kc.key)
        #expect(!ka.key.isEmpty)
    }

    @Test("out-of-range link parameters are refused with the field's name")
    func parameterValidation() {
        var p = LinkParameters()
        p.meanPhotonNumber = 0
        #expect(throws: LinkParameterError(field: "mean_photon_number", allowed: "(0, 10]")) {
            _ = try BB84Simulator(parameters: p, random: SeededRandom(seed: 1))
        }
    }
}

@Suite("Cascade and Toeplitz hashing")
struct PostProcessingTests {
    /// Alice's random string and Bob's copy with Bernoulli(q) errors.
    func pair(length: Int, qber: Double, rng: inout SeededRandom) -> ([UInt8], [UInt8]) {
        var alice = [UInt8](repeating: 0, count: length)
        var bob = alice
        for i in 0..<length {
            alice[i] = UInt8(rng.next() & 1)
            bob[i] = alice[i] ^ (rng.unitDouble() < qber ? 1 : 0)
        }
        return (alice, bob)
    }

    @Test("Cascade corrects every block at QBER 1–5 % with leakage under 1.25 × n·h(Q)",
          arguments: [0.01, 0.02, 0.03, 0.04, 0.05])
    func cascade(qber: Double) {
        // 40 blocks of 16,384 bits per QBER (200 in all) keep an unoptimised CI build within seconds; a residual
        // error in any block fails the test. QKD_CASCADE_BLOCKS raises the count (docs/kme.md reports a
        // 10,000-block run). Leakage is summed over blocks and compared with the summed Shannon limit.
        let blocks = ProcessInfo.processInfo.environment["QKD_CASCADE_BLOCKS"].flatMap { Int($0) } ?? 40
        var rng = SeededRandom(seed: UInt64(qber * 1000))
        let length = 16_384
        var failures = 0
        var leaked = 0
        var shannon = 0.0
        var worstRatio = 0.0
        for _ in 0..<blocks {
            var (alice, bob) = pair(length: length, qber: qber, rng: &rng)
            var errors = 0
            for i in 0..<length where alice[i] != bob[i] { errors += 1 }
            let outcome = Cascade.reconcile(alice: alice, bob: &bob, estimatedQBER: qber, passes: 10, using: &rng)
            if alice != bob { failures += 1 }
            let limit = Double(length) * binaryEntropy(Double(errors) / Double(length))
            leaked += outcome.disclosedParityBits
            shannon += limit
            worstRatio = max(worstRatio, Double(outcome.disclosedParityBits) / limit)
            #expect(outcome.correctedBits >= errors)
        }
        #expect(failures == 0, "\(failures) of \(blocks) blocks kept errors at QBER \(qber)")
        let efficiency = Double(leaked) / shannon
        #expect(efficiency <= 1.25, "Cascade leaked \(efficiency) × n·h(Q) at QBER \(qber)")
        print("cascade qber=\(qber) efficiency=\(efficiency) worst=\(worstRatio)")
    }

    @Test("Toeplitz hashing equals the plain matrix product over GF(2)")
    func toeplitz() {
        var rng = SeededRandom(seed: 99)
        for (n, l) in [(1, 1), (63, 5), (64, 64), (65, 1), (200, 77), (513, 130)] {
            let x = (0..<n).map { _ in UInt8(rng.next() & 1) }
            let seed = (0..<(n + l - 1)).map { _ in UInt8(rng.next() & 1) }
            // T[i][j] = seed[i − j + n − 1].
            var expected = [UInt8](repeating: 0, count: l)
            for i in 0..<l {
                var bit: UInt8 = 0
                for j in 0..<n { bit ^= seed[i - j + n - 1] & x[j] }
                expected[i] = bit
            }
            #expect(ToeplitzHash.hash(x, seed: seed, outputLength: l) == expected, "n=\(n) ℓ=\(l)")
        }
    }
}
