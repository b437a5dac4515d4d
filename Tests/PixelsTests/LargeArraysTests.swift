import Foundation
import Testing
@testable import Pixels

@Suite("Large arrays on huge pages")
struct LargeArraysTests {
    /// Above the threshold the copy takes the advised path; it must still be an exact copy with storage of its own.
    @Test func aLargeWritableCopyIsExactAndNotShared() {
        let count = LargeArrays.hugePageThreshold / MemoryLayout<UInt32>.stride + 12_345
        var random = SplitMix64(seed: 42)
        let source = (0..<count).map { _ in UInt32(truncatingIfNeeded: random.next()) }
        var copy = LargeArrays.writableCopy(of: source)
        #expect(copy == source)
        let sourceAddress = source.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
        copy.withUnsafeMutableBufferPointer { buffer in
            #expect(UnsafeRawPointer(buffer.baseAddress) != sourceAddress)
            buffer[count - 1] ^= 1
        }
        #expect(copy[count - 1] != source[count - 1])
        #expect(LargeArrays.writableCopy(of: [UInt32]()).isEmpty)
    }

    /// A 3000 × 3000 16-bit image (36 MB of values, 18 MB of native bytes) both ways through the advised arrays.
    @Test func aBigImageRoundTripsThroughNativeBytes() throws {
        let descriptor = PixelDescriptor(rows: 3_000, columns: 3_000, bitsAllocated: 16, bitsStored: 12)
        var random = SplitMix64(seed: 7)
        let native = (0..<descriptor.nativeByteCount).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let buffer = try PixelBuffer(nativeBytes: native, descriptor: descriptor)
        #expect(buffer.values.count * MemoryLayout<UInt32>.stride >= LargeArrays.hugePageThreshold)
        #expect(buffer.values[0] == UInt32(native[0]) | UInt32(native[1] & 0x0F) << 8)
        #expect(try buffer.nativeBytes() == native)
    }
}
