import DICOM
import Foundation
import Testing

@Suite("Private blocks")
struct PrivateBlockTests {
    static let creator = "QKDGATE TEST 1"
    static let payload: [UInt8] = Array(0..<37).map { UInt8($0 * 7 & 0xFF) }  // odd length on purpose

    static func base() throws -> DicomObject {
        try DicomObject(contentsOf: TestFiles.sharedSamples.appendingPathComponent("ct_small_s16_explicit.dcm"))
    }

    @Test("reserve, write, read back by creator")
    func reserveAndRead() throws {
        let object = try Self.base()
        let block = try object.reservePrivateBlock(creator: Self.creator)
        #expect(block.group % 2 == 1)
        #expect(block.slot == 0x10)
        // The group was not used by anything before.
        let before = try Self.base().tags().map(\.group)
        #expect(!before.contains(block.group))
        try object.setPrivateElement(Self.payload, vr: .ob, offset: 0x01, in: block)
        try object.setPrivateElement(Array("profile=qkd-hybrid".utf8), vr: .lo, offset: 0x02, in: block)
        // Odd-length values are padded to even length (DICOM values always have even length).
        #expect(object.privateElement(offset: 0x01, in: block) == Self.payload + [0])
        #expect(object.privateElement(offset: 0x02, in: block) == Array("profile=qkd-hybrid".utf8))
        #expect(object.findPrivateBlock(creator: Self.creator) == block)
        #expect(object.privateCreators().contains(Self.creator))
        // Reserving again returns the same block.
        #expect(try object.reservePrivateBlock(creator: Self.creator) == block)
    }

    @Test("survives an Implicit VR Little Endian rewrite (elements come back as UN)")
    func implicitRoundTrip() throws {
        let object = try Self.base()
        let block = try object.reservePrivateBlock(creator: Self.creator)
        try object.setPrivateElement(Self.payload, vr: .ob, offset: 0x01, in: block)
        try object.setPrivateElement([1, 0, 0, 0, 2, 0, 0, 0], vr: .ul, offset: 0x03, in: block)
        let implicit = try DicomObject(bytes: try object.serialized(transferSyntax: .implicitVRLittleEndian))
        #expect(implicit.transferSyntax == .implicitVRLittleEndian)
        let found = try #require(implicit.findPrivateBlock(creator: Self.creator))
        #expect(found == block)
        #expect(implicit.rawValue(found.tag(offset: 0x01))?.vr == "UN")
        // Odd values are padded to even length when written.
        #expect(implicit.privateElement(offset: 0x01, in: found) == Self.payload + [0])
        #expect(implicit.privateElement(offset: 0x03, in: found) == [1, 0, 0, 0, 2, 0, 0, 0])
        // And it is still found after going back to Explicit VR.
        let explicit = try DicomObject(bytes: try implicit.serialized())
        let again = try #require(explicit.findPrivateBlock(creator: Self.creator))
        #expect(explicit.privateElement(offset: 0x01, in: again) == Self.payload + [0])
    }

    @Test("found by creator after another block was inserted before it in the same group")
    func otherBlockBefore() throws {
        // Someone else's block takes slot 0x10 of the group; ours sits at slot 0x11 (as a PACS that
        // re-arranged blocks could leave it).
        let object = try Self.base()
        let group: UInt16 = 0x0009
        try object.setString("OTHER VENDOR", for: DicomTag(group, 0x0010), vr: .lo)
        try object.setRawValue([9, 9, 9, 9], vr: .ob, for: DicomTag(group, 0x1001))
        try object.setString(Self.creator, for: DicomTag(group, 0x0011), vr: .lo)
        try object.setRawValue(Self.payload, vr: .ob, for: DicomTag(group, 0x1101))
        let reread = try DicomObject(bytes: try object.serialized(transferSyntax: .implicitVRLittleEndian))
        let found = try #require(reread.findPrivateBlock(creator: Self.creator))
        #expect(found.group == group)
        #expect(found.slot == 0x11)
        #expect(reread.privateElement(offset: 0x01, in: found) == Self.payload + [0])
        #expect(Array(reread.privateCreators().prefix(2)) == ["OTHER VENDOR", Self.creator])
    }

    @Test("found again after a block is inserted in a lower group, and reserve avoids used groups")
    func lowerGroupInserted() throws {
        let object = try Self.base()
        try object.setString("FIRST", for: DicomTag(0x0009, 0x0010), vr: .lo)
        let block = try object.reservePrivateBlock(creator: Self.creator)
        #expect(block.group == 0x000B)
        try object.setPrivateElement(Self.payload + [1], vr: .ob, offset: 0x20, in: block)
        let reread = try DicomObject(bytes: try object.serialized(transferSyntax: .implicitVRLittleEndian))
        #expect(reread.findPrivateBlock(creator: Self.creator) == block)
        #expect(reread.privateElement(offset: 0x20, in: block) == Self.payload + [1])
    }

    @Test("reserve in a file with many vendor private groups picks a free one")
    func siemens() throws {
        let object = try DicomObject(contentsOf: TestFiles.sharedSamples.appendingPathComponent("mr_siemens_prisma_private_tags.dcm"))
        let used = Set(object.tags().map(\.group))
        let block = try object.reservePrivateBlock(creator: Self.creator)
        #expect(!used.contains(block.group))
        #expect(object.privateCreators().count >= 2)
    }

    @Test("remove deletes the block and its creator")
    func remove() throws {
        let object = try Self.base()
        let before = object.tags()
        let block = try object.reservePrivateBlock(creator: Self.creator)
        try object.setPrivateElement(Self.payload, vr: .ob, offset: 0x01, in: block)
        try object.removePrivateBlock(block)
        #expect(object.findPrivateBlock(creator: Self.creator) == nil)
        #expect(object.tags() == before)
        #expect(throws: DicomError.self) { try object.setPrivateElement([1, 2], vr: .ob, offset: 0x01, in: block) }
    }

    @Test("invalid creator strings are rejected")
    func invalidCreator() throws {
        let object = try Self.base()
        #expect(throws: DicomError.self) { try object.reservePrivateBlock(creator: "") }
        #expect(throws: DicomError.self) { try object.reservePrivateBlock(creator: String(repeating: "X", count: 65)) }
        #expect(throws: DicomError.self) { try object.reservePrivateBlock(creator: "A\\B") }
    }
}
