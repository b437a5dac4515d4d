import ArgumentParser
import DICOM

/// `qkdgate`: parses the command line and dispatches; every subcommand calls into a module.
@main
struct QkdgateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qkdgate",
        abstract: "Encrypting DICOM gateway with QKD-wrapped keys.",
        version: "qkdgate 0.1.0 (DCMTK \(DCMTKLibrary.version))",
        subcommands: [
            InfoCommand.self, SamplesCommand.self, KeygenCommand.self, EncryptCommand.self, DecryptCommand.self,
            ServeCommand.self, DecryptorCommand.self, QueueCommand.self, KmeCommand.self, BenchCommand.self,
            AnalyzeCommand.self, DemoCommand.self,
        ]
    )
}
