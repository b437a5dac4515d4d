public import Ciphers
import Pixels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// dcgan-vpd in `qkdgate bench ciphers`: its rows in the shared throughput and cost-per-pixel tables (the pixel
/// work alone: the key streams are built before the timed region, as `DCGANVPDCipher.schedule`), and a separate
/// table of key generation split into its parts.
///
/// Throughput rows use the method of `CipherBenchmark` (best of runs after a warm-up, wall clock, every run's
/// decryption checked), next to the AES-256-GCM row of the same image measured in the same run. Key generation
/// figures are medians of the calling thread's CPU time, so a loaded machine inflates them less.
///
/// ```swift
/// var report = try CipherBenchmark(options: options).run()
/// try DCGANVPDBenchmark.addRows(to: &report, options: options)
/// print(report.table, try DCGANVPDBenchmark.keyGeneration(side: 512, repetitions: 7).table)
/// ```
public enum DCGANVPDBenchmark {
    public static let label = "dcgan-vpd"

    /// Adds dcgan-vpd rows after each image's rows and each side's rows of `report`.
    public static func addRows(to report: inout CipherBenchmark.Report, options: CipherBenchmark.Options) throws {
        let cipher = DCGANVPDCipher(decoySource: try DCGANDecoySource.bundled())
        let key = try cipher.generateKey()
        for (name, image) in CipherBenchmark.throughputImages(side: options.imageSize) {
            let bytes = Double(CipherBenchmark.countedBytes(image.descriptor))
            let t = try timePixelWork(cipher, key: key, image: image, repetitions: options.repetitions)
            let gcm = report.throughput.first { $0.image == name && $0.cipher == "aes-256-gcm" }
            let row = CipherBenchmark.throughputRow(
                image: name, cipher: label, pixelBytes: Int(bytes),
                encryptMBps: bytes / t.encrypt / 1e6, decryptMBps: bytes / t.decrypt / 1e6,
                encryptRatioToGCM: gcm.map { bytes / t.encrypt / 1e6 / $0.encryptMBps } ?? .nan,
                decryptRatioToGCM: gcm.map { bytes / t.decrypt / 1e6 / $0.decryptMBps } ?? .nan)
            let position = (report.throughput.lastIndex { $0.image == name } ?? report.throughput.count - 1) + 1
            report.throughput.insert(row, at: position)
        }
        for side in options.scalingSizes {
            let image = CipherBenchmark.scalingImage(side: side)
            let pixels = Double(side * side)
            let t = try timePixelWork(cipher, key: key, image: image, repetitions: side >= 2048 ? 1 : options.repetitions)
            let row = CipherBenchmark.scalingRow(side: side, cipher: label, encryptNanosecondsPerPixel: t.encrypt / pixels * 1e9,
                                                 decryptNanosecondsPerPixel: t.decrypt / pixels * 1e9)
            let position = (report.scaling.lastIndex { $0.side == side } ?? report.scaling.count - 1) + 1
            report.scaling.insert(row, at: position)
        }
    }

    /// Best encryption and decryption seconds of the pixel work, with the schedule built beforehand.
    static func timePixelWork(_ cipher: DCGANVPDCipher, key: CipherKey, image: PixelBuffer, repetitions: Int)
        throws -> (encrypt: Double, decrypt: Double)
    {
        let schedule = try cipher.schedule(key: key, descriptor: image.descriptor)
        let clock = ContinuousClock()
        var bestEncrypt = Double.infinity, bestDecrypt = Double.infinity
        for _ in 0...repetitions {
            var sealed: PixelBuffer? = nil, opened: PixelBuffer? = nil
            let encrypt = try clock.measure { sealed = try cipher.encrypt(image, schedule: schedule) }
            guard let sealed else { throw CipherError.randomSourceFailed }
            let decrypt = try clock.measure { opened = try cipher.decrypt(sealed, schedule: schedule) }
            guard opened == image else {
                throw CipherError.unsupportedPixelFormat(profile: label, reason: "benchmark round trip failed")
            }
            bestEncrypt = min(bestEncrypt, seconds(encrypt))
            bestDecrypt = min(bestDecrypt, seconds(decrypt))
        }
        return (bestEncrypt, bestDecrypt)
    }

    /// Key generation of one object, in milliseconds (medians): the decoy (DCGAN inference), SHA-512 of the
    /// decoy sums, timestamp, nonce and salt plus the 1-DEC initial conditions, and the key streams (K1 … K8 and
    /// the rule tables, `DCGANVPDCipher.schedule`) for each throughput image.
    public struct KeyGeneration: Sendable {
        public var repetitions: Int
        public var decoyMilliseconds: Double
        public var hashMilliseconds: Double
        public var streamMilliseconds: [(image: String, milliseconds: Double)]

        public var table: String {
            var lines = ["Key generation, dcgan-vpd (ms per object, median of \(repetitions), thread CPU time)"]
            func line(_ name: String, _ value: Double) {
                var text = "-"
                if value.isFinite {
                    let hundredths = Int((value * 100).rounded())
                    let fraction = String(hundredths % 100)
                    text = "\(hundredths / 100)." + (fraction.count < 2 ? "0" + fraction : fraction)
                }
                lines.append(name + String(repeating: " ", count: max(1, 58 - name.count))
                             + String(repeating: " ", count: max(0, 9 - text.count)) + text)
            }
            line("decoy (DCGAN inference, one 64x64x3 image)", decoyMilliseconds)
            line("SHA-512 + 1-DEC initial conditions", hashMilliseconds)
            for (image, ms) in streamMilliseconds { line("key streams K1..K8, \(image)", ms) }
            for (image, ms) in streamMilliseconds { line("total, \(image)", decoyMilliseconds + hashMilliseconds + ms) }
            return lines.joined(separator: "\n")
        }
    }

    public static func keyGeneration(side: Int, repetitions: Int) throws -> KeyGeneration {
        let source = try DCGANDecoySource.bundled()
        let cipher = DCGANVPDCipher(decoySource: source)
        let images = CipherBenchmark.throughputImages(side: side)
        var decoys: [Double] = [], hashes: [Double] = [], streams = [[Double]](repeating: [], count: images.count)
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<max(1, repetitions) {
            var decoy: DecoyImage? = nil
            decoys.append(try cpuSeconds { decoy = try source.makeDecoy() })
            guard let decoy else { throw CipherError.randomSourceFailed }
            let nonce = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
            let salt = (0..<DCGANVPDCipher.saltBytes).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
            var key: CipherKey? = nil
            hashes.append(try cpuSeconds {
                let derived = DCGANVPDCipher.deriveKey(decoy: decoy, timestamp: VPDTimestamp(secondsSince1970: 1_763_700_000),
                                                       nonce: nonce, salt: salt, rule: cipher.rule)
                _ = try VPDKeySchedule(secret: derived.secret)
                key = derived
            })
            guard let key else { throw CipherError.randomSourceFailed }
            for (index, (_, image)) in images.enumerated() {
                streams[index].append(try cpuSeconds { _ = try cipher.schedule(key: key, descriptor: image.descriptor) })
            }
        }
        return KeyGeneration(
            repetitions: max(1, repetitions), decoyMilliseconds: median(decoys) * 1000, hashMilliseconds: median(hashes) * 1000,
            streamMilliseconds: zip(images, streams).map { ($0.name, median($1) * 1000) })
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (s, attoseconds) = duration.components
        return Double(s) + Double(attoseconds) * 1e-18
    }

    private static func cpuSeconds(_ body: () throws -> Void) rethrows -> Double {
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
