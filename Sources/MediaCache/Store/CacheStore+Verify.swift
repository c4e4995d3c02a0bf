#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What `verify` found.
public struct VerifyReport: Sendable {
    public enum Status: String, Sendable {
        /// The bytes no longer match the recorded size or SHA-256.
        case corrupt
        /// Metadata whose data file is gone: vLLM's eviction or expiry removed
        /// it. Routine cleanup (`--fix`, `prune`), not a problem.
        case missing
        /// A sidecar record of a file that has since been replaced (vLLM
        /// renamed its own download over the entry). The bytes are vLLM's and
        /// valid; the record is dropped by `--fix` and `prune`. Not a problem.
        case stale
        /// An empty file vLLM's `touch()` recreated: served as a hit by
        /// vLLM, a miss here; removed by `--fix` and `prune`.
        case poisoned
        /// A data file without metadata (vLLM wrote it, or its metadata was lost): valid, not checkable.
        case foreign
        /// A symlink or other non-regular file under an entry's name.
        case hostile
    }

    public struct Finding: Sendable {
        public var name: String
        public var url: String?
        public var status: Status
        public var detail: String
    }

    /// Entries whose bytes were re-hashed.
    public var checked = 0
    /// Checked entries that matched.
    public var ok = 0
    /// Entries skipped because a writer held them at the time.
    public var busy = 0
    public var findings: [Finding] = []
    /// With `fix`: what was removed.
    public var removed: EvictionResult?

    /// Whether anything needs attention (foreign entries and leftover records of vLLM's own work do not).
    public var hasProblems: Bool { findings.contains { ![.foreign, .missing, .stale].contains($0.status) } }
}

extension CacheStore {
    /// Re-hashes every entry that has a recorded SHA-256 and reports corrupt,
    /// poisoned, foreign and hostile entries, and records left behind by
    /// vLLM's own renames and evictions. With `fix`, removes corrupt,
    /// poisoned and hostile entries and those records through the eviction
    /// engine; never a valid entry, whoever wrote it.
    ///
    /// An entry being written at that moment (its key lock held) is skipped,
    /// so a replacement in flight is never mistaken for corruption.
    /// - Important: Disk I/O: reads every byte of every entry with metadata.
    public func verify(fix: Bool = false) throws(MediaCacheError) -> VerifyReport {
        let snapshot = try CacheSnapshot.collect(layout)
        var report = VerifyReport()
        var plan = EvictionPlan()
        // A deduplicated body is one file under several names: hashed once,
        // judged under every name against that name's own record.
        var hashed: [UInt64: (Int64, String)] = [:]
        for entry in snapshot.hostile {
            report.findings.append(
                .init(name: entry.name, url: nil, status: .hostile, detail: "not a regular file; never followed"))
            plan.removals.append(PlannedRemoval(entry: entry, reason: .hostile))
        }
        for entry in snapshot.entries {
            guard let key = try? CacheKey(name: entry.name) else { continue }
            if snapshot.poisoned.contains(key) {
                report.findings.append(
                    .init(
                        name: entry.name, url: nil, status: .poisoned,
                        detail: "empty file made by vLLM's touch(); vLLM serves it as an empty body"))
                plan.removals.append(PlannedRemoval(entry: entry, reason: .poisoned))
                continue
            }
            let lock = layout.isReadOnly ? nil : try layout.keyLock(key)
            defer { lock?.unlock() }
            guard try lock?.tryLockExclusive() ?? true else {
                report.busy += 1
                continue
            }
            if let record = layout.readSidecar(entry.name), !layout.sidecarIsCurrent(record, name: entry.name) {
                report.findings.append(
                    .init(
                        name: entry.name, url: record.url, status: .stale,
                        detail: "replaced by vLLM since mediacache stored it; the old record goes"))
                plan.staleMetadata.append(entry.name)
            }
            guard let metadata = layout.readMetadata(key) else {
                report.findings.append(
                    .init(name: entry.name, url: nil, status: .foreign, detail: "no metadata; cannot be checked"))
                continue
            }
            guard let (size, sha) = entry.links > 1 ? hashed[entry.inode] ?? hashFile(entry.name) : hashFile(entry.name)
            else { continue }  // gone meanwhile
            if entry.links > 1 { hashed[entry.inode] = (size, sha) }
            report.checked += 1
            if size == metadata.size && sha == metadata.sha256 {
                report.ok += 1
            } else {
                let detail =
                    size != metadata.size
                    ? "size \(size) bytes, recorded \(metadata.size)"
                    : "SHA-256 \(sha.prefix(12))…, recorded \(metadata.sha256.prefix(12))…"
                report.findings.append(.init(name: entry.name, url: metadata.url, status: .corrupt, detail: detail))
                var current = entry
                current.size = size
                plan.removals.append(PlannedRemoval(entry: current, reason: .corrupt))
            }
        }
        var leftovers = EvictionPlan()
        try leftovers.addLeftovers(from: snapshot, layout: layout, age: .infinity, now: Posix.now())
        for name in leftovers.orphanMetadata {
            let url = (try? CacheKey(name: name)).flatMap { layout.readMetadata($0)?.url }
            report.findings.append(.init(name: name, url: url, status: .missing, detail: "metadata without a data file"))
        }
        plan.orphanMetadata = leftovers.orphanMetadata
        if fix { report.removed = try EvictionEngine.apply(plan, in: layout) }
        return report
    }

    /// Size and SHA-256 of a data file, read without following symlinks; nil if it is gone.
    private func hashFile(_ name: String) -> (Int64, String)? {
        let fd = openat(layout.rootFD.fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { Posix.closeQuietly(fd) }
        let hasher = SHA256Hasher()
        var size: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = Posix.read(fd, into: buffer)
            if count < 0 { return nil }
            if count == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            size += Int64(count)
        }
        return (size, hasher.finalize())
    }
}
