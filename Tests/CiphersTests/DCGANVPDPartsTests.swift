import Foundation
import Testing
@testable import Ciphers
import Pixels

@Suite("dcgan-vpd: rules, planet table, timestamps, 1-DEC map, stages")
struct DCGANVPDPartsTests {
    // MARK: Rules

    @Test func ruleNumbersMapToDocumentedPermutations() throws {
        #expect(try VPDRule(number: 1).planet == [0, 1, 2, 3, 4, 5, 6, 7])
        #expect(try VPDRule(number: 2).planet == [0, 1, 2, 3, 4, 5, 7, 6])
        #expect(try VPDRule(number: 40_320).planet == [7, 6, 5, 4, 3, 2, 1, 0])
        // 37240 = 7·5040 + 2·720 + 4·120 + 1·24 + 2·6 + 2·2 + 0·1 (worked by hand in docs/ciphers/dcgan-vpd.md).
        #expect(try VPDRule(number: 37_241).planet == [7, 2, 5, 1, 4, 6, 0, 3])
        #expect(VPDRule.standard.number == 37_241)
    }

    @Test func everyRuleIsABijectionAndAllRulesDiffer() throws {
        var seen = Set<[UInt8]>()
        for number in 1...VPDRule.count {
            let rule = try VPDRule(number: number)
            #expect(Set(rule.planet) == Set(0...7), "rule \(number)")
            let inverse = rule.inverse
            for s in 0..<8 where inverse[Int(rule.planet[s])] != UInt8(s) {
                Issue.record("rule \(number) inverse is wrong at \(s)")
            }
            seen.insert(rule.planet)
        }
        #expect(seen.count == 40_320)
    }

    @Test func rulesOutsideTheRangeAreRejected() {
        #expect(throws: CipherError.self) { try VPDRule(number: 0) }
        #expect(throws: CipherError.self) { try VPDRule(number: 40_321) }
    }

    // MARK: Timestamps

    @Test func timestampsFormatAndParse() throws {
        #expect(VPDTimestamp(secondsSince1970: 0).description == "01-01-1970 00:00:00")
        #expect(VPDTimestamp(secondsSince1970: 951_782_400).description == "29-02-2000 00:00:00")
        #expect(VPDTimestamp(secondsSince1970: -1).description == "31-12-1969 23:59:59")
        #expect(VPDTimestamp(secondsSince1970: 4_102_444_799).description == "31-12-2099 23:59:59")
        let parsed = try VPDTimestamp(parsing: "21-11-2026 06:30:15")
        #expect(parsed.description == "21-11-2026 06:30:15")
        // J2000.0 is 2000-01-01 12:00 (JD 2451545.0).
        #expect(try VPDTimestamp(parsing: "01-01-2000 12:00:00").julianDate == 2_451_545.0)
        for bad in ["2026-11-21 06:30:15", "29-02-2001 00:00:00", "21-11-2026 24:00:00", "21-11-2026T06:30:15",
                    "1-11-2026 06:30:15", ""] {
            #expect(throws: CipherError.self) { try VPDTimestamp(parsing: bad) }
        }
    }

    // MARK: Planet table

    @Test func planetDistanceOrderIsSolarOrderFrom1900To2100() throws {
        // Published a and e (Standish Table 1) give each planet's perihelion and aphelion; these bound r.
        let axes = [0.387, 0.723, 1.000, 1.524, 5.203, 9.537, 19.19, 30.07]
        let eccentricities = [0.2056, 0.0068, 0.0167, 0.0934, 0.0484, 0.0539, 0.0473, 0.0086]
        for text in ["01-01-1900 00:00:00", "15-06-1937 12:00:00", "04-01-2000 00:00:00", "21-11-2026 06:30:00",
                     "03-07-2050 18:45:00", "29-02-2088 23:59:59", "31-12-2100 23:59:59"] {
            let time = try VPDTimestamp(parsing: text)
            let distances = PlanetTable.distances(at: time)
            for p in 0..<8 {
                let low = axes[p] * (1 - eccentricities[p]) * 0.99, high = axes[p] * (1 + eccentricities[p]) * 1.01
                #expect(distances[p] > low && distances[p] < high, "\(PlanetTable.names[p]) at \(text)")
            }
            #expect(PlanetTable.codeTable(at: time) == [0, 1, 2, 3, 4, 5, 6, 7], "order at \(text)")
        }
    }

    @Test func earthIsNearestInJanuaryAndFarthestInJuly() throws {
        // Known: Earth's perihelion ≈ 0.9833 au in early January, aphelion ≈ 1.0167 au in early July.
        let january = PlanetTable.distances(at: try VPDTimestamp(parsing: "03-01-2024 00:00:00"))[2]
        let july = PlanetTable.distances(at: try VPDTimestamp(parsing: "05-07-2024 00:00:00"))[2]
        #expect(abs(january - 0.9833) < 0.001)
        #expect(abs(july - 1.0167) < 0.001)
    }

    // MARK: 1-DEC map

    @Test func mapMatchesLibmFormulaBeforeChaosAmplifiesRounding() {
        var ours = 0.123456789
        var reference = 0.123456789
        let gain = Foundation.exp(1.0 / OneDECMap.mu)
        for _ in 0..<5 {
            ours = OneDECMap.step(ours)
            let angle = Foundation.acos(reference)
            let c = Foundation.cos(angle * gain * angle)
            reference = 1 - 2 * c * c
            #expect(abs(ours - reference) < 1e-9)
        }
    }

    @Test func cosShortcutIsBitIdentical() {
        var rng = SplitMix64(seed: 31)
        let limit = DeterministicMath.pi * DeterministicMath.pi * OneDECMap.gain
        for _ in 0..<20_000 {
            let x = Double.random(in: 0...limit, using: &rng)
            #expect(OneDECMap.cosOfSmallPositive(x).bitPattern == DeterministicMath.cos(x).bitPattern)
        }
        for x in [0.0, DeterministicMath.pio2, DeterministicMath.pi, limit] {
            #expect(OneDECMap.cosOfSmallPositive(x).bitPattern == DeterministicMath.cos(x).bitPattern)
        }
    }

    @Test func stepIsBitIdenticalToTheSharedFunctions() {
        // The scalar step and both lanes of the paired step against the plain composition of DeterministicMath's
        // acos and cos, on edges (the acos branch points, the clamp) and on random states.
        func reference(_ y: Double) -> Double {
            let angle = DeterministicMath.acos(y > 1 ? 1 : (y < -1 ? -1 : y))
            let c = DeterministicMath.cos(angle * OneDECMap.gain * angle)
            return 1 - 2 * (c * c)
        }
        var inputs: [Double] = [-1, 1, 0, -0.0, 0.5, -0.5, 0.5.nextUp, 0.5.nextDown, (-0.5).nextUp, (-0.5).nextDown,
                                1.0.nextDown, (-1.0).nextUp, 1.25, -1.25, 0.25, -0.25]
        var rng = SplitMix64(seed: 1_234)
        for _ in 0..<50_000 { inputs.append(Double.random(in: -1.05...1.05, using: &rng)) }
        var mismatches = 0
        for (index, y) in inputs.enumerated() {
            let other = inputs[(index * 7 + 3) % inputs.count]
            let pair = OneDECPair.step(SIMD2(y, other))
            if OneDECMap.step(y).bitPattern != reference(y).bitPattern || pair[0].bitPattern != reference(y).bitPattern
                || pair[1].bitPattern != reference(other).bitPattern {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
    }

    @Test func pairedStreamsAreTheSingleStreams() throws {
        let schedule = try VPDKeySchedule(secret: (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 91 &+ 7) })
        for bits in [1, 5, 8, 12, 16] {
            let count = 1_000 + bits
            let k4 = schedule.words(4, count: count, bits: bits), k8 = schedule.words(8, count: count, bits: bits)
            let narrow = bits <= 8 ? schedule.wordPair(count: count, bits: bits, as: UInt8.self) : nil
            let wide = schedule.wordPair(count: count, bits: bits, as: UInt16.self)
            #expect(wide.k4.map(UInt32.init) == k4 && wide.k8.map(UInt32.init) == k8, "\(bits) bits")
            if let narrow {
                #expect(narrow.k4.map(UInt32.init) == k4 && narrow.k8.map(UInt32.init) == k8, "\(bits) bits")
            }
        }
    }

    @Test func lyapunovExponentIsPositiveAtTheChosenMu() {
        // λ = mean log|f'(y)| along an orbit, f' by a central difference of the map itself.
        var y = 0.3
        var sum = 0.0
        let h = 1e-7
        let steps = 20_000
        for _ in 0..<steps {
            let derivative = (OneDECMap.step(min(1, y + h)) - OneDECMap.step(max(-1, y - h))) / (min(1, y + h) - max(-1, y - h))
            sum += Foundation.log(max(abs(derivative), 1e-300))
            y = OneDECMap.step(y)
        }
        let lambda = sum / Double(steps)
        #expect(lambda > 1.0, "Lyapunov exponent \(lambda)")
    }

    @Test func keyScheduleInitialConditionsAreMixedFifteenDigitFractions() throws {
        var secret = [UInt8](repeating: 0, count: 64)
        secret[7] = 1                                  // w0 = 1
        for i in 8..<16 { secret[i] = 0xFF }           // w1 = 2^64 − 1, the others 0
        let schedule = try VPDKeySchedule(secret: secret)
        // Worked by hand: x = w0 ⊕ w1 = 2^64 − 2.
        // m0 = 1 ⊕ rotl(2^64 − 1, 17) = 2^64 − 2 = 18446744073709551614 → 744073709551614.
        // m1 = (2^64 − 1) ⊕ rotl(1, 17) = 2^64 − 1 − 131072 → 744073709420543; m2 = rotl(2^64 − 2, 17) = m1.
        #expect(schedule.initialConditions[0] == 744_073_709_551_614.0 / 1e15)
        #expect(schedule.initialConditions[1] == 744_073_709_420_543.0 / 1e15)
        #expect(schedule.initialConditions[2] == 744_073_709_420_543.0 / 1e15)
        #expect(throws: CipherError.self) { try VPDKeySchedule(secret: [1, 2, 3]) }
    }

    @Test func keyWordsAreFieldsOfTheSampleLowestFirst() throws {
        let schedule = try VPDKeySchedule(secret: (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
        var map = schedule.stream(4)
        let q0 = map.nextSample(), q1 = map.nextSample()
        let bytes = schedule.words(4, count: 8, bits: 8)
        var expectedBytes: [UInt32] = []
        for m in 0..<6 { expectedBytes.append(UInt32((q0 >> UInt64(8 * m)) & 0xFF)) }
        expectedBytes.append(UInt32(q1 & 0xFF))
        expectedBytes.append(UInt32((q1 >> 8) & 0xFF))
        #expect(bytes == expectedBytes)
        let twelve = schedule.words(4, count: 4, bits: 12)
        var expectedTwelve: [UInt32] = []
        for m in 0..<4 { expectedTwelve.append(UInt32((q0 >> UInt64(12 * m)) & 0xFFF)) }
        #expect(twelve == expectedTwelve)
        #expect(q0 < 1 << 48 && q1 < 1 << 48)
    }

    @Test func keyStreamGoldenValues() throws {
        // Values from tools/dcgan/onedec_reference.py, an independent Python implementation of the same
        // arithmetic. They pin the streams across machines and releases: never change them without a format
        // version bump.
        let schedule = try VPDKeySchedule(secret: Array(0..<64))
        for (index, expected) in DCGANVPDGolden.samples {
            var map = schedule.stream(index)
            let samples = (0..<4).map { _ in map.nextSample() }
            #expect(samples == expected, "K\(index): got \(samples)")
        }
    }

    // MARK: Stages on hand-worked examples

    @Test func vpdEncodingOfOneByteByHand() throws {
        // 0xB4 = 101 101 00: identity rule → S2 = 101, 000; tail 00 ⊕ top bits of 000 → 1010 0000.
        var v: [UInt32] = [0xB4]
        VPDStages.vpdEncode(&v, bits: 8, rule: try VPDRule(number: 1))
        #expect(v == [0xA0])
        // Rule 37241 maps 5 → 6: S2 = 110, 110 ⊕ 110 = 000; tail 00 → 1100 0000.
        var w: [UInt32] = [0xB4]
        VPDStages.vpdEncode(&w, bits: 8, rule: .standard)
        #expect(w == [0xC0])
        VPDStages.vpdDecode(&w, bits: 8, rule: .standard)
        #expect(w == [0xB4])
    }

    @Test func vpdChainCrossesChunkBoundaries() throws {
        // 7 values × 16 bits = 112 bits = 37 symbols + 1 bit: spans three 48-bit chunks and has a tail.
        let original: [UInt32] = [0xFFFF, 0x0000, 0x1234, 0xABCD, 0x8001, 0x7FFE, 0x5A5A]
        var v = original
        VPDStages.vpdEncode(&v, bits: 16, rule: .standard)
        // Independent bit-by-bit model of the same rule.
        var bits: [Int] = []
        for x in original { for b in stride(from: 15, through: 0, by: -1) { bits.append(Int(x >> UInt32(b)) & 1) } }
        var out: [Int] = []
        var previous = 0
        let planet = VPDRule.standard.planet
        var i = 0
        while i + 3 <= bits.count {
            let s = bits[i] << 2 | bits[i + 1] << 1 | bits[i + 2]
            previous ^= Int(planet[s])
            out += [previous >> 2 & 1, previous >> 1 & 1, previous & 1]
            i += 3
        }
        for (k, b) in bits[i...].enumerated() { out.append(b ^ (previous >> (2 - k) & 1)) }
        var expected: [UInt32] = []
        for value in 0..<7 {
            var x: UInt32 = 0
            for b in 0..<16 { x = x << 1 | UInt32(out[value * 16 + b]) }
            expected.append(x)
        }
        #expect(v == expected)
        VPDStages.vpdDecode(&v, bits: 16, rule: .standard)
        #expect(v == original)
    }

    @Test func zigzagOrderIsJPEGsOnSquaresAndCoversRectangles() {
        #expect(VPDStages.zigzagOrder(rows: 3, columns: 3) == [0, 1, 3, 6, 4, 2, 5, 7, 8])
        #expect(VPDStages.zigzagOrder(rows: 1, columns: 1) == [0])
        for (r, c) in [(2, 5), (5, 2), (1, 7), (7, 1), (4, 9)] {
            #expect(Set(VPDStages.zigzagOrder(rows: r, columns: c)) == Set((0..<(r * c)).map(Int32.init)))
        }
    }

    @Test func planetTableGeneralPathInvertsAndMatchesXorForIdentity() {
        var values: [UInt32] = (0..<11).map { UInt32($0 * 97 % 1024) }
        let key: [UInt32] = (0..<11).map { UInt32($0 * 389 % 1024) }
        let original = values
        VPDStages.planetGeneral(&values, bits: 10, table: [0, 1, 2, 3, 4, 5, 6, 7], key: key, decode: false)
        #expect(values == zip(original, key).map { $0 ^ $1 })
        let swapped: [UInt8] = [1, 0, 2, 3, 4, 5, 7, 6]
        values = original
        VPDStages.planetEncode(&values, bits: 10, table: swapped, key: key)
        #expect(values != zip(original, key).map { $0 ^ $1 })
        VPDStages.planetDecode(&values, bits: 10, table: swapped, key: key)
        #expect(values == original)
    }
}

enum DCGANVPDGolden {
    /// First four samples of K1, K4 and K8 for the secret 0, 1, …, 63.
    static let samples: [(Int, [UInt64])] = [
        (1, [220_759_503_865_473, 232_958_068_185_518, 273_924_260_419_027, 80_186_014_538_937]),
        (4, [276_238_541_822_628, 281_114_934_713_458, 207_573_173_978_648, 209_587_513_562_329]),
        (8, [189_414_099_218_980, 169_932_864_972_285, 273_922_810_321_586, 74_493_314_513_002]),
    ]
}
