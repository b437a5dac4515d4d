import ArgumentParser
import Decryptor
import Foundation
import Logging

/// `qkdgate decryptor --config conf/decryptor.yaml`
struct DecryptorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decryptor",
        abstract: "Run the viewer-side decryptor (storage SCP → verify → decrypt → forward to viewers or write files).")

    @Option(name: .long, help: "Decryptor configuration (YAML).")
    var config: String = "conf/decryptor.yaml"

    func run() async throws {
        let configuration: DecryptorConfiguration
        do { configuration = try DecryptorConfiguration.load(path: config) } catch {
            FileHandle.standardError.write(Data("qkdgate: invalid configuration: \(error)\n".utf8))
            throw ExitCode(2)
        }
        bootstrapLogging(level: configuration.logLevel)
        try await DecryptorServer.run(configuration: configuration, logger: Logger(label: "qkdgate.decryptor"))
    }
}
