import ArgumentParser
import Demo
import Foundation

/// `qkdgate demo [--samples DIR] [--json FILE]`
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole chain on 127.0.0.1 (KME, gateway, PACS, decryptor, viewer) over sample studies and check every object.")

    @Option(name: .long, help: "DICOM file or folder to send.")
    var samples: String = "dicom-samples"

    @Option(name: .long, help: "Also write the table as JSON to this file ('-' for standard output).")
    var json: String?

    @Option(name: .long, help: "Keep PKI, spools, logs and received files in this folder (default: a temporary folder, removed afterwards).")
    var workDir: String?

    @Flag(name: .long, help: "Use DCMTK storescp as the remote PACS even when Orthanc is installed.")
    var storescp = false

    @Option(name: .long, help: "Seconds to wait for the objects at each hop.")
    var timeout: Double = 600

    func run() async throws {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let runner = DemoRunner(
            options: .init(samples: URL(fileURLWithPath: samples), workDirectory: workDir.map { URL(fileURLWithPath: $0) },
                           keepWorkDirectory: workDir != nil, executable: executable, useStorescp: storescp, timeout: timeout),
            progress: { line in FileHandle.standardError.write(Data("demo: \(line)\n".utf8)) })
        let report: DemoReport
        do { report = try await runner.run() } catch {
            FileHandle.standardError.write(Data("qkdgate demo: \(error)\n".utf8))
            throw ExitCode(2)
        }
        print(report.table)
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(report)
            if json == "-" { print(String(decoding: data, as: UTF8.self)) } else { try data.write(to: URL(fileURLWithPath: json)) }
        }
        if !report.passed { throw ExitCode(1) }
    }
}
