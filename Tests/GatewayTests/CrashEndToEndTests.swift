import Foundation
import Testing

/// kill -9 of the gateway in the middle of a 500-object send, then a restart: every object that got
/// Success is delivered; objects without Success are re-sent by the SCU (as a modality would).
@Suite("Gateway end to end: crash and restart", .serialized)
struct CrashEndToEndTests {
    /// Paths whose C-STORE-RSP was Success, from storescu's verbose log (it sends in command-line order).
    static func succeeded(in log: String) -> Set<String> {
        var result: Set<String> = []
        var current: String?
        for line in log.split(separator: "\n") {
            if let range = line.range(of: "Sending file: ") {
                current = String(line[range.upperBound...]).trimmingCharacters(in: .whitespaces)
            } else if line.contains("Received Store Response (Success)"), let file = current {
                result.insert(file)
                current = nil
            }
        }
        return result
    }

    @Test func killDashNineMidSendLosesNothing() async throws {
        let work = try Peers.temporaryDirectory("crash")
        defer { try? FileManager.default.removeItem(at: work) }
        let files = try Peers.syntheticObjects(in: work, count: 500, size: 256)
        #expect(files.count == 500)
        let (pacsPort, gatewayPort) = (Peers.freePort(), Peers.freePort())
        let pacs = try StoreSCP(port: pacsPort, aeTitle: "PACS", directory: work.appendingPathComponent("pacs"), verbose: true)
        defer { pacs.stop() }
        let yaml = gatewayYAML(port: gatewayPort, spool: work.appendingPathComponent("spool"), destinations: [("pacs", "PACS", pacsPort)])
        let first = try GatewayProcess(configuration: yaml, port: gatewayPort, directory: work, name: "first")
        try await first.ready()

        let sender = try Child("/usr/bin/storescu", ["-v", "-nh", "-aet", "MODALITY", "-aec", "QKDGATE", "127.0.0.1", String(gatewayPort)] + files,
                               log: work.appendingPathComponent("storescu-1.log"))
        // Kill once some objects have been accepted, while the send is still running (128 KiB objects keep
        // it running for a while even on a fast machine).
        // storescu's log is block-buffered in a file, so watch the PACS instead.
        let midway = await eventually(timeout: 120, every: .milliseconds(5)) {
            Peers.receivedUIDs(in: pacs.directory).count >= 20 || !sender.isRunning
        }
        #expect(midway)
        first.child.kill9()
        sender.stop(grace: 30)
        let acknowledged = Self.succeeded(in: sender.log)
        #expect(acknowledged.count > 0 && acknowledged.count < 500, "the kill should land mid-send (acknowledged \(acknowledged.count))")

        let second = try GatewayProcess(configuration: yaml, port: gatewayPort, directory: work, name: "second")
        defer { second.child.stop() }
        try await second.ready()
        let missing = files.filter { !acknowledged.contains($0) }
        let resend = try Peers.run("/usr/bin/storescu", ["-v", "-nh", "-aet", "MODALITY", "-aec", "QKDGATE", "127.0.0.1", String(gatewayPort)] + missing)
        #expect(Self.succeeded(in: resend.output).count == missing.count, "re-send after restart: \(resend.output.suffix(1500))")

        let complete = await eventually(timeout: 120) { Peers.receivedUIDs(in: pacs.directory).count == files.count }
        let received = Peers.receivedUIDs(in: pacs.directory)
        #expect(complete, "\(received.count) of \(files.count) distinct objects arrived; gateway log: \(second.child.log.suffix(2000))")
        // Delivery is at least once; duplicates can only come from the few objects in flight at the kill
        // (committed but not acknowledged, or stored by the PACS but not yet marked delivered), and the
        // deterministic UIDs make them overwrites.
        let duplicates = pacs.storeRequests - received.count
        #expect(duplicates >= 0 && duplicates <= 40, "duplicate deliveries: \(duplicates)")
        print("crash test: acknowledged before kill \(acknowledged.count), re-sent \(missing.count), distinct delivered \(received.count), duplicate deliveries \(duplicates)")
        #expect(await eventually(timeout: 10) {
            Peers.spooledObjectFiles(work.appendingPathComponent("spool")).isEmpty
        }, "delivered spool files are deleted")
    }

    /// A power cut can take the queue records committed just before it: they are not flushed before Success,
    /// the received file with its acceptance mark is. Simulated on the real gateway: it accepts 30 objects while
    /// its PACS is down, is killed, and its queue loses the last 20 records and the id counter's progress (as a
    /// WAL whose unflushed tail is gone); the restart queues those 20 again from their files, and all 30 arrive.
    @Test func acceptedObjectsSurviveLosingTheirQueueRecords() async throws {
        let work = try Peers.temporaryDirectory("powercut")
        defer { try? FileManager.default.removeItem(at: work) }
        let files = try Peers.syntheticObjects(in: work, count: 30, size: 64)
        let (pacsPort, gatewayPort) = (Peers.freePort(), Peers.freePort())
        let spool = work.appendingPathComponent("spool")
        let yaml = gatewayYAML(port: gatewayPort, spool: spool, destinations: [("pacs", "PACS", pacsPort)])
        let first = try GatewayProcess(configuration: yaml, port: gatewayPort, directory: work, name: "first")
        try await first.ready()
        let send = try Peers.run("/usr/bin/storescu", ["-v", "-nh", "-aet", "MODALITY", "-aec", "QKDGATE", "127.0.0.1", String(gatewayPort)] + files)
        #expect(Self.succeeded(in: send.output).count == files.count, "\(send.output.suffix(1500))")
        first.child.kill9()

        let lose = """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            kept = [row[0] for row in db.execute("SELECT id FROM object ORDER BY id LIMIT 10")]
            db.execute("DELETE FROM delivery WHERE objectID > ?", (kept[-1],))
            db.execute("DELETE FROM object WHERE id > ?", (kept[-1],))
            db.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'object'", (kept[-1],))
            db.commit()
            print(db.execute("SELECT COUNT(*) FROM object").fetchone()[0])
            """
        let lost = try Peers.run("/usr/bin/env", ["python3", "-c", lose, spool.appendingPathComponent("queue.sqlite").path])
        #expect(lost.status == 0 && lost.output.trimmingCharacters(in: .whitespacesAndNewlines) == "10", "\(lost.output)")

        let pacs = try StoreSCP(port: pacsPort, aeTitle: "PACS", directory: work.appendingPathComponent("pacs"), verbose: true)
        defer { pacs.stop() }
        let second = try GatewayProcess(configuration: yaml, port: gatewayPort, directory: work, name: "second")
        defer { second.child.stop() }
        try await second.ready()
        let complete = await eventually(timeout: 60) { Peers.receivedUIDs(in: pacs.directory).count == files.count }
        #expect(complete, "\(Peers.receivedUIDs(in: pacs.directory).count) of \(files.count) arrived; gateway log: \(second.child.log.suffix(2000))")
        #expect(pacs.storeRequests == files.count, "each delivered once")
        #expect(second.child.log.components(separatedBy: "queued again").count - 1 == 20, "\(second.child.log.suffix(2000))")
        #expect(await eventually(timeout: 10) { Peers.spooledObjectFiles(spool).isEmpty }, "delivered spool files are deleted")
    }
}
