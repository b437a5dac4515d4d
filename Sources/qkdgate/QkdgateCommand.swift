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

    /// ArgumentParser's entry point, after tuning the allocator (`ProcessMemory`) for every subcommand.
    static func main() async {
        ProcessMemory.keepFreedBlocks()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
