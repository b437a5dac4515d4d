/// Privacy amplification by Toeplitz hashing: `y = T·x` over GF(2), with T an ℓ×n Toeplitz matrix
/// (`T[i][j] = seed[i − j + n − 1]`) defined by n + ℓ − 1 public random bits. Toeplitz matrices form a
/// two-universal family, which is what the leftover hash lemma needs.
public enum ToeplitzHash {
    /// Hashes `input` (n bits, values 0 or 1) to `outputLength` bits using `seed` (n + ℓ − 1 bits, 0 or 1).
    /// Returns the output bits (0 or 1).
    public static func hash(_ input: [UInt8], seed: [UInt8], outputLength: Int) -> [UInt8] {
        let n = input.count
        precondition(outputLength >= 0, "output length cannot be negative")
        precondition(seed.count == n + outputLength - 1 || outputLength == 0, "seed must hold n + ℓ − 1 bits")
        guard outputLength > 0, n > 0 else { return [UInt8](repeating: 0, count: outputLength) }
        // With x' = x reversed, y_i = ⊕_k seed[i + k]·x'_k: a sliding window over the packed seed.
        let reversed = pack(input.reversed())
        let packedSeed = pack(seed) + [0]
        let words = reversed.count
        var output = [UInt8](repeating: 0, count: outputLength)
        for i in 0..<outputLength {
            let wordOffset = i >> 6
            let shift = UInt64(i & 63)
            var acc: UInt64 = 0
            if shift == 0 {
                for w in 0..<words { acc ^= packedSeed[wordOffset + w] & reversed[w] }
            } else {
                for w in 0..<words {
                    let window = (packedSeed[wordOffset + w] >> shift)
                        | (packedSeed[wordOffset + w + 1] << (64 - shift))
                    acc ^= window & reversed[w]
                }
            }
            output[i] = UInt8(acc.nonzeroBitCount & 1)
        }
        return output
    }

    /// Little-endian bit packing: bit k goes to word k/64, bit k%64. Tail bits of the last word are zero.
    static func pack(_ bits: some Sequence<UInt8>) -> [UInt64] {
        var words: [UInt64] = []
        var current: UInt64 = 0
        var count = 0
        for bit in bits {
            current |= UInt64(bit & 1) << UInt64(count & 63)
            count += 1
            if count & 63 == 0 {
                words.append(current)
                current = 0
            }
        }
        if count & 63 != 0 { words.append(current) }
        return words
    }
}
