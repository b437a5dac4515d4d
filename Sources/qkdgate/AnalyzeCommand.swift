import Analysis
import ArgumentParser
import Ciphers
import DCGAN
import DICOM
import Foundation
import Pixels

/// `qkdgate analyze [--profile P]… [--planes all|msb:K] FILE|DIR… --out REPORT_DIR`: the papers' security
/// battery on the pixel data of DICOM files; writes report.md, report.json and PNG figures.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Run the security analysis (entropy, correlation, NPCR/UACI, NIST SP 800-22, …) on DICOM images."
    )

    @Option(name: .long, help: "Cipher profile to analyse (qkd-hybrid, dcgan-vpd, aes-ctr); repeat for several. Default: all three.")
    var profile: [String] = []

    @Option(name: .long, help: "qkd-hybrid plane setting: 'all' or 'msb:K' (the paper's MSB mode is msb:4).")
    var planes: String = "msb:4"

    @Option(name: .long, help: "Seed for sampled pixel pairs, the changed pixel, the flipped key bit and noise.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Random adjacent pairs per direction for the correlation test.")
    var pairs: Int = 5_000

    @Option(name: .long, help: "NIST SP 800-22: number of sequences.")
    var nistSequences: Int = 10

    @Option(name: .long, help: "NIST SP 800-22: bits per sequence.")
    var nistLength: Int = 1_000_000

    @Flag(name: .long, help: "Skip the NIST SP 800-22 battery.")
    var noNist = false

    @Option(name: .long, help: "Report directory (created if missing).")
    var out: String

    @Argument(help: "DICOM files, or directories searched for DICOM files.")
    var inputs: [String]

    func validate() throws {
        guard pairs > 1 else { throw ValidationError("--pairs must be at least 2") }
        guard nistSequences > 0, nistLength >= 1_000 else {
            throw ValidationError("--nist-sequences must be positive and --nist-length at least 1000")
        }
        guard QKDHybridCipher.Planes(parameter: planes) != nil else {
            throw ValidationError("--planes must be 'all' or 'msb:K' with 1 ≤ K ≤ 16")
        }
    }

    func run() throws {
        DICOMLibrary.initialize()
        let ciphers = try (profile.isEmpty ? ["qkd-hybrid", "dcgan-vpd", "aes-ctr"] : profile).map(makeCipher)
        let files = try AnalysisRun.inputFiles(inputs.map { URL(fileURLWithPath: $0) })
        var images: [(name: String, buffer: PixelBuffer)] = []
        for file in files {
            let buffer = try DicomObject(contentsOf: file).pixelBuffer()
            images.append((file.lastPathComponent, buffer))
        }
        let options = AnalysisOptions(
            seed: seed, correlationPairs: pairs,
            nist: noNist ? nil : NISTConfiguration(sequenceCount: nistSequences, sequenceLength: nistLength))
        let report = try AnalysisRun.run(images: images, ciphers: ciphers, options: options,
                                         outputDirectory: URL(fileURLWithPath: out))
        print("\(out)/report.md, \(out)/report.json and \(report.images.flatMap(\.profiles).flatMap(\.figures).count) figures")
    }

    func makeCipher(_ name: String) throws -> any PixelCipher {
        switch name {
        case QKDHybridCipher.profileName:
            // validate() has checked the setting.
            return QKDHybridCipher(planes: QKDHybridCipher.Planes(parameter: planes) ?? .msb(4))
        case DCGANVPDCipher.profileName:
            return DCGANVPDCipher(decoySource: try DCGANDecoySource.bundled())
        case AESCTRCipher.profileName:
            return AESCTRCipher()
        default:
            throw CipherError.unknownProfile(name)
        }
    }
}
