import ArgumentParser
import Foundation
import Logging
import QKD

/// `qkdgate kme …`: the simulated QKD key manager (docs/kme.md).
struct KmeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kme",
        abstract: "Simulated BB84 QKD link with an ETSI GS QKD 014 key manager (no physical security).",
        subcommands: [KmeServeCommand.self, KmeInitPKICommand.self, KmeBenchCommand.self],
        defaultSubcommand: KmeServeCommand.self
    )
}

/// `qkdgate kme [serve] --config conf/kme.yaml`
struct KmeServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run both KME sites of the embedded link until SIGTERM/SIGINT.")

    @Option(name: .long, help: "KME configuration (YAML).")
    var config: String = "conf/kme.yaml"

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func run() async throws {
        let configuration = try KMEConfiguration.load(path: config)
        var logger = Logger(label: "qkdgate.kme")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let server = try KMEServer(configuration: configuration, logger: logger)
        try await server.run(handleSignals: true) { ports in
            // One line a script can wait for, written straight to stdout (no buffering).
            let line = "KME ready: site A https://\(configuration.siteA.host):\(ports.siteA) "
                + "site B https://\(configuration.siteB.host):\(ports.siteB)\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
    }
}

/// `qkdgate kme init-pki --out DIR`
struct KmeInitPKICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init-pki", abstract: "Write a local CA, KME and SAE certificates, and a ready kme.yaml.")

    @Option(name: .long, help: "Output directory.")
    var out: String

    @Option(name: .long, parsing: .upToNextOption, help: "Master SAE IDs (site A).")
    var master: [String] = ["gateway"]

    @Option(name: .long, parsing: .upToNextOption, help: "Slave SAE IDs (site B).")
    var slave: [String] = ["decryptor"]

    @Option(name: .long, help: "Port of site A.")
    var portA: Int = 8443

    @Option(name: .long, help: "Port of site B.")
    var portB: Int = 8444

    func run() throws {
        let layout = try LocalPKI.generate(into: out, masterSAEs: master, slaveSAEs: slave, portA: portA,
                                           portB: portB)
        print("wrote \(layout.caCertificate), \(layout.saes.count) SAE and 2 KME certificates, \(layout.configuration)")
        print("run: qkdgate kme --config \(layout.configuration)")
    }
}

/// `qkdgate kme bench`
struct KmeBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure the simulated key rate and enc_keys and dec_keys requests per second over mTLS.")

    @Option(name: .long, help: "Working directory (PKI and pools; replaced).")
    var dir: String = "/tmp/qkdgate-kme-bench"

    @Option(name: .long, help: "Requests per phase.")
    var requests: Int = 10_000

    @Option(name: .long, help: "Concurrent requests.")
    var concurrency: Int = 16

    func run() async throws {
        var logger = Logger(label: "qkdgate.kme.bench")
        logger.logLevel = .warning
        let result = try await KMEBenchmark.run(directory: dir, requests: requests, concurrency: concurrency,
                                                logger: logger)
        print(result)
    }
}
