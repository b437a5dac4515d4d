import DICOM
import Foundation
import Pixels

/// Paths and helpers shared by the DICOM tests.
enum TestFiles {
    /// The package root (two levels above this file's folder).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shared sample set: `$QKDGATE_SHARED_SAMPLES`, else `../shared/dicom-samples` next to the package
    /// root (always there in CI), else `../../shared/dicom-samples` (a git worktree one level deeper).
    static let sharedSamples: URL = {
        if let override = ProcessInfo.processInfo.environment["QKDGATE_SHARED_SAMPLES"] {
            return URL(fileURLWithPath: override)
        }
        let parent = packageRoot.deletingLastPathComponent()
        let candidates = [
            parent.appendingPathComponent("shared/dicom-samples"),
            parent.deletingLastPathComponent().appendingPathComponent("shared/dicom-samples"),
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) } ?? candidates[0]
    }()

    /// The project's own generated samples.
    static let repoSamples: URL = packageRoot.appendingPathComponent("dicom-samples")

    /// DICOM files in a folder (everything but .md/.csv/.txt/.py), sorted.
    static func dicomFiles(in folder: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted()
            .filter { !$0.hasPrefix(".") && !$0.hasSuffix(".md") && !$0.hasSuffix(".csv") && !$0.hasSuffix(".txt") && !$0.hasSuffix(".json") }
            .map { folder.appendingPathComponent($0) }
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qkdgate-dicom-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The catalogue of the shared samples: file name → column → value.
    static func catalogue() throws -> [String: [String: String]] {
        let text = try String(contentsOf: sharedSamples.appendingPathComponent("catalogue.csv"), encoding: .utf8)
        var rows = parseCSV(text)
        guard !rows.isEmpty else { return [:] }
        let header = rows.removeFirst()
        var result: [String: [String: String]] = [:]
        for row in rows where row.count == header.count {
            result[row[0]] = Dictionary(uniqueKeysWithValues: zip(header, row))
        }
        return result
    }

    /// Minimal RFC 4180 CSV (quoted fields with doubled quotes).
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var iterator = Array(text).makeIterator()
        var pending: Character? = nil
        while let c = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                    } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(field); field = ""
            } else if c == "\n" || c == "\r\n" {
                row.append(field); field = ""; rows.append(row); row = []
            } else if c != "\r" {
                field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}

/// Runs a program and returns its exit status and standard output (standard error discarded).
func runProcess(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Finds a program on PATH (nil when absent).
func findExecutable(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for folder in path.split(separator: ":") {
        let candidate = "\(folder)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

/// Swift Testing also has a `Tag` type; tests name DICOM's explicitly.
typealias DicomTag = DICOM.Tag

/// Property tests' seeded generator (replayable from the seed).
typealias SeededGenerator = SplitMix64
