#if os(Linux)
// glibc's `mallopt` (malloc.h, which no Swift module exports); the option numbers are fixed by its ABI.
@_silgen_name("mallopt")
private func mallopt(_ option: Int32, _ value: Int32) -> Int32
private let M_TRIM_THRESHOLD: Int32 = -1
private let M_MMAP_THRESHOLD: Int32 = -3
#endif

/// How this process's allocator treats large blocks.
enum ProcessMemory {
    /// Keeps freed blocks of up to 32 MiB in the allocator for reuse instead of returning them to the kernel.
    ///
    /// Why: every object the gateway or decryptor handles allocates the same few buffers of 0.5–4 MB (decoded
    /// values, the cipher's output, the encoded pixel data). By default glibc serves such blocks with fresh
    /// `mmap` pages or trims them away on `free`, so each object faulted in and zeroed a few megabytes again:
    /// about 9 % of the gateway's CPU under qkd-hybrid in `scripts/bench-routing.sh` (perf, 2 cores). Peak memory
    /// (what the RSS target is about) is unchanged: the allocator keeps only what was in use at once.
    static func keepFreedBlocks() {
        #if os(Linux)
        // 32 MiB is glibc's largest allowed mmap threshold on 64-bit; larger blocks still get their own mapping.
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 256 << 20)
        #endif
    }
}
