import DICOM
import Foundation
import Protection
import Testing

/// Every sample file through encrypt → decrypt, compared with an independent reading of the original.
@Suite("Sample files: encrypt → decrypt restores decoded pixels and attributes", .serialized)
struct SampleRoundTripTests {
    static let settings = [
        ProfileSettings(profile: "qkd-hybrid", planes: "msb:4"),
        ProfileSettings(profile: "qkd-hybrid", planes: "all"),
        ProfileSettings(profile: "dcgan-vpd"),
        ProfileSettings(profile: "aes-ctr"),
    ]

    @Test("every sample, every profile", arguments: settings)
    func everySample(settings: ProfileSettings) async throws {
        let (protector, _) = try localProtector()
        let cipher = try CipherCatalog.encryptionCipher(settings)
        let samples = Paths.samples()
        #expect(samples.count >= 30, "the shared sample set must be there")
        var restoredCount = 0
        for url in samples {
            guard let original = try? DicomObject(contentsOf: url), original.hasPixelData,
                  (try? original.pixelBuffer()) != nil else { continue }   // non-image or undecodable: other tests
            let reference = try pixelBytes(original)
            let referenceTags = attributeMap(original)
            let object = try DicomObject(contentsOf: url)
            _ = try await protector.protect(object, with: cipher, fallback: try CipherCatalog.encryptionCipher(ProfileSettings(profile: "aes-ctr")))
            let wire = try DicomObject(bytes: object.serialized())
            #expect(try pixelBytes(wire) != reference || reference.allSatisfy { $0 == 0 } || reference.count < 4, "\(url.lastPathComponent) not encrypted")
            _ = try await protector.restore(wire)
            #expect(try pixelBytes(wire) == reference, "\(url.lastPathComponent) \(settings.profile)")
            let restoredTags = attributeMap(wire)
            for (tag, value) in referenceTags where restoredTags[tag] != value {
                Issue.record("\(url.lastPathComponent): \(tag) not restored")
            }
            for tag in restoredTags.keys where referenceTags[tag] == nil && tag != DICOM.Tag.planarConfiguration {
                Issue.record("\(url.lastPathComponent): \(tag) added")
            }
            restoredCount += 1
        }
        #expect(restoredCount >= 25)
    }

    /// Top-level attributes outside the meta header and Pixel Data, as raw value bytes (VR ignored: a PACS may
    /// change OB/OW or store UN). Group lengths (gggg,0000) are retired and recomputed by every writer.
    func attributeMap(_ object: DicomObject) -> [DICOM.Tag: [UInt8]] {
        var map: [DICOM.Tag: [UInt8]] = [:]
        for tag in object.tags() where tag.group != 0x0002 && tag.element != 0x0000 && tag != DICOM.Tag.pixelData {
            if let raw = object.rawValue(tag) { map[tag] = raw.bytes }
        }
        return map
    }
}

@Suite("qkdgate encrypt/decrypt command line", .serialized)
struct CommandLineTests {
    @Test func folderRoundTripWithKeyFile() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = dir.appendingPathComponent("site.key").path
        let binary = Paths.qkdgate.path
        #expect(try run(binary, ["keygen", "--out", key]).status == 0)
        #expect(try run(binary, ["keygen", "--out", key]).status != 0, "keygen must not overwrite a key")
        let input = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        for name in ["ct_small_s16_explicit.dcm", "us_rgb_planar1.dcm", "sr_no_pixels.dcm", "rtdose_32bit_15frame_implicit.dcm"] {
            try FileManager.default.copyItem(at: Paths.sharedSamples.appendingPathComponent(name), to: input.appendingPathComponent(name))
        }
        try Data("not an image".utf8).write(to: input.appendingPathComponent("notes.txt"))
        let encrypted = dir.appendingPathComponent("enc").path
        let restored = dir.appendingPathComponent("dec").path
        let enc = try run(binary, ["encrypt", "--profile", "qkd-hybrid", "--key-file", key, input.path, encrypted])
        #expect(enc.status == 0, "\(enc.output)")
        #expect(enc.output.contains("3 encrypted, 0 restored, 1 copied, 0 failed, 1 skipped"), "\(enc.output)")
        let dec = try run(binary, ["decrypt", "--key-file", key, encrypted, restored])
        #expect(dec.status == 0, "\(dec.output)")
        #expect(dec.output.contains("3 restored, 1 copied, 0 failed"), "\(dec.output)")
        for name in ["ct_small_s16_explicit.dcm", "us_rgb_planar1.dcm", "rtdose_32bit_15frame_implicit.dcm"] {
            let a = try DicomObject(contentsOf: input.appendingPathComponent(name))
            let b = try DicomObject(contentsOf: URL(fileURLWithPath: restored).appendingPathComponent(name))
            #expect(try pixelBytes(a) == pixelBytes(b), "\(name)")
            #expect(a.string(.sopInstanceUID) == b.string(.sopInstanceUID))
        }
        let other = dir.appendingPathComponent("other.key").path
        #expect(try run(binary, ["keygen", "--out", other]).status == 0)
        let wrong = try run(binary, ["decrypt", "--key-file", other, encrypted, dir.appendingPathComponent("wrong").path])
        #expect(wrong.status != 0)
        #expect(wrong.output.contains("integrity check failed"), "\(wrong.output)")
    }

    @Test func encryptedOutputIsValidPerDciodvfy() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/dciodvfy") else {
            Issue.record("dciodvfy (Debian dicom3tools) is not installed; run scripts/setup.sh")
            return
        }
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = dir.appendingPathComponent("k").path
        #expect(try run(Paths.qkdgate.path, ["keygen", "--out", key]).status == 0)
        for name in ["ct_512_s16_implicit.dcm", "mr_siemens_prisma_private_tags.dcm", "us_rgb_planar1.dcm"] {
            let input = Paths.sharedSamples.appendingPathComponent(name)
            for profile in ["qkd-hybrid", "dcgan-vpd", "aes-ctr"] {
                let out = dir.appendingPathComponent("\(profile)-\(name)").path
                #expect(try run(Paths.qkdgate.path, ["encrypt", "--profile", profile, "--key-file", key, input.path, out]).status == 0)
                let before = errorLines(try run("/usr/bin/dciodvfy", [input.path]).output)
                let after = errorLines(try run("/usr/bin/dciodvfy", [out]).output)
                #expect(after.subtracting(before).isEmpty, "\(name) \(profile): new dciodvfy errors \(after.subtracting(before))")
            }
        }
    }

    func errorLines(_ output: String) -> Set<String> {
        Set(output.split(separator: "\n").filter { $0.hasPrefix("Error") }.map(String.init))
    }
}
