import Testing
@testable import Ciphers

@Suite("Benchmark harness")
struct CipherBenchmarkTests {
    /// The harness itself (tiny images so it is quick): every profile is measured next to AES-256-GCM on both
    /// images, round trips are checked inside, and the table names every row. Speeds are not asserted here.
    @Test func reportsEveryProfileOnBothImages() throws {
        let report = try CipherBenchmark(options: .init(imageSize: 16, scalingSizes: [8, 32], repetitions: 1)).run()
        #expect(report.throughput.count == 8)
        #expect(Set(report.throughput.map(\.cipher)) == ["aes-256-gcm", "qkd-hybrid msb:4", "qkd-hybrid all", "aes-ctr"])
        #expect(report.throughput.allSatisfy { $0.encryptMBps > 0 && $0.decryptMBps > 0 && $0.encryptRatioToGCM > 0 })
        #expect(report.throughput.first { $0.image.contains("RGB") }?.pixelBytes == 16 * 16 * 3)
        #expect(report.throughput.first { $0.image.contains("16-bit") }?.pixelBytes == 16 * 16 * 2)
        #expect(report.scaling.count == 6 && report.scaling.allSatisfy { $0.encryptNanosecondsPerPixel > 0 })
        #expect(report.table.contains("aes-256-gcm") && report.table.contains("qkd-hybrid all"))
        #expect(report.keySchedule.map(\.side) == [8, 8, 16, 16])
        #expect(report.keySchedule.allSatisfy { $0.microseconds > 0 })
    }
}
