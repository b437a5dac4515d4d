import Demo
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Helpers for tests that start real peers (DCMTK tools, Orthanc, pynetdicom, the built `qkdgate`).
enum Peers {
    /// The package root (three levels above this file).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The shared sample set: `$QKDGATE_SHARED_SAMPLES`, else `../shared/dicom-samples` beside the package root
    /// (CI always has it), else `../../shared/dicom-samples` (a git worktree one level deeper).
    static let samples: URL = {
        if let override = ProcessInfo.processInfo.environment["QKDGATE_SHARED_SAMPLES"] {
            return URL(fileURLWithPath: override, isDirectory: true)
        }
        let parent = packageRoot.deletingLastPathComponent()
        let candidates = [parent.appendingPathComponent("shared/dicom-samples"),
                          parent.deletingLastPathComponent().appendingPathComponent("shared/dicom-samples")]
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) } ?? candidates[0]
    }()
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
    static func freePort() -> Int { LocalPorts.free() }

    static func isListening(_ port: Int) -> Bool { LocalPorts.isListening(port) }

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

    /// `count` synthetic CT objects made by make_synthetic.py (`size` × `size` pixels, or its default) in
    /// `work/objects`; their paths, sorted (the order storescu sends them in).
    static func syntheticObjects(in work: URL, count: Int, size: Int? = nil) throws -> [String] {
        let objects = work.appendingPathComponent("objects")
        try FileManager.default.createDirectory(at: objects, withIntermediateDirectories: true)
        let script = scripts.appendingPathComponent("make_synthetic.py").path
        try run("/usr/bin/env", ["python3", script, objects.path, String(count)] + (size.map { [String($0)] } ?? []))
        return try FileManager.default.contentsOfDirectory(atPath: objects.path).sorted().map { objects.appendingPathComponent($0).path }
    }

    /// The object files a node's spool holds in `received/` and `outbox/`; the empty files the SCP keeps ready
    /// for objects still to come (`SpoolSlots`) are not objects.
    static func spooledObjectFiles(_ spool: URL) -> [URL] {
        ["received", "outbox"].flatMap { folder -> [URL] in
            let directory = spool.appendingPathComponent(folder)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            return names.map { directory.appendingPathComponent($0) }.filter { url in
                ((try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0) > 0
            }
        }
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

/// The embedded KME (`qkdgate kme`, both link ends in one process) on free ports, with its PKI in `work/pki`.
final class KMEProcess {
    let child: Child
    let pki: URL
    /// Site A (the gateway's SAE) and site B (the decryptor's SAE).
    let siteA: String
    let siteB: String

    init(work: URL) async throws {
        pki = work.appendingPathComponent("pki")
        let made = try Peers.run(Peers.qkdgate, ["kme", "init-pki", "--out", pki.path, "--port-a", "0", "--port-b", "0"])
        guard made.status == 0 else { throw TestFailure("kme init-pki failed: \(made.output)") }
        let process = try Child(Peers.qkdgate, ["kme", "--config", pki.appendingPathComponent("kme.yaml").path],
                                log: work.appendingPathComponent("kme.log"))
        guard await eventually(timeout: 120, { process.log.contains("KME ready") }) else {
            process.stop()
            throw TestFailure("KME did not start: \(process.log.suffix(2000))")
        }
        let readyLine = process.log.split(separator: "\n").first { $0.contains("KME ready") } ?? ""
        let urls = readyLine.split(separator: " ").filter { $0.hasPrefix("https://") }.map(String.init)
        guard urls.count >= 2 else { process.stop(); throw TestFailure("no site URLs in: \(readyLine)") }
        child = process
        (siteA, siteB) = (urls[0], urls[1])
    }

    func stop() { child.stop() }

    /// The gateway configuration's `kme:` section (SAE `gateway` at site A, keys for SAE `decryptor`).
    var gatewaySection: String {
        """
        kme:
          url: \(siteA)
          saeId: gateway
          peerSaeId: decryptor
          certificate: \(pki.path)/gateway.crt
          privateKey: \(pki.path)/gateway.key
          caCertificate: \(pki.path)/ca.crt

        """
    }

    /// `qkdgate decrypt` of every file in `input` into `output` with the decryptor SAE's keys from site B.
    func decrypt(_ input: URL, into output: URL) throws -> (status: Int32, output: String) {
        try Peers.run(Peers.qkdgate, ["decrypt", "--kme", siteB, "--cert", "\(pki.path)/decryptor.crt",
                                      "--key", "\(pki.path)/decryptor.key", "--ca", "\(pki.path)/ca.crt",
                                      input.path, output.path])
    }
}

/// Attribute values as DCMTK's dcmdump prints them (UIDs as numbers), for facts independent of the code under test.
enum Dump {
    /// Values of the listed tags ("gggg,eeee"), top level only; absent tags are missing from the result.
    static func values(_ path: String, _ tags: [String]) throws -> [String: String] {
        let output = try Peers.run("/usr/bin/dcmdump", ["-q", "-Un"] + tags.flatMap { ["+P", $0] } + [path]).output
        var result: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix("("), text.count > 11 else { continue }
            let tag = String(text.dropFirst().prefix(9)).lowercased()
            guard result[tag] == nil else { continue }  // the top-level value comes first
            if let open = text.firstIndex(of: "["), let close = text[open...].firstIndex(of: "]") {
                result[tag] = String(text[text.index(after: open)..<close])
            } else {
                // Numbers (US, IS as binary) print without brackets: "(0028,0100) US 16   # ..."
                let fields = text.split(separator: " ", omittingEmptySubsequences: true)
                if fields.count >= 3 { result[tag] = String(fields[2]) }
            }
        }
        return result
    }

    /// Whether dcmdump reads the whole file without error (the meaning of "decodes" for a sample).
    static func reads(_ path: String) -> Bool {
        ((try? Peers.run("/usr/bin/dcmdump", ["-q", path]).status) ?? 1) == 0
    }

    /// The qkdgate private block as stored: creator slot and every element of the block, as dcmdump prints them.
    /// Found by creator string, never by slot (docs/format.md).
    static func protectionBlock(_ path: String) throws -> (group: String, slot: String, elements: [String: String])? {
        let output = try Peers.run("/usr/bin/dcmdump", ["-q", "-Un", "+L", path]).output
        let lines = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let creator = lines.first(where: { $0.contains("[QKDGATE PROTECTION 1") && $0.hasPrefix("(") }) else { return nil }
        let group = String(creator.dropFirst().prefix(4))
        let slot = String(creator.dropFirst(8).prefix(2))  // (gggg,00xx): xx
        var elements: [String: String] = [:]
        for line in lines where line.hasPrefix("(\(group),\(slot)") {
            let element = String(line.dropFirst(6).prefix(4)).lowercased()  // "(gggg,xxEE)": xxEE
            elements[String(element.suffix(2))] = line
        }
        return (group, slot, elements)
    }
}

/// dciodvfy (dicom3tools) "Error" messages of a file, normalised so that those of an input and of the object
/// the gateway forwarded can be compared as sets.
///
/// Normalisation, and why:
/// - Only the first line of each message that starts with `Error` counts: warnings are not the contract, and a
///   message quoting a multi-line value (e.g. an XML UT) continues on lines of its own.
/// - dciodvfy cannot inflate Deflated Explicit VR Little Endian (it stops at "Tag read failed"), so for a
///   deflated input the baseline is the same dataset inflated by DCMTK (`dcmconv +te`).
/// - The values of SOP Instance UID and Media Storage SOP Instance UID are replaced by `<uid>` in messages about
///   them: an encrypted object gets a new UID by design (docs/format.md), and an error such as "illegal root"
///   then names another value or goes away.
enum Dciodvfy {
    static let path = "/usr/bin/dciodvfy"

    static func errors(_ file: String, work: URL) throws -> Set<String> {
        var target = file
        let syntax = try Dump.values(file, ["0002,0010"])["0002,0010"]
        if syntax == "1.2.840.10008.1.2.1.99" {
            let inflated = work.appendingPathComponent("inflated-\(UUID().uuidString.prefix(8)).dcm").path
            let converted = try Peers.run("/usr/bin/dcmconv", ["+te", file, inflated])
            guard converted.status == 0 else { throw TestFailure("dcmconv cannot inflate \(file): \(converted.output)") }
            target = inflated
        }
        let output = try Peers.run(path, [target]).output
        return Set(output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("Error") }.map(normalise))
    }

    static func normalise(_ line: String) -> String {
        guard line.contains("SOPInstanceUID"), let open = line.range(of: "= <") else { return line }
        let rest = line[open.upperBound...]
        guard let close = rest.firstIndex(of: ">") else { return line }
        return String(line[..<open.upperBound]) + "uid" + String(rest[close...])
    }
}
