/// xoshiro256** (Blackman and Vigna, 2018): the fast keyed generator behind per-pixel key streams.
///
/// Why this one: per-pixel key words must cost about a nanosecond, which rules out a chaotic system or HKDF per
/// pixel. It is seeded from HKDF-SHA-512 output (never from anything public), and produces the same words on
/// every machine (integer arithmetic only). It is not a cryptographic generator on its own; in `qkd-hybrid` it
/// plays the role the paper gives to chaotic key streams, and `aes-ctr` is the profile for a standard cipher.
struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// Seeds from 32 bytes, read as four little-endian words. An all-zero seed (probability 2^−256) is replaced by
    /// a fixed non-zero state, because the all-zero state is a fixed point of the recurrence.
    init(seed: [UInt8]) {
        precondition(seed.count >= 32, "xoshiro256** needs a 32-byte seed")
        s0 = seed.littleEndianWord(at: 0)
        s1 = seed.littleEndianWord(at: 8)
        s2 = seed.littleEndianWord(at: 16)
        s3 = seed.littleEndianWord(at: 24)
        if s0 | s1 | s2 | s3 == 0 { s0 = 0x9E37_79B9_7F4A_7C15 }
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A value in 0..<bound by multiply-shift of a 32-bit word (bias below bound / 2^32; no rejection, so the
    /// number of words consumed is fixed and documented).
    @inline(__always)
    mutating func below(_ bound: Int) -> Int {
        Int((UInt64(UInt32(truncatingIfNeeded: next() >> 32)) &* UInt64(bound)) >> 32)
    }

    /// Fills `buffer` with 16-bit key words, four per generator output (low half-word first).
    mutating func fill(_ buffer: UnsafeMutableBufferPointer<UInt16>) {
        let count = buffer.count
        var i = 0
        // The four half-words of an output, low first, are its little-endian bytes: one 8-byte store.
        if let base = buffer.baseAddress {
            let raw = UnsafeMutableRawPointer(base)
            while i + 4 <= count {
                raw.storeBytes(of: next().littleEndian, toByteOffset: 2 &* i, as: UInt64.self)
                i += 4
            }
        }
        if i < count {
            var w = next()
            while i < count {
                buffer[i] = UInt16(truncatingIfNeeded: w)
                w >>= 16
                i += 1
            }
        }
    }
}
