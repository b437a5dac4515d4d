import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A server the demo starts: its output goes to a log file in the demo's folder; `stop()` sends SIGTERM, waits,
/// then SIGKILL, so nothing outlives the demo.
final class ManagedProcess: @unchecked Sendable {
    let name: String
    let process = Process()
    let logURL: URL

    init(name: String, executable: String, arguments: [String], log: URL) throws(DemoError) {
        self.name = name
        logURL = log
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        do {
            let handle = try FileHandle(forWritingTo: log)
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            var environment = ProcessInfo.processInfo.environment
            environment["TCP_NODELAY"] = "1"
            process.environment = environment
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        } catch {
            throw .start(name, "cannot start \(executable): \(error.localizedDescription)")
        }
    }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }
    var isRunning: Bool { process.isRunning }

    func stop(grace: Double = 15) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date(timeIntervalSinceNow: grace)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Waits until `condition` holds, failing early when the process died.
    func wait(for what: String, timeout: Double, _ condition: () -> Bool) async throws(DemoError) {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            if condition() { return }
            guard process.isRunning else {
                throw .start(name, "exited (status \(process.terminationStatus)) before \(what); see \(logURL.path)")
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        throw .start(name, "not \(what) after \(Int(timeout)) s; see \(logURL.path)")
    }
}

/// Loopback ports for servers started on 127.0.0.1 (the demo's, and the tests').
public enum LocalPorts {
    /// A TCP port that was free a moment ago (DCMTK 3.6.7 cannot bind port 0).
    public static func free() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    public static func isListening(_ port: Int) -> Bool {
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
}
