internal import CDCMTK

/// A transfer syntax: its UID plus what DCMTK knows about it.
public struct TransferSyntax: Hashable, Sendable, CustomStringConvertible {
    public let uid: String
    /// DCMTK's name, or "Unknown Transfer Syntax".
    public let name: String
    /// Pixel Data is encapsulated (compressed) in this syntax.
    public let isEncapsulated: Bool
    /// The compression loses information.
    public let isLossy: Bool
    /// DCMTK knows the UID.
    public let isKnown: Bool

    public init(uid: String) {
        var namePointer: UnsafeMutablePointer<CChar>? = nil
        var encapsulated: Int32 = 0, lossy: Int32 = 0, known: Int32 = 0
        _ = cdcmtk_transfer_syntax_info(uid, &namePointer, &encapsulated, &lossy, &known)
        self.uid = uid
        self.name = namePointer.map { String(cString: $0) } ?? "Unknown Transfer Syntax"
        cdcmtk_free(namePointer)
        self.isEncapsulated = encapsulated != 0
        self.isLossy = lossy != 0
        self.isKnown = known != 0
    }

    public var description: String { "\(name) (\(uid))" }

    public static func == (lhs: TransferSyntax, rhs: TransferSyntax) -> Bool { lhs.uid == rhs.uid }
    public func hash(into hasher: inout Hasher) { hasher.combine(uid) }

    public static let implicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2")
    public static let explicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2.1")
    public static let deflatedExplicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2.1.99")
    public static let explicitVRBigEndian = TransferSyntax(uid: "1.2.840.10008.1.2.2")
    public static let jpegBaseline = TransferSyntax(uid: "1.2.840.10008.1.2.4.50")
    public static let jpegExtended = TransferSyntax(uid: "1.2.840.10008.1.2.4.51")
    public static let jpegLossless = TransferSyntax(uid: "1.2.840.10008.1.2.4.57")
    public static let jpegLosslessSV1 = TransferSyntax(uid: "1.2.840.10008.1.2.4.70")
    public static let jpegLSLossless = TransferSyntax(uid: "1.2.840.10008.1.2.4.80")
    public static let jpegLSNearLossless = TransferSyntax(uid: "1.2.840.10008.1.2.4.81")
    public static let jpeg2000Lossless = TransferSyntax(uid: "1.2.840.10008.1.2.4.90")
    public static let jpeg2000 = TransferSyntax(uid: "1.2.840.10008.1.2.4.91")
    public static let rleLossless = TransferSyntax(uid: "1.2.840.10008.1.2.5")
}
