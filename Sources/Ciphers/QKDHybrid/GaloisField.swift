/// Arithmetic in GF(2^m), 1 ≤ m ≤ 16, by exponent and logarithm tables over a primitive polynomial.
///
/// Elements are m-bit integers whose bit i is the coefficient of x^i. The polynomials below (bit m = the leading
/// term) are primitive, so x generates the multiplicative group; `GaloisFieldTests` checks that for every m.
struct GaloisField: Sendable {
    /// Primitive polynomial for each degree m = 1 … 16 (index m − 1).
    static let primitivePolynomials: [UInt32] = [
        0x3,      // x + 1
        0x7,      // x^2 + x + 1
        0xB,      // x^3 + x + 1
        0x13,     // x^4 + x + 1
        0x25,     // x^5 + x^2 + 1
        0x43,     // x^6 + x + 1
        0x83,     // x^7 + x + 1
        0x11D,    // x^8 + x^4 + x^3 + x^2 + 1
        0x211,    // x^9 + x^4 + 1
        0x409,    // x^10 + x^3 + 1
        0x805,    // x^11 + x^2 + 1
        0x1053,   // x^12 + x^6 + x^4 + x + 1
        0x201B,   // x^13 + x^4 + x^3 + x + 1
        0x4443,   // x^14 + x^10 + x^6 + x + 1
        0x8003,   // x^15 + x + 1
        0x1100B,  // x^16 + x^12 + x^3 + x + 1
    ]

    /// The field for each m, built once (2^17 table entries in all).
    static let fields: [GaloisField] = (1...16).map { GaloisField(degree: $0) }

    static func field(degree m: Int) -> GaloisField { fields[m - 1] }

    let degree: Int
    let order: Int
    /// exp[i] = x^i for i in 0 ..< 2(order − 1), doubled so that exp[log a + log b] needs no reduction.
    let exp: [UInt16]
    /// log[a] for a ≠ 0; log[0] is unused.
    let log: [UInt16]
    /// inverse[a] = a^−1 for a ≠ 0, and inverse[0] = 0 (what the Möbius map needs at its pole).
    let inverses: [UInt16]

    init(degree m: Int) {
        precondition((1...16).contains(m), "GF(2^m) is built for 1 ≤ m ≤ 16")
        degree = m
        order = 1 << m
        let polynomial = Self.primitivePolynomials[m - 1]
        let cycle = order - 1
        var exp = [UInt16](repeating: 0, count: 2 * cycle)
        var log = [UInt16](repeating: 0, count: order)
        var element: UInt32 = 1
        for i in 0..<cycle {
            exp[i] = UInt16(element)
            log[Int(element)] = UInt16(i)
            element <<= 1
            if element & UInt32(order) != 0 { element ^= polynomial }
        }
        for i in cycle..<(2 * cycle) { exp[i] = exp[i - cycle] }
        var inverses = [UInt16](repeating: 0, count: order)
        for i in 0..<cycle { inverses[Int(exp[i])] = exp[(cycle - i) % cycle] }
        self.exp = exp
        self.log = log
        self.inverses = inverses
    }

    @inline(__always)
    func multiply(_ a: UInt32, _ b: UInt32) -> UInt32 {
        guard a != 0, b != 0 else { return 0 }
        return UInt32(exp[Int(log[Int(a)]) + Int(log[Int(b)])])
    }

    /// Multiplicative inverse of a non-zero element.
    @inline(__always)
    func inverse(_ a: UInt32) -> UInt32 {
        precondition(a != 0, "0 has no inverse in GF(2^m)")
        let cycle = order - 1
        return UInt32(exp[(cycle - Int(log[Int(a)])) % cycle])
    }

    /// Multiplication by a constant as two tables (the map is linear over GF(2), so c·z = c·(z mod 2^8) ⊕
    /// c·(z − z mod 2^8)): `low[i]` = c·i and `high[j]` = c·(j · 2^8).
    func multiplicationTables(by c: UInt32) -> (low: [UInt16], high: [UInt16]) {
        let lowCount = min(order, 256)
        let low = (0..<lowCount).map { UInt16(multiply(c, UInt32($0))) }
        let high = (0..<max(1, order >> 8)).map { UInt16(multiply(c, UInt32($0) << 8)) }
        return (low, high)
    }

    /// True if x has multiplicative order 2^m − 1, i.e. the polynomial is primitive.
    var generatorIsPrimitive: Bool {
        let cycle = order - 1
        var seen = Set<UInt16>()
        for i in 0..<cycle { seen.insert(exp[i]) }
        return seen.count == cycle && !seen.contains(0)
    }
}
