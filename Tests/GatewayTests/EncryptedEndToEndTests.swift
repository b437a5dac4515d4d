import DICOM
import Foundation
import Testing

/// Every sample of both sample folders (`dicom-samples/`, `../shared/dicom-samples/`): storescu (DCMTK) →
/// qkdgate (encrypting per route, keys from the embedded KME) → storescp (DCMTK) as the remote PACS. Each
/// stored object is checked against its input: encrypted per its route with the private block, or the same
/// dataset bytes on a pass-through route; no dciodvfy error that the input did not have; and every encrypted
/// object restored by `qkdgate decrypt` (decryptor SAE, site B keys) to the input's decoded pixels.
/// Objects the gateway must refuse are sent with pynetdicom (which reports the status per object) and must get
/// a failure status and a quarantine entry.
@Suite("Gateway end to end: every sample, encrypted per route, checked by dciodvfy", .serialized)
struct EncryptedEndToEndTests {
    /// Route table as data: CT → qkd-hybrid, XC → dcgan-vpd, MR → aes-ctr, RT Dose → qkd-hybrid without a
    /// fallback (its 32-bit pixels are refused), everything else → pass-through.
    static let routes = """
        routes:
          - { name: ct, match: { modality: [CT] }, profile: qkd-hybrid, planes: 4, fallback: aes-ctr, destinations: [pacs] }
          - { name: derm, match: { modality: [XC] }, profile: dcgan-vpd, rule: 37241, fallback: aes-ctr, destinations: [pacs] }
          - { name: mr, match: { modality: [MR] }, profile: aes-ctr, destinations: [pacs] }
          - { name: dose, match: { modality: [RTDOSE] }, profile: qkd-hybrid, fallback: reject, destinations: [pacs] }
          - { name: rest, default: true, profile: pass-through, destinations: [pacs] }

        """
    static let expectedProfile = ["CT": "qkd-hybrid", "XC": "dcgan-vpd", "MR": "aes-ctr"]
    static let refusedModalities: Set<String> = ["RTDOSE"]
    static let explicitLittleEndian = "1.2.840.10008.1.2.1"

    /// storescu proposes a compressed file's own syntax only when told, as a modality would; nil: uncompressed
    /// (storescu converts Big Endian, Implicit and Deflated itself).
    static func storescuOption(transferSyntax: String) -> String? {
        switch transferSyntax {
        case "1.2.840.10008.1.2.4.50": return "-xy"
        case "1.2.840.10008.1.2.4.51": return "-xx"
        case "1.2.840.10008.1.2.4.70": return "-xs"
        case "1.2.840.10008.1.2.4.80": return "-xt"
        case "1.2.840.10008.1.2.4.81": return "-xu"
        case "1.2.840.10008.1.2.4.90": return "-xv"
        case "1.2.840.10008.1.2.4.91": return "-xw"
        case "1.2.840.10008.1.2.5": return "-xr"
        default: return nil
        }
    }

    struct Sample {
        var url: URL
        var sopInstanceUID: String
        var modality: String
        var transferSyntax: String
        var hasPixelData: Bool
        var bitsAllocated: Int
        var name: String { url.lastPathComponent }
        var expectedProfile: String? {
            guard hasPixelData, let profile = EncryptedEndToEndTests.expectedProfile[modality] else { return nil }
            return bitsAllocated > 16 && profile != "aes-ctr" ? "aes-ctr" : profile
        }
    }

    static func loadSamples() throws -> (readable: [Sample], unreadable: [URL]) {
        var readable: [Sample] = []
        var unreadable: [URL] = []
        for folder in [Peers.samples, Peers.repoSamples] {
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
                .filter { !$0.hasSuffix(".md") && !$0.hasSuffix(".csv") && !$0.hasPrefix(".") }.sorted()
            for name in names {
                let url = folder.appendingPathComponent(name)
                guard Dump.reads(url.path) else { unreadable.append(url); continue }
                let facts = try Dump.values(url.path, ["0002,0010", "0008,0018", "0008,0060", "0028,0100", "7fe0,0010"])
                readable.append(Sample(
                    url: url, sopInstanceUID: facts["0008,0018"] ?? "", modality: facts["0008,0060"] ?? "",
                    transferSyntax: facts["0002,0010"] ?? "1.2.840.10008.1.2", hasPixelData: facts["7fe0,0010"] != nil,
                    bitsAllocated: Int(facts["0028,0100"] ?? "") ?? 0))
            }
        }
        return (readable, unreadable)
    }

    @Test func everySampleArrivesEncryptedPerRouteValidAndRestoresExactly() async throws {
        let work = try Peers.temporaryDirectory("all-samples")
        defer { try? FileManager.default.removeItem(at: work) }
        let (samples, unreadable) = try Self.loadSamples()
        try #require(samples.count >= 45, "expected the whole sample set, found \(samples.count)")
        #expect(unreadable.map(\.lastPathComponent) == ["malformed_mr_truncated_pixeldata.dcm"],
                "only the deliberately malformed sample should fail to parse")

        let kme = try await KMEProcess(work: work)
        defer { kme.stop() }
        let (pacsPort, gatewayPort) = (Peers.freePort(), Peers.freePort())
        let pacs = try StoreSCP(port: pacsPort, aeTitle: "PACS", directory: work.appendingPathComponent("pacs"))
        defer { pacs.stop() }
        let spool = work.appendingPathComponent("spool")
        let gateway = try GatewayProcess(
            configuration: gatewayYAML(port: gatewayPort, spool: spool, destinations: [("pacs", "PACS", pacsPort)],
                                       routes: Self.routes, extra: kme.gatewaySection + "retentionSeconds: -1\n"),
            port: gatewayPort, directory: work)
        defer { gateway.child.stop() }
        try await Peers.waitForPort(pacsPort)
        try await gateway.ready()

        // Refused by policy (32-bit RT Dose on a qkd-hybrid route without fallback) or unparseable (truncated Pixel
        // Data): a failure status per object, and each one in quarantine with its reason.
        let refused = samples.filter { Self.refusedModalities.contains($0.modality) }.map(\.url) + unreadable
        let statuses = try FailureEndToEndTests.send(refused.map(\.path), port: gatewayPort, calling: "STORESCU")
        for url in refused {
            #expect(statuses[url.path]?.hasPrefix("0xC") == true, "\(url.lastPathComponent) must be refused: \(statuses)")
        }
        let reasons = FailureEndToEndTests.quarantined(spool).map {
            (try? String(contentsOf: spool.appendingPathComponent("quarantine/\($0)"), encoding: .utf8)) ?? ""
        }
        #expect(reasons.count == refused.count, "quarantine: \(reasons)")
        #expect(reasons.contains { $0.contains("pixel format") && $0.contains("dose") }, "\(reasons)")
        #expect(reasons.contains { $0.contains("Pixel Data has") }, "\(reasons)")

        // Two pairs of samples share a SOP Instance UID (and a PACS keeps one object per UID), so the samples go
        // in rounds with unique UIDs; the PACS folder is emptied between rounds.
        let accepted = samples.filter { !Self.refusedModalities.contains($0.modality) }
        var rounds: [[Sample]] = []
        for sample in accepted {
            if let index = rounds.firstIndex(where: { !$0.contains { $0.sopInstanceUID == sample.sopInstanceUID } }) {
                rounds[index].append(sample)
            } else {
                rounds.append([sample])
            }
        }
        var checked = 0
        var keyIDs: [String] = []
        for (round, batch) in rounds.enumerated() {
            let groups = Dictionary(grouping: batch) { Self.storescuOption(transferSyntax: $0.transferSyntax) ?? "" }
            for (option, group) in groups.sorted(by: { $0.key < $1.key }) {
                // -R: propose only the files' own SOP classes (storescu's default list lacks SEG and the retired
                // US Image Storage class).
                let sent = try Peers.run("/usr/bin/storescu", ["-nh", "-R"] + (option.isEmpty ? [] : [option])
                                         + ["-aet", "STORESCU", "-aec", "QKDGATE", "127.0.0.1", String(gatewayPort)]
                                         + group.map(\.url.path))
                #expect(sent.status == 0 && !sent.output.contains("Failed"), "storescu \(option): \(sent.output.suffix(2000))")
            }
            // Until all are there, or nothing new arrived for 30 s.
            var (lastCount, lastChange) = (0, Date())
            let arrived = await eventually(timeout: 300) {
                let count = Peers.receivedUIDs(in: pacs.directory).count
                if count != lastCount { (lastCount, lastChange) = (count, Date()) }
                return count >= batch.count || Date().timeIntervalSince(lastChange) > 30
            } && Peers.receivedUIDs(in: pacs.directory).count >= batch.count
            #expect(arrived, "round \(round): \(Peers.receivedUIDs(in: pacs.directory).count) of \(batch.count) arrived; gateway log: \(gateway.child.log.suffix(3000))")
            let stored = work.appendingPathComponent("stored-\(round)")
            try FileManager.default.moveItem(at: pacs.directory, to: stored)
            try FileManager.default.createDirectory(at: pacs.directory, withIntermediateDirectories: true)
            let seen = try check(round: batch, stored: stored, spool: spool, kme: kme, work: work, keyIDs: &keyIDs)
            let missing = batch.filter { !seen.contains($0.sopInstanceUID) }.map(\.name)
            #expect(missing.isEmpty, "round \(round): never reached the PACS: \(missing)")
            checked += seen.count
        }
        #expect(checked == accepted.count, "every accepted sample was found at the PACS and checked")
        // One-time pads: the gateway draws keys from the KME in batches, and still every object has its own.
        #expect(keyIDs.count >= 20 && Set(keyIDs).count == keyIDs.count, "key_IDs: \(keyIDs.count), distinct: \(Set(keyIDs).count)")
    }

    /// Checks one round's stored objects against their inputs; returns the original SOP Instance UIDs checked.
    func check(round batch: [Sample], stored: URL, spool: URL, kme: KMEProcess, work: URL,
               keyIDs: inout [String]) throws -> Set<String> {
        let restored = stored.appendingPathExtension("restored")
        let decrypted = try kme.decrypt(stored, into: restored)
        #expect(decrypted.status == 0, "\(decrypted.output.suffix(3000))")
        let spooled = try spoolCopiesByUID(spool)
        var checked: Set<String> = []
        for name in try FileManager.default.contentsOfDirectory(atPath: stored.path).sorted() where !name.hasPrefix(".") {
            let output = stored.appendingPathComponent(name)
            let back = restored.appendingPathComponent(name)
            // The restored object carries the original SOP Instance UID (for pass-through: the stored one).
            let originalUID = try Dump.values(back.path, ["0008,0018"])["0008,0018"] ?? ""
            guard let sample = batch.first(where: { $0.sopInstanceUID == originalUID }) else {
                Issue.record("\(name) restores to UID \(originalUID), which no input of this round has")
                continue
            }
            let block = try Dump.protectionBlock(output.path)
            if let profile = sample.expectedProfile {
                // Encrypted per route, with the private block, in Explicit VR Little Endian, a new UID.
                let found = try #require(block, "\(sample.name) (\(sample.modality)) arrived without the qkdgate private block")
                #expect(found.elements["10"]?.contains("[\(profile)]") == true, "\(sample.name): \(found.elements["10"] ?? "no profile")")
                #expect(found.elements["13"]?.contains("[qkd]") == true, "\(sample.name): key source")
                keyIDs.append(found.elements["14"] ?? "")
                #expect((0x10...0x1A).allSatisfy { found.elements[String(format: "%02x", $0)] != nil }, "\(sample.name): \(found.elements.keys.sorted())")
                let facts = try Dump.values(output.path, ["0002,0010", "0008,0018"])
                #expect(facts["0002,0010"] == Self.explicitLittleEndian, "\(sample.name)")
                #expect(facts["0008,0018"] != sample.sopInstanceUID, "\(sample.name) kept its SOP Instance UID")
                // Never plaintext; and the decryptor gets back exactly the input's decoded pixels.
                let original = try DicomObject(contentsOf: sample.url)
                let plain = try original.withNativePixelBytes { Array($0) }
                #expect(try DicomObject(contentsOf: output).withNativePixelBytes { Array($0) } != plain, "\(sample.name): ciphertext equals the plaintext")
                #expect(try DicomObject(contentsOf: back).withNativePixelBytes { Array($0) } == plain, "\(sample.name): restored pixels differ")
            } else {
                #expect(block == nil, "\(sample.name) (\(sample.modality)) should pass through")
                let copies = spooled[originalUID] ?? []
                let bytes = try Peers.datasetBytes(output)
                #expect(try copies.contains { try Peers.datasetBytes($0) == bytes },
                        "\(sample.name): the forwarded dataset differs from what the gateway received")
            }
            // dciodvfy: nothing the input did not already have.
            let added = try Dciodvfy.errors(output.path, work: work).subtracting(Dciodvfy.errors(sample.url.path, work: work))
            #expect(added.isEmpty, "\(sample.name): new dciodvfy errors: \(added.sorted())")
            checked.insert(sample.sopInstanceUID)
        }
        return checked
    }

    /// The gateway's copies of what it received (kept: `retentionSeconds: -1`), by SOP Instance UID: every
    /// received object is in `received/`, encrypted copies in `outbox/` (with new UIDs, so they never shadow an
    /// original).
    func spoolCopiesByUID(_ spool: URL) throws -> [String: [URL]] {
        var result: [String: [URL]] = [:]
        for url in Peers.spooledObjectFiles(spool) {
            result[try Peers.sopInstanceUID(url.path), default: []].append(url)
        }
        return result
    }
}
