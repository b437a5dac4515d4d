import DICOM
import Foundation
import Protection
import Testing

/// storescu → qkdgate (encrypting per route, keys from the embedded KME) → storescp, then every object the
/// PACS stored is restored with `qkdgate decrypt` using the decryptor SAE's keys and compared with the original.
@Suite("Gateway end to end with encryption and the KME", .serialized)
struct EncryptedEndToEndTests {
    /// Route table as data: CT → qkd-hybrid, XC → dcgan-vpd, MR → aes-ctr, everything else → pass-through.
    static let routes = """
        routes:
          - { name: ct, match: { modality: [CT] }, profile: qkd-hybrid, planes: 4, fallback: aes-ctr, destinations: [pacs] }
          - { name: derm, match: { modality: [XC] }, profile: dcgan-vpd, rule: 37241, fallback: aes-ctr, destinations: [pacs] }
          - { name: mr, match: { modality: [MR] }, profile: aes-ctr, destinations: [pacs] }
          - { name: rest, default: true, profile: pass-through, destinations: [pacs] }

        """
    static let expectedProfile = ["CT": "qkd-hybrid", "XC": "dcgan-vpd", "MR": "aes-ctr"]

    @Test func everyObjectArrivesEncryptedPerRouteAndRestoresExactly() async throws {
        let work = try Peers.temporaryDirectory("enc-e2e")
        defer { try? FileManager.default.removeItem(at: work) }

        // KME: both link ends in one process, on free ports.
        let pki = work.appendingPathComponent("pki")
        let made = try Peers.run(Peers.qkdgate, ["kme", "init-pki", "--out", pki.path, "--port-a", "0", "--port-b", "0"])
        try #require(made.status == 0, "\(made.output)")
        let kme = try Child(Peers.qkdgate, ["kme", "--config", pki.appendingPathComponent("kme.yaml").path],
                            log: work.appendingPathComponent("kme.log"))
        defer { kme.stop() }
        let up = await eventually(timeout: 120) { kme.log.contains("KME ready") }
        try #require(up, "KME did not start: \(kme.log.suffix(2000))")
        let readyLine = try #require(kme.log.split(separator: "\n").first { $0.contains("KME ready") })
        let urls = readyLine.split(separator: " ").filter { $0.hasPrefix("https://") }.map(String.init)
        try #require(urls.count >= 2)

        let (pacsPort, gatewayPort) = (Peers.freePort(), Peers.freePort())
        let pacs = try StoreSCP(port: pacsPort, aeTitle: "PACS", directory: work.appendingPathComponent("pacs"))
        defer { pacs.stop() }
        let kmeSection = """
            kme:
              url: \(urls[0])
              saeId: gateway
              peerSaeId: decryptor
              certificate: \(pki.path)/gateway.crt
              privateKey: \(pki.path)/gateway.key
              caCertificate: \(pki.path)/ca.crt

            """
        let gateway = try GatewayProcess(
            configuration: gatewayYAML(port: gatewayPort, spool: work.appendingPathComponent("spool"),
                                       destinations: [("pacs", "PACS", pacsPort)], routes: Self.routes, extra: kmeSection),
            port: gatewayPort, directory: work)
        defer { gateway.child.stop() }
        try await Peers.waitForPort(pacsPort)
        try await gateway.ready()

        let names = ["ct_phantom_s1.dcm", "ct_phantom_s1_jpeg_lossless.dcm", "xc_skin_rgb.dcm", "mr_head_s1.dcm",
                     "us_rgb_cine_8frames.dcm"]
        let inputs = names.map { Peers.repoSamples.appendingPathComponent($0) }
            + ["rtdose_32bit_15frame_implicit.dcm", "sr_no_pixels.dcm", "ct_small_s16_explicit.dcm"].map { Peers.samples.appendingPathComponent($0) }
        // storescu proposes a compressed file's own syntax only when told (-xs: JPEG Lossless SV1), as a
        // modality would; the other files go uncompressed.
        let compressed = inputs.filter { $0.lastPathComponent.contains("jpeg_lossless") }
        let plain = inputs.filter { !$0.lastPathComponent.contains("jpeg_lossless") }
        let sent = try Peers.run("/usr/bin/storescu", ["-nh", "-aet", "STORESCU", "-aec", "QKDGATE", "127.0.0.1", String(gatewayPort)] + plain.map(\.path))
        #expect(sent.status == 0, "\(sent.output.suffix(2000))")
        let sentCompressed = try Peers.run("/usr/bin/storescu", ["-nh", "-xs", "-aet", "STORESCU", "-aec", "QKDGATE", "127.0.0.1", String(gatewayPort)] + compressed.map(\.path))
        #expect(sentCompressed.status == 0, "\(sentCompressed.output.suffix(2000))")
        let arrived = await eventually(timeout: 180) { Peers.receivedUIDs(in: pacs.directory).count >= inputs.count }
        #expect(arrived, "only \(Peers.receivedUIDs(in: pacs.directory).count) of \(inputs.count) arrived; gateway log: \(gateway.child.log.suffix(3000))")

        // Each stored object: encrypted per its route (never plaintext on an encrypting route), valid DICOM.
        let stored = Peers.receivedUIDs(in: pacs.directory).values.compactMap(\.first)
        var encrypted = 0
        for file in stored {
            let object = try DicomObject(contentsOf: file)
            let modality = object.string(.modality) ?? ""
            if let profile = Self.expectedProfile[modality] {
                let (block, _) = try ObjectProtector.read(from: object)
                let bits = object.integer(.bitsStored) ?? 0
                #expect(block.profile == profile || (bits > 16 && block.profile == "aes-ctr"), "\(modality) got \(block.profile)")
                #expect(block.keySource == "qkd")
                encrypted += 1
            } else if modality != "SR" && modality != "RTDOSE" {
                #expect(!ObjectProtector.isProtected(object), "\(modality) should pass through")
            }
        }
        #expect(encrypted >= 5)

        // The decryptor SAE restores them with the same QKD keys from site B; each restore verifies the MAC and
        // the SHA-256 of the original pixel data, and here we compare with the files storescu sent as well.
        let restoredDir = work.appendingPathComponent("restored")
        let dec = try Peers.run(Peers.qkdgate, ["decrypt", "--kme", urls[1], "--cert", "\(pki.path)/decryptor.crt",
                                                "--key", "\(pki.path)/decryptor.key", "--ca", "\(pki.path)/ca.crt",
                                                pacs.directory.path, restoredDir.path])
        #expect(dec.status == 0, "\(dec.output.suffix(3000))")
        var originals: [String: URL] = [:]
        for url in inputs { if let uid = try? Peers.sopInstanceUID(url.path) { originals[uid] = url } }
        var compared = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: restoredDir.path) {
            let restored = try DicomObject(contentsOf: restoredDir.appendingPathComponent(name))
            guard restored.hasPixelData, let uid = restored.string(.sopInstanceUID), let source = originals[uid] else { continue }
            let original = try DicomObject(contentsOf: source)
            #expect(try original.withNativePixelBytes { Array($0) } == restored.withNativePixelBytes { Array($0) }, "\(source.lastPathComponent)")
            compared += 1
        }
        #expect(compared == inputs.count - 1, "every image object restored (the SR has no pixels)")
    }
}
