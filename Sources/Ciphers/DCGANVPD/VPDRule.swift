/// A Virtual Planet Domain rule: one of the 8! = 40,320 assignments of the eight 3-bit codes to the planets.
///
/// Rules are numbered 1 … 40,320 in lexicographic order of the permutation written as the sequence
/// (planet for code 0, planet for code 1, …, planet for code 7), planets in solar order 0 = Mercury … 7 = Neptune.
/// Rule 1 is the identity (0 1 2 3 4 5 6 7), rule 40,320 is (7 6 5 4 3 2 1 0), the default rule 37,241 is
/// (7 2 5 1 4 6 0 3). Encoding maps a symbol s to the planet `planet[s]` and reads that planet back with the
/// canonical solar-order table (planet p ↦ code p), so a rule acts as a keyed 3-bit substitution.
public struct VPDRule: Sendable, Equatable {
    public static let count = 40_320
    public static let defaultNumber = 37_241

    /// 1 … 40,320.
    public let number: Int
    /// planet[s] for each code s (a permutation of 0 … 7).
    public let planet: [UInt8]

    /// Unranks `number` (1-based lexicographic rank) with the factorial number system.
    public init(number: Int) throws(CipherError) {
        guard (1...Self.count).contains(number) else {
            throw .invalidParameter(profile: DCGANVPDCipher.profileName, name: "rule", value: String(number))
        }
        self.number = number
        var remaining: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7]
        var rank = number - 1
        var radix = 5040   // 7!
        var result: [UInt8] = []
        for position in 0..<8 {
            let index = rank / radix
            rank %= radix
            result.append(remaining.remove(at: index))
            if position < 7 { radix /= (7 - position) }
        }
        planet = result
    }

    /// The inverse substitution: code[p] = s where planet[s] = p.
    public var inverse: [UInt8] {
        var inv = [UInt8](repeating: 0, count: 8)
        for (s, p) in planet.enumerated() { inv[Int(p)] = UInt8(s) }
        return inv
    }
}
