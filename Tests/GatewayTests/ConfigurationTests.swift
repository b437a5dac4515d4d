import Foundation
import Gateway
import Relay
import Protection
import Testing

@Suite("Gateway configuration, routing and intake")
struct ConfigurationTests {
    static let valid = """
        aeTitle: QKDGATE
        port: 11112
        allowedCallers: [CT01, MR01]
        spool: /var/lib/qkdgate/spool
        workers: 2
        retry: { initialDelay: 0.5, multiplier: 3, maxDelay: 60, maxAttempts: 5 }
        kme: { url: "https://kme-a.example:8443", saeId: gateway-a, peerSaeId: decryptor-b }
        destinations:
          - { name: pacs, aeTitle: ORTHANC, host: 10.0.0.5, port: 4242, associations: 2 }
          - { name: backup, aeTitle: BACKUP, host: 10.0.0.6, port: 104 }
        routes:
          - name: ct
            match: { modality: [CT] }
            profile: qkd-hybrid
            planes: 4
            fallback: aes-ctr
            destinations: [pacs]
          - name: derm
            match: { modality: XC, callingAE: [DERM1] }
            profile: dcgan-vpd
            rule: 37241
            destinations: [pacs, backup]
          - { name: rest, default: true, profile: aes-ctr, nonImage: reject, destinations: [pacs] }
        """

    @Test func parsesEveryKey() throws {
        let config = try GatewayConfiguration.parse(yaml: Self.valid)
        #expect(config.aeTitle == "QKDGATE" && config.port == 11112)
        #expect(config.allowedCallers == ["CT01", "MR01"])
        #expect(config.retry == RetryPolicy(initialDelay: 0.5, multiplier: 3, maxDelay: 60, maxAttempts: 5))
        #expect(config.destinations.map(\.name) == ["pacs", "backup"])
        #expect(config.destinations[0].associations == 2 && config.destinations[1].associations == 1)
        #expect(config.routes.map(\.profile) == [.qkdHybrid(planes: 4), .dcganVPD(rule: 37241)])
        #expect(config.routes[0].fallback == .aesCTR)
        #expect(config.defaultRoute?.profile == .aesCTR && config.defaultRoute?.nonImage == .reject)
        #expect(config.kme?.saeID == "gateway-a")
    }

    /// Each broken document and the key and line its error must name.
    static let broken: [(yaml: String, key: String, line: Int)] = [
        (valid.replacingOccurrences(of: "port: 11112", with: "port: 99999"), "`port`", 2),
        (valid.replacingOccurrences(of: "profile: qkd-hybrid", with: "profile: rot13"), "`routes[0].profile`", 14),
        (valid.replacingOccurrences(of: "destinations: [pacs, backup]", with: "destinations: [pacs, nowhere]"), "`routes[1].destinations`", 22),
        (valid.replacingOccurrences(of: "workers: 2", with: "wrokers: 2"), "`wrokers`", 5),
        (valid.replacingOccurrences(of: "rule: 37241", with: "rule: 50000"), "`routes[1].rule`", 21),
        (valid.replacingOccurrences(of: "fallback: aes-ctr", with: "fallback: plaintext"), "`routes[0].fallback`", 16),
        (valid.replacingOccurrences(of: "aeTitle: QKDGATE", with: "aeTitle: THIS-TITLE-IS-TOO-LONG"), "`aeTitle`", 1),
        (valid.replacingOccurrences(of: "  - { name: backup", with: " - { name: backup"), "(syntax)", 10),
    ]

    @Test(arguments: 0..<broken.count)
    func invalidConfigurationNamesKeyAndLine(_ index: Int) {
        let (yaml, key, line) = Self.broken[index]
        do {
            _ = try GatewayConfiguration.parse(yaml: yaml, file: "gateway.yaml")
            Issue.record("accepted a broken configuration (\(key))")
        } catch {
            #expect(error.description.contains(key), "\(error)")
            #expect(error.line == line, "\(error)")
        }
    }

    static func object(modality: String, sopClass: String = "1.2.840.10008.5.1.4.1.1.2", calling: String = "CT01",
                       syntax: String = TransferSyntaxUID.explicitLittleEndian, pixels: Bool = true,
                       bitsAllocated: Int = 16, bitsStored: Int = 12, path: String = "/nonexistent") -> ReceivedObject
    {
        ReceivedObject(callingAETitle: calling, calledAETitle: "QKDGATE", sopClassUID: sopClass, sopInstanceUID: "1.2.3",
                       transferSyntaxUID: syntax, modality: modality, hasPixelData: pixels,
                       pixelDataEncapsulated: !TransferSyntaxUID.uncompressed.contains(syntax), rows: 8, columns: 8,
                       bitsAllocated: bitsAllocated, bitsStored: bitsStored, samplesPerPixel: 1, numberOfFrames: 1,
                       problem: nil, path: path)
    }

    /// Routing table as data: object → expected decision.
    static let decisions: [(ReceivedObject, IntakeDecision)] = [
        (object(modality: "CT"), .accept(route: "ct", profile: "qkd-hybrid", destinations: ["pacs"])),
        (object(modality: "CT", bitsAllocated: 32, bitsStored: 32), .accept(route: "ct", profile: "aes-ctr", destinations: ["pacs"])),
        (object(modality: "XC", calling: "DERM1", bitsAllocated: 8, bitsStored: 8), .accept(route: "derm", profile: "dcgan-vpd", destinations: ["pacs", "backup"])),
        (object(modality: "XC", calling: "OTHER"), .accept(route: "rest", profile: "aes-ctr", destinations: ["pacs"])),
        (object(modality: "SR", pixels: false), .reject(.cannotUnderstand, reason: "")),
        (object(modality: "CT", syntax: TransferSyntaxUID.jpeg2000Part2Lossless), .reject(.cannotUnderstand, reason: "")),
        // Compressed objects on an encrypting route are decoded at intake: real files decode, a missing one does not.
        (object(modality: "CT", syntax: TransferSyntaxUID.jpeg2000Lossless,
                path: Peers.samples.appendingPathComponent("cr_mono1_10bit_j2k_lossless_13frag.dcm").path),
         .accept(route: "ct", profile: "qkd-hybrid", destinations: ["pacs"])),
        (object(modality: "CT", syntax: TransferSyntaxUID.jpegLosslessSV1,
                path: Peers.repoSamples.appendingPathComponent("ct_phantom_s1_jpeg_lossless.dcm").path),
         .accept(route: "ct", profile: "qkd-hybrid", destinations: ["pacs"])),
        (object(modality: "CT", syntax: TransferSyntaxUID.jpegLosslessSV1), .reject(.cannotUnderstand, reason: "")),
    ]

    @Test(arguments: 0..<decisions.count)
    func intakeFollowsTheRouteTable(_ index: Int) throws {
        let intake = GatewayIntake(configuration: try GatewayConfiguration.parse(yaml: Self.valid))
        let (object, expected) = Self.decisions[index]
        let decision = intake.decide(object)
        switch (decision, expected) {
        case let (.reject(status, reason), .reject(expectedStatus, _)):
            #expect(status == expectedStatus)
            #expect(!reason.isEmpty)
        default:
            #expect(decision == expected)
        }
    }

    @Test func encryptingRouteNeverPassesPlaintextThrough() throws {
        let intake = GatewayIntake(configuration: try GatewayConfiguration.parse(yaml: Self.valid))
        for syntax in TransferSyntaxUID.accepted {
            for bits in [(1, 1), (8, 8), (16, 12), (16, 16), (32, 32)] {
                let decision = intake.decide(Self.object(modality: "CT", syntax: syntax, bitsAllocated: bits.0, bitsStored: bits.1))
                if case let .accept(_, profile, _) = decision { #expect(profile != "pass-through") }
            }
        }
    }
}

@Suite("Deterministic SOP Instance UIDs")
struct InstanceUIDTests {
    @Test func matchesAnIndependentComputation() {
        // Expected value computed with Python's hmac + uuid modules (version-8 UUID, RFC 9562 variant).
        let uid = InstanceUID.derive(from: "1.2.840.113619.2.55.3.604688119.969.1268071029.320", secret: Array(0..<32) as [UInt8])
        #expect(uid == "2.25.284479453544747119092115779669110775074")
    }

    @Test func isStableDistinctAndValid() {
        let secret = [UInt8](repeating: 7, count: 32)
        let a = InstanceUID.derive(from: "1.2.3.4", secret: secret)
        #expect(a == InstanceUID.derive(from: "1.2.3.4", secret: secret))
        #expect(a != InstanceUID.derive(from: "1.2.3.5", secret: secret))
        #expect(a != InstanceUID.derive(from: "1.2.3.4", secret: [UInt8](repeating: 8, count: 32)))
        #expect(a.count <= 64 && a.hasPrefix("2.25.") && a.dropFirst(5).allSatisfy(\.isNumber))
    }

    @Test func secretIsCreatedOnceWithMode0600() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try GatewaySecret.loadOrCreate(spoolDirectory: directory.path)
        let second = try GatewaySecret.loadOrCreate(spoolDirectory: directory.path)
        #expect(first == second && first.count == 32)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent("gateway.secret").path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }
}
