import Testing
@testable import Pixels

@Suite("Native Pixel Data ↔ PixelBuffer, hand-checked layouts")
struct KnownLayoutTests {
    @Test func twelveBitsInSixteenKeepJunkHighBits() throws {
        let d = PixelDescriptor(rows: 1, columns: 2, bitsAllocated: 16, bitsStored: 12)
        let bytes: [UInt8] = [0x34, 0xF2, 0xFF, 0x0F]
        let b = try PixelBuffer(nativeBytes: bytes, descriptor: d)
        #expect(b.values == [0x234, 0xFFF])
        #expect(b.residue == [0xF000, 0])
        #expect(try b.nativeBytes() == bytes)
    }

    @Test func highBitAboveStoredRange() throws {
        // BitsStored 8 at bits 4…11 of a 16-bit word (HighBit 11).
        let d = PixelDescriptor(rows: 1, columns: 1, bitsAllocated: 16, bitsStored: 8, highBit: 11)
        let bytes: [UInt8] = [0xB5, 0x0A]
        let b = try PixelBuffer(nativeBytes: bytes, descriptor: d)
        #expect(b.values == [0xAB])
        #expect(b.residue == [0x5])
        #expect(try b.nativeBytes() == bytes)
    }

    @Test func interleavedRGBBecomesPlanar() throws {
        let d = PixelDescriptor(rows: 1, columns: 2, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8)
        let b = try PixelBuffer(nativeBytes: [1, 2, 3, 4, 5, 6], descriptor: d)
        #expect(b.values == [1, 4, 2, 5, 3, 6])
        #expect(b.residue == nil)
        #expect(try b.nativeBytes() == [1, 2, 3, 4, 5, 6])
    }

    @Test func separatePlanesStayInOrder() throws {
        let d = PixelDescriptor(rows: 1, columns: 2, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8,
                                planarConfiguration: .separate)
        let b = try PixelBuffer(nativeBytes: [1, 2, 3, 4, 5, 6], descriptor: d)
        #expect(b.values == [1, 2, 3, 4, 5, 6])
        #expect(b.planeRange(frame: 0, component: 2) == 4..<6)
    }

    @Test func packedBitsKeepPadBits() throws {
        let d = PixelDescriptor(rows: 1, columns: 3, bitsAllocated: 1, bitsStored: 1)
        let bytes: [UInt8] = [0b1111_0101, 0x00]
        let b = try PixelBuffer(nativeBytes: bytes, descriptor: d)
        #expect(b.values == [1, 0, 1])
        #expect(b.packedPadBits == 0b1111_0000)
        #expect(b.trailingBytes == [0])
        #expect(try b.nativeBytes() == bytes)
    }

    @Test func packedFramesRunBackToBack() throws {
        // Two 1×3 frames take 6 bits of one byte: no padding between frames.
        let d = PixelDescriptor(rows: 1, columns: 3, frames: 2, bitsAllocated: 1, bitsStored: 1)
        let b = try PixelBuffer(nativeBytes: [0b0010_1001], descriptor: d)
        #expect(b.values == [1, 0, 0, 1, 0, 1])
        #expect(b.planeRange(frame: 1, component: 0) == 3..<6)
    }

    @Test func ybr422IsLumaPlaneAndChromaPlane() throws {
        let d = PixelDescriptor(rows: 1, columns: 4, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8,
                                photometricInterpretation: "YBR_FULL_422")
        #expect(d.components == 2)
        #expect(d.nativeByteCount == 8)
        let bytes: [UInt8] = [10, 11, 20, 21, 12, 13, 22, 23]
        let b = try PixelBuffer(nativeBytes: bytes, descriptor: d)
        #expect(b.values == [10, 11, 12, 13, 20, 21, 22, 23])
        #expect(try b.nativeBytes() == bytes)
    }

    @Test func oddLengthPadByteIsKept() throws {
        let d = PixelDescriptor(rows: 3, columns: 3, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8)
        let bytes = (0..<28).map { UInt8($0) }
        let b = try PixelBuffer(nativeBytes: bytes, descriptor: d)
        #expect(b.trailingBytes == [27])
        #expect(try b.nativeBytes() == bytes)
    }

    @Test func thirtyTwoBitWords() throws {
        let d = PixelDescriptor(rows: 1, columns: 1, bitsAllocated: 32, bitsStored: 32)
        let b = try PixelBuffer(nativeBytes: [0x78, 0x56, 0x34, 0x12], descriptor: d)
        #expect(b.values == [0x1234_5678])
    }

    @Test func shortPixelDataIsALengthMismatch() {
        let d = PixelDescriptor(rows: 64, columns: 64, bitsAllocated: 16, bitsStored: 16, isSigned: true)
        #expect(throws: PixelError.lengthMismatch(expected: 8192, actual: 8130)) {
            try PixelBuffer(nativeBytes: [UInt8](repeating: 0, count: 8130), descriptor: d)
        }
    }

    @Test func valueAboveBitsStoredIsRefused() throws {
        let d = PixelDescriptor(rows: 1, columns: 2, bitsAllocated: 16, bitsStored: 12)
        let b = try PixelBuffer(descriptor: d, values: [1, 0x1000])
        #expect(throws: PixelError.valueOutOfRange(index: 1, bitsStored: 12)) { try b.nativeBytes() }
    }

    @Test func invalidAttributesAreNamed() {
        #expect(throws: PixelError.self) {
            try PixelDescriptor(rows: 2, columns: 2, bitsAllocated: 12, bitsStored: 12).validate()
        }
        #expect(throws: PixelError.self) {
            try PixelDescriptor(rows: 2, columns: 3, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8,
                                photometricInterpretation: "YBR_FULL_422").validate()
        }
        #expect(throws: PixelError.self) {
            try PixelDescriptor(rows: 0, columns: 3, bitsAllocated: 8, bitsStored: 8).validate()
        }
    }
}

/// Random layouts across the whole space DESIGN §3 allows.
func randomDescriptor(_ rng: inout SplitMix64) -> PixelDescriptor {
    let allocated = [1, 8, 16, 32].randomElement(using: &rng)!
    let stored = allocated == 1 ? 1 : Int.random(in: 1...allocated, using: &rng)
    let highBit = Int.random(in: (stored - 1)...(allocated - 1), using: &rng)
    var samples = allocated == 1 ? 1 : [1, 3].randomElement(using: &rng)!
    var photometric: String? = nil
    var columns = Int.random(in: 1...17, using: &rng)
    if samples == 3 && Bool.random(using: &rng) && Int.random(in: 0..<4, using: &rng) == 0 {
        photometric = "YBR_FULL_422"
        columns = 2 * Int.random(in: 1...8, using: &rng)
    }
    if allocated == 1 { samples = 1 }
    let planar: PlanarConfiguration = (photometric == nil && samples == 3 && Bool.random(using: &rng)) ? .separate : .interleaved
    return PixelDescriptor(
        rows: Int.random(in: 1...17, using: &rng), columns: columns, frames: Int.random(in: 1...4, using: &rng),
        samplesPerPixel: samples, bitsAllocated: allocated, bitsStored: stored, highBit: highBit,
        isSigned: Bool.random(using: &rng), planarConfiguration: planar, photometricInterpretation: photometric)
}

/// Random native Pixel Data for `d`, with up to two bytes after the pixels (a pad byte, stray data).
func randomNativeBytes(_ d: PixelDescriptor, _ rng: inout SplitMix64) -> [UInt8] {
    let extra = Int.random(in: 0...2, using: &rng)
    return (0..<(d.nativeByteCount + extra)).map { _ in UInt8.random(in: 0...255, using: &rng) }
}

@Suite("Native Pixel Data ↔ PixelBuffer, properties")
struct NativeCodecPropertyTests {
    @Test("any native bytes survive extract → reinsert byte for byte, also written into a used buffer",
          arguments: 0..<4)
    func bytesRoundTrip(chunk: Int) throws {
        var rng = SplitMix64(seed: 0x5EED_0000 + UInt64(chunk))
        for _ in 0..<400 {
            let d = randomDescriptor(&rng)
            let bytes = randomNativeBytes(d, &rng)
            let buffer = try PixelBuffer(nativeBytes: bytes, descriptor: d)
            #expect(buffer.values.count == d.valueCount)
            #expect(buffer.values.allSatisfy { $0 <= d.valueMask }, "\(d)")
            #expect(try buffer.nativeBytes() == bytes, "\(d)")
            // Into storage that held something else (as DCMTK's does): two fills that no correct byte can match
            // both of, so a byte the writer skipped shows in one.
            for junk: UInt8 in [0x00, 0xFF] {
                let out = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
                defer { out.deallocate() }
                out.initializeMemory(as: UInt8.self, repeating: junk)
                try buffer.writeNativeBytes(into: out)
                #expect(Array(out) == bytes, "\(d), filled with \(junk)")
            }
        }
    }

    @Test("any in-range values survive reinsert → extract", arguments: 0..<4)
    func valuesRoundTrip(chunk: Int) throws {
        var rng = SplitMix64(seed: 0xA11C_E000 + UInt64(chunk))
        for _ in 0..<400 {
            let d = randomDescriptor(&rng)
            let values = (0..<d.valueCount).map { _ in UInt32.random(in: 0...d.valueMask, using: &rng) }
            let buffer = try PixelBuffer(descriptor: d, values: values)
            let again = try PixelBuffer(nativeBytes: buffer.nativeBytes(), descriptor: d)
            #expect(again.values == values, "\(d)")
            #expect(again.residue == nil)
        }
    }

    @Test func writeIntoABufferOfAnotherSizeIsRefused() throws {
        let d = PixelDescriptor(rows: 2, columns: 3, bitsAllocated: 16, bitsStored: 12)
        let buffer = try PixelBuffer(descriptor: d, values: [1, 2, 3, 4, 5, 6])
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 11, alignment: 8)
        defer { out.deallocate() }
        #expect(throws: PixelError.lengthMismatch(expected: 12, actual: 11)) { try buffer.writeNativeBytes(into: out) }
    }

    @Test("changing values keeps residue bits exactly")
    func valuesChangeResidueStays() throws {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<300 {
            let d = randomDescriptor(&rng)
            guard d.bitsAllocated > 1 else { continue }
            let bytes = (0..<d.nativeByteCount).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let original = try PixelBuffer(nativeBytes: bytes, descriptor: d)
            let changed = try original.replacingValues(original.values.map { ($0 ^ 0x5A5A_5A5A) & d.valueMask })
            let back = try PixelBuffer(nativeBytes: changed.nativeBytes(), descriptor: d)
            #expect(back.residue == original.residue)
            #expect(try back.replacingValues(original.values).nativeBytes() == bytes)
        }
    }
}
