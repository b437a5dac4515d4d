import DICOM
import Foundation
import Pixels
import Protection

enum Paths {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sharedSamples = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/dicom-samples")
    static let repoSamples = packageRoot.appendingPathComponent("dicom-samples")

    static func samples() -> [URL] {
        [sharedSamples, repoSamples].flatMap { folder -> [URL] in
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            return names.sorted()
                .filter { !$0.hasPrefix(".") && ![".md", ".csv", ".txt", ".json", ".py"].contains(where: $0.hasSuffix) }
                .map { folder.appendingPathComponent($0) }
        }
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qkdgate-protection-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The built `qkdgate` binary next to the test bundle.
    static var qkdgate: URL {
        let bundle = Bundle.main.bundleURL
        for candidate in [bundle.deletingLastPathComponent(), bundle] {
            let url = candidate.appendingPathComponent("qkdgate")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return packageRoot.appendingPathComponent(".build/debug/qkdgate")
    }
}

/// A fresh local key source (random master) and its protector.
func localProtector() throws -> (ObjectProtector, LocalKeyFile) {
    var rng = SystemRandomNumberGenerator()
    let source = try LocalKeyFile(master: (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) })
    return (ObjectProtector(keySource: source, keySourceKind: .local, uidSecret: source.uidSecret), source)
}

/// A minimal Secondary Capture object holding `buffer`.
func syntheticObject(_ buffer: PixelBuffer, uid: String = "1.2.826.0.1.3680043.10.1234.\(UInt32.random(in: 1...UInt32.max))") throws -> DicomObject {
    let object = try DicomObject()
    try object.setString("1.2.840.10008.5.1.4.1.1.7", for: .sopClassUID)
    try object.setString(uid, for: .sopInstanceUID)
    try object.setString("OT", for: .modality)
    try object.setString("2.25.1", for: .studyInstanceUID)
    try object.setString("2.25.2", for: .seriesInstanceUID)
    try object.setPixelBuffer(buffer)
    return object
}

/// Native Pixel Data bytes of an object (decoded first when needed).
func pixelBytes(_ object: DicomObject) throws -> [UInt8] {
    try object.withNativePixelBytes { Array($0) }
}

/// Runs a program; returns status and combined output.
@discardableResult
func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

