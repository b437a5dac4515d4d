#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
internal import Crypto

/// Physical and protocol settings of one simulated BB84 link. Defaults: docs/kme.md, "Default link".
public struct LinkParameters: Sendable, Equatable, Codable {
    /// Fibre length in km.
    public var fibreLengthKm: Double = 20
    /// Fibre attenuation in dB/km (0.2 is standard single-mode fibre at 1550 nm).
    public var attenuationDBPerKm: Double = 0.2
    /// Mean photon number μ of the attenuated laser pulses (Poisson photon statistics).
    public var meanPhotonNumber: Double = 0.5
    /// Bob's detector efficiency η_det.
    public var detectorEfficiency: Double = 0.1
    /// Probability of a dark count per pulse (detection window).
    public var darkCountProbability: Double = 1e-6
    /// Probability that a photon arriving in the right basis is registered with the wrong bit (e_mis).
    public var misalignmentError: Double = 0.015
    /// Pulse repetition rate in Hz; turns pulse counts into simulated seconds.
    public var pulseRateHz: Double = 1e8
    /// Fraction p of pulses an intercept-resend eavesdropper measures and resends (0 = no eavesdropper).
    public var eavesdropFraction: Double = 0
    /// Abort a block when the estimated QBER is above this.
    public var qberAbortThreshold: Double = 0.11
    /// Fraction of the sifted bits disclosed (and discarded) to estimate the QBER.
    public var sampleFraction: Double = 0.1
    /// Sifted bits collected per block before post-processing.
    public var siftedBitsPerBlock: Int = 32_768
    /// Cascade passes.
    public var cascadePasses: Int = 10
    /// Bits of the verification hash (SHA-256 prefix) compared after error correction; counted as leakage.
    public var verificationHashBits: Int = 64
    /// Bits removed in privacy amplification beyond n·h(Q) and the leakage (security margin, 2·log2(1/ε)).
    public var securityMarginBits: Int = 100

    public init() {}

    /// Channel transmittance of the fibre, 10^(−αL/10).
    public var channelTransmittance: Double {
        pow(10, -attenuationDBPerKm * fibreLengthKm / 10)
    }

    /// Overall transmittance η = η_channel · η_det.
    public var totalTransmittance: Double { channelTransmittance * detectorEfficiency }

    /// Checks ranges; the message names the field and the allowed range.
    public func validated() throws(LinkParameterError) -> LinkParameters {
        func check(_ ok: Bool, _ field: String, _ range: String) throws(LinkParameterError) {
            if !ok { throw LinkParameterError(field: field, allowed: range) }
        }
        try check(fibreLengthKm >= 0 && fibreLengthKm.isFinite, "fibre_length_km", "≥ 0")
        try check(attenuationDBPerKm >= 0 && attenuationDBPerKm.isFinite, "attenuation_db_per_km", "≥ 0")
        try check(meanPhotonNumber > 0 && meanPhotonNumber <= 10, "mean_photon_number", "(0, 10]")
        try check(detectorEfficiency > 0 && detectorEfficiency <= 1, "detector_efficiency", "(0, 1]")
        try check(darkCountProbability >= 0 && darkCountProbability < 0.5, "dark_count_probability", "[0, 0.5)")
        try check(misalignmentError >= 0 && misalignmentError <= 0.5, "misalignment_error", "[0, 0.5]")
        try check(pulseRateHz > 0 && pulseRateHz.isFinite, "pulse_rate_hz", "> 0")
        try check(eavesdropFraction >= 0 && eavesdropFraction <= 1, "eavesdrop_fraction", "[0, 1]")
        try check(qberAbortThreshold > 0 && qberAbortThreshold < 0.5, "qber_abort_threshold", "(0, 0.5)")
        try check(sampleFraction > 0 && sampleFraction < 0.9, "sample_fraction", "(0, 0.9)")
        try check(siftedBitsPerBlock >= 1_024 && siftedBitsPerBlock <= 1 << 22, "sifted_bits_per_block",
                  "1024 … 4194304")
        try check(cascadePasses >= 1 && cascadePasses <= 32, "cascade_passes", "1 … 32")
        try check(verificationHashBits >= 32 && verificationHashBits <= 256 && verificationHashBits % 8 == 0,
                  "verification_hash_bits", "32 … 256, multiple of 8")
        try check(securityMarginBits >= 0, "security_margin_bits", "≥ 0")
        try check(channelTransmittance > 1e-12, "fibre_length_km", "short enough that η_channel > 1e-12")
        return self
    }
}

/// A link parameter outside its range.
public struct LinkParameterError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var allowed: String
    public var description: String {
        "link parameter '\(field)' is out of range (allowed: \(allowed)); fix it in the KME configuration"
    }
}

/// Binary entropy h(p) in bits.
public func binaryEntropy(_ p: Double) -> Double {
    guard p > 0, p < 1 else { return 0 }
    return -p * log2(p) - (1 - p) * log2(1 - p)
}

/// What happened to one block of the simulated link.
public struct BB84BlockReport: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case key
        /// The estimated QBER exceeded the threshold: an eavesdropper or a broken link; no key.
        case abortedQBER
        /// The verification hash differed after error correction; no key.
        case abortedVerification
        /// The leakage and margin left nothing to distil.
        case abortedNoSecretKey
    }

    public var outcome: Outcome
    /// Pulses Alice sent for this block.
    public var pulsesSent: Int
    /// Pulses that made at least one of Bob's detectors click.
    public var detections: Int
    /// Detections where Alice's and Bob's bases agreed.
    public var siftedBits: Int
    /// Sifted bits disclosed to estimate the QBER.
    public var sampleBits: Int
    /// QBER measured on the disclosed sample.
    public var estimatedQBER: Double
    /// True error rate of the undisclosed sifted bits before correction (known only to a simulator).
    public var trueQBER: Double
    /// Bits that entered error correction (sifted minus sample).
    public var reconciledBits: Int
    /// Parity bits Cascade disclosed.
    public var cascadeLeakBits: Int
    /// Errors left after Cascade (known only to a simulator; verification catches them).
    public var residualErrors: Int
    /// Length of the distilled key in bits (0 unless `outcome == .key`).
    public var finalKeyBits: Int
    /// Simulated time the block took on the link, pulses / pulse rate.
    public var simulatedSeconds: Double
    /// Fraction of the sifted bits whose pulse the eavesdropper intercepted (known only to a simulator).
    public var interceptedFraction: Double
}

/// A finished block: its report and, when `report.outcome == .key`, the key both sites now hold.
public struct BB84Block: Sendable {
    public var report: BB84BlockReport
    /// Distilled key bytes (`report.finalKeyBits / 8` of them); identical at Alice and Bob.
    public var key: [UInt8]
}

/// Simulates one BB84 link with weak coherent pulses, block by block.
///
/// Per pulse: Alice picks a random bit and basis; the pulse holds Poisson(μ) photons; the fibre and Bob's
/// detector pass each photon with probability η; a dark count fires with probability d. Detections are drawn
/// directly (the gap between clicks is geometric), which is exact for independent pulses and keeps a block
/// of tens of thousands of sifted bits in milliseconds. A signal photon measured in Alice's basis gives her bit
/// flipped with probability e_mis; a wrong basis or a dark count alone gives a random bit.
///
/// The intercept-resend eavesdropper measures a fraction p of the pulses in a random basis next to Alice and
/// resends her result; she resends brighter pulses so that Bob's click rate is unchanged (otherwise the loss
/// would give her away), so the intercepted share of Bob's detections is p and she causes a QBER of p/4 on the
/// sifted key. Multi-photon pulses are not exploited (no photon-number splitting attack is modelled), and
/// this simulator gives no physical security.
public struct BB84Simulator<Generator: RandomNumberGenerator> {
    public let parameters: LinkParameters
    private var rng: Generator

    public init(parameters: LinkParameters, random: Generator) throws(LinkParameterError) {
        self.parameters = try parameters.validated()
        self.rng = random
    }

    /// Runs one block: collect `siftedBitsPerBlock` sifted bits, estimate the QBER, correct, verify, amplify.
    public mutating func runBlock() -> BB84Block {
        let p = parameters
        let eta = p.totalTransmittance
        let signalClick = -expm1(-p.meanPhotonNumber * eta)             // 1 − e^{−μη}
        let clickProbability = 1 - (1 - signalClick) * (1 - p.darkCountProbability)
        let signalGivenClick = signalClick / clickProbability
        let logNoClick = log1p(-clickProbability)

        let target = p.siftedBitsPerBlock
        var alice = [UInt8](); alice.reserveCapacity(target)
        var bob = [UInt8](); bob.reserveCapacity(target)
        var intercepted = 0
        var pulses = 0
        var detections = 0

        while alice.count < target {
            // Pulses up to and including the next click: geometric with success probability clickProbability.
            let u = 1 - rng.unitDouble()                                     // (0, 1]
            pulses += 1 + Int(log(u) / logNoClick)
            detections += 1
            let aliceBit = rng.bit()
            let aliceBasis = rng.bit()
            let bobBasis = rng.bit()
            var sentBit = aliceBit
            var sentBasis = aliceBasis
            var wasIntercepted = false
            if p.eavesdropFraction > 0, rng.unitDouble() < p.eavesdropFraction {
                wasIntercepted = true
                let eveBasis = rng.bit()
                if eveBasis != aliceBasis {
                    sentBasis = eveBasis
                    sentBit = rng.bit()
                }
            }
            guard bobBasis == aliceBasis else { continue }                  // sifting: bases announced
            let bobBit: UInt8
            if rng.unitDouble() < signalGivenClick {
                if bobBasis == sentBasis {
                    bobBit = rng.unitDouble() < p.misalignmentError ? sentBit ^ 1 : sentBit
                } else {
                    bobBit = rng.bit()
                }
            } else {
                bobBit = rng.bit()                                          // dark count alone
            }
            alice.append(aliceBit)
            bob.append(bobBit)
            if wasIntercepted { intercepted += 1 }
        }

        // QBER estimation on a random disclosed sample, which is then discarded.
        let sampleSize = max(1, Int((Double(target) * p.sampleFraction).rounded()))
        var indices = Array(0..<target)
        for i in 0..<sampleSize {
            let j = i + Int(rng.next() % UInt64(target - i))
            indices.swapAt(i, j)
        }
        var sampleErrors = 0
        var inSample = [Bool](repeating: false, count: target)
        for i in 0..<sampleSize {
            let k = indices[i]
            inSample[k] = true
            if alice[k] != bob[k] { sampleErrors += 1 }
        }
        var aliceKey = [UInt8](); aliceKey.reserveCapacity(target - sampleSize)
        var bobKey = [UInt8](); bobKey.reserveCapacity(target - sampleSize)
        for k in 0..<target where !inSample[k] {
            aliceKey.append(alice[k])
            bobKey.append(bob[k])
        }
        let n = aliceKey.count
        let estimatedQBER = Double(sampleErrors) / Double(sampleSize)
        var trueErrors = 0
        for k in 0..<n where aliceKey[k] != bobKey[k] { trueErrors += 1 }

        var report = BB84BlockReport(
            outcome: .abortedQBER, pulsesSent: pulses, detections: detections, siftedBits: target,
            sampleBits: sampleSize, estimatedQBER: estimatedQBER, trueQBER: Double(trueErrors) / Double(n),
            reconciledBits: n, cascadeLeakBits: 0, residualErrors: trueErrors, finalKeyBits: 0,
            simulatedSeconds: Double(pulses) / p.pulseRateHz,
            interceptedFraction: Double(intercepted) / Double(target))
        guard estimatedQBER <= p.qberAbortThreshold else {
            return BB84Block(report: report, key: [])
        }

        let cascade = Cascade.reconcile(alice: aliceKey, bob: &bobKey, estimatedQBER: estimatedQBER,
                                        passes: p.cascadePasses, using: &rng)
        report.cascadeLeakBits = cascade.disclosedParityBits
        var residual = 0
        for k in 0..<n where aliceKey[k] != bobKey[k] { residual += 1 }
        report.residualErrors = residual

        // Verification: compare a prefix of SHA-256 over each side's corrected key.
        let hashBytes = p.verificationHashBits / 8
        let aliceHash = Array(SHA256.hash(data: aliceKey)).prefix(hashBytes)
        let bobHash = Array(SHA256.hash(data: bobKey)).prefix(hashBytes)
        guard aliceHash == bobHash else {
            report.outcome = .abortedVerification
            return BB84Block(report: report, key: [])
        }

        let length = Self.finalKeyLength(reconciledBits: n, estimatedQBER: estimatedQBER,
                                         cascadeLeakBits: cascade.disclosedParityBits, parameters: p)
        guard length > 0 else {
            report.outcome = .abortedNoSecretKey
            return BB84Block(report: report, key: [])
        }
        var seed = [UInt8](repeating: 0, count: n + length - 1)
        for i in seed.indices { seed[i] = rng.bit() }
        let bits = ToeplitzHash.hash(aliceKey, seed: seed, outputLength: length)
        var key = [UInt8](repeating: 0, count: length / 8)
        for i in 0..<key.count * 8 where bits[i] == 1 {
            key[i >> 3] |= 1 << UInt8(7 - (i & 7))
        }
        report.outcome = .key
        report.finalKeyBits = key.count * 8
        return BB84Block(report: report, key: key)
    }

    /// ℓ = ⌊n·(1 − h(Q̂)) − leak_EC − verification bits − margin⌋, rounded down to whole bytes.
    public static func finalKeyLength(
        reconciledBits n: Int, estimatedQBER: Double, cascadeLeakBits: Int, parameters: LinkParameters
    ) -> Int {
        let raw = Double(n) * (1 - binaryEntropy(estimatedQBER))
            - Double(cascadeLeakBits + parameters.verificationHashBits + parameters.securityMarginBits)
        guard raw >= 8 else { return 0 }
        return Int(raw) / 8 * 8
    }
}
