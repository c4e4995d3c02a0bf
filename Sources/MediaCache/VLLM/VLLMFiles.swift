/// What vLLM leaves in a cache directory besides its entries, and how to
/// tell each apart (each seen running vLLM 0.33's own cache code).
enum VLLMFiles {
    /// Whether `name` is one of vLLM's temp files: `tempfile.NamedTemporaryFile`
    /// in the cache directory names them `tmp` and 8 characters from Python's
    /// `_RandomNameSequence` alphabet (mode 0600, no leading dot).
    ///
    /// They are writes in flight, or leftovers of a vLLM killed mid-write:
    /// never entries (an entry's name starts with 20 hex digits, and `t` is
    /// not one), and removed by `prune` only once older than its leftover age.
    static func isTempFile(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count == 11, bytes.starts(with: Array("tmp".utf8)) else { return false }
        return bytes[3...].allSatisfy { alphabet.contains($0) }
    }

    private static let alphabet = Set("abcdefghijklmnopqrstuvwxyz0123456789_".utf8)
}

extension CacheLayout {
    /// Whether a 0-byte data file is poisoned: vLLM's `touch()` recreated an
    /// entry that was removed between its `stat` and its read, and vLLM then
    /// serves `b""` as a hit and keeps the empty file fresh by using it. Only
    /// an empty body that mediacache itself recorded (a `put --allow-empty`)
    /// is a real entry.
    /// - Important: Disk I/O (reads the metadata of empty files only).
    func isPoisoned(_ name: String, size: Int64) -> Bool {
        guard size == 0 else { return false }
        guard let key = try? CacheKey(name: name), let metadata = readMetadata(key) else { return true }
        return metadata.size != 0
    }
}
