import DICOM
import Foundation
import Protection
import Relay
import Testing

/// The whole chain with real peers and the two-process KME link:
/// storescu → gateway (keys from KME site A) → Orthanc → (REST `/modalities/decryptor/store`) → decryptor (keys
/// from KME site B, another process) → storescp as the viewer. Then the restored objects are compared with the
/// originals attribute by attribute, and crafted objects (tampered pixels, unknown key_ID) go to quarantine.
@Suite("Decryptor end to end through Orthanc, two KME processes", .serialized)
struct DecryptorEndToEndTests {
    static let routes = """
        routes:
          - { name: radiology, match: { modality: [CT, MR, CR, DX, NM] }, profile: qkd-hybrid, planes: 4, fallback: aes-ctr, destinations: [pacs] }
          - { name: derm, match: { modality: [XC] }, profile: dcgan-vpd, rule: 37241, fallback: aes-ctr, destinations: [pacs] }
          - { name: rest, default: true, profile: aes-ctr, nonImage: forward, destinations: [pacs] }

        """

    /// storescu must be told which compressed syntax to propose for a compressed file (it cannot convert from it).
    static func storescuSyntaxFlag(_ uid: String) -> [String] {
        switch uid {
        case "1.2.840.10008.1.2.4.50": ["-xy"]
        case "1.2.840.10008.1.2.4.51": ["-xx"]
        case "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70": ["-xs"]
        case "1.2.840.10008.1.2.4.80": ["-xt"]
        case "1.2.840.10008.1.2.4.81": ["-xu"]
        case "1.2.840.10008.1.2.4.90": ["-xv"]
        case "1.2.840.10008.1.2.4.91": ["-xw"]
        case "1.2.840.10008.1.2.5": ["-xr"]
        case "1.2.840.10008.1.2.1.99": ["-xd"]
        case "1.2.840.10008.1.2.2": ["-xb"]
        default: []
        }
    }

    @Test func everySampleIsRestoredExactlyAndBadObjectsAreQuarantined() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/Orthanc") else {
            Issue.record("Orthanc is not installed (apt-get install orthanc)")
            return
        }
        let work = try Peers.temporaryDirectory("decryptor-e2e")
        defer { if ProcessInfo.processInfo.environment["QKDGATE_KEEP_TEST_FILES"] == nil { try? FileManager.default.removeItem(at: work) } }

        // KME: site A and site B as two processes on fixed free ports (B fetches delivered keys from A over mTLS).
        let (portA, portB) = (Peers.freePort(), Peers.freePort())
        let pki = work.appendingPathComponent("pki")
        let made = try Peers.run(Peers.qkdgate, ["kme", "init-pki", "--out", pki.path, "--port-a", "\(portA)", "--port-b", "\(portB)"])
        try #require(made.status == 0, "\(made.output)")
        let embedded = try String(contentsOf: pki.appendingPathComponent("kme.yaml"), encoding: .utf8)
        for site in ["a", "b"] {
            try embedded.replacingOccurrences(of: "mode: embedded", with: "mode: site-\(site)")
                .replacingOccurrences(of: "directory: kme-data", with: "directory: kme-data-\(site)")
                .write(to: pki.appendingPathComponent("kme-\(site).yaml"), atomically: true, encoding: .utf8)
        }
        func startKME(_ site: String) throws -> Child {
            try Child(Peers.qkdgate, ["kme", "--config", pki.appendingPathComponent("kme-\(site).yaml").path],
                      log: work.appendingPathComponent("kme-\(site)-\(UUID().uuidString.prefix(4)).log"))
        }
        let kmeA = try startKME("a")
        defer { kmeA.stop() }
        var kmeB = try startKME("b")
        defer { kmeB.stop() }
        try await Peers.waitForPort(portA, timeout: 120)
        try await Peers.waitForPort(portB, timeout: 120)

        // Viewer, decryptor, Orthanc, gateway.
        let (viewerPort, decryptorPort, orthancDicom, orthancHTTP, gatewayPort) =
            (Peers.freePort(), Peers.freePort(), Peers.freePort(), Peers.freePort(), Peers.freePort())
        let viewer = try StoreSCP(port: viewerPort, aeTitle: "VIEWER", directory: work.appendingPathComponent("viewer"))
        defer { viewer.stop() }
        let decryptorSpool = work.appendingPathComponent("decryptor-spool")
        let decryptorConfig = work.appendingPathComponent("decryptor.yaml")
        try """
            aeTitle: QKDDECRYPT
            port: \(decryptorPort)
            spool: \(decryptorSpool.path)
            retry: { initialDelay: 0.2, multiplier: 2, maxDelay: 1, maxAttempts: 0 }
            kme:
              url: https://127.0.0.1:\(portB)
              saeId: decryptor
              peerSaeId: gateway
              certificate: \(pki.path)/decryptor.crt
              privateKey: \(pki.path)/decryptor.key
              caCertificate: \(pki.path)/ca.crt
            destinations:
              - { name: viewer, aeTitle: VIEWER, host: 127.0.0.1, port: \(viewerPort) }
              - { name: archive, directory: \(work.path)/archive }

            """.write(to: decryptorConfig, atomically: true, encoding: .utf8)
        let decryptor = try Child(Peers.qkdgate, ["decryptor", "--config", decryptorConfig.path],
                                  log: work.appendingPathComponent("decryptor.log"))
        defer { decryptor.stop() }
        let orthancConfig = work.appendingPathComponent("orthanc.json")
        try """
            {
              "Name": "qkdgate-test", "StorageDirectory": "\(work.path)/orthanc/storage", "IndexDirectory": "\(work.path)/orthanc/index",
              "DicomAet": "ORTHANC", "DicomPort": \(orthancDicom), "HttpPort": \(orthancHTTP), "HttpBind": "127.0.0.1",
              "RemoteAccessAllowed": false, "AuthenticationEnabled": false, "DicomCheckCalledAet": true,
              "UnknownSopClassAccepted": true, "DicomAlwaysAllowStore": true, "Plugins": [],
              "DicomModalities": { "decryptor": ["QKDDECRYPT", "127.0.0.1", \(decryptorPort)] }
            }
            """.write(to: orthancConfig, atomically: true, encoding: .utf8)
        let orthanc = try Child("/usr/sbin/Orthanc", [orthancConfig.path], log: work.appendingPathComponent("orthanc.log"))
        defer { orthanc.stop() }
        let kmeSection = """
            kme:
              url: https://127.0.0.1:\(portA)
              saeId: gateway
              peerSaeId: decryptor
              certificate: \(pki.path)/gateway.crt
              privateKey: \(pki.path)/gateway.key
              caCertificate: \(pki.path)/ca.crt

            """
        let gateway = try GatewayProcess(
            configuration: gatewayYAML(port: gatewayPort, spool: work.appendingPathComponent("gateway-spool"),
                                       destinations: [("pacs", "ORTHANC", orthancDicom)], routes: Self.routes, extra: kmeSection),
            port: gatewayPort, directory: work)
        defer { gateway.child.stop() }
        for port in [viewerPort, decryptorPort, orthancDicom, orthancHTTP] { try await Peers.waitForPort(port, timeout: 60) }
        try await gateway.ready()

        // Every sample of both folders that parses (the truncated one cannot be sent by any SCU).
        // Orthanc answers 0xA700 to instances without PatientID, StudyInstanceUID or SeriesInstanceUID (the gateway
        // then keeps retrying, as it must for that status); those are sent but not expected in the PACS.
        var originals: [(url: URL, uid: String, syntax: String, identified: Bool)] = []
        for folder in [Peers.repoSamples, Peers.samples] {
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() {
                let url = folder.appendingPathComponent(name)
                guard let object = try? DicomObject(contentsOf: url), let uid = object.string(.sopInstanceUID) else { continue }
                let identified = [DICOM.Tag.patientID, .studyInstanceUID, .seriesInstanceUID].allSatisfy { !(object.string($0) ?? "").isEmpty }
                originals.append((url, uid, object.transferSyntax.uid, identified))
            }
        }
        #expect(originals.count >= 45, "both sample folders must be there (found \(originals.count) objects)")
        for (syntax, group) in Dictionary(grouping: originals, by: \.syntax) {
            let sent = try Peers.run("/usr/bin/storescu", ["-nh", "-R"] + Self.storescuSyntaxFlag(syntax)
                                     + ["-aet", "MODALITY", "-aec", "QKDGATE", "127.0.0.1", String(gatewayPort)] + group.map(\.url.path))
            #expect(sent.status == 0, "storescu (\(syntax)): \(sent.output.suffix(1500))")
        }
        let distinct = Set(originals.filter(\.identified).map(\.uid)).count
        // The gateway's queue says when it is done: every object processed, every delivery answered at least once,
        // nothing waiting except what Orthanc refuses (at most the unidentified ones).
        let gatewayQueue = try RelayQueue(path: work.appendingPathComponent("gateway-spool/queue.sqlite").path)
        let unidentified = originals.filter { !$0.identified }.count
        let delivered = await eventually(timeout: 400, every: .milliseconds(500)) {
            guard let counts = try? gatewayQueue.counts() else { return false }
            let total = counts.objectsByState.values.reduce(0, +)
            let busy = (counts.objectsByState["received"] ?? 0) + (counts.objectsByState["processing"] ?? 0)
            return total >= originals.count && busy == 0 && counts.untried == 0
                && counts.pendingByDestination.values.reduce(0, +) <= unidentified
        }
        try #require(delivered, "gateway queue: \(String(describing: try? gatewayQueue.counts())); log: \(gateway.child.log.suffix(2000))")
        var ids: [String] = []
        let stored = await eventually(timeout: 60, every: .milliseconds(500)) {
            let listing = (try? Peers.run("/usr/bin/curl", ["-s", "http://127.0.0.1:\(orthancHTTP)/instances"]).output) ?? ""
            ids = (try? JSONSerialization.jsonObject(with: Data(listing.utf8)) as? [String]) ?? []
            return ids.count >= distinct
        }
        try #require(stored, "Orthanc holds \(ids.count) of \(distinct); gateway log: \(gateway.child.log.suffix(2000))")

        // KME site B is down when Orthanc pushes: the decryptor accepts (durably) and keeps retrying.
        kmeB.stop()
        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["Resources": ids, "Synchronous": true]), as: UTF8.self)
        let push = try Peers.run("/usr/bin/curl", ["-s", "-f", "-X", "POST", "-d", body,
                                                   "http://127.0.0.1:\(orthancHTTP)/modalities/decryptor/store"])
        #expect(push.status == 0, "Orthanc store to the decryptor: \(push.output.suffix(1000))")
        let deferred = await eventually(timeout: 30) { decryptor.log.contains("processing deferred") }
        #expect(deferred, "the decryptor should wait for its KME: \(decryptor.log.suffix(2000))")
        let restoredWhileDown = try viewerObjects(viewer.directory).values.filter { $0.hasPixelData }.count
        #expect(restoredWhileDown == 0, "nothing is restored while the KME is down")
        kmeB = try startKME("b")
        try await Peers.waitForPort(portB, timeout: 120)

        let expected = Set(originals.filter(\.identified).map(\.uid))
        let arrived = await eventually(timeout: 300, every: .milliseconds(500)) {
            expected.isSubset(of: Set(((try? viewerObjects(viewer.directory)) ?? [:]).keys))
        }
        #expect(arrived, "viewer got \((try? viewerObjects(viewer.directory).count) ?? 0) of \(distinct); decryptor log: \(decryptor.log.suffix(3000))")

        // Attribute by attribute, and decoded pixel data, against the originals.
        let restored = try viewerObjects(viewer.directory)
        var checkedImages = 0
        for original in originals {
            let duplicates = originals.filter { $0.uid == original.uid }.count
            guard duplicates == 1 else { continue }   // two samples share one UID: a PACS keeps one of them
            guard let copy = restored[original.uid] else {
                if !original.identified { continue }   // Orthanc refused it
                Issue.record("\(original.url.lastPathComponent) did not reach the viewer; decryptor quarantine: \(reasons(in: decryptorSpool.appendingPathComponent("quarantine")).joined(separator: " | ")); gateway quarantine: \(reasons(in: work.appendingPathComponent("gateway-spool/quarantine")).joined(separator: " | "))")
                continue
            }
            let source = try DicomObject(contentsOf: original.url)
            #expect(!ObjectProtector.isProtected(copy), "\(original.url.lastPathComponent): private block left in")
            if source.hasPixelData {
                _ = try source.decodeToNative()
                _ = try copy.decodeToNative()
                #expect(try source.withNativePixelBytes { Array($0) } == copy.withNativePixelBytes { Array($0) },
                        "\(original.url.lastPathComponent): pixel data differs")
                checkedImages += 1
            }
            let (want, got) = (attributeMap(source), attributeMap(copy))
            for (tag, value) in want where got[tag] != value {
                Issue.record("\(original.url.lastPathComponent): \(tag) not restored")
            }
            for tag in got.keys where want[tag] == nil {
                Issue.record("\(original.url.lastPathComponent): \(tag) added")
            }
        }
        #expect(checkedImages >= 40)

        // The folder destination got the same objects as <Study>/<Series>/<SOP>.dcm.
        func filedPath(_ uid: String, _ object: DicomObject) -> String {
            "\(work.path)/archive/\(object.string(.studyInstanceUID) ?? "")/\(object.string(.seriesInstanceUID) ?? "")/\(uid).dcm"
        }
        _ = await eventually(timeout: 60) {
            restored.allSatisfy { FileManager.default.fileExists(atPath: filedPath($0.key, $0.value)) }
        }
        for (uid, object) in restored {
            let path = filedPath(uid, object)
            let filed = try? DicomObject(contentsOf: URL(fileURLWithPath: path))
            #expect(filed?.string(.sopInstanceUID) == uid, "\(path) missing from the folder destination")
        }

        // Crafted objects as a PACS might send them: one cipher pixel changed; an unknown key_ID.
        let encrypted = work.appendingPathComponent("encrypted.dcm")
        let ctID = try #require(ids.first { id in
            let tags = (try? Peers.run("/usr/bin/curl", ["-s", "http://127.0.0.1:\(orthancHTTP)/instances/\(id)/simplified-tags"]).output) ?? ""
            return tags.contains("\"Modality\" : \"CT\"")
        }, "a CT instance in Orthanc")
        let download = try Peers.run("/usr/bin/curl", ["-s", "-f", "-o", encrypted.path, "http://127.0.0.1:\(orthancHTTP)/instances/\(ctID)/file"])
        try #require(download.status == 0)
        let tampered = try DicomObject(contentsOf: encrypted)
        try #require(ObjectProtector.isProtected(tampered))
        let buffer = try tampered.pixelBuffer()
        var values = buffer.values
        values[values.count / 2] ^= 1   // one cipher pixel one step off
        try tampered.setPixelBuffer(try buffer.replacingValues(values))
        try tampered.write(to: work.appendingPathComponent("tampered.dcm"), transferSyntax: .explicitVRLittleEndian)
        let wrongKey = try DicomObject(contentsOf: encrypted)
        let (_, block) = try ObjectProtector.read(from: wrongKey)
        try wrongKey.setPrivateElement(Array(UUID().uuidString.lowercased().utf8), vr: .lo, offset: 0x14, in: block)
        try wrongKey.write(to: work.appendingPathComponent("wrong-key.dcm"), transferSyntax: .explicitVRLittleEndian)
        let quarantine = decryptorSpool.appendingPathComponent("quarantine")
        let before = reasons(in: quarantine).count
        for name in ["tampered.dcm", "wrong-key.dcm"] {
            let sent = try Peers.run("/usr/bin/storescu", ["-nh", "-aet", "ORTHANC", "-aec", "QKDDECRYPT", "127.0.0.1",
                                                           String(decryptorPort), work.appendingPathComponent(name).path])
            #expect(sent.status == 0, "the decryptor accepts, then quarantines: \(sent.output.suffix(800))")
        }
        let quarantined = await eventually(timeout: 60) { reasons(in: quarantine).count >= before + 2 }
        #expect(quarantined, "decryptor log: \(decryptor.log.suffix(2000))")
        let texts = reasons(in: quarantine).joined(separator: "\n")
        #expect(texts.contains("integrity check failed"), "\(texts)")
        #expect(texts.contains("no deliverable key with key_ID"), "\(texts)")
        #expect(try viewerObjects(viewer.directory).count == restored.count, "nothing from a bad object reaches the viewer")
    }

    /// Objects the viewer stored, by SOP Instance UID.
    func viewerObjects(_ directory: URL) throws -> [String: DicomObject] {
        var result: [String: DicomObject] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] where !name.hasPrefix(".") {
            guard let object = try? DicomObject(contentsOf: directory.appendingPathComponent(name)),
                  let uid = object.string(.sopInstanceUID) else { continue }
            result[uid] = object
        }
        return result
    }

    /// Top-level attributes outside the meta header and Pixel Data, as raw value bytes (VR ignored: a PACS may
    /// store private elements as UN). Left out, as the standard allows any node to change them: group lengths
    /// (gggg,0000, retired, recomputed by every writer) and Data Set Trailing Padding (FFFC,FFFC, which "may be
    /// removed" by anyone, PS3.10 §7.2).
    func attributeMap(_ object: DicomObject) -> [DICOM.Tag: [UInt8]] {
        var map: [DICOM.Tag: [UInt8]] = [:]
        for tag in object.tags() where tag.group != 0x0002 && tag.element != 0x0000 && tag != DICOM.Tag.pixelData
            && tag != DICOM.Tag(0xFFFC, 0xFFFC) {
            if let raw = object.rawValue(tag) { map[tag] = raw.bytes }
        }
        return map
    }

    func reasons(in quarantine: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: quarantine.path)) ?? []
        return names.filter { $0.hasSuffix(".txt") }.compactMap {
            try? String(contentsOf: quarantine.appendingPathComponent($0), encoding: .utf8)
        }
    }
}
