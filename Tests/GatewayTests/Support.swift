import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Helpers for tests that start real peers (DCMTK tools, Orthanc, pynetdicom, the built `qkdgate`).
enum Peers {
    /// The package root (three levels above this file).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The shared sample set beside the checkout (`../shared/dicom-samples`; CI always has it).
    static let samples = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/dicom-samples")
    /// The project's own synthetic studies.
    static let repoSamples = packageRoot.appendingPathComponent("dicom-samples")
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts")

    /// The `qkdgate` executable built next to the test bundle.
    static var qkdgate: String {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("qkdgate").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/qkdgate").path
    }

    /// A TCP port that was free a moment ago (DCMTK 3.6.7 cannot bind port 0, so tests pick one).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func isListening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    static func waitForPort(_ port: Int, timeout: Double = 30) async throws {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            if isListening(port) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("nothing listens on port \(port) after \(timeout) s")
    }

    static func temporaryDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qkdgate-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs a command to completion; returns exit status and combined output.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["TCP_NODELAY"] = "1"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Files storescp wrote into `directory`, keyed by SOP Instance UID (file name after the modality prefix).
    static func receivedUIDs(in directory: URL) -> [String: [URL]] {
        var result: [String: [URL]] = [:]
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where !name.hasPrefix(".") {
            // storescp names files <modality prefix>.<SOP Instance UID>[.<unique suffix>]
            var parts = name.split(separator: ".").map(String.init)
            guard parts.count > 2 else { continue }
            parts.removeFirst()
            let uid = parts.filter { $0.allSatisfy(\.isNumber) }.joined(separator: ".")
            result[uid, default: []].append(directory.appendingPathComponent(name))
        }
        return result
    }

    /// SOP Instance UID of a DICOM file, read by dcmdump.
    static func sopInstanceUID(_ path: String) throws -> String {
        let output = try run("/usr/bin/dcmdump", ["-q", "+P", "0008,0018", path]).output
        guard let value = output.components(separatedBy: "[").dropFirst().first?.components(separatedBy: "]").first else {
            throw TestFailure("no SOP Instance UID in \(path)")
        }
        return value
    }

    /// The dataset bytes of a DICOM file (after the preamble and the File Meta group).
    static func datasetBytes(_ url: URL) throws -> Data {
        let data = try Data(contentsOf: url)
        guard data.count > 132, data[128..<132] == Data("DICM".utf8) else { return data }
        var offset = 132
        while offset + 8 <= data.count {
            let group = UInt16(data[offset]) | UInt16(data[offset + 1]) << 8
            guard group == 0x0002 else { break }
            let vr = String(decoding: data[(offset + 4)..<(offset + 6)], as: UTF8.self)
            if ["OB", "OW", "OF", "SQ", "UT", "UN"].contains(vr) {
                let length = Int(data[offset + 8]) | Int(data[offset + 9]) << 8 | Int(data[offset + 10]) << 16 | Int(data[offset + 11]) << 24
                offset += 12 + length
            } else {
                let length = Int(data[offset + 6]) | Int(data[offset + 7]) << 8
                offset += 8 + length
            }
        }
        return data.subdata(in: offset..<data.count)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A child process started by a test; always stopped (SIGTERM, then SIGKILL) by `stop()` or on deinit.
final class Child: @unchecked Sendable {
    let process = Process()
    let logURL: URL

    init(_ executable: String, _ arguments: [String], log: URL, environment: [String: String] = [:],
         directory: URL? = nil) throws
    {
        logURL = log
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["TCP_NODELAY"] = "1"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let directory { process.currentDirectoryURL = directory }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }
    var isRunning: Bool { process.isRunning }

    func kill9() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// SIGTERM and wait up to `grace` seconds, then SIGKILL.
    func stop(grace: Double = 10) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date(timeIntervalSinceNow: grace)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop(grace: 2) }
}

/// A DCMTK storescp acting as the remote PACS.
final class StoreSCP {
    let child: Child
    let port: Int
    let directory: URL

    init(port: Int, aeTitle: String, directory: URL, verbose: Bool = false) throws {
        self.port = port
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var arguments = ["-aet", aeTitle, "-od", directory.path, "+xa"]
        if verbose { arguments.append("-v") }
        arguments.append(String(port))
        child = try Child("/usr/bin/storescp", arguments, log: directory.appendingPathExtension("log"))
    }

    func stop() { child.stop(grace: 2) }

    /// C-STORE requests received so far (needs `verbose`); files are named by SOP Instance UID, so a
    /// duplicate delivery overwrites a file but still counts here.
    var storeRequests: Int { child.log.components(separatedBy: "Received Store Request").count - 1 }
}

/// The built `qkdgate serve` as a child process with a YAML configuration.
final class GatewayProcess {
    let child: Child
    let port: Int

    init(configuration yaml: String, port: Int, directory: URL, name: String = "gateway") throws {
        self.port = port
        let config = directory.appendingPathComponent("\(name).yaml")
        try yaml.write(to: config, atomically: true, encoding: .utf8)
        child = try Child(Peers.qkdgate, ["serve", "--config", config.path],
                          log: directory.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(4)).log"))
    }

    func ready() async throws { try await Peers.waitForPort(port) }
}

/// Polls until `condition` holds or `timeout` passes; returns whether it held.
func eventually(timeout: Double, every interval: Duration = .milliseconds(100), _ condition: () -> Bool) async -> Bool {
    let deadline = Date(timeIntervalSinceNow: timeout)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return condition()
}

/// A minimal gateway configuration for tests.
func gatewayYAML(port: Int, spool: URL, destinations: [(name: String, ae: String, port: Int)],
                 routes: String? = nil, allowedCallers: [String] = [], retry: String = "{ initialDelay: 0.2, multiplier: 2, maxDelay: 1, maxAttempts: 0 }",
                 extra: String = "") -> String
{
    var text = """
        aeTitle: QKDGATE
        port: \(port)
        spool: \(spool.path)
        logLevel: info
        retry: \(retry)

        """
    if !allowedCallers.isEmpty { text += "allowedCallers: [\(allowedCallers.joined(separator: ", "))]\n" }
    text += "destinations:\n"
    for destination in destinations {
        text += "  - { name: \(destination.name), aeTitle: \(destination.ae), host: 127.0.0.1, port: \(destination.port), associations: 2 }\n"
    }
    let all = destinations.map(\.name).joined(separator: ", ")
    text += routes ?? """
        routes:
          - { name: default, default: true, profile: pass-through, destinations: [\(all)] }

        """
    text += extra
    return text
}
