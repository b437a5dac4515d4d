public import Foundation
import AsyncHTTPClient
import DICOM
import Gateway
import Protection
import Relay

/// `qkdgate demo`: the whole chain on 127.0.0.1 with embedded defaults —
/// PKI → KME (both link ends) → gateway → remote PACS (Orthanc if installed, else DCMTK storescp) → decryptor →
/// viewer (DCMTK storescp, else a folder) — then every sample is sent, pulled from the PACS to the decryptor,
/// and checked: encrypted in the PACS, restored bit for bit at the viewer.
public struct DemoRunner: Sendable {
    public struct Options: Sendable {
        /// A file or folder of DICOM files.
        public var samples: URL
        /// Where the demo keeps PKI, spools, logs and received files (a fresh temporary folder when nil).
        public var workDirectory: URL?
        /// Keep the work folder afterwards (it holds patient data from the samples: off by default).
        public var keepWorkDirectory: Bool
        /// The `qkdgate` executable to start the servers with.
        public var executable: String
        /// Use DCMTK storescp as the PACS even when Orthanc is installed.
        public var useStorescp: Bool
        /// Seconds to wait for the objects at each hop.
        public var timeout: Double

        public init(samples: URL, workDirectory: URL? = nil, keepWorkDirectory: Bool = false, executable: String,
                    useStorescp: Bool = false, timeout: Double = 600)
        {
            self.samples = samples
            self.workDirectory = workDirectory
            self.keepWorkDirectory = keepWorkDirectory
            self.executable = executable
            self.useStorescp = useStorescp
            self.timeout = timeout
        }
    }

    public let options: Options
    let say: @Sendable (String) -> Void

    public init(options: Options, progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.options = options
        self.say = progress
    }

    static let orthanc = "/usr/sbin/Orthanc"
    static let storescp = "/usr/bin/storescp"

    /// One sample as sent.
    struct Sample {
        var url: URL
        var name: String
        var sopInstanceUID: String
        var sopClassUID: String
        var transferSyntaxUID: String
        var modality: String
        var hasPixelData: Bool
        var sendStatus: String = ""
        var accepted = false
        var sentAt = Date()
        /// Why the file cannot be read as DICOM (then it is not sent).
        var unreadable: String?
        /// Orthanc refuses (0xA700) instances without PatientID, StudyInstanceUID or SeriesInstanceUID.
        var hasPatientStudySeries = true
    }

    public func run() async throws -> DemoReport {
        let started = Date()
        let work = options.workDirectory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("qkdgate-demo-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var processes: [ManagedProcess] = []
        defer {
            for process in processes.reversed() {
                let stopping = Date()
                // Our nodes drain on SIGTERM; the stand-in PACS and viewer hold nothing the demo still needs.
                process.stop(grace: process.name.hasPrefix("Orthanc") || process.name.contains("storescp") ? 1 : 15)
                let took = Date().timeIntervalSince(stopping)
                if took > 3 { say("\(process.name) took \(Int(took)) s to stop") }
            }
            if !options.keepWorkDirectory && options.workDirectory == nil { try? FileManager.default.removeItem(at: work) }
        }
        var samples = try loadSamples()
        say("\(samples.filter { $0.unreadable == nil }.count) DICOM objects in \(options.samples.path)")

        // 1. PKI and KME (both ends of the simulated QKD link in one process).
        let pki = work.appendingPathComponent("pki")
        let made = try runToEnd(options.executable, ["kme", "init-pki", "--out", pki.path, "--port-a", "0", "--port-b", "0"],
                                log: work.appendingPathComponent("init-pki.log"))
        guard made == 0 else { throw DemoError.start("PKI", "`qkdgate kme init-pki` failed; see \(work.path)/init-pki.log") }
        let kme = try ManagedProcess(name: "KME", executable: options.executable,
                                     arguments: ["kme", "--config", pki.appendingPathComponent("kme.yaml").path],
                                     log: work.appendingPathComponent("kme.log"))
        processes.append(kme)
        try await kme.wait(for: "ready", timeout: 180) { kme.log.contains("KME ready") }
        let ready = kme.log.split(separator: "\n").first { $0.contains("KME ready") } ?? ""
        let urls = ready.split(separator: " ").filter { $0.hasPrefix("https://") }.map(String.init)
        guard urls.count >= 2 else { throw DemoError.start("KME", "cannot read the site URLs from: \(ready)") }
        say("KME ready: site A \(urls[0]), site B \(urls[1])")

        // 2. Viewer: the radiologist's workstation (storescp), or a folder when DCMTK's tools are missing.
        let viewerDirectory = work.appendingPathComponent("viewer")
        try FileManager.default.createDirectory(at: viewerDirectory, withIntermediateDirectories: true)
        let viewerDestination: String
        let viewerName: String
        if FileManager.default.isExecutableFile(atPath: Self.storescp) {
            let port = LocalPorts.free()
            let viewer = try ManagedProcess(name: "viewer (storescp)", executable: Self.storescp,
                                            arguments: ["-aet", "VIEWER", "-od", viewerDirectory.path, "+xa", String(port)],
                                            log: work.appendingPathComponent("viewer.log"))
            processes.append(viewer)
            try await viewer.wait(for: "listening", timeout: 30) { LocalPorts.isListening(port) }
            viewerDestination = "  - { name: viewer, aeTitle: VIEWER, host: 127.0.0.1, port: \(port) }"
            viewerName = "DCMTK storescp VIEWER on port \(port)"
        } else {
            viewerDestination = "  - { name: viewer, directory: \(viewerDirectory.path) }"
            viewerName = "folder \(viewerDirectory.path)"
        }

        // 3. Decryptor (site B's KME).
        let decryptorPort = LocalPorts.free()
        let decryptorYAML = """
            aeTitle: QKDDECRYPT
            port: \(decryptorPort)
            spool: \(work.path)/decryptor-spool
            logLevel: notice
            retry: { initialDelay: 0.5, multiplier: 2, maxDelay: 5, maxAttempts: 50 }
            \(Self.kmeSection(url: urls[1], sae: "decryptor", peer: "gateway", pki: pki))
            destinations:
            \(viewerDestination)

            """
        let decryptor = try await startNode("decryptor", yaml: decryptorYAML, port: decryptorPort, work: work)
        processes.append(decryptor)

        // 4. Remote PACS.
        let pacsDirectory = work.appendingPathComponent("pacs")
        try FileManager.default.createDirectory(at: pacsDirectory, withIntermediateDirectories: true)
        let pacsPort = LocalPorts.free()
        var orthancHTTP: Int?
        let pacsName: String
        if !options.useStorescp && FileManager.default.isExecutableFile(atPath: Self.orthanc) {
            let http = LocalPorts.free()
            let config = work.appendingPathComponent("orthanc.json")
            try """
                {
                  "Name": "qkdgate-demo", "StorageDirectory": "\(pacsDirectory.path)/storage",
                  "IndexDirectory": "\(pacsDirectory.path)/index", "DicomAet": "ORTHANC", "DicomPort": \(pacsPort),
                  "HttpPort": \(http), "HttpBind": "127.0.0.1", "DicomServerEnabled": true,
                  "RemoteAccessAllowed": false, "AuthenticationEnabled": false, "DicomCheckCalledAet": true,
                  "UnknownSopClassAccepted": true, "DicomAlwaysAllowStore": true, "Plugins": [],
                  "DicomModalities": { "decryptor": ["QKDDECRYPT", "127.0.0.1", \(decryptorPort)] }
                }
                """.write(to: config, atomically: true, encoding: .utf8)
            let orthanc = try ManagedProcess(name: "Orthanc", executable: Self.orthanc, arguments: [config.path],
                                             log: work.appendingPathComponent("orthanc.log"))
            processes.append(orthanc)
            try await orthanc.wait(for: "listening", timeout: 60) { LocalPorts.isListening(http) && LocalPorts.isListening(pacsPort) }
            orthancHTTP = http
            pacsName = "Orthanc (DICOM \(pacsPort), REST \(http))"
        } else {
            guard FileManager.default.isExecutableFile(atPath: Self.storescp) else {
                throw DemoError.pacs("neither Orthanc (\(Self.orthanc)) nor DCMTK storescp (\(Self.storescp)) is installed; run scripts/setup.sh")
            }
            let pacs = try ManagedProcess(name: "PACS (storescp)", executable: Self.storescp,
                                          arguments: ["-aet", "ORTHANC", "-od", pacsDirectory.path, "+xa", String(pacsPort)],
                                          log: work.appendingPathComponent("pacs.log"))
            processes.append(pacs)
            try await pacs.wait(for: "listening", timeout: 30) { LocalPorts.isListening(pacsPort) }
            pacsName = "DCMTK storescp (port \(pacsPort))"
        }
        say("remote PACS: \(pacsName)")

        // 5. Gateway (site A's KME): radiology on qkd-hybrid, dermatology photographs on dcgan-vpd, the rest aes-ctr.
        let gatewayPort = LocalPorts.free()
        let gatewaySpool = work.appendingPathComponent("gateway-spool")
        let gatewayYAML = """
            aeTitle: QKDGATE
            port: \(gatewayPort)
            spool: \(gatewaySpool.path)
            logLevel: notice
            retry: { initialDelay: 0.5, multiplier: 2, maxDelay: 5, maxAttempts: 50 }
            \(Self.kmeSection(url: urls[0], sae: "gateway", peer: "decryptor", pki: pki))
            destinations:
              - { name: pacs, aeTitle: ORTHANC, host: 127.0.0.1, port: \(pacsPort) }
            routes:
              - name: radiology
                match: { modality: [CT, MR, CR, DX, DR, MG, NM, PT, RF, XA, IO, PX] }
                profile: qkd-hybrid
                planes: 4
                fallback: aes-ctr
                destinations: [pacs]
              - name: dermatology
                match: { modality: [XC, ES, OP, GM] }
                profile: dcgan-vpd
                rule: 37241
                fallback: aes-ctr
                destinations: [pacs]
              - name: other-images
                default: true
                profile: aes-ctr
                nonImage: forward
                destinations: [pacs]

            """
        let gateway = try await startNode("gateway", yaml: gatewayYAML, port: gatewayPort, work: work, command: "serve")
        processes.append(gateway)
        let gatewaySecret = try GatewaySecret.loadOrCreate(spoolDirectory: gatewaySpool.path)

        // 6. The modality sends every sample to the gateway.
        say("sending \(samples.count) objects to the gateway")
        for index in samples.indices where samples[index].unreadable == nil {
            samples[index].sentAt = Date()
            let (status, accepted) = send(samples[index].url, sopClassUID: samples[index].sopClassUID,
                                          transferSyntaxUID: samples[index].transferSyntaxUID, port: gatewayPort, calledAE: "QKDGATE")
            samples[index].sendStatus = status
            samples[index].accepted = accepted
        }
        let accepted = samples.filter(\.accepted)
        say("gateway accepted \(accepted.count) of \(samples.count)")

        // 7. Wait until the PACS holds every accepted object, then have it send them to the decryptor.
        let encryptedCopies = work.appendingPathComponent("pacs-copies")
        try FileManager.default.createDirectory(at: encryptedCopies, withIntermediateDirectories: true)
        // The gateway's own queue says when every accepted object is delivered (or quarantined).
        let gatewayQueue = try RelayQueue(path: gatewaySpool.appendingPathComponent("queue.sqlite").path)
        // Orthanc answers 0xA700 (out of resources) to objects without patient/study/series identity; the gateway
        // treats that as transient and keeps retrying, as it must. Those objects are reported, not waited for.
        let unstorable = orthancHTTP == nil ? [] : accepted.filter { !$0.hasPatientStudySeries }
        try await poll("the gateway to deliver \(accepted.count - unstorable.count) objects", process: gateway) {
            Self.settled(gatewayQueue, expected: accepted.count, stillPending: unstorable.count)
        }
        let distinct = Set(accepted.filter { orthancHTTP == nil || $0.hasPatientStudySeries }.map(\.sopInstanceUID)).count
        let forwarded: Int
        if let http = orthancHTTP {
            var ids: [String] = []
            try await poll("the PACS to list \(distinct) instances", process: gateway) {
                ids = (try? await Self.orthancJSON(http, "/instances") as? [String]) ?? []
                return ids.count >= distinct
            }
            for id in ids {
                let bytes = try await Self.orthancRequest(http, "/instances/\(id)/file", post: false, body: nil)
                try Data(bytes).write(to: encryptedCopies.appendingPathComponent("\(id).dcm"))
            }
            say("asking Orthanc to send \(ids.count) instances to the decryptor")
            let body = try JSONSerialization.data(withJSONObject: ["Resources": ids, "Synchronous": true])
            _ = try await Self.orthancRequest(http, "/modalities/decryptor/store", post: true, body: Array(body))
            forwarded = ids.count
        } else {
            var sent = 0
            for file in Self.dicomFiles(in: pacsDirectory) {
                try FileManager.default.copyItem(at: file, to: encryptedCopies.appendingPathComponent(file.lastPathComponent))
            }
            say("sending the PACS's objects to the decryptor")
            for file in Self.dicomFiles(in: pacsDirectory) {
                guard let object = try? DicomObject(contentsOf: file) else { continue }
                if send(file, sopClassUID: object.string(.sopClassUID) ?? "", transferSyntaxUID: object.transferSyntax.uid,
                        port: decryptorPort, calledAE: "QKDDECRYPT").1 { sent += 1 }
            }
            forwarded = sent
        }

        // 8. Wait for the viewer, recording when each restored object arrived.
        var arrivals: [String: (URL, Date)] = [:]
        var seen: Set<URL> = []
        func collect() {
            for file in Self.dicomFiles(in: viewerDirectory) where !seen.contains(file) {
                guard let object = try? DicomObject(contentsOf: file), let uid = object.string(.sopInstanceUID) else { continue }
                seen.insert(file)
                arrivals[uid] = (file, Date())
            }
        }
        let decryptorQueue = try RelayQueue(path: work.appendingPathComponent("decryptor-spool/queue.sqlite").path)
        try await poll("the decryptor to restore and deliver \(forwarded) objects", process: decryptor) {
            collect()
            return Self.settled(decryptorQueue, expected: forwarded)
        }
        collect()
        say("the decryptor handled \(forwarded) objects; checking them against the originals")

        // 9. Check every object against its original.
        var pacsCopies: [String: URL] = [:]
        for file in Self.dicomFiles(in: encryptedCopies) {
            if let object = try? DicomObject(contentsOf: file), let uid = object.string(.sopInstanceUID) { pacsCopies[uid] = file }
        }
        var rows: [DemoRow] = []
        for sample in samples {
            let twins = samples.filter { $0.unreadable == nil && $0.sopInstanceUID == sample.sopInstanceUID && $0.url != sample.url }
            rows.append(check(sample, twins: twins.map(\.name), secret: gatewaySecret, pacsCopies: pacsCopies, arrivals: arrivals,
                              pacsIsOrthanc: orthancHTTP != nil))
        }
        return DemoReport(pacs: pacsName, viewer: viewerName, rows: rows, totalSeconds: Date().timeIntervalSince(started))
    }

    // MARK: Steps

    func loadSamples() throws(DemoError) -> [Sample] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: options.samples.path, isDirectory: &isDirectory) else {
            throw .samples("\(options.samples.path) does not exist (make samples with `qkdgate samples --out dicom-samples`)")
        }
        let files = isDirectory.boolValue ? Self.dicomFiles(in: options.samples, recursive: true) : [options.samples]
        let base = options.samples.standardizedFileURL.path
        var samples: [Sample] = []
        for file in files {
            let path = file.standardizedFileURL.path
            let name = path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : file.lastPathComponent
            let object: DicomObject
            do { object = try DicomObject(contentsOf: file) } catch {
                // A file with the DICOM preamble that does not parse is a broken object worth showing; anything
                // else in the folder (READMEs, catalogues) is not a sample.
                if Self.hasDICOMMagic(file) {
                    samples.append(Sample(url: file, name: name, sopInstanceUID: "", sopClassUID: "", transferSyntaxUID: "",
                                          modality: "", hasPixelData: false, unreadable: error.description))
                }
                continue
            }
            guard let uid = object.string(.sopInstanceUID), let sopClass = object.string(.sopClassUID) else { continue }
            let identity = [DICOM.Tag.patientID, .studyInstanceUID, .seriesInstanceUID].allSatisfy { !(object.string($0) ?? "").isEmpty }
            samples.append(Sample(url: file, name: name, sopInstanceUID: uid, sopClassUID: sopClass,
                                  transferSyntaxUID: object.transferSyntax.uid, modality: object.string(.modality) ?? "",
                                  hasPixelData: object.hasPixelData, hasPatientStudySeries: identity))
        }
        guard !samples.isEmpty else { throw .samples("no DICOM objects under \(options.samples.path)") }
        return samples
    }

    func startNode(_ name: String, yaml: String, port: Int, work: URL, command: String? = nil) async throws -> ManagedProcess {
        let config = work.appendingPathComponent("\(name).yaml")
        try yaml.write(to: config, atomically: true, encoding: .utf8)
        let node = try ManagedProcess(name: name, executable: options.executable,
                                      arguments: [command ?? name, "--config", config.path],
                                      log: work.appendingPathComponent("\(name).log"))
        try await node.wait(for: "listening on port \(port)", timeout: 60) { LocalPorts.isListening(port) }
        return node
    }

    /// One C-STORE on its own association; returns the status text and whether the peer stored it.
    func send(_ file: URL, sopClassUID: String, transferSyntaxUID: String, port: Int, calledAE: String) -> (String, Bool) {
        do {
            let association = try StorageAssociation(
                callingAETitle: "MODALITY", destination: Destination(name: calledAE, aeTitle: calledAE, host: "127.0.0.1", port: port),
                contexts: [ProposedContext(sopClassUID: sopClassUID, transferSyntaxUID: transferSyntaxUID)])
            let status = try association.store(path: file.path, sopClassUID: sopClassUID, transferSyntaxUID: transferSyntaxUID)
            return (status.description, true)
        } catch {
            return (error.description, false)
        }
    }

    func poll(_ what: String, process: ManagedProcess, _ condition: () async -> Bool) async throws {
        let deadline = Date(timeIntervalSinceNow: options.timeout)
        while Date() < deadline {
            if await condition() { return }
            guard process.isRunning else { throw DemoError.start(process.name, "exited while waiting for \(what); see \(process.logURL.path)") }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw DemoError.start(process.name, "timed out after \(Int(options.timeout)) s waiting for \(what); see \(process.logURL.path)")
    }

    func check(_ sample: Sample, twins: [String], secret: [UInt8], pacsCopies: [String: URL],
               arrivals: [String: (URL, Date)], pacsIsOrthanc: Bool) -> DemoRow
    {
        var row = DemoRow(object: sample.name, modality: sample.modality, profile: "–", encrypted: nil, restoredBitExact: nil,
                          seconds: nil, outcome: .failed, detail: "")
        if let problem = sample.unreadable {
            row.outcome = .unreadable
            row.detail = "not sent: \(problem)"
            return row
        }
        guard sample.accepted else {
            row.outcome = .refused
            row.detail = "refused by the gateway (\(sample.sendStatus)); quarantined there"
            return row
        }
        // The PACS copy: a new, derived SOP Instance UID when encrypted; the original when forwarded unchanged.
        let encryptedUID = InstanceUID.derive(from: sample.sopInstanceUID, secret: secret)
        let copy = pacsCopies[encryptedUID] ?? pacsCopies[sample.sopInstanceUID]
        if copy == nil && !sample.hasPatientStudySeries && pacsIsOrthanc {
            row.outcome = .notStorable
            row.detail = "Orthanc refuses objects without PatientID/StudyInstanceUID/SeriesInstanceUID (0xA700); the gateway keeps retrying"
            return row
        }
        if let copy, let object = try? DicomObject(contentsOf: copy) {
            if let (block, _) = try? ObjectProtector.read(from: object) {
                row.encrypted = true
                row.profile = block.profile
            } else {
                row.encrypted = sample.hasPixelData ? false : nil
                row.profile = "pass-through"
            }
        } else {
            row.detail = "not found in the PACS"
            return row
        }
        guard let (restoredFile, arrived) = arrivals[sample.sopInstanceUID] else {
            row.detail = "did not reach the viewer"
            return row
        }
        row.seconds = arrived.timeIntervalSince(sample.sentAt)
        guard sample.hasPixelData else {
            row.outcome = .forwarded
            row.detail = "no pixel data: forwarded unchanged"
            return row
        }
        guard row.encrypted == true else {
            row.detail = "the PACS copy is NOT encrypted"
            return row
        }
        do {
            let same = try Self.decodedPixels(sample.url) == Self.decodedPixels(restoredFile)
            row.restoredBitExact = same
            if same {
                row.outcome = .restored
                row.detail = twins.isEmpty ? "" : "same SOP Instance UID as \(twins.joined(separator: ", "))"
            } else if !twins.isEmpty {
                // Both objects carry one UID: the PACS (and the viewer) keep one of them, not this one.
                row.restoredBitExact = nil
                row.outcome = .superseded
                row.detail = "same SOP Instance UID as \(twins.joined(separator: ", ")); the PACS kept that object"
            } else {
                row.outcome = .failed
                row.detail = "restored pixels differ from the original"
            }
        } catch {
            row.restoredBitExact = false
            row.detail = "cannot decode: \(error)"
        }
        return row
    }

    // MARK: Helpers

    /// A node's `kme:` section: this SAE's certificate from the demo PKI, the peer SAE on the other site.
    static func kmeSection(url: String, sae: String, peer: String, pki: URL) -> String {
        """
        kme:
          url: \(url)
          saeId: \(sae)
          peerSaeId: \(peer)
          certificate: \(pki.path)/\(sae).crt
          privateKey: \(pki.path)/\(sae).key
          caCertificate: \(pki.path)/ca.crt
        """
    }

    /// True when a node's queue holds at least `expected` objects, none is waiting for processing, every
    /// delivery has had at least one answer from its destination, and at most `stillPending` deliveries wait
    /// for a retry (objects the PACS may refuse). The first-answer rule matters: `stillPending` is an upper bound
    /// (the demo cannot know beforehand which objects Orthanc really refuses), so without it a slow object's
    /// first delivery could hide in that allowance.
    static func settled(_ queue: RelayQueue, expected: Int, stillPending: Int = 0) -> Bool {
        guard let counts = try? queue.counts() else { return false }
        let total = counts.objectsByState.values.reduce(0, +)
        let busy = counts.objectsByState.filter { !["done", "purged", "quarantined", "processed"].contains($0.key) }.values.reduce(0, +)
        let pending = counts.pendingByDestination.values.reduce(0, +)
        return total >= expected && busy == 0 && counts.untried == 0 && pending <= stillPending
    }

    static func hasDICOMMagic(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 132), head.count == 132 else { return false }
        return Array(head[128..<132]) == Array("DICM".utf8)
    }

    static func decodedPixels(_ url: URL) throws -> [UInt8] {
        let object = try DicomObject(contentsOf: url)
        _ = try object.decodeToNative()
        return try object.withNativePixelBytes { Array($0) }
    }

    static func dicomFiles(in directory: URL, recursive: Bool = true) -> [URL] {
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var files: [URL] = []
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let name = url.lastPathComponent
            if name.hasPrefix(".") || name.hasSuffix(".log") || name.hasSuffix(".md") || name.hasSuffix(".csv")
                || name.hasSuffix(".json") || name.hasSuffix(".txt") { continue }
            files.append(url)
        }
        return files.sorted { $0.path < $1.path }
    }

    func runToEnd(_ executable: String, _ arguments: [String], log: URL) throws -> Int32 {
        let process = try ManagedProcess(name: "qkdgate", executable: executable, arguments: arguments, log: log)
        process.process.waitUntilExit()
        return process.process.terminationStatus
    }

    static func orthancRequest(_ port: Int, _ path: String, post: Bool, body: [UInt8]?) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = post ? .POST : .GET
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body)
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(600))
        let buffer = try await response.body.collect(upTo: 1 << 30)
        guard response.status.code == 200 else {
            throw DemoError.pacs("Orthanc answered HTTP \(response.status.code) to \(post ? "POST" : "GET") \(path): \(String(decoding: buffer.readableBytesView, as: UTF8.self).prefix(300))")
        }
        return Array(buffer.readableBytesView)
    }

    static func orthancJSON(_ port: Int, _ path: String) async throws -> Any {
        try JSONSerialization.jsonObject(with: Data(try await orthancRequest(port, path, post: false, body: nil)))
    }
}
