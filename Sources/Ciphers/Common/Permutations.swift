/// Permutation helpers shared by the profiles. A permutation `p` of 0..<n is stored as the array of images:
/// position `i` of the output takes the element at position `p[i]` of the input ("gather" convention).
enum Permutations {
    /// Fisher–Yates (Durstenfeld) shuffle of the identity: for i = n−1 down to 1, swap entry i with entry
    /// `draw(i + 1)`, where `draw(b)` returns a value in 0..<b. Exactly n − 1 draws, in that order.
    static func fisherYates(count n: Int, draw: (Int) -> Int) -> [Int32] {
        var p = (0..<Int32(n)).map { $0 }
        guard n > 1 else { return p }
        p.withUnsafeMutableBufferPointer { p in
            var i = n - 1
            while i > 0 {
                let j = draw(i + 1)
                p.swapAt(i, j)
                i -= 1
            }
        }
        return p
    }

    /// The inverse permutation: `inverse[p[i]] = i`.
    static func inverse(of p: [Int32]) -> [Int32] {
        var inv = [Int32](repeating: 0, count: p.count)
        for (i, v) in p.enumerated() { inv[Int(v)] = Int32(i) }
        return inv
    }

    /// The inverse of a bijection on 0..<table.count stored as a table of 16-bit values.
    static func inverse(ofTable table: [UInt16]) -> [UInt16] {
        var inv = [UInt16](repeating: 0, count: table.count)
        for (i, v) in table.enumerated() { inv[Int(v)] = UInt16(i) }
        return inv
    }

    /// True if `table` is a bijection on 0..<table.count.
    static func isBijection(_ table: [UInt16]) -> Bool {
        var seen = [Bool](repeating: false, count: table.count)
        for v in table {
            guard Int(v) < table.count, !seen[Int(v)] else { return false }
            seen[Int(v)] = true
        }
        return true
    }
}
