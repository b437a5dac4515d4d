/// A DICOM attribute tag (group, element).
public struct Tag: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var group: UInt16
    public var element: UInt16

    public init(_ group: UInt16, _ element: UInt16) {
        self.group = group
        self.element = element
    }

    public init(group: UInt16, element: UInt16) {
        self.init(group, element)
    }

    /// True for tags in odd groups (private data elements and private creators).
    public var isPrivate: Bool { group % 2 == 1 }

    public var description: String {
        "(" + Self.hex(group) + "," + Self.hex(element) + ")"
    }

    public static func < (lhs: Tag, rhs: Tag) -> Bool {
        (lhs.group, lhs.element) < (rhs.group, rhs.element)
    }

    private static func hex(_ value: UInt16) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}

extension Tag {
    // File meta
    public static let transferSyntaxUID = Tag(0x0002, 0x0010)
    // SOP common, patient, study, series
    public static let specificCharacterSet = Tag(0x0008, 0x0005)
    public static let imageType = Tag(0x0008, 0x0008)
    public static let sopClassUID = Tag(0x0008, 0x0016)
    public static let sopInstanceUID = Tag(0x0008, 0x0018)
    public static let studyDate = Tag(0x0008, 0x0020)
    public static let seriesDate = Tag(0x0008, 0x0021)
    public static let contentDate = Tag(0x0008, 0x0023)
    public static let studyTime = Tag(0x0008, 0x0030)
    public static let seriesTime = Tag(0x0008, 0x0031)
    public static let contentTime = Tag(0x0008, 0x0033)
    public static let accessionNumber = Tag(0x0008, 0x0050)
    public static let modality = Tag(0x0008, 0x0060)
    public static let conversionType = Tag(0x0008, 0x0064)
    public static let manufacturer = Tag(0x0008, 0x0070)
    public static let referringPhysicianName = Tag(0x0008, 0x0090)
    public static let studyDescription = Tag(0x0008, 0x1030)
    public static let seriesDescription = Tag(0x0008, 0x103E)
    public static let derivationDescription = Tag(0x0008, 0x2111)
    public static let lossyImageCompression = Tag(0x0028, 0x2110)
    public static let patientName = Tag(0x0010, 0x0010)
    public static let patientID = Tag(0x0010, 0x0020)
    public static let patientBirthDate = Tag(0x0010, 0x0030)
    public static let patientSex = Tag(0x0010, 0x0040)
    public static let bodyPartExamined = Tag(0x0018, 0x0015)
    public static let sliceThickness = Tag(0x0018, 0x0050)
    public static let kvp = Tag(0x0018, 0x0060)
    public static let studyInstanceUID = Tag(0x0020, 0x000D)
    public static let seriesInstanceUID = Tag(0x0020, 0x000E)
    public static let studyID = Tag(0x0020, 0x0010)
    public static let seriesNumber = Tag(0x0020, 0x0011)
    public static let instanceNumber = Tag(0x0020, 0x0013)
    public static let patientOrientation = Tag(0x0020, 0x0020)
    public static let imagePositionPatient = Tag(0x0020, 0x0032)
    public static let imageOrientationPatient = Tag(0x0020, 0x0037)
    public static let frameOfReferenceUID = Tag(0x0020, 0x0052)
    public static let laterality = Tag(0x0020, 0x0060)
    public static let positionReferenceIndicator = Tag(0x0020, 0x1040)
    public static let sliceLocation = Tag(0x0020, 0x1041)
    // Image pixel
    public static let samplesPerPixel = Tag(0x0028, 0x0002)
    public static let photometricInterpretation = Tag(0x0028, 0x0004)
    public static let planarConfiguration = Tag(0x0028, 0x0006)
    public static let numberOfFrames = Tag(0x0028, 0x0008)
    public static let frameIncrementPointer = Tag(0x0028, 0x0009)
    public static let rows = Tag(0x0028, 0x0010)
    public static let columns = Tag(0x0028, 0x0011)
    public static let pixelSpacing = Tag(0x0028, 0x0030)
    public static let bitsAllocated = Tag(0x0028, 0x0100)
    public static let bitsStored = Tag(0x0028, 0x0101)
    public static let highBit = Tag(0x0028, 0x0102)
    public static let pixelRepresentation = Tag(0x0028, 0x0103)
    public static let windowCenter = Tag(0x0028, 0x1050)
    public static let windowWidth = Tag(0x0028, 0x1051)
    public static let rescaleIntercept = Tag(0x0028, 0x1052)
    public static let rescaleSlope = Tag(0x0028, 0x1053)
    public static let rescaleType = Tag(0x0028, 0x1054)
    public static let pixelData = Tag(0x7FE0, 0x0010)
}

/// Value representations accepted for raw element values (`DicomObject.setPrivateElement`).
public enum VR: String, Sendable, Hashable, CaseIterable {
    case ae = "AE", `as` = "AS", cs = "CS", da = "DA", ds = "DS", dt = "DT", `is` = "IS", lo = "LO", lt = "LT"
    case pn = "PN", sh = "SH", st = "ST", tm = "TM", uc = "UC", ui = "UI", ur = "UR", ut = "UT"
    case ob = "OB", ow = "OW", ol = "OL", od = "OD", un = "UN", at = "AT", sq = "SQ"
    case us = "US", ss = "SS", ul = "UL", sl = "SL", fd = "FD"
}
