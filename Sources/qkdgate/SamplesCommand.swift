import ArgumentParser
import DICOM
import Foundation

/// `qkdgate samples --out DIR`: writes the project's synthetic studies (reproducible from the seed).
struct SamplesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "samples",
        abstract: "Write synthetic CT, MR, CR, US and XC studies plus lossless-encoded copies, with a README."
    )

    @Option(name: .long, help: "Output folder (created if missing).")
    var out: String = "dicom-samples"

    @Option(name: .long, help: "Seed for UIDs and image noise; the same seed gives the same files.")
    var seed: UInt64 = SyntheticStudies.defaultSeed

    func run() throws {
        DICOMLibrary.initialize()
        let files = try SyntheticStudies.write(to: URL(fileURLWithPath: out), seed: seed)
        for file in files { print("\(out)/\(file.name)") }
    }
}
