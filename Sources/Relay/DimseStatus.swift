/// A DIMSE status (PS3.7 annex C) with the category that decides what the relay does with it.
public struct DimseStatus: Sendable, Hashable, CustomStringConvertible {
    public let code: UInt16

    public init(_ code: UInt16) { self.code = code }

    public static let success = DimseStatus(0x0000)
    /// Refused: out of resources (0xA700). A peer under load; retry later.
    public static let outOfResources = DimseStatus(0xA700)
    /// Error: data set does not match SOP class (0xA900).
    public static let dataSetDoesNotMatchSOPClass = DimseStatus(0xA900)
    /// Error: cannot understand (0xC000); used for objects the node cannot parse or cannot process as required.
    public static let cannotUnderstand = DimseStatus(0xC000)
    /// Refused: SOP class not supported (0x0122).
    public static let sopClassNotSupported = DimseStatus(0x0122)

    public enum Category: Sendable, Hashable {
        case success, warning, transientFailure, permanentFailure
    }

    /// Warnings (0xB000, 0xB006, 0xB007, 0x0001) mean the peer stored the object; 0xA7xx and 0x0213 are
    /// resource shortages worth retrying; everything else that is not success is permanent for this object.
    public var category: Category {
        switch code {
        case 0x0000: return .success
        case 0x0001, 0xB000...0xBFFF: return .warning
        case 0xA700...0xA7FF, 0x0213: return .transientFailure
        default: return .permanentFailure
        }
    }

    public var isStored: Bool { category == .success || category == .warning }

    public var description: String { "0x" + String(code, radix: 16, uppercase: true).leftPadded(to: 4) }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
