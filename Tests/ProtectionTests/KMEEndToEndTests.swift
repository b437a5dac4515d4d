import DICOM
import Foundation
import Protection
import Testing

/// `qkdgate encrypt --kme` → `qkdgate decrypt --kme` against the real embedded KME (both link ends), as a
/// user runs them: the gateway SAE draws pads at site A, the decryptor SAE fetches the same pads at site B.
@Suite("encrypt/decrypt with QKD keys from the KME", .serialized)
struct KMEEndToEndTests {
    final class KME {
        let process = Process()
        let directory: URL
        let siteA: String
        let siteB: String

        init() throws {
            directory = try Paths.temporaryDirectory()
            let binary = Paths.qkdgate.path
            let pki = directory.appendingPathComponent("pki").path
            let made = try run(binary, ["kme", "init-pki", "--out", pki, "--port-a", "0", "--port-b", "0"])
            guard made.status == 0 else { throw KMEError.start("init-pki failed: \(made.output)") }
            let log = directory.appendingPathComponent("kme.log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["kme", "--config", "\(pki)/kme.yaml"]
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            var ready: String?
            for _ in 0..<600 where ready == nil {
                Thread.sleep(forTimeInterval: 0.1)
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                ready = text.split(separator: "\n").first { $0.contains("KME ready") }.map(String.init)
            }
            guard let ready else { process.terminate(); throw KMEError.start("the KME did not report ready within 60 s") }
            let urls = ready.split(separator: " ").filter { $0.hasPrefix("https://") }.map(String.init)
            guard urls.count >= 2 else { process.terminate(); throw KMEError.start("unexpected ready line: \(ready)") }
            siteA = urls[0]
            siteB = urls[1]
        }

        func stop() {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: directory)
        }

        func sae(_ name: String) -> [String] {
            let pki = directory.appendingPathComponent("pki").path
            return ["--cert", "\(pki)/\(name).crt", "--key", "\(pki)/\(name).key", "--ca", "\(pki)/ca.crt"]
        }
    }

    enum KMEError: Error { case start(String) }

    @Test func samplesRoundTripThroughTheKME() throws {
        let kme = try KME()
        defer { kme.stop() }
        let dir = kme.directory
        let input = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        let names = ["ct_512_s16_implicit.dcm", "us_rgb_planar1.dcm", "mr_small_jpegls_lossless.dcm", "seg_1bit_512.dcm"]
        for name in names {
            try FileManager.default.copyItem(at: Paths.sharedSamples.appendingPathComponent(name), to: input.appendingPathComponent(name))
        }
        let binary = Paths.qkdgate.path
        let secret = ["--uid-secret", dir.appendingPathComponent("uid-secret").path]
        let enc1 = try run(binary, ["encrypt", "--profile", "qkd-hybrid", "--kme", kme.siteA] + kme.sae("gateway") + secret
                           + [input.path, dir.appendingPathComponent("enc1").path])
        #expect(enc1.status == 0, "\(enc1.output)")
        let enc2 = try run(binary, ["encrypt", "--profile", "qkd-hybrid", "--kme", kme.siteA] + kme.sae("gateway") + secret
                           + [input.path, dir.appendingPathComponent("enc2").path])
        #expect(enc2.status == 0, "\(enc2.output)")

        // The wrapped bundle alone reveals nothing: it differs between two encryptions of the same file, and
        // the two objects carry different key_IDs.
        for name in names {
            let a = try DicomObject(contentsOf: dir.appendingPathComponent("enc1/\(name)"))
            let b = try DicomObject(contentsOf: dir.appendingPathComponent("enc2/\(name)"))
            let (blockA, _) = try ObjectProtector.read(from: a)
            let (blockB, _) = try ObjectProtector.read(from: b)
            #expect(blockA.keySource == "qkd")
            #expect(blockA.keyID != blockB.keyID)
            #expect(blockA.wrappedBundle != blockB.wrappedBundle)
            #expect(a.string(.sopInstanceUID) == b.string(.sopInstanceUID), "deterministic new UID")
        }

        let dec = try run(binary, ["decrypt", "--kme", kme.siteB] + kme.sae("decryptor") + [dir.appendingPathComponent("enc1").path, dir.appendingPathComponent("dec").path])
        #expect(dec.status == 0, "\(dec.output)")
        #expect(dec.output.contains("4 restored, 0 copied, 0 failed"), "\(dec.output)")
        for name in names {
            let original = try DicomObject(contentsOf: input.appendingPathComponent(name))
            let restored = try DicomObject(contentsOf: dir.appendingPathComponent("dec/\(name)"))
            #expect(try pixelBytes(original) == pixelBytes(restored), "\(name)")
            #expect(original.string(.sopInstanceUID) == restored.string(.sopInstanceUID))
            #expect(restored.transferSyntax == original.transferSyntax, "\(name) re-encoded to its original syntax")
        }

        // Each pad is delivered once: decrypting the same objects again is refused by the KME, with a clear error.
        let again = try run(binary, ["decrypt", "--kme", kme.siteB] + kme.sae("decryptor") + [dir.appendingPathComponent("enc1").path, dir.appendingPathComponent("again").path])
        #expect(again.status != 0)
        #expect(again.output.contains("key source failed"), "\(again.output)")

        // A flipped bit in the wrapped bundle is an integrity error, never garbage pixels.
        let tampered = try DicomObject(contentsOf: dir.appendingPathComponent("enc2/\(names[0])"))
        let block = try #require(tampered.findPrivateBlock(creator: ProtectionBlock.creator))
        var wrapped = try #require(tampered.privateElement(offset: 0x16, in: block))
        wrapped[40] ^= 0x08
        try tampered.setPrivateElement(wrapped, vr: .ob, offset: 0x16, in: block)
        let tamperedFile = dir.appendingPathComponent("tampered.dcm")
        try tampered.write(to: tamperedFile)
        let bad = try run(binary, ["decrypt", "--kme", kme.siteB] + kme.sae("decryptor") + [tamperedFile.path, dir.appendingPathComponent("bad.dcm").path])
        #expect(bad.status != 0)
        #expect(bad.output.contains("integrity check failed"), "\(bad.output)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("bad.dcm").path))
    }
}
