import DICOM
import Foundation
import Testing

/// Generated images of every supported layout survive DicomObject → save → reload → extract unchanged.
@Suite("Pixel property round trips")
struct PixelPropertyTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var descriptor: PixelDescriptor
        var seed: UInt64
        var junkInHighBits: Bool
        var testDescription: String {
            let d = descriptor
            return "\(d.rows)x\(d.columns)x\(d.frames) spp\(d.samplesPerPixel) BA\(d.bitsAllocated) BS\(d.bitsStored) HB\(d.highBit)"
                + "\(d.isSigned ? " signed" : "") PC\(d.planarConfiguration.rawValue)\(junkInHighBits ? " junk" : "")"
        }
    }

    /// Bit depths 1…16 and 32, 1-bit packed, signed/unsigned, junk high bits, odd sizes, frames, samples, planar.
    static let cases: [Case] = {
        var generator = SeededGenerator(seed: 2026)
        var cases: [Case] = []
        var seed: UInt64 = 1
        func add(_ d: PixelDescriptor, junk: Bool) {
            cases.append(Case(descriptor: d, seed: seed, junkInHighBits: junk))
            seed += 1
        }
        // Packed 1-bit, including sizes that leave a partial last byte.
        for (rows, columns, frames) in [(1, 1, 1), (3, 5, 1), (7, 9, 3), (16, 16, 2)] {
            add(PixelDescriptor(rows: rows, columns: columns, frames: frames, bitsAllocated: 1, bitsStored: 1), junk: false)
        }
        for bitsStored in Array(1...16) + [24, 32] {
            for allocated in [8, 16, 32] where allocated >= bitsStored {
                let rows = Int.random(in: 1...9, using: &generator)
                let columns = Int.random(in: 1...11, using: &generator)
                let frames = Int.random(in: 1...3, using: &generator)
                let highBit = Int.random(in: (bitsStored - 1)...(allocated - 1), using: &generator)
                let signed = Bool.random(using: &generator)
                let junk = bitsStored < allocated && Bool.random(using: &generator)
                add(PixelDescriptor(rows: rows, columns: columns, frames: frames, bitsAllocated: allocated,
                                    bitsStored: bitsStored, highBit: highBit, isSigned: signed), junk: junk)
                for planar in [PlanarConfiguration.interleaved, .separate] {
                    add(PixelDescriptor(rows: rows, columns: columns + 1, frames: frames, samplesPerPixel: 3,
                                        bitsAllocated: allocated, bitsStored: bitsStored, highBit: highBit,
                                        isSigned: signed, planarConfiguration: planar), junk: junk)
                }
            }
        }
        add(PixelDescriptor(rows: 1, columns: 1, bitsAllocated: 8, bitsStored: 8), junk: false)
        add(PixelDescriptor(rows: 1, columns: 1, frames: 5, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8), junk: false)
        add(PixelDescriptor(rows: 2, columns: 4, frames: 2, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8,
                            photometricInterpretation: "YBR_FULL_422"), junk: false)
        add(PixelDescriptor(rows: 5, columns: 3, bitsAllocated: 8, bitsStored: 8, photometricInterpretation: "PALETTE COLOR"), junk: false)
        add(PixelDescriptor(rows: 3, columns: 3, bitsAllocated: 16, bitsStored: 12, photometricInterpretation: "MONOCHROME1"), junk: true)
        return cases
    }()

    static func buffer(for testCase: Case) throws -> PixelBuffer {
        var generator = SeededGenerator(seed: testCase.seed)
        let d = testCase.descriptor
        let values = (0..<d.valueCount).map { _ in UInt32.random(in: 0...UInt32.max, using: &generator) & d.valueMask }
        var residue: [UInt32]? = nil
        if testCase.junkInHighBits {
            let wordMask: UInt32 = d.bitsAllocated == 32 ? .max : (1 << UInt32(d.bitsAllocated)) - 1
            let outside = wordMask & ~(d.valueMask << UInt32(d.lowBit))
            residue = (0..<d.valueCount).map { _ in UInt32.random(in: 0...UInt32.max, using: &generator) & outside }
        }
        return try PixelBuffer(descriptor: d, values: values, residue: residue)
    }

    @Test("set, save, reload, extract", arguments: cases)
    func roundTrip(testCase: Case) throws {
        let original = try Self.buffer(for: testCase)
        let object = try DicomObject()
        try object.setString("1.2.840.10008.5.1.4.1.1.7", for: .sopClassUID)
        try object.setString("2.25.\(testCase.seed)", for: .sopInstanceUID)
        try object.setString("OT", for: .modality)
        try object.setPixelBuffer(original)

        let reloaded = try DicomObject(bytes: try object.serialized())
        let extracted = try reloaded.pixelBuffer()
        #expect(extracted.descriptor == original.descriptor)
        #expect(extracted.values == original.values)
        #expect(extracted.residue == original.residue)
        #expect(extracted.packedPadBits == original.packedPadBits)
        let nativeCount = original.descriptor.nativeByteCount
        // DICOM values have even length: an odd native stream gains one zero pad byte.
        #expect(extracted.trailingBytes == (nativeCount % 2 == 1 ? [0] : []))
        let originalBytes = try original.nativeBytes()
        let extractedBytes = try extracted.nativeBytes()
        #expect(Array(extractedBytes.prefix(originalBytes.count)) == originalBytes)

        // Also through a file in Implicit VR Little Endian, then back through Explicit VR.
        let folder = try TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("case.dcm")
        try reloaded.write(to: file, transferSyntax: .implicitVRLittleEndian)
        let fromFile = try DicomObject(contentsOf: file)
        let again = try fromFile.pixelBuffer()
        #expect(again.values == original.values)
        #expect(again.residue == original.residue)
    }
}
