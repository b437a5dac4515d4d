import ArgumentParser
import DICOM
import Foundation

/// `qkdgate info FILE…`: what each DICOM file is (no patient data is printed).
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show SOP class, geometry, bit layout, photometric interpretation, transfer syntax and private creators."
    )

    @Flag(name: .long, help: "Print a JSON array instead of a table.")
    var json = false

    @Argument(help: "DICOM files.")
    var files: [String]

    func run() throws {
        DICOMLibrary.initialize()
        let (summaries, failures) = DicomSummary.summarize(files.map { URL(fileURLWithPath: $0) })
        if json {
            print(try DicomSummary.json(summaries))
        } else {
            print(summaries.map(\.text).joined(separator: "\n\n"))
        }
        for failure in failures {
            FileHandle.standardError.write(Data("qkdgate info: \(failure)\n".utf8))
        }
        if !failures.isEmpty { throw ExitCode(1) }
    }
}
