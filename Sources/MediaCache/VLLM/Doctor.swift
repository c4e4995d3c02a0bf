import CFileSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What `doctor` found in a cache directory: each thing that breaks or slows
/// vLLM or mediacache there, what it does, and what to do about it.
public struct DoctorReport: Sendable {
    public enum Severity: String, Sendable {
        /// Breaks or slows vLLM or mediacache: `doctor` exits 1.
        case hazard
        /// Worth knowing; nothing is wrong.
        case note
    }

    public struct Finding: Sendable {
        /// A stable name for scripts: `poisoned-entries`, `vllm-temp-files`, ...
        public var check: String
        public var severity: Severity
        /// How many files it concerns (0 for a fact about the whole cache).
        public var count: Int
        public var summary: String
        /// What happens because of it.
        public var effect: String
        /// What to do; says so when `--fix` does it.
        public var action: String
        /// Whether `--fix` repairs it (and only what is safe to repair is).
        public var fixable: Bool
        /// With `--fix`: how many files were repaired.
        public var fixed = 0
    }

    public var directory: String
    public var entries = 0
    public var bytes: Int64 = 0
    /// Free bytes on the cache's file system for this user.
    public var freeBytes: Int64?
    /// The free-space floor (`--min-free`); nil for none.
    public var minFreeBytes: Int64?
    /// Whether entry metadata can live in user extended attributes here.
    public var extendedAttributes = false
    /// The measured cost of one vLLM store, when a calibration ran.
    public var storeCost: VLLMStoreCost?
    public var findings: [Finding] = []

    /// Whether nothing that breaks or slows vLLM or mediacache was found.
    public var isClean: Bool { !findings.contains { $0.severity == .hazard && $0.fixed < max($0.count, 1) } }
}

extension CacheStore {
    /// The cost above which a vLLM store is called slow, in seconds: a cache
    /// miss already waits for a download, but not for this much more.
    public static let vllmStoreBudget = 0.050

    /// Checks the cache for vLLM's hazards and mediacache's, and with `fix`
    /// repairs what is safe to repair (removes poisoned files, stale temp
    /// files, planted links and stale records; makes entries readable by those
    /// who may enter the directory). `vllmEnvironment` is read for vLLM's own
    /// limits; `calibrate` times a vLLM store on this file system.
    /// - Important: Disk I/O: scans the directory; the calibration writes
    ///   and removes 2000 empty files and runs python3.
    public func doctor(fix: Bool, calibrate: Bool = true, vllmEnvironment: [String: String] = [:]) throws(MediaCacheError)
        -> DoctorReport
    {
        let snapshot = try CacheSnapshot.collect(layout, includeTemps: true)
        let now = Posix.now()
        var report = DoctorReport(directory: layout.root)
        report.entries = snapshot.entries.count
        report.bytes = snapshot.totalBytes
        report.freeBytes = snapshot.freeBytes
        report.minFreeBytes = configuration.minFreeBytes
        var plan = EvictionPlan()

        checkEntries(snapshot, into: &report, plan: &plan, now: now)
        let unreadable = checkPermissions(snapshot, into: &report)
        checkFileSystem(into: &report, vllmEnvironment: vllmEnvironment)
        if calibrate { checkEntryCount(into: &report) }

        guard fix else { return report }
        let result = try EvictionEngine.apply(plan, in: layout)
        let removed = Set(result.removed.map(\.entry.name))
        for index in report.findings.indices {
            switch report.findings[index].check {
            case "poisoned-entries":
                report.findings[index].fixed = result.removed.filter { $0.reason == .poisoned }.count
            case "planted-links": report.findings[index].fixed = result.removed.filter { $0.reason == .hostile }.count
            case "stale-temp-files": report.findings[index].fixed = result.tempFilesRemoved
            case "stale-records": report.findings[index].fixed = result.metadataRemoved
            case "unreadable-entries":
                report.findings[index].fixed = unreadable.filter { !removed.contains($0.name) && makeReadable($0) }.count
            default: break
            }
        }
        return report
    }

    // MARK: - The checks

    private func checkEntries(_ snapshot: CacheSnapshot, into report: inout DoctorReport, plan: inout EvictionPlan, now: Double) {
        if !snapshot.poisoned.isEmpty {
            let poisoned = snapshot.entries.filter { entry in
                (try? CacheKey(name: entry.name)).map(snapshot.poisoned.contains) ?? false
            }
            plan.removals += poisoned.map { PlannedRemoval(entry: $0, reason: .poisoned) }
            report.findings.append(
                .init(
                    check: "poisoned-entries", severity: .hazard, count: poisoned.count,
                    summary: "\(poisoned.count) empty \(Self.files(poisoned.count)) that vLLM's touch() recreated",
                    effect:
                        "vLLM serves each as a hit with an empty body, and every request keeps it fresh: the URL stays broken",
                    action: "remove them (--fix or `mediacache prune`); vLLM then downloads the URLs again", fixable: true))
        }
        if !snapshot.hostile.isEmpty {
            plan.removals += snapshot.hostile.map { PlannedRemoval(entry: $0, reason: .hostile) }
            report.findings.append(
                .init(
                    check: "planted-links", severity: .hazard, count: snapshot.hostile.count,
                    summary:
                        "\(snapshot.hostile.count) \(snapshot.hostile.count == 1 ? "symlink or other special file" : "symlinks or other special files") under entry names",
                    effect: "vLLM follows a symlink and serves whatever it points at; mediacache treats it as a miss",
                    action: "remove them (--fix or `mediacache prune`)", fixable: true))
        }
        if !snapshot.directories.isEmpty {
            report.findings.append(
                .init(
                    check: "directories", severity: .hazard, count: snapshot.directories.count,
                    summary: "directories in the cache directory: \(snapshot.directories.prefix(3).joined(separator: ", "))",
                    effect:
                        "vLLM's eviction stats every name; once a directory is older than the TTL, its unlink raises IsADirectoryError out of every vLLM store",
                    action: "move them out, or point VLLM_MEDIA_CACHE at a subdirectory (a mount root has lost+found)",
                    fixable: false))
        }
        let vllmTemps = snapshot.tempFiles.filter { VLLMFiles.isTempFile($0.name) || $0.name.hasPrefix(CacheLayout.tempPrefix) }
        let stale = vllmTemps.filter { now - $0.modified > Self.defaultLeftoverAge }
        if !stale.isEmpty {
            plan.tempFiles = stale.map { ($0.directory, $0.name) }
            report.findings.append(
                .init(
                    check: "stale-temp-files", severity: .hazard, count: stale.count,
                    summary:
                        "\(stale.count) temp \(Self.files(stale.count)) older than an hour (tmpXXXXXXXX from vLLM, .tmp-* from mediacache)",
                    effect: "leftovers of processes killed mid-write: they take space no limit counts",
                    action: "remove them (--fix or `mediacache prune`)", fixable: true))
        }
        if vllmTemps.count > stale.count {
            let fresh = vllmTemps.count - stale.count
            report.findings.append(
                .init(
                    check: "temp-files-in-flight", severity: .note, count: fresh,
                    summary: "\(fresh) temp \(Self.files(fresh)) younger than an hour", effect: "writes in flight; not entries",
                    action: "nothing", fixable: false))
        }
        var records = EvictionPlan()
        try? records.addLeftovers(from: snapshot, layout: layout, age: .infinity, now: now)
        let recordCount = records.orphanMetadata.count + records.staleMetadata.count
        if recordCount > 0 {
            plan.orphanMetadata = records.orphanMetadata
            plan.staleMetadata = records.staleMetadata
            report.findings.append(
                .init(
                    check: "stale-records", severity: .note, count: recordCount,
                    summary:
                        "\(recordCount) metadata \(recordCount == 1 ? "record" : "records") of entries vLLM has since replaced or evicted",
                    effect: "none: the records are ignored", action: "dropped by --fix or `mediacache prune`", fixable: true))
        }
    }

    /// Entries that those who may enter the directory cannot read (vLLM writes its own mode 0600).
    private func checkPermissions(_ snapshot: CacheSnapshot, into report: inout DoctorReport) -> [(name: String, mode: mode_t)] {
        var info = stat()
        guard fstat(layout.rootFD.fd, &info) == 0 else { return [] }
        // Read bits for each class that may traverse the directory.
        let wanted = ((info.st_mode & 0o010) != 0 ? mode_t(0o040) : 0) | ((info.st_mode & 0o001) != 0 ? mode_t(0o004) : 0)
        guard wanted != 0 else { return [] }
        var unreadable: [(name: String, mode: mode_t)] = []
        for entry in snapshot.entries {
            guard let current = Posix.lstat(at: layout.rootFD.fd, entry.name), current.st_mode & wanted != wanted else {
                continue
            }
            unreadable.append((entry.name, (current.st_mode & 0o7777) | wanted))
        }
        if !unreadable.isEmpty {
            report.findings.append(
                .init(
                    check: "unreadable-entries", severity: .hazard, count: unreadable.count,
                    summary:
                        "\(unreadable.count) \(Self.entries(unreadable.count)) that others who may enter the directory cannot read (vLLM writes mode 0600)",
                    effect: "in a cache shared by a group, another user's vLLM or mediacache misses on them",
                    action: "add read permission for them (--fix)", fixable: true))
        }
        return unreadable
    }

    private func makeReadable(_ entry: (name: String, mode: mode_t)) -> Bool {
        let fd = openat(layout.rootFD.fd, entry.name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { Posix.closeQuietly(fd) }
        return fchmod(fd, entry.mode) == 0
    }

    private func checkFileSystem(into report: inout DoctorReport, vllmEnvironment: [String: String]) {
        report.extendedAttributes = layout.isReadOnly ? false : probeExtendedAttributes()
        report.findings.append(
            .init(
                check: "metadata", severity: .note, count: 0,
                summary: report.extendedAttributes
                    ? "entry metadata is kept in extended attributes (user.mediacache)"
                    : "this file system takes no user extended attributes: entry metadata goes to .mediacache/meta/",
                effect: report.extendedAttributes
                    ? "none" : "one small file per entry; records of entries vLLM replaces are dropped by prune",
                action: "nothing", fixable: false))
        if let floor = configuration.minFreeBytes {
            checkFreeSpaceFloor(floor, into: &report)
        } else if let free = report.freeBytes, free + report.bytes < configuration.maxBytes {
            report.findings.append(
                .init(
                    check: "free-space", severity: .hazard, count: 0,
                    summary:
                        "the file system has \(ByteSize.format(free)) free: the cache cannot grow to its limit of \(ByteSize.format(configuration.maxBytes))",
                    effect: "writes fail with a full disk before eviction starts, for vLLM and mediacache alike",
                    action:
                        "lower the limit to at most \(ByteSize.format(free + report.bytes)) (--max-size, VLLM_MEDIA_CACHE_MAX_SIZE_MB)",
                    fixable: false))
        }
        let vllmLimit =
            (try? vllmEnvironment["VLLM_MEDIA_CACHE_MAX_SIZE_MB"].map(VLLMEnvironment.maxBytes)) ?? nil
            ?? CacheConfiguration.defaultMaxBytes
        if report.bytes > vllmLimit {
            report.findings.append(
                .init(
                    check: "over-vllm-limit", severity: .hazard, count: 0,
                    summary:
                        "the cache holds \(ByteSize.format(report.bytes)), over vLLM's limit of \(ByteSize.format(vllmLimit))",
                    effect:
                        "vLLM's next store evicts the least recently used entries down to its limit: a prewarm beyond it is lost",
                    action:
                        "prune to vLLM's limit (`mediacache prune --max-size \(vllmLimit)`), or raise VLLM_MEDIA_CACHE_MAX_SIZE_MB",
                    fixable: false))
        }
    }

    /// With a floor, the cache can grow only to what leaves the floor free:
    /// writes and `prune` evict to keep it, so a small file system is no
    /// longer a hazard, unless even an empty cache leaves less than the floor.
    private func checkFreeSpaceFloor(_ floor: Int64, into report: inout DoctorReport) {
        guard let free = report.freeBytes else {
            report.findings.append(
                .init(
                    check: "free-space-floor", severity: .note, count: 0,
                    summary:
                        "this file system reports no capacity (ramfs?): the free-space floor of \(ByteSize.format(floor)) does nothing here",
                    effect: "only the size and entry limits bound the cache", action: "nothing", fixable: false))
            return
        }
        let room = free + report.bytes - floor
        let summary = "\(ByteSize.format(free)) free, floor \(ByteSize.format(floor)) (--min-free)"
        if room < 0 {
            report.findings.append(
                .init(
                    check: "free-space-floor", severity: .hazard, count: 0,
                    summary: summary + ": even an empty cache leaves less than the floor free",
                    effect: "every write that enforces the limit, and every prune, evicts the whole cache",
                    action:
                        "free space on the file system, or lower --min-free (MEDIACACHE_MIN_FREE) below \(ByteSize.format(free + report.bytes))",
                    fixable: false))
        } else if free < floor {
            report.findings.append(
                .init(
                    check: "free-space-floor", severity: .hazard, count: 0,
                    summary: summary + ": below the floor",
                    effect:
                        "the next write that enforces the limit, or `mediacache prune`, evicts least recently used entries until \(ByteSize.format(floor)) is free",
                    action: "run `mediacache prune`", fixable: false))
        } else {
            let bound =
                room < configuration.maxBytes
                ? ": the cache can grow to \(ByteSize.format(room)), below its limit of \(ByteSize.format(configuration.maxBytes))"
                : ""
            report.findings.append(
                .init(
                    check: "free-space-floor", severity: .note, count: 0, summary: summary + bound,
                    effect: bound.isEmpty ? "none" : "writes and prune evict least recently used entries to keep the floor free",
                    action: "nothing", fixable: false))
        }
    }

    private func checkEntryCount(into report: inout DoctorReport) {
        let parent = layout.isReadOnly ? (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp") : layout.privatePath
        guard let cost = try? VLLMStoreCost.measure(in: parent) else { return }
        report.storeCost = cost
        let seconds = cost.seconds(at: report.entries)
        let suggestion = cost.entries(within: Self.vllmStoreBudget)
        let milliseconds = seconds >= 0.001 ? ByteSize.oneDecimal(seconds * 1000) : "\(Double(Int(seconds * 1e5)) / 100)"
        let slow = seconds > Self.vllmStoreBudget
        report.findings.append(
            .init(
                check: "entry-count", severity: slow ? .hazard : .note, count: report.entries,
                summary:
                    "\(report.entries) \(Self.entries(report.entries)): one vLLM store costs about \(milliseconds) ms here (measured, \(cost.measuredWith))",
                effect:
                    "vLLM lists and stats the whole directory after every store, on a thread of its pool, for every cache miss",
                action: slow
                    ? "keep at most \(suggestion) entries (--max-entries \(suggestion) on prune and prewarms, or MEDIACACHE_MAX_ENTRIES)"
                    : "nothing; --max-entries \(suggestion) would keep a store under \(Int(Self.vllmStoreBudget * 1000)) ms",
                fixable: false))
    }

    // MARK: - Helpers

    /// Whether a user extended attribute can be set on a file in the cache's private directory.
    /// - Important: Disk I/O: creates and removes one small file.
    private func probeExtendedAttributes() -> Bool {
        let name = ".xattr-probe-\(getpid())-\(Posix.randomToken())"
        let fd = openat(layout.privateFD.fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        defer {
            Posix.closeQuietly(fd)
            unlinkat(layout.privateFD.fd, name, 0)
        }
        return ExtendedAttribute.set(EntryMetadata.attributeName, Array("probe".utf8), on: fd)
    }

    private static func files(_ count: Int) -> String { count == 1 ? "file" : "files" }
    private static func entries(_ count: Int) -> String { count == 1 ? "entry" : "entries" }
}
