#if canImport(Glibc)
    import CAllocator
    import Glibc
#endif

/// glibc's allocator, set up for a process that streams large buffers.
///
/// A prewarm receives into buffers of up to 256 KiB and frees each once it
/// is written. By default glibc serves blocks that large with a fresh
/// `mmap` until one has been freed, and hands memory at the top of a heap
/// back to the kernel once 128 KiB of it are free. Either way the next
/// buffers land on pages the kernel has to fault in again: eight 64 MiB
/// downloads took 11-15 thousand page faults, where eight `curl`s take
/// about 5.5 thousand. In a virtual machine a fault is dear (about 2.5 µs
/// on the benchmark machine when quiet), and in its busy spells up to a
/// third of the prewarms ran 1.5-2x slower, the extra all system time.
/// Keeping freed memory in the heap, where the next buffers reuse it,
/// halves the faults and made those slow runs rarer (docs/benchmarks.md,
/// section 2). Peak RSS stays where it was (about 40 MiB): what is kept is
/// what the peak needed anyway.
///
/// A user who sets glibc's malloc tunables (`GLIBC_TUNABLES`) keeps them.
enum AllocatorTuning {
    static func keepFreedMemory() {
        #if canImport(Glibc)
            if let tunables = getenv("GLIBC_TUNABLES"), String(cString: tunables).contains("glibc.malloc.") { return }
            _ = mallopt(M_MMAP_THRESHOLD, 4 << 20)  // blocks under 4 MiB come from the heap, always
            _ = mallopt(M_TRIM_THRESHOLD, 64 << 20)  // and the heap keeps up to 64 MiB free at its top
        #endif
    }
}
