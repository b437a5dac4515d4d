/// The analysis report as data: what `report.json` holds and what `report.md` is rendered from.
public struct AnalysisReport: Sendable, Codable, Equatable {
    public var generator: String
    public var seed: UInt64
    public var correlationPairs: Int
    public var nist: NISTConfiguration?
    public var images: [ImageReport]
    /// Per profile, the averages over all images next to paper B's published values.
    public var comparison: [ProfileComparison]
    public var notes: [String]
}

public struct ImageReport: Sendable, Codable, Equatable {
    public var name: String
    public var rows: Int
    public var columns: Int
    public var frames: Int
    public var components: Int
    public var bitsStored: Int
    public var bitPlanes: BitPlaneInformation
    public var profiles: [ProfileReport]
}

/// How much of Σ values each bit plane of the input carries (the paper's "> 94 % in the MSB planes").
public struct BitPlaneInformation: Sendable, Codable, Equatable {
    /// Index k = bit plane k (0 = LSB).
    public var shares: [Double]
    /// Sum of the top four shares of this input.
    public var topFourShare: Double
    /// The same for a value range alone, (2^n − 2^(n−4)) / (2^n − 1): 94.1 % for 8 bits.
    public var nominalTopFourShare: Double
}

public struct PlaneEntropy: Sendable, Codable, Equatable {
    public var frame: Int
    public var component: Int
    public var plain8: Double
    public var cipher8: Double
    public var max8: Double
    public var plainN: Double
    public var cipherN: Double
    /// n bits, or log₂ of the plane size when that is smaller.
    public var maxN: Double
}

public struct PlaneCorrelation: Sendable, Codable, Equatable {
    public var component: Int
    public var direction: Metrics.Direction
    /// Nil when undefined (a constant sample).
    public var plain: Double?
    public var cipher: Double?
}

public struct PlaneUniformity: Sendable, Codable, Equatable {
    public var component: Int
    public var bins: Int
    public var plainChiSquared: Double
    public var plainPValue: Double
    public var cipherChiSquared: Double
    public var cipherPValue: Double
    /// χ² critical value at α = 0.05 for bins − 1 degrees of freedom.
    public var criticalValue05: Double
}

public struct DifferentialResult: Sendable, Codable, Equatable {
    public var npcr: Double
    public var uaci: Double
}

public struct CriticalValues: Sendable, Codable, Equatable {
    public var alpha: Double
    public var npcrCritical: Double
    public var uaciLower: Double
    public var uaciUpper: Double
    public var sameKeyNPCRPasses: Bool
    public var sameKeyUACIPasses: Bool
    public var freshKeysNPCRPasses: Bool
    public var freshKeysUACIPasses: Bool
}

public struct Differential: Sendable, Codable, Equatable {
    /// Index of the plain value changed by one step (frame 0, component 0).
    public var changedIndex: Int
    /// Plain image and one-step-changed image under the same key: the true plaintext-sensitivity test.
    public var sameKey: DifferentialResult
    /// The same two images, each under its own fresh key (what many papers measure).
    public var freshKeys: DifferentialResult
    public var expectedNPCR: Double
    public var expectedUACI: Double
    public var critical: [CriticalValues]
}

public struct KeySensitivity: Sendable, Codable, Equatable {
    /// Which bit of the secret was flipped (counting from the first byte's most significant bit).
    public var flippedBit: Int
    /// Share of cipher values that differ between the two keys, in percent.
    public var cipherValuesChanged: Double?
    public var cipherUACI: Double?
    /// NPCR between the plain image and the cipher decrypted with the flipped key, in percent.
    public var wrongKeyDecryptionNPCR: Double?
    /// The cipher's error when it refused the flipped key (a key check, not a failure of the analysis).
    public var refused: String?
}

public struct RobustnessResult: Sendable, Codable, Equatable {
    public var attack: String
    public var psnr: Double
    public var ssim: Double
}

public struct Leakage: Sendable, Codable, Equatable {
    /// Per bit plane (index 0 = LSB), share of positions where plain and cipher have the same bit.
    public var equalBitFraction: [Double]
    /// Planes the cipher left unchanged (equal everywhere).
    public var untouchedPlanes: [Int]
    /// Metrics on the untouched planes alone (nil when every plane is encrypted).
    public var lowerPlanes: LowerPlaneMetrics?
}

public struct LowerPlaneMetrics: Sendable, Codable, Equatable {
    public var entropyPlain: Double
    public var entropyCipher: Double
    public var correlationCipher: [PlaneCorrelation]
    public var npcrVersusPlain: Double
    /// Correlation of the untouched planes with the full plain image: how much of the picture they show.
    public var correlationWithPlain: Double?
}

public struct ProfileReport: Sendable, Codable, Equatable {
    public var profile: String
    public var formatVersion: Int
    /// Signed input: every metric and picture uses offset binary (sign bit flipped), i.e. signed order.
    public var valuesAsOffsetBinary: Bool
    public var roundTripExact: Bool
    public var entropy: [PlaneEntropy]
    public var correlation: [PlaneCorrelation]
    public var histogram: [PlaneUniformity]
    public var mse: Double
    public var psnr: Double
    public var differential: Differential
    public var keySensitivity: KeySensitivity
    public var robustness: [RobustnessResult]
    public var leakage: Leakage
    public var nist: NISTReport?
    /// PNG file names in the report directory.
    public var figures: [String]
    /// Seconds per section, for the record (never asserted).
    public var seconds: [String: Double]
}

/// One row set of the "ours vs paper B" table.
public struct ProfileComparison: Sendable, Codable, Equatable {
    public var profile: String
    public var images: Int
    public var entropy: Double
    public var maxAbsCorrelation: Double
    public var npcr: Double
    public var uaci: Double
    public var mse: Double
    public var psnr: Double
    public var nistPassed: Int?
    public var nistTests: Int?
}

/// Kumar, Chivukula, Barua (2025), "Reported results" (spec/dcgan-vpd.md).
public enum PaperB {
    public static let entropy = "7.9993 ± 0.0001"
    public static let correlation = "within ±0.09 (H, V, D)"
    public static let npcr = "99.60 ± 0.2"
    public static let uaci = "33.47 ± 0.1"
    public static let mse = "4166.31 ± 1645.30"
    public static let psnr = "12.26 ± 1.70"
    public static let nist = "15 / 15 on 10 × 1,800,000 bits"
}
