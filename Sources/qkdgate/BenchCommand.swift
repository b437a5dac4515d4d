import ArgumentParser
import Ciphers
import DCGAN

/// `qkdgate bench …`: performance measurements (reported as ratios against a baseline run alongside).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure performance against baselines measured in the same run.",
        subcommands: [BenchCiphersCommand.self]
    )
}

/// `qkdgate bench ciphers`: single-core MB/s of each pixel cipher next to AES-256-GCM, and ns per pixel by size.
struct BenchCiphersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ciphers",
        abstract: "Single-core throughput of qkd-hybrid, dcgan-vpd and aes-ctr versus AES-256-GCM; cost per pixel by image size; dcgan-vpd key generation."
    )

    @Option(help: "Side of the 16-bit and RGB throughput images.")
    var size = 512

    @Option(help: "Comma-separated sides for the cost-per-pixel table.")
    var scaling = "64,128,256,512,1024,2048,4096"

    @Option(help: "Timed runs per measurement (the best is reported).")
    var repetitions = 5

    func run() throws {
        let sides = try scaling.split(separator: ",").map { text in
            guard let side = Int(text), side > 0 else {
                throw ValidationError("--scaling takes positive integers separated by commas, got '\(text)'")
            }
            return side
        }
        let options = CipherBenchmark.Options(imageSize: size, scalingSizes: sides, repetitions: repetitions)
        var report = try CipherBenchmark(options: options).run()
        try DCGANVPDBenchmark.addRows(to: &report, options: options)
        print(report.table)
        print("")
        print(try DCGANVPDBenchmark.keyGeneration(side: size, repetitions: max(repetitions, 5)).table)
    }
}
