import Foundation

/// Runs all 15 SP 800-22 tests over several sequences and judges them the way NIST's final analysis does:
/// the proportion of sequences passing at α must lie above p̂ − 3 √(p̂(1 − p̂)/s), p̂ = 1 − α, and the p-values
/// must be uniform (χ² over ten bins, P-value_T ≥ 0.0001; NIST notes that this needs ≥ 55 sequences to mean much).
public struct NISTConfiguration: Sendable, Codable, Equatable {
    public var sequenceCount: Int
    public var sequenceLength: Int
    public var alpha: Double

    public init(sequenceCount: Int = 10, sequenceLength: Int = 1_000_000, alpha: Double = 0.01) {
        self.sequenceCount = sequenceCount
        self.sequenceLength = sequenceLength
        self.alpha = alpha
    }
}

/// One p-value series: a whole test, or one template / state / statistic of a test that has several.
public struct NISTSubtestResult: Sendable, Codable, Equatable {
    public var name: String
    public var pValues: [Double]
    /// Sequences the test applied to (random excursions skip sequences with too few cycles).
    public var applicableSequences: Int
    public var passingSequences: Int
    public var proportion: Double
    public var proportionLowerBound: Double
    public var uniformityPValue: Double
    public var passed: Bool
}

public struct NISTTestResult: Sendable, Codable, Equatable {
    public var name: String
    public var subtests: [NISTSubtestResult]
    /// Failing subtests tolerated: 0 for a single series; for many series the number a random source exceeds
    /// with probability ≤ 0.1 %, counting the series as independent (each fails the proportion check by chance
    /// too). Template p-values of one sequence are correlated, so this is a floor, not an exact level.
    public var allowedFailures: Int
    public var failedSubtests: Int
    public var passed: Bool
    /// Lowest proportion over the subtests, as papers usually print one number per test.
    public var minimumProportion: Double
}

public struct NISTReport: Sendable, Codable, Equatable {
    public var configuration: NISTConfiguration
    public var tests: [NISTTestResult]
    public var passedCount: Int { tests.filter(\.passed).count }
}

extension NIST {
    /// Runs the battery. `sequences` are bit arrays of equal length (one byte per bit).
    public static func runBattery(_ sequences: [[UInt8]], alpha: Double = 0.01) -> NISTReport {
        let n = sequences.first?.count ?? 0
        let templates = aperiodicTemplates(length: 9)
        let serialLength = min(16, max(3, Int(log2Floor(n)) - 3))
        let entropyLength = min(10, max(2, Int(log2Floor(n)) - 6))
        // series[test][subtest] = p-values, nil entries where the test did not apply to that sequence.
        var names: [(String, [String])] = [
            ("Frequency", ["Frequency"]),
            ("BlockFrequency", ["BlockFrequency"]),
            ("CumulativeSums", ["forward", "reverse"]),
            ("Runs", ["Runs"]),
            ("LongestRun", ["LongestRun"]),
            ("Rank", ["Rank"]),
            ("FFT", ["FFT"]),
            ("NonOverlappingTemplate", templates.map { "template " + $0.map(String.init).joined() }),
            ("OverlappingTemplate", ["OverlappingTemplate"]),
            ("Universal", ["Universal"]),
            ("ApproximateEntropy", ["ApproximateEntropy"]),
            ("RandomExcursions", ["-4", "-3", "-2", "-1", "+1", "+2", "+3", "+4"].map { "x = " + $0 }),
            ("RandomExcursionsVariant", (-9...9).filter { $0 != 0 }.map { "x = " + ($0 > 0 ? "+\($0)" : "\($0)") }),
            ("Serial", ["∇ψ²", "∇²ψ²"]),
            ("LinearComplexity", ["LinearComplexity"]),
        ]
        var series: [[[Double?]]] = names.map { [[Double?]](repeating: [], count: $0.1.count) }
        for bits in sequences {
            var row: [[Double?]] = []
            row.append([frequency(bits)])
            row.append([blockFrequency(bits, blockLength: 128)])
            row.append([cumulativeSums(bits, forward: true), cumulativeSums(bits, forward: false)])
            row.append([runs(bits)])
            row.append([longestRunOfOnes(bits)])
            row.append([binaryMatrixRank(bits)])
            row.append([discreteFourierTransform(bits)])
            row.append(nonOverlappingTemplates(bits, templates: templates))
            row.append([overlappingTemplate(bits)])
            row.append([universal(bits)])
            row.append([approximateEntropy(bits, blockLength: entropyLength)])
            let excursions = randomExcursions(bits)
            row.append(excursions ?? [Double?](repeating: nil, count: 8))
            let variant = randomExcursionsVariant(bits)
            row.append(variant ?? [Double?](repeating: nil, count: 18))
            let (serial1, serial2) = serial(bits, patternLength: serialLength)
            row.append([serial1, serial2])
            row.append([linearComplexity(bits, blockLength: 500)])
            for t in 0..<row.count {
                for s in 0..<row[t].count { series[t][s].append(row[t][s]) }
            }
        }
        names[10].1 = ["ApproximateEntropy (m = \(entropyLength))"]
        names[13].1 = ["∇ψ² (m = \(serialLength))", "∇²ψ² (m = \(serialLength))"]
        let tests = names.enumerated().map { t, entry in
            let subtests = entry.1.enumerated().map { s, name in
                judge(name: name, pValues: series[t][s].compactMap { $0 }, alpha: alpha)
            }
            let failed = subtests.filter { !$0.passed }.count
            let applicable = subtests.map(\.applicableSequences).max() ?? 0
            let allowed = allowedFailures(subtests: subtests.count, sequences: applicable, alpha: alpha)
            return NISTTestResult(
                name: entry.0, subtests: subtests, allowedFailures: allowed, failedSubtests: failed,
                passed: applicable > 0 && failed <= allowed,
                minimumProportion: subtests.map(\.proportion).min() ?? 0)
        }
        return NISTReport(
            configuration: NISTConfiguration(sequenceCount: sequences.count, sequenceLength: n, alpha: alpha),
            tests: tests)
    }

    /// Proportion and uniformity of one p-value series.
    static func judge(name: String, pValues: [Double], alpha: Double) -> NISTSubtestResult {
        let s = pValues.count
        let passing = pValues.filter { $0 >= alpha }.count
        let proportion = s > 0 ? Double(passing) / Double(s) : 0
        let bound = proportionLowerBound(sequences: s, alpha: alpha)
        var bins = [Int](repeating: 0, count: 10)
        for p in pValues { bins[min(Int(p * 10), 9)] += 1 }
        var chi = 0.0
        let expected = Double(s) / 10
        if s > 0 { for count in bins { chi += (Double(count) - expected) * (Double(count) - expected) / expected } }
        let uniformity = s > 0 ? SpecialFunctions.igamc(4.5, chi / 2) : 0
        return NISTSubtestResult(
            name: name, pValues: pValues, applicableSequences: s, passingSequences: passing,
            proportion: proportion, proportionLowerBound: bound, uniformityPValue: uniformity,
            passed: s > 0 && proportion >= bound && uniformity >= 0.0001)
    }

    public static func proportionLowerBound(sequences s: Int, alpha: Double) -> Double {
        guard s > 0 else { return 1 }
        let p = 1 - alpha
        return p - 3 * (p * alpha / Double(s)).squareRoot()
    }

    /// Failing subtests a random source stays within with probability ≥ 99.9 % (0 for a single series).
    static func allowedFailures(subtests: Int, sequences: Int, alpha: Double) -> Int {
        guard subtests > 1, sequences > 0 else { return 0 }
        let bound = proportionLowerBound(sequences: sequences, alpha: alpha)
        // q: chance that one series of `sequences` random p-values fails the proportion check.
        var q = 0.0
        for failures in 0...sequences where Double(sequences - failures) / Double(sequences) < bound {
            q += binomialProbability(trials: sequences, successes: failures, p: alpha)
        }
        var tail = 1.0
        for allowed in 0...subtests {
            tail -= binomialProbability(trials: subtests, successes: allowed, p: q)
            if tail <= 0.001 { return allowed }
        }
        return subtests
    }

    static func binomialProbability(trials: Int, successes: Int, p: Double) -> Double {
        if p <= 0 { return successes == 0 ? 1 : 0 }
        if p >= 1 { return successes == trials ? 1 : 0 }
        return exp(logBinomial(trials, successes) + Double(successes) * log(p)
                   + Double(trials - successes) * log(1 - p))
    }

    static func log2Floor(_ n: Int) -> Int { n > 0 ? Int.bitWidth - 1 - n.leadingZeroBitCount : 0 }
}
