public import Foundation

/// The project's own synthetic sample studies (`qkdgate samples`): plausible-looking, obviously fake images
/// with complete patient/study/series modules and `2.25.` UIDs derived from a seed, so regenerating with the
/// same seed gives the same files.
public enum SyntheticStudies {
    /// One written file and what it is, for the sample README.
    public struct SampleFile: Sendable, Equatable {
        public var name: String
        public var description: String
    }

    /// The seed the committed `dicom-samples/` were generated with.
    public static let defaultSeed: UInt64 = 20_260_101

    /// Writes every sample and `README.md` into `folder` (created if needed). Returns the files written.
    @discardableResult
    public static func write(to folder: URL, seed: UInt64 = defaultSeed) throws(DicomError) -> [SampleFile] {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw .writeFailed(destination: folder.path, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        var uids = UIDFactory(seed: seed)
        var files: [SampleFile] = []
        func save(_ object: DicomObject, _ name: String, _ syntax: TransferSyntax = .explicitVRLittleEndian,
                  _ description: String) throws(DicomError) {
            try object.write(to: folder.appendingPathComponent(name), transferSyntax: syntax)
            files.append(SampleFile(name: name, description: description))
        }

        // CT series: 8 axial slices of a phantom, 512×512, 16-bit signed, 12 bits stored.
        let ctStudy = StudyIdentity(uids: &uids, label: "ct", patientName: "SYNTHETIC^CT PHANTOM", patientID: "QKDGATE-SYN-CT",
                                    description: "Synthetic CT phantom study")
        let ctSeries = uids.next("ct-series")
        let ctFrame = uids.next("ct-frame-of-reference")
        var firstCT: DicomObject? = nil
        for slice in 0..<8 {
            let object = try makeCT(study: ctStudy, seriesUID: ctSeries, frameOfReference: ctFrame,
                                    instanceUID: uids.next("ct-\(slice)"), slice: slice, seed: seed)
            if firstCT == nil { firstCT = try object.copy() }
            try save(object, "ct_phantom_s\(slice + 1).dcm", .explicitVRLittleEndian,
                     "CT Image, axial slice \(slice + 1) of 8, 512×512, 16-bit signed, 12 bits stored (high bit 11), HU = stored − 1024, padding −2000 outside the field of view")
        }

        // MR: 256×256, 16-bit unsigned.
        let mrStudy = StudyIdentity(uids: &uids, label: "mr", patientName: "SYNTHETIC^MR HEAD", patientID: "QKDGATE-SYN-MR",
                                    description: "Synthetic MR head study")
        let mrSeries = uids.next("mr-series")
        let mrFrame = uids.next("mr-frame-of-reference")
        var firstMR: DicomObject? = nil
        for slice in 0..<3 {
            let object = try makeMR(study: mrStudy, seriesUID: mrSeries, frameOfReference: mrFrame,
                                    instanceUID: uids.next("mr-\(slice)"), slice: slice, seed: seed)
            if firstMR == nil { firstMR = try object.copy() }
            try save(object, "mr_head_s\(slice + 1).dcm", .explicitVRLittleEndian,
                     "MR Image, slice \(slice + 1) of 3, 256×256, 16-bit unsigned (16 bits stored), MONOCHROME2")
        }

        // CR: MONOCHROME1, 12-bit.
        let crStudy = StudyIdentity(uids: &uids, label: "cr", patientName: "SYNTHETIC^CR CHEST", patientID: "QKDGATE-SYN-CR",
                                    description: "Synthetic chest radiograph")
        let cr = try makeCR(study: crStudy, seriesUID: uids.next("cr-series"), instanceUID: uids.next("cr-0"), seed: seed)
        try save(cr, "cr_chest_mono1.dcm", .explicitVRLittleEndian,
                 "Computed Radiography, 640×768 (columns × rows), MONOCHROME1, 16 bits allocated, 12 stored, unsigned")

        // US: RGB multi-frame.
        let usStudy = StudyIdentity(uids: &uids, label: "us", patientName: "SYNTHETIC^US CARDIAC", patientID: "QKDGATE-SYN-US",
                                    description: "Synthetic ultrasound cine")
        let us = try makeUS(study: usStudy, seriesUID: uids.next("us-series"), instanceUID: uids.next("us-0"), seed: seed)
        try save(us, "us_rgb_cine_8frames.dcm", .explicitVRLittleEndian,
                 "Ultrasound Multi-frame, 8 frames of 256×192 RGB 8-bit, planar configuration 0, sector scan with a colour-flow region")

        // XC: dermatology-like photograph.
        let xcStudy = StudyIdentity(uids: &uids, label: "xc", patientName: "SYNTHETIC^SKIN LESION", patientID: "QKDGATE-SYN-XC",
                                    description: "Synthetic dermatology photograph")
        let xc = try makeXC(study: xcStudy, seriesUID: uids.next("xc-series"), instanceUID: uids.next("xc-0"), seed: seed)
        try save(xc, "xc_skin_rgb.dcm", .explicitVRLittleEndian,
                 "VL Photographic Image (modality XC), 301×227 RGB 8-bit (odd size), a pigmented lesion on skin")

        // Lossless encoded copies (new series and instance UIDs so a PACS keeps them apart).
        if let firstCT {
            let encodings: [(TransferSyntax, String, String)] = [
                (.jpegLosslessSV1, "ct_phantom_s1_jpeg_lossless.dcm", "JPEG Lossless SV1"),
                (.jpegLSLossless, "ct_phantom_s1_jpegls_lossless.dcm", "JPEG-LS Lossless"),
                (.rleLossless, "ct_phantom_s1_rle.dcm", "RLE Lossless"),
            ]
            for (syntax, name, label) in encodings {
                let copy = try firstCT.copy()
                try copy.setString(uids.next("ct-copy-series-\(label)"), for: .seriesInstanceUID)
                try copy.setString(uids.next("ct-copy-\(label)"), for: .sopInstanceUID)
                try copy.setString("CT phantom slice 1, \(label) copy", for: .seriesDescription)
                try copy.setString("90\(files.count)", for: .seriesNumber)
                try save(copy, name, syntax, "CT slice 1 (signed 12-bit) encoded as \(label) (\(syntax.uid)); decodes to the same pixels")
            }
        }
        if let firstMR {
            let copy = try firstMR.copy()
            try copy.setString(uids.next("mr-copy-series"), for: .seriesInstanceUID)
            try copy.setString(uids.next("mr-copy"), for: .sopInstanceUID)
            try copy.setString("MR slice 1, JPEG-LS Lossless copy", for: .seriesDescription)
            try copy.setString("901", for: .seriesNumber)
            try save(copy, "mr_head_s1_jpegls_lossless.dcm", .jpegLSLossless,
                     "MR slice 1 encoded as JPEG-LS Lossless (\(TransferSyntax.jpegLSLossless.uid))")
        }
        let usCopy = try us.copy()
        try usCopy.setString(uids.next("us-copy-series"), for: .seriesInstanceUID)
        try usCopy.setString(uids.next("us-copy"), for: .sopInstanceUID)
        try usCopy.setString("US cine, RLE Lossless copy", for: .seriesDescription)
        try usCopy.setString("902", for: .seriesNumber)
        try save(usCopy, "us_rgb_cine_8frames_rle.dcm", .rleLossless,
                 "The US cine encoded as RLE Lossless (\(TransferSyntax.rleLossless.uid))")
        let crCopy = try cr.copy()
        try crCopy.setString(uids.next("cr-copy-series"), for: .seriesInstanceUID)
        try crCopy.setString(uids.next("cr-copy"), for: .sopInstanceUID)
        try crCopy.setString("CR chest, JPEG Lossless copy", for: .seriesDescription)
        try crCopy.setString("903", for: .seriesNumber)
        try save(crCopy, "cr_chest_mono1_jpeg_lossless.dcm", .jpegLosslessSV1,
                 "The CR image encoded as JPEG Lossless SV1 (\(TransferSyntax.jpegLosslessSV1.uid))")

        try writeReadme(files: files, seed: seed, to: folder.appendingPathComponent("README.md"))
        return files
    }

    private static func writeReadme(files: [SampleFile], seed: UInt64, to url: URL) throws(DicomError) {
        var text = """
        # qkdgate synthetic DICOM samples

        Generated by `qkdgate samples --out dicom-samples/` (seed \(seed)); regenerate with the same command, the
        output is byte-for-byte reproducible. Every name, ID and image here is synthetic: patients are named
        `SYNTHETIC^…`, IDs start with `QKDGATE-SYN-`, and UIDs are `2.25.` + a 128-bit integer derived from the
        seed. The images are simple geometric phantoms drawn by `Sources/DICOM/SyntheticStudies.swift`.

        | file | content |
        |---|---|

        """
        for file in files { text += "| `\(file.name)` | \(file.description) |\n" }
        text += """

        Each study (CT, MR, CR, US, XC) has its own patient, study and series; the encoded copies have their
        own series (numbers 900+) and SOP Instance UIDs. All files are valid DICOM Part 10 files (checked
        with `dciodvfy`).

        """
        do {
            try Data(text.utf8).write(to: url)
        } catch {
            throw .writeFailed(destination: url.path, reason: error.localizedDescription)
        }
    }
}

// MARK: - Identity

/// Deterministic `2.25.` UIDs: 128 bits from a seeded generator per label, RFC 4122 version 4 layout.
struct UIDFactory {
    private let seed: UInt64

    init(seed: UInt64) { self.seed = seed }

    mutating func next(_ label: String) -> String {
        // FNV-1a over the label, mixed with the seed, then SplitMix64 for 128 bits.
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in label.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        var state = hash ^ (seed &* 0x9E37_79B9_7F4A_7C15)
        func mix() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var high = mix(), low = mix()
        high = (high & ~0xF000) | 0x4000                  // version 4
        low = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000  // RFC 4122 variant
        return "2.25." + Self.decimal(high: high, low: low)
    }

    /// Decimal digits of a 128-bit unsigned integer.
    static func decimal(high: UInt64, low: UInt64) -> String {
        var limbs: [UInt32] = [UInt32(high >> 32), UInt32(high & 0xFFFF_FFFF), UInt32(low >> 32), UInt32(low & 0xFFFF_FFFF)]
        var digits: [Character] = []
        while limbs.contains(where: { $0 != 0 }) {
            var remainder: UInt64 = 0
            for i in limbs.indices {
                let current = remainder << 32 | UInt64(limbs[i])
                limbs[i] = UInt32(current / 10)
                remainder = current % 10
            }
            digits.append(Character(String(remainder)))
        }
        return digits.isEmpty ? "0" : String(digits.reversed())
    }
}

/// Patient and study attributes shared by a study's series.
struct StudyIdentity {
    var patientName: String
    var patientID: String
    var studyUID: String
    var studyID: String
    var description: String

    init(uids: inout UIDFactory, label: String, patientName: String, patientID: String, description: String) {
        self.patientName = patientName
        self.patientID = patientID
        self.studyUID = uids.next("\(label)-study")
        self.studyID = "SYN-\(label.uppercased())"
        self.description = description
    }
}
