import Foundation
import Testing

/// Bad input, unknown callers, outages and crashes, against real peers.
@Suite("Gateway end to end: failures", .serialized)
struct FailureEndToEndTests {
    static let python = "/usr/bin/env"

    static func send(_ files: [String], port: Int, calling: String = "PYNETDICOM", extra: [String] = []) throws -> [String: String] {
        let result = try Peers.run(python, ["python3", Peers.scripts.appendingPathComponent("send.py").path, "127.0.0.1", String(port)]
                                   + files + ["--calling", calling] + extra)
        var statuses: [String: String] = [:]
        for line in result.output.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            if parts.count == 2, parts[0] == "ERR" || parts[0].hasPrefix("0x") { statuses[parts[1]] = parts[0] }
        }
        if statuses.isEmpty { throw TestFailure("send.py printed no statuses: \(result.output.suffix(2000))") }
        return statuses
    }

    static func quarantined(_ spool: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: spool.appendingPathComponent("quarantine").path)) ?? [])
            .filter { $0.hasSuffix(".txt") }
    }

    @Test func badInputIsRefusedAndQuarantined() async throws {
        let work = try Peers.temporaryDirectory("bad-input")
        defer { try? FileManager.default.removeItem(at: work) }
        let (pacsPort, gatewayPort) = (Peers.freePort(), Peers.freePort())
        let pacs = try StoreSCP(port: pacsPort, aeTitle: "PACS", directory: work.appendingPathComponent("pacs"))
        defer { pacs.stop() }
        let spool = work.appendingPathComponent("spool")
        let routes = """
            routes:
              - { name: us-encrypted, match: { modality: [US] }, profile: qkd-hybrid, fallback: reject, destinations: [pacs] }
              - { name: rest, default: true, profile: pass-through, destinations: [pacs] }

            """
        let gateway = try GatewayProcess(
            configuration: gatewayYAML(port: gatewayPort, spool: spool, destinations: [("pacs", "PACS", pacsPort)],
                                       routes: routes, allowedCallers: ["PYNETDICOM", "ECHOSCU"]),
            port: gatewayPort, directory: work)
        defer { gateway.child.stop() }
        try await gateway.ready()

        // Unknown calling AE: association rejected.
        let stranger = try Peers.run("/usr/bin/echoscu", ["-aet", "STRANGER", "-aec", "QKDGATE", "127.0.0.1", String(gatewayPort)])
        #expect(stranger.status != 0)
        #expect(stranger.output.contains("Rejected") || stranger.output.contains("rejected"), "\(stranger.output)")
        let known = try Peers.run("/usr/bin/echoscu", ["-aet", "ECHOSCU", "-aec", "QKDGATE", "127.0.0.1", String(gatewayPort)])
        #expect(known.status == 0, "C-ECHO from an allowed AE must work: \(known.output)")
        let wrongCalled = try Peers.run("/usr/bin/echoscu", ["-aet", "ECHOSCU", "-aec", "SOMEONE", "127.0.0.1", String(gatewayPort)])
        #expect(wrongCalled.status != 0)

        // Truncated pixel data (the sample), a native object with its pixel data shortened, and a JPEG 2000
        // Part 2 object (the J2K sample relabelled: DCMTK receives it, nothing here decodes it) on a route that
        // requires encryption: failure status, quarantine, no forwarding.
        let truncated = Peers.samples.appendingPathComponent("malformed_mr_truncated_pixeldata.dcm").path
        let j2k = Peers.samples.appendingPathComponent("us_rgb_j2k_lossless_3frag.dcm").path
        let good = Peers.samples.appendingPathComponent("ct_small_s16_explicit.dcm").path
        let first = try Self.send([truncated], port: gatewayPort)
        #expect(first[truncated]?.hasPrefix("0xC") == true, "truncated: \(first)")
        let part2 = try Self.send([j2k], port: gatewayPort, extra: ["--relabel-transfer-syntax", "1.2.840.10008.1.2.4.92"])
        #expect(part2[j2k]?.hasPrefix("0xC") == true, "undecodable syntax on an encrypting route: \(part2)")
        let shortened = try Self.send([Peers.samples.appendingPathComponent("mr_siemens_prisma_private_tags.dcm").path],
                                      port: gatewayPort, extra: ["--shorten-pixels", "100"])
        #expect(shortened.values.allSatisfy { $0.hasPrefix("0xC") }, "shortened pixels: \(shortened)")
        // A compressed object whose first frame does not decode, on the encrypting route: refused at C-STORE
        // (decoding is part of validation), not accepted and quarantined later by the worker.
        let jpeg = Peers.samples.appendingPathComponent("us_30frame_jpeg_baseline_ybr422.dcm").path
        let corrupt = try Self.send([jpeg], port: gatewayPort, extra: ["--corrupt-first-fragment"])
        #expect(corrupt[jpeg]?.hasPrefix("0xC") == true, "undecodable frame on an encrypting route: \(corrupt)")
        #expect(Self.quarantined(spool).count == 4)
        let reasons = Self.quarantined(spool).compactMap {
            try? String(contentsOf: spool.appendingPathComponent("quarantine/\($0)"), encoding: .utf8)
        }
        #expect(reasons.contains { $0.contains("does not decode") }, "\(reasons)")

        // The node keeps serving.
        let after = try Self.send([good], port: gatewayPort)
        #expect(after[good] == "0x0000")
        #expect(await eventually(timeout: 20) { Peers.receivedUIDs(in: pacs.directory).count == 1 })
        let log = gateway.child.log
        #expect(log.contains("object refused"))
        #expect(!log.contains("SYNTHETIC") && !log.contains("CompressedSamples"), "logs must not carry patient names")
    }

    @Test func malformedConfigurationNamesKeyAndLine() throws {
        let work = try Peers.temporaryDirectory("bad-config")
        defer { try? FileManager.default.removeItem(at: work) }
        let config = work.appendingPathComponent("gateway.yaml")
        try """
            aeTitle: QKDGATE
            port: 70000
            spool: /tmp/x
            destinations:
              - { name: pacs, aeTitle: PACS, host: 127.0.0.1, port: 104 }
            routes:
              - { name: all, default: true, profile: pass-through, destinations: [pacs] }
            """.write(to: config, atomically: true, encoding: .utf8)
        let result = try Peers.run(Peers.qkdgate, ["serve", "--config", config.path])
        #expect(result.status != 0)
        #expect(result.output.contains("gateway.yaml:2"), "\(result.output)")
        #expect(result.output.contains("`port`"), "\(result.output)")
    }

    /// A second `qkdgate serve` pointed at a spool that a running node holds (a copied config, a unit started
    /// twice) must exit with a clear error and leave the first node and its objects alone; once the first node has
    /// stopped, the spool is free again.
    @Test func aSecondNodeOnTheSameSpoolIsRefused() async throws {
        let work = try Peers.temporaryDirectory("spool-lock")
        defer { try? FileManager.default.removeItem(at: work) }
        let (pacsPort, firstPort, secondPort) = (Peers.freePort(), Peers.freePort(), Peers.freePort())
        let pacs = try StoreSCP(port: pacsPort, aeTitle: "PACS", directory: work.appendingPathComponent("pacs"))
        defer { pacs.stop() }
        let spool = work.appendingPathComponent("spool")
        let yaml = { (port: Int) in
            gatewayYAML(port: port, spool: spool, destinations: [("pacs", "PACS", pacsPort)], allowedCallers: ["PYNETDICOM"])
        }
        let first = try GatewayProcess(configuration: yaml(firstPort), port: firstPort, directory: work, name: "first")
        defer { first.child.stop() }
        try await first.ready()

        // As a child with a deadline: without the lock it would start serving and never exit.
        let refused = try GatewayProcess(configuration: yaml(secondPort), port: secondPort, directory: work, name: "refused")
        defer { refused.child.stop() }
        #expect(await eventually(timeout: 30) { !refused.child.isRunning }, "the second node must exit, not serve")
        refused.child.stop()
        #expect(refused.child.process.terminationStatus != 0)
        #expect(refused.child.log.contains("in use by another qkdgate node (pid \(first.child.process.processIdentifier))"),
                "\(refused.child.log)")

        // The first node still serves, and its spool was not recovered under it.
        let good = Peers.samples.appendingPathComponent("ct_small_s16_explicit.dcm").path
        #expect(try Self.send([good], port: firstPort)[good] == "0x0000")
        #expect(await eventually(timeout: 20) { Peers.receivedUIDs(in: pacs.directory).count == 1 })

        first.child.stop()
        let second = try GatewayProcess(configuration: yaml(secondPort), port: secondPort, directory: work, name: "second")
        defer { second.child.stop() }
        try await second.ready()
        #expect(second.child.isRunning)
    }

    @Test func outageOfOneDestinationDelaysNeitherTheOtherNorLosesAnything() async throws {
        let work = try Peers.temporaryDirectory("outage")
        defer { try? FileManager.default.removeItem(at: work) }
        let files = try Peers.syntheticObjects(in: work, count: 30)
        let (healthyPort, downPort, gatewayPort) = (Peers.freePort(), Peers.freePort(), Peers.freePort())
        let healthy = try StoreSCP(port: healthyPort, aeTitle: "HEALTHY", directory: work.appendingPathComponent("healthy"))
        defer { healthy.stop() }
        let gateway = try GatewayProcess(
            configuration: gatewayYAML(port: gatewayPort, spool: work.appendingPathComponent("spool"),
                                       destinations: [("healthy", "HEALTHY", healthyPort), ("down", "DOWN", downPort)]),
            port: gatewayPort, directory: work)
        defer { gateway.child.stop() }
        try await gateway.ready()
        try await Peers.waitForPort(healthyPort)

        let started = Date()
        let statuses = try Self.send(files, port: gatewayPort)
        #expect(statuses.values.allSatisfy { $0 == "0x0000" })
        let healthyDone = await eventually(timeout: 20) { Peers.receivedUIDs(in: healthy.directory).count == files.count }
        #expect(healthyDone, "healthy destination got \(Peers.receivedUIDs(in: healthy.directory).count) of \(files.count) while the other was down")
        let healthySeconds = Date().timeIntervalSince(started)

        let down = try StoreSCP(port: downPort, aeTitle: "DOWN", directory: work.appendingPathComponent("down"))
        defer { down.stop() }
        let recovered = await eventually(timeout: 30) { Peers.receivedUIDs(in: down.directory).count == files.count }
        #expect(recovered, "after the outage: \(Peers.receivedUIDs(in: down.directory).count) of \(files.count)")
        #expect(Set(Peers.receivedUIDs(in: down.directory).keys) == Set(Peers.receivedUIDs(in: healthy.directory).keys))
        #expect(gateway.child.log.contains("destination unreachable"))
        print("outage test: healthy destination complete after \(String(format: "%.2f", healthySeconds)) s while the other was down")
    }

    @Test func pynetdicomWithFourAssociationsAtOnce() async throws {
        let work = try Peers.temporaryDirectory("pynetdicom")
        defer { try? FileManager.default.removeItem(at: work) }
        let files = try Peers.syntheticObjects(in: work, count: 40)
        let (pacsPort, gatewayPort, adminPort) = (Peers.freePort(), Peers.freePort(), Peers.freePort())
        let pacs = try StoreSCP(port: pacsPort, aeTitle: "PACS", directory: work.appendingPathComponent("pacs"))
        defer { pacs.stop() }
        let gateway = try GatewayProcess(
            configuration: gatewayYAML(port: gatewayPort, spool: work.appendingPathComponent("spool"),
                                       destinations: [("pacs", "PACS", pacsPort)],
                                       extra: "admin: { host: 127.0.0.1, port: \(adminPort) }\n"),
            port: gatewayPort, directory: work)
        defer { gateway.child.stop() }
        try await gateway.ready()
        let statuses = try Self.send(files, port: gatewayPort, extra: ["--associations", "4"])
        #expect(statuses.count == files.count)
        #expect(statuses.values.allSatisfy { $0 == "0x0000" }, "\(statuses.values.filter { $0 != "0x0000" })")
        #expect(await eventually(timeout: 30) { Peers.receivedUIDs(in: pacs.directory).count == files.count })

        // Operations: /health and the Prometheus counters agree with what happened.
        let health = try Peers.run("/usr/bin/curl", ["-s", "--max-time", "5", "http://127.0.0.1:\(adminPort)/health"]).output
        #expect(health.contains("\"status\":\"ok\""), "\(health)")
        let metrics = try Peers.run("/usr/bin/curl", ["-s", "--max-time", "5", "http://127.0.0.1:\(adminPort)/metrics"]).output
        #expect(metrics.contains("qkdgate_objects_received_total \(files.count)"), "\(metrics)")
        #expect(metrics.contains("qkdgate_objects_forwarded_total{destination=\"pacs\"} \(files.count)"), "\(metrics)")
        #expect(metrics.contains("qkdgate_process_seconds_count \(files.count)"))
        #expect(metrics.contains("qkdgate_admit_seconds_count \(files.count)"), "\(metrics)")
    }

    @Test func deadLettersAreListedAndReplayed() async throws {
        let work = try Peers.temporaryDirectory("dead-letters")
        defer { try? FileManager.default.removeItem(at: work) }
        let (pacsPort, gatewayPort) = (Peers.freePort(), Peers.freePort())
        let yaml = gatewayYAML(port: gatewayPort, spool: work.appendingPathComponent("spool"),
                               destinations: [("pacs", "PACS", pacsPort)],
                               retry: "{ initialDelay: 0.1, multiplier: 1, maxDelay: 0.1, maxAttempts: 2 }")
        let gateway = try GatewayProcess(configuration: yaml, port: gatewayPort, directory: work)
        defer { gateway.child.stop() }
        try await gateway.ready()
        let config = work.appendingPathComponent("gateway.yaml").path
        let good = Peers.samples.appendingPathComponent("ct_small_s16_explicit.dcm").path
        #expect(try Self.send([good], port: gatewayPort)[good] == "0x0000")
        // The destination is down: two attempts, then a dead letter an operator can see.
        let listed = await eventually(timeout: 20) {
            ((try? Peers.run(Peers.qkdgate, ["queue", "list", "--config", config]).output) ?? "").contains("dead letters: 1")
        }
        #expect(listed)
        let pacs = try StoreSCP(port: pacsPort, aeTitle: "PACS", directory: work.appendingPathComponent("pacs"))
        defer { pacs.stop() }
        try await Peers.waitForPort(pacsPort)
        let retry = try Peers.run(Peers.qkdgate, ["queue", "retry", "--config", config])
        #expect(retry.output.contains("requeued 1"), "\(retry.output)")
        #expect(await eventually(timeout: 20) { Peers.receivedUIDs(in: pacs.directory).count == 1 })
        let after = try Peers.run(Peers.qkdgate, ["queue", "list", "--config", config]).output
        #expect(after.contains("dead letters: 0"), "\(after)")
    }
}
