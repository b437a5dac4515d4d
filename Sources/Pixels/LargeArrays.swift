#if canImport(Glibc)
import Glibc
#endif

/// Big value arrays on transparent huge pages, where the kernel offers them.
///
/// Why: in `qkdgate` every block of 32 MiB and more gets a mapping of its own from glibc (`ProcessMemory` keeps
/// smaller freed blocks for reuse; glibc allows no higher threshold), so each such array is faulted in and zeroed
/// page by page every time it is made: a 4096 × 4096 image's 64 MB of values is 16,384 faults of 4 KiB. On the
/// 2-core VM that cost more than AES-CTR itself (`qkdgate bench ciphers`, 4096 × 4096: 4.6 ns per pixel with
/// 4 KiB pages, 1.4 with huge pages everywhere). Marking the block's 2 MiB-aligned interior `MADV_HUGEPAGE` before
/// the first write makes those faults 2 MiB each. Smaller arrays are left alone: they come from the allocator's
/// reused heap, and huge pages there would only grow the resident size.
public enum LargeArrays {
    /// Arrays from this many bytes on are advised (glibc's largest mmap threshold on 64-bit, what `ProcessMemory`
    /// sets).
    public static let hugePageThreshold = 32 << 20
    static let hugePage = 2 << 20

    /// Asks for huge pages over the 2 MiB-aligned part of `memory` when it is at least `hugePageThreshold` bytes.
    /// Advice only: the memory's contents and meaning are unchanged, and where transparent huge pages are off
    /// nothing happens.
    public static func adviseHugePages(_ memory: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        guard memory.count >= hugePageThreshold, let base = memory.baseAddress else { return }
        let mask = UInt(hugePage - 1)
        let start = (UInt(bitPattern: base) + mask) & ~mask
        let end = (UInt(bitPattern: base) + UInt(memory.count)) & ~mask
        guard end > start, let aligned = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(aligned, Int(end - start), MADV_HUGEPAGE)
        #endif
    }

    /// A new array of `count` elements that `initialize` fills completely, on huge pages when it is large.
    @inlinable
    public static func make<Element: BitwiseCopyable>(
        count: Int, _ initialize: (UnsafeMutableBufferPointer<Element>) -> Void
    ) -> [Element] {
        [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            initialize(buffer)
            initialized = count
        }
    }

    /// A copy of `source` with storage of its own (not shared copy-on-write), about to be rewritten in place: a
    /// cipher's output.
    @inlinable
    public static func writableCopy<Element: BitwiseCopyable>(of source: [Element]) -> [Element] {
        make(count: source.count) { target in
            source.withUnsafeBufferPointer { values in
                guard let from = values.baseAddress, let to = target.baseAddress else { return }
                to.initialize(from: from, count: values.count)
            }
        }
    }
}
