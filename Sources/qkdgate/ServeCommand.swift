import ArgumentParser
import Foundation
import Decryptor
import Gateway
import Logging

/// `qkdgate serve --config conf/gateway.yaml`
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the encrypting gateway (storage SCP → encrypt → forward).")

    @Option(name: .long, help: "Gateway configuration (YAML).")
    var config: String = "conf/gateway.yaml"

    @Flag(name: .long, help: "Print the profiles this build can apply, one per line, and exit.")
    var listTransforms = false

    func run() async throws {
        if listTransforms {
            try GatewayServer.defaultTransforms().keys.sorted().forEach { print($0) }
            return
        }
        let configuration: GatewayConfiguration
        do { configuration = try GatewayConfiguration.load(path: config) } catch {
            FileHandle.standardError.write(Data("qkdgate: invalid configuration: \(error)\n".utf8))
            throw ExitCode(2)
        }
        bootstrapLogging(level: configuration.logLevel)
        let logger = Logger(label: "qkdgate.gateway")
        try await GatewayServer.run(configuration: configuration, logger: logger)
    }
}

/// Structured logs on standard error at the configured level (journald and containers collect them there).
func bootstrapLogging(level name: String) {
    let level = Logger.Level(rawValue: name) ?? .info
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}

/// `qkdgate queue list|retry|purge --config conf/gateway.yaml`
struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "Show and replay dead letters.",
        subcommands: [List.self, Retry.self, Purge.self])

    struct Options: ParsableArguments {
        @Option(name: .long, help: "Gateway configuration (YAML), or the decryptor's with --decryptor.")
        var config: String = "conf/gateway.yaml"

        @Flag(name: .long, help: "The configuration is a decryptor's (conf/decryptor.yaml).")
        var decryptor = false

        func load() throws -> GatewayQueueCommands.Node {
            do {
                if decryptor {
                    let configuration = try DecryptorConfiguration.load(path: config)
                    return .init(spoolDirectory: configuration.spoolDirectory,
                                 destinationNames: configuration.destinations.map(\.name))
                }
                return GatewayQueueCommands.node(try GatewayConfiguration.load(path: config))
            } catch {
                FileHandle.standardError.write(Data("qkdgate: invalid configuration: \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead letters and queue depth.")
        @OptionGroup var options: Options
        func run() throws { print(try GatewayQueueCommands.list(node: try options.load())) }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queue dead letters for delivery again.")
        @OptionGroup var options: Options
        @Option(name: .long, help: "Only dead letters for this destination.")
        var destination: String?
        func run() throws {
            let count = try GatewayQueueCommands.retry(node: try options.load(), destination: destination)
            print("requeued \(count) dead letter(s)")
        }
    }

    struct Purge: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete dead letters (and files nothing else needs).")
        @OptionGroup var options: Options
        func run() throws {
            let count = try GatewayQueueCommands.purge(node: try options.load())
            print("purged \(count) dead letter(s)")
        }
    }
}
