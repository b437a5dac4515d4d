public import Foundation
internal import CDCMTK

/// What `qkdgate info` shows about one object: identity, geometry and encoding; never patient data.
public struct DicomSummary: Codable, Sendable, Equatable {
    public var file: String
    public var sopClassUID: String?
    public var sopClassName: String?
    public var modality: String?
    public var rows: Int?
    public var columns: Int?
    public var frames: Int?
    public var samplesPerPixel: Int?
    public var bitsAllocated: Int?
    public var bitsStored: Int?
    public var highBit: Int?
    /// "signed" or "unsigned" (PixelRepresentation 1 or 0); nil without pixel attributes.
    public var signedness: String?
    public var photometricInterpretation: String?
    public var planarConfiguration: Int?
    public var transferSyntaxUID: String
    public var transferSyntaxName: String
    public var hasPixelData: Bool
    public var privateCreators: [String]

    /// Reads the summary from a loaded object (no pixel data is decoded).
    public init(object: DicomObject, file: String) {
        self.file = file
        sopClassUID = object.string(.sopClassUID)
        sopClassName = sopClassUID.flatMap { uid in cdcmtk_uid_name(uid).map { String(cString: $0) } }
        modality = object.string(.modality)
        rows = object.integer(.rows)
        columns = object.integer(.columns)
        hasPixelData = object.hasPixelData
        frames = object.integer(.numberOfFrames) ?? (hasPixelData ? 1 : nil)
        samplesPerPixel = object.integer(.samplesPerPixel)
        bitsAllocated = object.integer(.bitsAllocated)
        bitsStored = object.integer(.bitsStored)
        highBit = object.integer(.highBit)
        signedness = object.integer(.pixelRepresentation).map { $0 == 1 ? "signed" : "unsigned" }
        photometricInterpretation = object.string(.photometricInterpretation)
        planarConfiguration = object.integer(.planarConfiguration)
        let syntax = object.transferSyntax
        transferSyntaxUID = syntax.uid
        transferSyntaxName = syntax.name
        privateCreators = object.privateCreators()
    }

    /// Loads `url` and summarises it.
    public init(contentsOf url: URL) throws(DicomError) {
        self.init(object: try DicomObject(contentsOf: url), file: url.path)
    }

    /// Rows of "label: value" lines for people, one block per file.
    public var text: String {
        func show(_ value: Int?) -> String { value.map(String.init) ?? "-" }
        let geometry = "\(show(rows)) × \(show(columns)) × \(show(frames)) frames × \(show(samplesPerPixel)) samples"
        let lines: [(String, String)] = [
            ("SOP class", sopClassUID.map { uid in sopClassName.map { "\($0) (\(uid))" } ?? uid } ?? "-"),
            ("Modality", modality ?? "-"),
            ("Image", hasPixelData ? geometry : "no Pixel Data"),
            ("Bits", "allocated \(show(bitsAllocated)), stored \(show(bitsStored)), high bit \(show(highBit))"),
            ("Pixel representation", signedness ?? "-"),
            ("Photometric", photometricInterpretation ?? "-"),
            ("Planar configuration", show(planarConfiguration)),
            ("Transfer syntax", "\(transferSyntaxName) (\(transferSyntaxUID))"),
            ("Private creators", privateCreators.isEmpty ? "none" : privateCreators.joined(separator: ", ")),
        ]
        let width = lines.map(\.0.count).max() ?? 0
        return ([file] + lines.map { "  " + $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 })
            .joined(separator: "\n")
    }
}

extension DicomSummary {
    /// Summaries of the files that load, and a message per file that does not.
    public static func summarize(_ urls: [URL]) -> (summaries: [DicomSummary], failures: [String]) {
        var summaries: [DicomSummary] = []
        var failures: [String] = []
        for url in urls {
            do {
                summaries.append(try DicomSummary(contentsOf: url))
            } catch {
                failures.append(error.description)
            }
        }
        return (summaries, failures)
    }

    /// Pretty-printed JSON array with sorted keys.
    public static func json(_ summaries: [DicomSummary]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(summaries), as: UTF8.self)
    }
}
