// analysis-bench: how long the analysis takes, as ratios to a baseline measured in the same run.
//
//   swift run -c release analysis-bench [side] [nist-bits]
//
// Baseline: one AES-CTR encryption of the same image. Measured: the full battery on a side × side 8-bit image
// with aes-ctr (NIST excluded), and the NIST SP 800-22 battery on nist-bits bits of AES-CTR cipher stream.
import Analysis
import Ciphers
import Foundation
import Pixels

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let side = arguments.first ?? 512
let nistBits = arguments.dropFirst().first ?? 10_000_000
let clock = ContinuousClock()
func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

// A smooth phantom with noise, so that the plain side of every metric is realistic.
var generator = SeededGenerator(seed: 1)
let descriptor = PixelDescriptor(rows: side, columns: side, bitsAllocated: 8, bitsStored: 8)
let values = (0..<(side * side)).map { i -> UInt32 in
    let r = Double(i / side) / Double(side), c = Double(i % side) / Double(side)
    let base = 128 + 90 * sin(6 * r) * cos(5 * c)
    return UInt32(max(0, min(255, base + Double(generator.next() % 9) - 4)))
}
let plain = try PixelBuffer(descriptor: descriptor, values: values)
let cipher = AESCTRCipher()

let key = try cipher.generateKey()
let baselineStart = clock.now
for _ in 0..<5 { _ = try cipher.encrypt(plain, key: key) }
let baseline = seconds(clock.now - baselineStart) / 5

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("analysis-bench-\(UUID().uuidString)")
defer { try? FileManager.default.removeItem(at: directory) }
let batteryStart = clock.now
let report = try AnalysisRun.run(images: [("bench", plain)], ciphers: [cipher],
                                 options: AnalysisOptions(nist: nil), outputDirectory: directory)
let battery = seconds(clock.now - batteryStart)

let sequenceLength = 1_000_000
let sequences = max(1, nistBits / sequenceLength)
var stream: [[UInt8]] = []
var bits: [UInt8] = []
while stream.count < sequences {
    let sealed = try cipher.encrypt(plain, key: try cipher.generateKey())
    for v in sealed.values {
        for k in stride(from: 7, through: 0, by: -1) { bits.append(UInt8((v >> UInt32(k)) & 1)) }
    }
    while bits.count >= sequenceLength && stream.count < sequences {
        stream.append(Array(bits.prefix(sequenceLength)))
        bits.removeFirst(sequenceLength)
    }
}
let nistStart = clock.now
let nist = NIST.runBattery(stream)
let nistSeconds = seconds(clock.now - nistStart)

print("baseline: aes-ctr encrypt \(side)×\(side) 8-bit: \(String(format: "%.4f", baseline)) s")
print("battery (NIST excluded), \(side)×\(side), aes-ctr: \(String(format: "%.3f", battery)) s = \(String(format: "%.0f", battery / baseline)) × baseline")
let sections = report.images[0].profiles[0].seconds.sorted { $0.key < $1.key }
print("  sections: " + sections.map { "\($0.key) \(String(format: "%.3f", $0.value))" }.joined(separator: ", "))
print("NIST SP 800-22, \(sequences) × \(sequenceLength) bits: \(String(format: "%.2f", nistSeconds)) s = \(String(format: "%.0f", nistSeconds / baseline)) × baseline; passed \(nist.passedCount)/\(nist.tests.count)")
for test in nist.tests where !test.passed {
    print("  not passed: \(test.name), \(test.failedSubtests) of \(test.subtests.count) series outside (allowed \(test.allowedFailures))")
}
