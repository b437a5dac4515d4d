/// Cascade error correction (Brassard–Salvail 1993) between Alice's and Bob's sifted strings, simulated in one
/// process: Bob's string is corrected in place, and every parity bit Alice discloses is counted, because that
/// count is subtracted from the key in privacy amplification.
///
/// Pass 1 uses blocks of `⌈0.73 / Q⌉` bits, each later pass doubles the block size (capped at half the string)
/// and runs on a fresh public random permutation. A block whose parities differ is bisected (one disclosed
/// parity per halving); each corrected bit re-opens the blocks of earlier passes that contain it (the cascade).
/// Alice answers a repeated question (same pass, same range) from memory, so it is not counted twice.
/// Passes after the fourth cost only a few parity bits each and push the residual error rate down; see
/// docs/kme.md for the measured leakage and failure rate.
public enum Cascade {
    /// The outcome of one reconciliation.
    public struct Outcome: Sendable, Equatable {
        /// Parity bits Alice disclosed (block parities and bisection parities).
        public var disclosedParityBits: Int
        /// Bits Bob flipped.
        public var correctedBits: Int
    }

    /// Block size of the first pass for an estimated QBER.
    public static func firstBlockSize(estimatedQBER: Double, length: Int) -> Int {
        let q = max(estimatedQBER, 0.001)
        return max(4, min(length, Int((0.73 / q).rounded(.up))))
    }

    /// Corrects `bob` towards `alice` (equal lengths, values 0 or 1).
    public static func reconcile(
        alice: [UInt8],
        bob: inout [UInt8],
        estimatedQBER: Double,
        passes: Int,
        using rng: inout some RandomNumberGenerator
    ) -> Outcome {
        precondition(alice.count == bob.count, "Cascade needs two strings of one length")
        precondition(passes >= 1, "Cascade needs at least one pass")
        let n = alice.count
        guard n > 1 else {
            return Outcome(disclosedParityBits: 0, correctedBits: 0)
        }
        // Flat tables, pass-major: order[pass·n + p] = bit at position p of that pass, position[] its inverse.
        // Raw buffers because this runs for every block and unoptimised test builds pay per array access.
        var order = [Int32](repeating: 0, count: passes * n)
        var position = [Int32](repeating: 0, count: passes * n)
        var blockSizes: [Int] = []
        var blockOffsets: [Int] = []                  // start of each pass's blocks in the parity tables
        var aliceParity: [UInt8] = []
        var bobParity: [UInt8] = []
        var answered: [Int: UInt8] = [:]
        var disclosed = 0
        var corrected = 0
        var blockSize = firstBlockSize(estimatedQBER: estimatedQBER, length: n)

        for pass in 0..<passes {
            let base = pass * n
            order.withUnsafeMutableBufferPointer { order in
                for p in 0..<n { order[base + p] = Int32(p) }
                if pass > 0 {                                   // public random shuffle after the first pass
                    for i in stride(from: n - 1, to: 0, by: -1) {
                        let j = Int(rng.next() % UInt64(i + 1))
                        order.swapAt(base + i, base + j)
                    }
                }
                position.withUnsafeMutableBufferPointer { position in
                    for p in 0..<n { position[base + Int(order[base + p])] = Int32(p) }
                }
            }
            let blocks = (n + blockSize - 1) / blockSize
            let offset = aliceParity.count
            blockSizes.append(blockSize)
            blockOffsets.append(offset)
            aliceParity += repeatElement(0, count: blocks)
            bobParity += repeatElement(0, count: blocks)
            alice.withUnsafeBufferPointer { alice in
                bob.withUnsafeBufferPointer { bob in
                    order.withUnsafeBufferPointer { order in
                        aliceParity.withUnsafeMutableBufferPointer { ap in
                            bobParity.withUnsafeMutableBufferPointer { bp in
                                var p = 0
                                for b in 0..<blocks {
                                    var a: UInt8 = 0, c: UInt8 = 0
                                    let end = min(p + blockSize, n)
                                    while p < end {
                                        let x = Int(order[base + p])
                                        a ^= alice[x]
                                        c ^= bob[x]
                                        p += 1
                                    }
                                    ap[offset + b] = a
                                    bp[offset + b] = c
                                }
                            }
                        }
                    }
                }
            }
            disclosed += blocks

            var pending: [(pass: Int, block: Int)] = []
            for b in 0..<blocks where aliceParity[offset + b] != bobParity[offset + b] {
                pending.append((pass, b))
            }
            while let (p, b) = pending.popLast() {
                guard aliceParity[blockOffsets[p] + b] != bobParity[blockOffsets[p] + b] else { continue }
                // Bisect: one disclosed parity per halving unless Alice already answered that range.
                let pBase = p * n
                var lo = b * blockSizes[p]
                var hi = min(lo + blockSizes[p], n)
                while hi - lo > 1 {
                    let mid = (lo + hi) / 2
                    let key = (p * (n + 1) + lo) * (n + 1) + mid
                    let (aliceHalf, bobHalf): (UInt8, UInt8) = alice.withUnsafeBufferPointer { alice in
                        bob.withUnsafeBufferPointer { bob in
                            order.withUnsafeBufferPointer { order in
                                var a: UInt8 = 0, c: UInt8 = 0
                                for q in lo..<mid {
                                    let x = Int(order[pBase + q])
                                    a ^= alice[x]
                                    c ^= bob[x]
                                }
                                return (a, c)
                            }
                        }
                    }
                    if answered[key] == nil {
                        answered[key] = aliceHalf
                        disclosed += 1
                    }
                    if aliceHalf != bobHalf { hi = mid } else { lo = mid }
                }
                let flipped = Int(order[pBase + lo])
                bob[flipped] ^= 1
                corrected += 1
                // The flip changes Bob's parity of the block holding this bit in every pass so far.
                for q in 0...pass {
                    let other = Int(position[q * n + flipped]) / blockSizes[q]
                    bobParity[blockOffsets[q] + other] ^= 1
                    if bobParity[blockOffsets[q] + other] != aliceParity[blockOffsets[q] + other] {
                        pending.append((q, other))
                    }
                }
            }
            blockSize = min(blockSize * 2, max(1, n / 2))
        }
        return Outcome(disclosedParityBits: disclosed, correctedBits: corrected)
    }
}
