import Ciphers
import DICOM
import Foundation
import Pixels
import Protection
import Testing

@Suite("Encrypt and restore whole objects")
struct ObjectProtectorTests {
    static let profiles: [ProfileSettings] = [
        ProfileSettings(profile: "qkd-hybrid", planes: "msb:4"),
        ProfileSettings(profile: "qkd-hybrid", planes: "all"),
        ProfileSettings(profile: "aes-ctr"),
        ProfileSettings(profile: "dcgan-vpd"),
    ]

    static func ctLike(rows: Int = 37, columns: Int = 29, frames: Int = 2) throws -> PixelBuffer {
        let d = PixelDescriptor(rows: rows, columns: columns, frames: frames, bitsAllocated: 16, bitsStored: 12, isSigned: true)
        var rng = SplitMix64(seed: 77)
        let values = (0..<d.valueCount).map { i in UInt32((i * 7 + Int.random(in: 0...40, using: &rng)) & 0xFFF) }
        return try PixelBuffer(descriptor: d, values: values, residue: values.map { $0 & 1 == 0 ? 0xF000 : 0 })
    }

    @Test("round trip restores pixels, UID and removes the block", arguments: profiles)
    func roundTrip(settings: ProfileSettings) async throws {
        let (protector, _) = try localProtector()
        let object = try syntheticObject(try Self.ctLike())
        let originalUID = try #require(object.string(.sopInstanceUID))
        let originalPixels = try pixelBytes(object)

        let outcome = try await protector.protect(object, with: try CipherCatalog.encryptionCipher(settings))
        #expect(outcome.profile == settings.profile)
        #expect(object.string(.sopInstanceUID) == outcome.newSOPInstanceUID)
        #expect(outcome.newSOPInstanceUID != originalUID)
        #expect(try pixelBytes(object) != originalPixels)
        #expect(object.privateCreators().contains(ProtectionBlock.creator))

        let restored = try await protector.restore(object)
        #expect(restored.restoredSOPInstanceUID == originalUID)
        #expect(object.string(.sopInstanceUID) == originalUID)
        #expect(try pixelBytes(object) == originalPixels)
        #expect(!object.privateCreators().contains(ProtectionBlock.creator))
    }

    /// An object an older build encrypted with qkd-hybrid format version 1 is still restored (the block names
    /// the version; the decryptor picks the matching cipher).
    @Test func olderQKDHybridFormatVersionStillRestores() async throws {
        let (protector, _) = try localProtector()
        let object = try syntheticObject(try Self.ctLike())
        let originalPixels = try pixelBytes(object)
        _ = try await protector.protect(object, with: QKDHybridCipher(formatVersion: 1))
        let (block, _) = try ObjectProtector.read(from: object)
        #expect(block.cipherFormatVersion == 1)
        #expect(try pixelBytes(object) != originalPixels)
        _ = try await protector.restore(object)
        #expect(try pixelBytes(object) == originalPixels)
    }

    @Test func sameObjectGetsTheSameNewUIDAndFreshKeys() async throws {
        let (protector, _) = try localProtector()
        let a = try syntheticObject(try Self.ctLike(), uid: "1.2.3.99")
        let b = try a.copy()
        let cipher = try CipherCatalog.encryptionCipher(ProfileSettings(profile: "qkd-hybrid"))
        let first = try await protector.protect(a, with: cipher)
        let second = try await protector.protect(b, with: cipher)
        #expect(first.newSOPInstanceUID == second.newSOPInstanceUID)
        #expect(first.keyID != second.keyID)
        let (blockA, _) = try ObjectProtector.read(from: a)
        let (blockB, _) = try ObjectProtector.read(from: b)
        #expect(blockA.wrappedBundle != blockB.wrappedBundle)
        #expect(try pixelBytes(a) != pixelBytes(b))
    }

    @Test func survivesAnImplicitVRPACS() async throws {
        let (protector, _) = try localProtector()
        let object = try syntheticObject(try Self.ctLike())
        let originalPixels = try pixelBytes(object)
        _ = try await protector.protect(object, with: try CipherCatalog.encryptionCipher(ProfileSettings(profile: "qkd-hybrid")))
        let stored = try DicomObject(bytes: object.serialized(transferSyntax: .implicitVRLittleEndian))
        _ = try await protector.restore(stored)
        #expect(try pixelBytes(stored) == originalPixels)
    }

    @Test func thirtyTwoBitFallsBackOrIsRejected() async throws {
        let (protector, _) = try localProtector()
        let d = PixelDescriptor(rows: 3, columns: 5, frames: 4, bitsAllocated: 32, bitsStored: 32)
        let buffer = try PixelBuffer(descriptor: d, values: (0..<d.valueCount).map { UInt32($0) &* 2_654_435_761 })
        let hybrid = try CipherCatalog.encryptionCipher(ProfileSettings(profile: "qkd-hybrid"))
        await #expect(throws: ProtectionError.self) {
            try await protector.protect(try syntheticObject(buffer), with: hybrid, fallback: nil)
        }
        let object = try syntheticObject(buffer)
        let original = try pixelBytes(object)
        let outcome = try await protector.protect(object, with: hybrid, fallback: AESCTRCipher())
        #expect(outcome.usedFallback && outcome.profile == "aes-ctr")
        _ = try await protector.restore(object)
        #expect(try pixelBytes(object) == original)
    }
}

@Suite("Tampering and wrong keys give integrity errors, never garbage")
struct TamperTests {
    func encrypted() async throws -> (DicomObject, ObjectProtector) {
        let (protector, _) = try localProtector()
        let object = try syntheticObject(try ObjectProtectorTests.ctLike())
        _ = try await protector.protect(object, with: try CipherCatalog.encryptionCipher(ProfileSettings(profile: "qkd-hybrid")))
        return (object, protector)
    }

    func expectIntegrityError(_ object: DicomObject, _ protector: ObjectProtector) async {
        let before = try? pixelBytes(object)
        do {
            _ = try await protector.restore(object)
            Issue.record("restore accepted a tampered object")
        } catch {
            guard case .integrity = error else { Issue.record("expected an integrity error, got \(error)"); return }
        }
        #expect((try? pixelBytes(object)) == before, "a failed restore must not touch the object")
    }

    @Test func oneCipherPixelChanged() async throws {
        let (object, protector) = try await encrypted()
        var buffer = try object.pixelBuffer()
        buffer.values[17] ^= 1
        try object.setPixelBuffer(buffer)
        await expectIntegrityError(object, protector)
    }

    @Test("one byte of each block element changed", arguments: [0x10, 0x11, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A] as [UInt8])
    func oneBlockByteChanged(offset: UInt8) async throws {
        let (object, protector) = try await encrypted()
        let block = try #require(object.findPrivateBlock(creator: ProtectionBlock.creator))
        var bytes = try #require(object.privateElement(offset: offset, in: block))
        bytes[0] ^= 0x01
        try object.setPrivateElement(bytes, vr: .ob, offset: offset, in: block)
        do {
            _ = try await protector.restore(object)
            Issue.record("restore accepted a changed block element \(offset)")
        } catch {
            switch error {
            case .integrity, .malformedBlock, .unsupported, .keySource: break
            default: Issue.record("unexpected error \(error)")
            }
        }
    }

    @Test func wrongKeyFile() async throws {
        let (object, _) = try await encrypted()
        let (other, _) = try localProtector()
        await expectIntegrityError(object, other)
    }
}
