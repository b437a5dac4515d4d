import DICOM
import Foundation
import Testing

/// `qkdgate info --json` agrees with DCMTK's `dcmdump` on the shared samples.
@Suite("qkdgate info against dcmdump")
struct InfoCommandTests {
    /// The built `qkdgate` next to the test bundle, else in .build/debug.
    static let binary: String? = {
        var candidates: [URL] = []
        if let first = CommandLine.arguments.first {
            var folder = URL(fileURLWithPath: first).deletingLastPathComponent()
            for _ in 0..<4 {
                candidates.append(folder.appendingPathComponent("qkdgate"))
                folder = folder.deletingLastPathComponent()
            }
        }
        candidates.append(TestFiles.packageRoot.appendingPathComponent(".build/debug/qkdgate"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }?.path
    }()

    static let dcmdump = findExecutable("dcmdump")

    /// Top-level elements from `dcmdump -q -Un +L`: tag → (VR, value text).
    static func dump(_ file: URL) throws -> [DicomTag: (vr: String, value: String)] {
        let result = try runProcess(try #require(dcmdump), ["-q", "-Un", "+L", "-M", file.path])
        var elements: [DicomTag: (String, String)] = [:]
        for line in result.output.split(separator: "\n") where line.hasPrefix("(") {
            // (gggg,eeee) VR value   # length, multiplicity name
            let text = String(line)
            guard text.count > 14,
                  let group = UInt16(text.dropFirst(1).prefix(4), radix: 16),
                  let element = UInt16(text.dropFirst(6).prefix(4), radix: 16) else { continue }
            let vr = String(text.dropFirst(12).prefix(2))
            var value = String(text.dropFirst(15))
            if let hash = value.range(of: "#", options: .backwards) { value = String(value[..<hash.lowerBound]) }
            value = value.trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("(no value") {
                value = ""
            } else if value.hasPrefix("["), let close = value.lastIndex(of: "]") {
                value = String(value[value.index(after: value.startIndex)..<close])
            } else if value.hasPrefix("=") {
                value = String(value.dropFirst())
            }
            elements[DicomTag(group, element)] = (vr, value)
        }
        return elements
    }

    @Test("JSON fields equal dcmdump's values", .enabled(if: binary != nil && dcmdump != nil, "needs the built qkdgate and dcmdump"))
    func matchesDcmdump() throws {
        let files = TestFiles.dicomFiles(in: TestFiles.sharedSamples).filter { !$0.lastPathComponent.hasPrefix("malformed") }
        let result = try runProcess(try #require(Self.binary), ["info", "--json"] + files.map(\.path))
        #expect(result.status == 0)
        let summaries = try JSONDecoder().decode([DicomSummary].self, from: Data(result.output.utf8))
        #expect(summaries.count == files.count)
        for (file, summary) in zip(files, summaries) {
            let name = file.lastPathComponent
            #expect(summary.file == file.path)
            let dumped = try Self.dump(file)
            func value(_ tag: DicomTag) -> String? { dumped[tag]?.value }
            func number(_ tag: DicomTag) -> Int? { value(tag).flatMap { Int($0.split(separator: "\\").first ?? "") } }
            #expect(summary.sopClassUID == value(.sopClassUID), "\(name) SOP class")
            #expect(summary.modality == value(.modality), "\(name) modality")
            #expect(summary.rows == number(.rows), "\(name) rows")
            #expect(summary.columns == number(.columns), "\(name) columns")
            #expect(summary.samplesPerPixel == number(.samplesPerPixel), "\(name) samples")
            #expect(summary.bitsAllocated == number(.bitsAllocated), "\(name) bits allocated")
            #expect(summary.bitsStored == number(.bitsStored), "\(name) bits stored")
            #expect(summary.highBit == number(.highBit), "\(name) high bit")
            #expect(summary.signedness == number(.pixelRepresentation).map { $0 == 1 ? "signed" : "unsigned" }, "\(name) signedness")
            #expect(summary.photometricInterpretation == value(.photometricInterpretation), "\(name) photometric")
            #expect(summary.planarConfiguration == number(.planarConfiguration), "\(name) planar configuration")
            #expect(summary.hasPixelData == (dumped[.pixelData] != nil), "\(name) pixel data")
            if let frames = number(.numberOfFrames) {
                #expect(summary.frames == frames, "\(name) frames")
            } else if summary.hasPixelData {
                #expect(summary.frames == 1, "\(name) frames")
            }
            if let syntax = value(.transferSyntaxUID) {
                #expect(summary.transferSyntaxUID == syntax, "\(name) transfer syntax")
            }
            let creators = dumped.filter { $0.key.group % 2 == 1 && (0x10...0xFF).contains($0.key.element) }
                .sorted { $0.key < $1.key }.map(\.value.value)
            #expect(summary.privateCreators == creators, "\(name) private creators")
        }
    }

    @Test("human table names every file and field", .enabled(if: binary != nil, "needs the built qkdgate"))
    func table() throws {
        let file = TestFiles.sharedSamples.appendingPathComponent("ct_small_s16_explicit.dcm")
        let result = try runProcess(try #require(Self.binary), ["info", file.path])
        #expect(result.status == 0)
        for label in ["SOP class", "CTImageStorage", "128 × 128 × 1 frames × 1 samples", "signed", "MONOCHROME2", "Little Endian Explicit", "GEMS_IDEN_01"] {
            #expect(result.output.contains(label), "missing \(label)")
        }
    }

    @Test("unreadable file gives exit status 1", .enabled(if: binary != nil, "needs the built qkdgate"))
    func failure() throws {
        let result = try runProcess(try #require(Self.binary), ["info", "/nonexistent/file.dcm"])
        #expect(result.status == 1)
    }
}
