import Foundation
import Testing

/// storescu → gateway → storescp, with the route → profile table as data. Every object storescu can send
/// straight to storescp must arrive through the gateway too, with the same SOP Instance UID and, for
/// pass-through, the same dataset bytes as the direct copy.
@Suite("Gateway end to end: storescu → qkdgate → storescp", .serialized)
struct PassThroughEndToEndTests {
    enum Expectation: Sendable { case datasetIdentical }

    struct RouteCase: Sendable, CustomTestStringConvertible {
        var name: String
        var routes: String
        var expectation: Expectation
        var testDescription: String { name }
    }

    /// Encryption profiles join this table when their transforms land (expectation: encrypted, decryptable).
    static let cases: [RouteCase] = [
        RouteCase(name: "pass-through (default route)", routes: """
            routes:
              - { name: everything, default: true, profile: pass-through, destinations: [pacs] }

            """, expectation: .datasetIdentical),
        RouteCase(name: "pass-through by modality match", routes: """
            routes:
              - { name: ct-mr, match: { modality: [CT, MR] }, profile: pass-through, destinations: [pacs] }
              - { name: rest, default: true, profile: pass-through, destinations: [pacs] }

            """, expectation: .datasetIdentical),
    ]

    @Test(arguments: cases)
    func everySampleArrives(_ routeCase: RouteCase) async throws {
        let work = try Peers.temporaryDirectory("e2e")
        defer { try? FileManager.default.removeItem(at: work) }
        let (directPort, pacsPort, gatewayPort) = (Peers.freePort(), Peers.freePort(), Peers.freePort())
        let direct = try StoreSCP(port: directPort, aeTitle: "PACS", directory: work.appendingPathComponent("direct"))
        let pacs = try StoreSCP(port: pacsPort, aeTitle: "PACS", directory: work.appendingPathComponent("via-gateway"))
        defer { direct.stop(); pacs.stop() }
        let gateway = try GatewayProcess(
            configuration: gatewayYAML(port: gatewayPort, spool: work.appendingPathComponent("spool"),
                                       destinations: [("pacs", "PACS", pacsPort)], routes: routeCase.routes,
                                       extra: "retentionSeconds: -1\n"),
            port: gatewayPort, directory: work)
        defer { gateway.child.stop() }
        try await Peers.waitForPort(directPort)
        try await Peers.waitForPort(pacsPort)
        try await gateway.ready()

        let samples = try FileManager.default.contentsOfDirectory(atPath: Peers.samples.path)
            .filter { !$0.hasSuffix(".md") && !$0.hasSuffix(".csv") }.sorted()
            .map { Peers.samples.appendingPathComponent($0).path }
        try Peers.run("/usr/bin/storescu", ["-nh", "-aec", "PACS", "127.0.0.1", String(directPort)] + samples)
        let sent = try Peers.run("/usr/bin/storescu", ["-nh", "-aet", "STORESCU", "-aec", "QKDGATE", "127.0.0.1", String(gatewayPort)] + samples)

        let expected = Peers.receivedUIDs(in: direct.directory)
        #expect(expected.count >= 10, "storescu should deliver most samples directly; got \(expected.count)")
        let arrived = await eventually(timeout: 60) { Peers.receivedUIDs(in: pacs.directory).count >= expected.count }
        let received = Peers.receivedUIDs(in: pacs.directory)
        #expect(arrived, "only \(received.count) of \(expected.count) arrived; storescu said: \(sent.output.suffix(2000))\ngateway log: \(gateway.child.log.suffix(3000))")
        #expect(Set(received.keys) == Set(expected.keys))

        // What the gateway received (kept: retentionSeconds -1; pass-through objects are sent from their
        // received file) against what the PACS stored.
        var compared = 0
        for file in Peers.spooledObjectFiles(work.appendingPathComponent("spool")) {
            let name = file.lastPathComponent
            let uid = try Peers.sopInstanceUID(file.path)
            let forwarded = try #require(received[uid]?.first, "spooled object \(name) never reached the PACS")
            switch routeCase.expectation {
            case .datasetIdentical:
                #expect(try Peers.datasetBytes(forwarded) == Peers.datasetBytes(file),
                        "dataset of \(forwarded.lastPathComponent) changed on its way through the gateway")
            }
            compared += 1
        }
        #expect(compared == expected.count)
    }
}
