import DICOM
import Decryptor
import Demo
import Foundation
import Gateway
import Relay
import Testing

@Suite("Decryptor configuration and folder delivery")
struct DecryptorNodeTests {
    static let valid = """
        aeTitle: QKDDECRYPT
        port: 11113
        allowedCallers: [ORTHANC]
        spool: /var/lib/qkdgate/decryptor
        kme:
          url: https://kme-b.example:8443
          saeId: decryptor-b
          peerSaeId: gateway-a
          certificate: /etc/qkdgate/tls/decryptor-b.crt
          privateKey: /etc/qkdgate/tls/decryptor-b.key
          caCertificate: /etc/qkdgate/tls/kme-ca.crt
        unencrypted: reject
        outputSyntax: explicit
        destinations:
          - { name: viewer, aeTitle: VIEWER, host: 10.1.0.7, port: 104 }
          - { name: reading-room, directory: /srv/restored }
        """

    @Test func parsesEveryKey() throws {
        let config = try DecryptorConfiguration.parse(yaml: Self.valid)
        #expect(config.aeTitle == "QKDDECRYPT" && config.port == 11113 && config.allowedCallers == ["ORTHANC"])
        #expect(config.kme.peerSAEID == "gateway-a" && config.kme.url == "https://kme-b.example:8443")
        #expect(config.unencrypted == .reject && config.outputSyntax == .explicit)
        #expect(config.destinations.map(\.name) == ["viewer", "reading-room"])
        #expect(config.destinations[0].directory == nil && config.destinations[1].directory == "/srv/restored")
        #expect(config.keyRetentionDays == 30)
    }

    /// Each broken document and the key and line its error must name.
    static let broken: [(yaml: String, key: String, line: Int)] = [
        (valid.replacingOccurrences(of: "unencrypted: reject", with: "unencrypted: maybe"), "`unencrypted`", 12),
        (valid.replacingOccurrences(of: "outputSyntax: explicit", with: "outputSyntax: jpeg"), "`outputSyntax`", 13),
        (valid.replacingOccurrences(of: "  url: https://kme-b.example:8443", with: "  url: kme-b"), "`kme.url`", 6),
        (valid.replacingOccurrences(of: "directory: /srv/restored", with: "directory: /srv/restored, port: 104"), "`destinations[1].port`", 16),
        (valid.replacingOccurrences(of: "  certificate: /etc/qkdgate/tls/decryptor-b.crt\n", with: ""), "`kme`", 6),
    ]

    @Test(arguments: 0..<broken.count)
    func brokenConfigurationNamesKeyAndLine(_ index: Int) {
        let (yaml, key, line) = Self.broken[index]
        #expect {
            _ = try DecryptorConfiguration.parse(yaml: yaml, file: "decryptor.yaml")
        } throws: { error in
            let text = "\(error)"
            return text.contains(key) && text.hasPrefix("decryptor.yaml:\(line):")
        }
    }

    @Test func folderDestinationWritesStudySeriesInstanceLayout() throws {
        let root = try Peers.temporaryDirectory("folder")
        defer { try? FileManager.default.removeItem(at: root) }
        let source = Peers.repoSamples.appendingPathComponent("ct_phantom_s1.dcm")
        let object = try DicomObject(contentsOf: source)
        let (study, series, instance) = (object.string(.studyInstanceUID) ?? "", object.string(.seriesInstanceUID) ?? "",
                                         object.string(.sopInstanceUID) ?? "")
        let writer = FolderWriter(root: root.appendingPathComponent("out"))
        let relative = try writer.deliver(file: source, sopInstanceUID: instance)
        #expect(relative == "\(study)/\(series)/\(instance).dcm")
        let written = root.appendingPathComponent("out").appendingPathComponent(relative)
        #expect(try Data(contentsOf: written) == Data(contentsOf: source))
        // Again (a retry after a crash): the same file, no leftovers.
        _ = try writer.deliver(file: source, sopInstanceUID: instance)
        let files = try FileManager.default.contentsOfDirectory(atPath: written.deletingLastPathComponent().path)
        #expect(files == ["\(instance).dcm"])

        // A UID that is not a UID never becomes a path.
        let hostile = try DicomObject(contentsOf: source)
        try hostile.setString("../../etc", for: .seriesInstanceUID)
        let hostileFile = root.appendingPathComponent("hostile.dcm")
        try hostile.write(to: hostileFile, transferSyntax: .explicitVRLittleEndian)
        #expect(throws: SendFailure.self) { _ = try writer.deliver(file: hostileFile, sopInstanceUID: instance) }
    }

    /// `qkdgate demo` with DCMTK storescp as the PACS (the Orthanc path runs in CI through scripts/test.sh):
    /// exit 0, and the JSON lists every synthetic sample as restored bit for bit.
    @Test func demoWithStorescpRestoresEverySample() throws {
        let work = try Peers.temporaryDirectory("demo")
        defer { try? FileManager.default.removeItem(at: work) }
        let json = work.appendingPathComponent("demo.json")
        let result = try Peers.run(Peers.qkdgate, ["demo", "--samples", Peers.repoSamples.path, "--storescp",
                                                   "--json", json.path, "--timeout", "300"])
        #expect(result.status == 0, "\(result.output.suffix(3000))")
        let report = try JSONDecoder().decode(DemoReport.self, from: Data(contentsOf: json))
        let images = try FileManager.default.contentsOfDirectory(atPath: Peers.repoSamples.path).filter { $0.hasSuffix(".dcm") }
        #expect(report.rows.count == images.count)
        #expect(report.rows.allSatisfy { $0.outcome == .restored && $0.encrypted == true && $0.restoredBitExact == true })
        #expect(report.passed)
    }
}
