#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A seedable, fast, non-cryptographic generator (xoshiro256**, seeded through SplitMix64) so that simulator
/// tests are reproducible. Never used for key material outside tests and benchmarks that ask for a seed.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var mix = seed
        func splitMix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(&mix), splitMix(&mix), splitMix(&mix), splitMix(&mix))
    }

    public mutating func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = (state.3 << 45) | (state.3 >> 19)
        return result
    }
}

/// The system CSPRNG (the kernel's, through /dev/urandom), read 4 KiB at a time because the simulator draws
/// several numbers per detection event and one system call per number would dominate its run time.
public struct BufferedSystemRandom: RandomNumberGenerator {
    private var buffer = [UInt64](repeating: 0, count: 512)
    private var index = 512

    public init() {}

    public mutating func next() -> UInt64 {
        if index == buffer.count {
            refill()
            index = 0
        }
        defer { index += 1 }
        return buffer[index]
    }

    private mutating func refill() {
        let byteCount = buffer.count * 8
        let filled = buffer.withUnsafeMutableBytes { raw -> Bool in
            guard let base = raw.baseAddress else { return false }
            let fd = open("/dev/urandom", O_RDONLY)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            var done = 0
            while done < byteCount {
                let got = read(fd, base + done, byteCount - done)
                if got < 0 && errno == EINTR { continue }
                if got <= 0 { return false }
                done += got
            }
            return true
        }
        if filled { return }
        // /dev/urandom unreadable (a sandbox): the standard library's system generator reads the same kernel
        // source one word at a time.
        var system = SystemRandomNumberGenerator()
        for i in buffer.indices { buffer[i] = system.next() }
    }
}

extension RandomNumberGenerator {
    /// Uniform double in [0, 1) with 53 random bits.
    @inlinable
    mutating func unitDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// One fair bit.
    @inlinable
    mutating func bit() -> UInt8 {
        UInt8(truncatingIfNeeded: next() >> 63)
    }
}
