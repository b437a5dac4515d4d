import Ciphers
import Pixels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Timings of dcgan-vpd for `qkdgate bench`: key generation (DCGAN decoy + SHA-512), key streams for one
/// 8-bit RGB 512×512 object, and the pixel work alone, plus a baseline measured in the same run (one XOR pass
/// over the same values) so results can be read as ratios across machines. Times are the calling thread's CPU
/// time (CLOCK_THREAD_CPUTIME_ID), so a loaded machine does not inflate them: "per core" figures.
public enum DCGANVPDBenchmark {
    /// Keys: "keygen_ms", "decoy_ms", "streams_ms", "encrypt_MBps", "decrypt_MBps", "baseline_xor_MBps",
    /// "encrypt_vs_xor_ratio" (pixel MB/s ÷ baseline MB/s). Medians over `repetitions` runs.
    public static func run(side: Int = 512, repetitions: Int = 5) throws -> [String: Double] {
        let source = try DCGANDecoySource.bundled()
        let cipher = DCGANVPDCipher(decoySource: source)
        let descriptor = PixelDescriptor(rows: side, columns: side, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8)
        let values = (0..<descriptor.valueCount).map { UInt32(($0 &* 2_654_435_761) >> 24 & 0xFF) }
        let plain = try PixelBuffer(descriptor: descriptor, values: values)
        let megabytes = Double(descriptor.valueCount) / 1_000_000   // one byte per 8-bit value

        var decoy: [Double] = [], keygen: [Double] = [], streams: [Double] = []
        var encrypt: [Double] = [], decrypt: [Double] = [], baseline: [Double] = []
        var key = try cipher.generateKey()
        for _ in 0..<repetitions {
            decoy.append(try seconds { _ = try source.makeDecoy() })
            keygen.append(try seconds { key = try cipher.generateKey() })
            var schedule: DCGANVPDCipher.Schedule?
            streams.append(try seconds { schedule = try cipher.schedule(key: key, descriptor: descriptor) })
            guard let schedule else { continue }
            var sealed = plain
            encrypt.append(try seconds { sealed = try cipher.encrypt(plain, schedule: schedule) })
            decrypt.append(try seconds { _ = try cipher.decrypt(sealed, schedule: schedule) })
            var copy = plain.values
            baseline.append(seconds {
                copy.withUnsafeMutableBufferPointer { v in
                    for i in 0..<v.count { v[i] ^= UInt32(truncatingIfNeeded: i &* 0x9E37) & 0xFF }
                }
            })
            precondition(copy.count == values.count)
        }
        let encryptMBps = megabytes / median(encrypt), baselineMBps = megabytes / median(baseline)
        return [
            "decoy_ms": median(decoy) * 1000,
            "keygen_ms": median(keygen) * 1000,
            "streams_ms": median(streams) * 1000,
            "encrypt_MBps": encryptMBps,
            "decrypt_MBps": megabytes / median(decrypt),
            "baseline_xor_MBps": baselineMBps,
            "encrypt_vs_xor_ratio": encryptMBps / baselineMBps,
        ]
    }

    private static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = threadCPUTime()
        try body()
        return threadCPUTime() - start
    }

    private static func threadCPUTime() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    private static func median(_ samples: [Double]) -> Double {
        let sorted = samples.sorted()
        return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
    }
}
