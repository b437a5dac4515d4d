import Testing
@testable import DCGAN
import Ciphers

@Suite("dcgan-vpd in the cipher benchmark")
struct DCGANVPDBenchmarkTests {
    /// Tiny images so it is quick: the dcgan-vpd rows land after each image's and each side's rows of the shared
    /// report (round trips are checked inside), their GCM ratios are this run's, and key generation has every part.
    /// Speeds are not asserted here.
    @Test func rowsJoinTheSharedReportAndKeyGenerationHasEveryPart() throws {
        let options = CipherBenchmark.Options(imageSize: 16, scalingSizes: [8, 32], repetitions: 1)
        var report = try CipherBenchmark(options: options).run()
        let before = report.throughput.count
        try DCGANVPDBenchmark.addRows(to: &report, options: options)
        #expect(report.throughput.count == before + 2)
        let images = CipherBenchmark.throughputImages(side: 16).map(\.name)
        for name in images {
            let rows = report.throughput.filter { $0.image == name }
            #expect(rows.last?.cipher == "dcgan-vpd", "\(name)")
            let gcm = rows.first { $0.cipher == "aes-256-gcm" }
            let vpd = rows.last
            if let gcm, let vpd {
                #expect(abs(vpd.encryptRatioToGCM - vpd.encryptMBps / gcm.encryptMBps) < 1e-9)
                #expect(vpd.encryptMBps > 0 && vpd.decryptMBps > 0)
            }
        }
        #expect(report.throughput.first { $0.cipher == "dcgan-vpd" && $0.image.contains("RGB") }?.pixelBytes == 16 * 16 * 3)
        for side in [8, 32] {
            #expect(report.scaling.last { $0.side == side }?.cipher == "dcgan-vpd")
        }
        #expect(report.table.contains("dcgan-vpd"))

        let keys = try DCGANVPDBenchmark.keyGeneration(side: 16, repetitions: 1)
        #expect(keys.decoyMilliseconds > 0 && keys.hashMilliseconds >= 0)
        #expect(keys.streamMilliseconds.map(\.image) == images)
        #expect(keys.table.contains("decoy") && keys.table.contains("total, \(images[1])"))
    }
}
