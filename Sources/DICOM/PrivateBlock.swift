internal import CDCMTK

/// A private block: a Private Creator string reserving elements (gggg,xx00)–(gggg,xxFF) in odd group gggg,
/// where xx is the block's `slot` (0x10…0xFF) and the creator sits at (gggg,00xx). Always find a block by its
/// creator; never assume the slot.
public struct PrivateBlock: Hashable, Sendable, CustomStringConvertible {
    public let group: UInt16
    public let slot: UInt8
    public let creator: String

    /// The tag of the element at `offset` inside the block.
    public func tag(offset: UInt8) -> Tag { Tag(group, UInt16(slot) << 8 | UInt16(offset)) }

    /// The tag of the Private Creator element.
    public var creatorTag: Tag { Tag(group, UInt16(slot)) }

    public var description: String { "private block \"\(creator)\" at \(creatorTag)" }
}

extension DicomObject {
    /// Every Private Creator in the top-level dataset with its block.
    public func privateBlocks() -> [PrivateBlock] {
        tags().compactMap { tag -> PrivateBlock? in
            guard tag.isPrivate, tag.group > 0x0008, (0x0010...0x00FF).contains(tag.element),
                  let creator = string(tag) else { return nil }
            return PrivateBlock(group: tag.group, slot: UInt8(tag.element), creator: creator)
        }
    }

    /// The Private Creator strings present in the top-level dataset, in tag order.
    public func privateCreators() -> [String] { privateBlocks().map(\.creator) }

    /// The first block whose creator equals `creator` (trailing spaces ignored), or nil.
    public func findPrivateBlock(creator: String) -> PrivateBlock? {
        let wanted = Self.trimmed(creator)
        return privateBlocks().first { Self.trimmed($0.creator) == wanted }
    }

    /// Reserves a block for `creator` at slot 0x10 of the first odd group (from 0009) that the dataset does
    /// not use at all, so the block never mixes with someone else's data. Returns the existing block when
    /// the creator is already present.
    public func reservePrivateBlock(creator: String) throws(DicomError) -> PrivateBlock {
        let name = Self.trimmed(creator)
        guard !name.isEmpty, name.utf8.count <= 64, !name.contains("\\"),
              name.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) else {
            throw .privateBlock("creator must be 1–64 printable ASCII characters without a backslash")
        }
        if let existing = findPrivateBlock(creator: name) { return existing }
        let used = Set(tags().map(\.group))
        var group: UInt16 = 0x0009
        while used.contains(group) {
            guard group < 0xFFFD else { throw .privateBlock("no odd group is free for \"\(name)\"") }
            group += 2
        }
        let block = PrivateBlock(group: group, slot: 0x10, creator: name)
        try setString(name, for: block.creatorTag, vr: .lo)
        return block
    }

    /// Writes one element of a block from raw bytes. Odd-length values come back padded to even length.
    public func setPrivateElement(_ bytes: [UInt8], vr: VR, offset: UInt8, in block: PrivateBlock) throws(DicomError) {
        try requireCreator(of: block)
        do {
            try setRawValue(bytes, vr: vr, for: block.tag(offset: offset))
        } catch {
            throw .privateBlock("element \(block.tag(offset: offset)) of \(block) was rejected: \(error)")
        }
    }

    /// The raw value bytes of one element of a block whatever its VR (UN after an Implicit VR round trip).
    public func privateElement(offset: UInt8, in block: PrivateBlock) -> [UInt8]? {
        guard let current = string(block.creatorTag), Self.trimmed(current) == Self.trimmed(block.creator) else { return nil }
        return rawValue(block.tag(offset: offset))?.bytes
    }

    /// Removes a block's elements and its Private Creator.
    public func removePrivateBlock(_ block: PrivateBlock) throws(DicomError) {
        try requireCreator(of: block)
        for tag in tags() where tag.group == block.group && UInt8(truncatingIfNeeded: tag.element >> 8) == block.slot
            && tag.element >= 0x1000 {
            remove(tag)
        }
        remove(block.creatorTag)
    }

    private func requireCreator(of block: PrivateBlock) throws(DicomError) {
        guard let current = string(block.creatorTag), Self.trimmed(current) == Self.trimmed(block.creator) else {
            throw .privateBlock("\(block) is no longer in the object; look it up again with findPrivateBlock(creator:)")
        }
    }

    static func trimmed(_ text: String) -> String {
        var result = Substring(text)
        while result.last == " " || result.last == "\0" { result = result.dropLast() }
        while result.first == " " { result = result.dropFirst() }
        return String(result)
    }
}
