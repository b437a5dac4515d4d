import DICOM
import Foundation
import Testing

/// storescu → gateway (encrypting per route, keys from the embedded KME) → Orthanc (Debian's `orthanc`),
/// checked through Orthanc's REST API with curl: every instance listed, the qkdgate private block of each
/// encrypted instance present with the bytes the gateway sent, other private tags as they were.
@Suite("Gateway end to end: Orthanc as the remote PACS", .serialized)
struct OrthancEndToEndTests {
    /// Private elements (odd groups) as dcmdump prints them, for comparing what a PACS kept.
    static func privateElements(_ path: String) throws -> [String] {
        let dump = try Peers.run("/usr/bin/dcmdump", ["-q", "+L", path]).output
        return dump.split(separator: "\n").map(String.init).filter { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("("), trimmed.count > 5, let digit = trimmed.dropFirst(4).first?.hexDigitValue else { return false }
            return digit % 2 == 1
        }.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    static func curl(_ arguments: [String]) throws -> String {
        try Peers.run("/usr/bin/curl", ["-s", "--max-time", "10"] + arguments).output
    }

    @Test func instancesArriveWithPrivateTagsIntact() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/Orthanc") else {
            Issue.record("Orthanc is not installed (apt-get install orthanc)")
            return
        }
        let work = try Peers.temporaryDirectory("orthanc")
        defer { try? FileManager.default.removeItem(at: work) }
        let (dicomPort, httpPort, gatewayPort) = (Peers.freePort(), Peers.freePort(), Peers.freePort())
        let config = work.appendingPathComponent("orthanc.json")
        try """
            {
              "Name": "qkdgate-test", "StorageDirectory": "\(work.path)/storage", "IndexDirectory": "\(work.path)/index",
              "DicomAet": "ORTHANC", "DicomPort": \(dicomPort), "HttpPort": \(httpPort), "HttpBind": "127.0.0.1",
              "RemoteAccessAllowed": false, "AuthenticationEnabled": false, "DicomCheckCalledAet": true,
              "UnknownSopClassAccepted": true, "DicomAlwaysAllowStore": true, "Plugins": [], "StableAge": 1
            }
            """.write(to: config, atomically: true, encoding: .utf8)
        let orthanc = try Child("/usr/sbin/Orthanc", [config.path], log: work.appendingPathComponent("orthanc.log"))
        defer { orthanc.stop() }
        let kme = try await KMEProcess(work: work)
        defer { kme.stop() }
        let spool = work.appendingPathComponent("spool")
        let routes = """
            routes:
              - { name: ct, match: { modality: [CT] }, profile: qkd-hybrid, fallback: aes-ctr, destinations: [orthanc] }
              - { name: derm, match: { modality: [XC] }, profile: dcgan-vpd, fallback: aes-ctr, destinations: [orthanc] }
              - { name: rest, default: true, profile: pass-through, destinations: [orthanc] }

            """
        let gateway = try GatewayProcess(
            configuration: gatewayYAML(port: gatewayPort, spool: spool, destinations: [("orthanc", "ORTHANC", dicomPort)],
                                       routes: routes, extra: kme.gatewaySection + "retentionSeconds: -1\n"),
            port: gatewayPort, directory: work)
        defer { gateway.child.stop() }
        try await Peers.waitForPort(httpPort)
        try await Peers.waitForPort(dicomPort)
        try await gateway.ready()

        let names = ["mr_siemens_prisma_private_tags.dcm", "ct_small_s16_explicit.dcm", "ct_512_s16_implicit.dcm",
                     "sr_no_pixels.dcm", "rtdose_32bit_15frame_implicit.dcm"]
        let files = names.map { Peers.samples.appendingPathComponent($0).path }
            + ["xc_skin_rgb.dcm", "ct_phantom_s2.dcm"].map { Peers.repoSamples.appendingPathComponent($0).path }
        let sent = try Peers.run("/usr/bin/storescu", ["-nh", "-aet", "STORESCU", "-aec", "QKDGATE", "127.0.0.1", String(gatewayPort)] + files)
        #expect(sent.status == 0, "\(sent.output)")

        var instances: [String] = []
        let arrived = await eventually(timeout: 60) {
            let text = (try? Self.curl(["http://127.0.0.1:\(httpPort)/instances"])) ?? "[]"
            instances = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String]) ?? []
            return instances.count == files.count
        }
        #expect(arrived, "Orthanc lists \(instances.count) of \(files.count) instances; gateway log: \(gateway.child.log.suffix(2000))")

        // The Siemens object: every private element (CSA headers included) must come back as it was sent.
        let original = files[0]
        let uid = try Peers.run("/usr/bin/dcmdump", ["-q", "+P", "0008,0018", original]).output
            .components(separatedBy: "[").dropFirst().first?.components(separatedBy: "]").first ?? ""
        #expect(!uid.isEmpty)
        let found = try Self.curl(["-X", "POST", "http://127.0.0.1:\(httpPort)/tools/find",
                                   "-d", "{\"Level\":\"Instance\",\"Query\":{\"SOPInstanceUID\":\"\(uid)\"}}"])
        let ids = (try? JSONSerialization.jsonObject(with: Data(found.utf8)) as? [String]) ?? []
        let id = try #require(ids.first, "Orthanc does not know SOP Instance \(uid): \(found)")
        let copy = work.appendingPathComponent("from-orthanc.dcm").path
        try Peers.run("/usr/bin/curl", ["-s", "-o", copy, "http://127.0.0.1:\(httpPort)/instances/\(id)/file"])
        let sentPrivate = try Self.privateElements(original)
        #expect(sentPrivate.count >= 30)
        #expect(try Self.privateElements(copy) == sentPrivate)

        // Each encrypted object the gateway sent (its outbox, kept): the private creator and elements 0x10–0x1A
        // of the block, fetched one by one from Orthanc, are byte for byte what the gateway sent.
        let outbox = spool.appendingPathComponent("outbox")
        var encrypted = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: outbox.path) {
            let sentPath = outbox.appendingPathComponent(name).path
            guard let block = try Dump.protectionBlock(sentPath) else { continue }
            let sentObject = try DicomObject(contentsOf: URL(fileURLWithPath: sentPath))
            let sentUID = try Peers.sopInstanceUID(sentPath)
            let answer = try Self.curl(["-X", "POST", "http://127.0.0.1:\(httpPort)/tools/find",
                                        "-d", "{\"Level\":\"Instance\",\"Query\":{\"SOPInstanceUID\":\"\(sentUID)\"}}"])
            let orthancID = try #require(((try? JSONSerialization.jsonObject(with: Data(answer.utf8))) as? [String])?.first,
                                         "Orthanc does not list the encrypted instance \(sentUID): \(answer)")
            let group = try #require(UInt16(block.group, radix: 16))
            let slot = try #require(UInt16(block.slot, radix: 16))
            let tags = [Tag(group, slot)] + (0x10...0x1A).map { Tag(group, slot << 8 | UInt16($0)) }
            for tag in tags {
                let sent = try #require(sentObject.rawValue(tag), "the gateway sent no \(tag)").bytes
                let hex = String(format: "%04x-%04x", tag.group, tag.element)
                let valueFile = work.appendingPathComponent("value-\(hex)")
                try? FileManager.default.removeItem(at: valueFile)
                let fetched = try Peers.run("/usr/bin/curl", ["-s", "--max-time", "10", "-f", "-o", valueFile.path,
                                                              "http://127.0.0.1:\(httpPort)/instances/\(orthancID)/content/\(hex)"])
                #expect(fetched.status == 0, "Orthanc has no \(tag) in \(name)")
                let stored = [UInt8]((try? Data(contentsOf: valueFile)) ?? Data())
                #expect(stored == sent || Self.trimmed(stored) == Self.trimmed(sent),
                        "\(tag) of \(name) differs at Orthanc")
            }
            encrypted += 1
        }
        #expect(encrypted == 4, "the two CT samples, the phantom CT and the XC photo are encrypted")
    }

    /// Text values may come back without their even-length padding (space or NUL).
    static func trimmed(_ bytes: [UInt8]) -> [UInt8] {
        var result = bytes
        while let last = result.last, last == 0x20 || last == 0 { result.removeLast() }
        return result
    }
}
