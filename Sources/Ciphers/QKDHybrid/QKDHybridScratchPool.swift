import Foundation

/// Reusable scratch memory for `QKDHybridEngine`, shared by all calls in the process.
///
/// Why: a plane's scratch is 12 bytes per pixel (48 MB for 2048 × 2048). Allocations that large are fresh mmap
/// pages on every call, and faulting them in (the kernel zeroes each page) cost about as much as a third of the
/// cipher itself on big images. Blocks handed back are kept, up to `retainedLimit` bytes in all, and handed out
/// again to any later call that needs no more than their size. The blocks hold only intermediate values that
/// every call overwrites before reading; nothing in them is read across calls.
final class QKDHybridScratchPool: @unchecked Sendable {
    /// One block of UInt16 scratch; freed when the pool drops it.
    final class Block: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<UInt16>

        init(count: Int) {
            let bytes = max(count, 1) * MemoryLayout<UInt16>.stride
            let large = bytes >= Self.hugePageThreshold
            let alignment = large ? Self.hugePage : 64
            let size = (bytes + alignment - 1) / alignment * alignment
            var memory: UnsafeMutableRawPointer?
            // Out of memory traps, as Swift's own allocations do.
            guard posix_memalign(&memory, alignment, size) == 0, let memory else {
                fatalError("cannot allocate \(size) bytes of cipher scratch")
            }
            #if os(Linux)
            // Big planes' passes (column shears, transposes) touch one row per access, each row on its own 4 KiB
            // page: with 2 MiB pages the TLB covers hundreds of rows instead of a few dozen.
            if large { _ = madvise(memory, size, MADV_HUGEPAGE) }
            #endif
            buffer = UnsafeMutableBufferPointer(start: memory.bindMemory(to: UInt16.self, capacity: count), count: count)
        }

        deinit {
            free(buffer.baseAddress)
        }

        static let hugePage = 2 << 20
        /// Blocks from this size on are 2 MiB aligned and marked for transparent huge pages.
        static let hugePageThreshold = 4 << 20
    }

    /// While busy up to 256 MiB, a 4096 × 4096 plane's scratch (192 MiB) included; 64 MiB (one 2048 × 2048 plane's
    /// 48 MiB, or many small ones) once no block has been taken for 5 seconds. Keeping the big blocks while a series
    /// of big images goes through is what makes their cost per pixel that of small ones: fresh, they were faulted in
    /// and zeroed by the kernel on every call, about a quarter of a 4096 × 4096 encryption (docs/ciphers/qkd-hybrid.md
    /// §9). The gateway's memory budget (docs/gateway.md) is about peaks, which the pool does not raise: it keeps only
    /// blocks that were in use at once.
    static let shared = QKDHybridScratchPool(retainedLimit: 256 << 20, idleLimit: 64 << 20, idleDelay: .seconds(5))

    /// Most bytes kept for reuse; a block that would go over is freed instead.
    let retainedLimit: Int
    /// Most bytes kept once the pool has been idle (no `take`) for `idleDelay`.
    let idleLimit: Int
    let idleDelay: DispatchTimeInterval
    private let lock = NSLock()
    private var idle: [Block] = []
    /// Counts `take` calls, so that a trim scheduled while busy can tell whether the pool was used since.
    private var takes = 0
    private var trimScheduled = false

    init(retainedLimit: Int, idleLimit: Int? = nil, idleDelay: DispatchTimeInterval = .seconds(5)) {
        self.retainedLimit = retainedLimit
        self.idleLimit = min(idleLimit ?? retainedLimit, retainedLimit)
        self.idleDelay = idleDelay
    }

    /// Bytes held by idle blocks now.
    var idleBytes: Int {
        lock.withLock { idle.reduce(0) { $0 + $1.buffer.count * MemoryLayout<UInt16>.stride } }
    }

    /// A block of at least `count` values: the smallest idle one that fits, or a new one.
    func take(count: Int) -> Block {
        let reused: Block? = lock.withLock {
            takes += 1
            guard let index = idle.indices.filter({ idle[$0].buffer.count >= count })
                .min(by: { idle[$0].buffer.count < idle[$1].buffer.count }) else { return nil }
            return idle.remove(at: index)
        }
        return reused ?? Block(count: count)
    }

    /// Hands a block back for reuse (or frees it when keeping it would exceed `retainedLimit`; the smallest idle
    /// blocks are dropped first to make room for a bigger one). Above `idleLimit`, a trim is scheduled.
    func give(_ block: Block) {
        let bytes = block.buffer.count * MemoryLayout<UInt16>.stride
        guard bytes <= retainedLimit else { return }
        let schedule: Int? = lock.withLock {
            idle.sort { $0.buffer.count > $1.buffer.count }
            var total = idle.reduce(0) { $0 + $1.buffer.count * MemoryLayout<UInt16>.stride }
            while total + bytes > retainedLimit, let smallest = idle.popLast() {
                total -= smallest.buffer.count * MemoryLayout<UInt16>.stride
            }
            idle.append(block)
            guard total + bytes > idleLimit, !trimScheduled else { return nil }
            trimScheduled = true
            return takes
        }
        if let schedule { scheduleTrim(ifNoTakeSince: schedule) }
    }

    private func scheduleTrim(ifNoTakeSince count: Int) {
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + idleDelay) { [self] in
            trimIfIdle(since: count)
        }
    }

    /// Frees the biggest idle blocks down to `idleLimit` if nothing was taken since `count`; otherwise checks again
    /// one `idleDelay` later.
    private func trimIfIdle(since count: Int) {
        var freed: [Block] = []
        let again: Int? = lock.withLock {
            guard takes == count else { return takes }
            idle.sort { $0.buffer.count < $1.buffer.count }
            var total = idle.reduce(0) { $0 + $1.buffer.count * MemoryLayout<UInt16>.stride }
            while total > idleLimit, let biggest = idle.popLast() {
                total -= biggest.buffer.count * MemoryLayout<UInt16>.stride
                freed.append(biggest)
            }
            trimScheduled = false
            return nil
        }
        freed.removeAll()  // the blocks' memory goes back here, outside the lock
        if let again { scheduleTrim(ifNoTakeSince: again) }
    }
}
