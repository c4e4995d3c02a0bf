import MediaCache
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Everything `fetch` prints: a line per URL on stdout, a progress bar and
/// a summary on stderr. The bar is drawn only when stderr is a terminal.
///
/// The per-URL lines take one of three forms: `--json` objects; on a
/// terminal, aligned columns with human sizes; otherwise (piped) the stable
/// tab-separated form with raw byte counts. With `-q` (and no `--json`)
/// there are none: only errors are printed.
final class FetchReporter: Sendable {
    private struct Tally {
        var done = 0
        var counts: [FetchStatus: Int] = [:]
        var stored: Int64 = 0
    }

    /// How the per-URL lines are written.
    enum Form { case json, columns, tabs, none }

    private let total: Int
    private let json: Bool
    private let quiet: Bool
    private let form: Form
    private let progress: @Sendable () -> Int64
    private let announced: @Sendable () -> (count: Int, bytes: Int64)
    private let tally = Mutex(Tally())
    private let started = TimeText.now()
    private let ticker = Mutex<Task<Void, Never>?>(nil)
    private let drawsBar: Bool

    init(
        total: Int, json: Bool, quiet: Bool, progress: @escaping @Sendable () -> Int64,
        announced: @escaping @Sendable () -> (count: Int, bytes: Int64) = { (0, 0) }
    ) {
        self.total = total
        self.json = json
        self.quiet = quiet
        form = json ? .json : quiet ? .none : isatty(1) == 1 ? .columns : .tabs
        self.progress = progress
        self.announced = announced
        drawsBar = !quiet && StandardError.isTerminal
    }

    var failures: Int { tally.withLock { $0.counts[.failed, default: 0] } }

    /// Reports a line of the list that is not a URL; it counts as failed.
    func reject(_ bad: (source: String, url: String, error: MediaCacheError)) {
        tally.withLock { $0.counts[.failed, default: 0] += 1 }
        if !json { warn("\(bad.source): \(bad.error)") }
        if let line = line(for: .failure(bad.url, bad.error), source: bad.source) { StandardOutput.line(line) }
    }

    func start() {
        guard drawsBar else { return }
        let task = Task { [self] in
            while !Task.isCancelled {
                draw()
                try? await Task.sleep(nanoseconds: 100_000_000)
            }
        }
        ticker.withLock { $0 = task }
    }

    func stop() {
        ticker.withLock { $0?.cancel() }
        if drawsBar { StandardError.write("\r\u{1B}[K") }
    }

    /// Prints one finished URL.
    func record(_ outcome: FetchOutcome) {
        tally.withLock {
            $0.done += 1
            $0.counts[outcome.status, default: 0] += 1
            $0.stored += outcome.size
        }
        if let error = outcome.error, !json { warn(error.description) }
        guard let line = line(for: outcome) else { return }
        if drawsBar && isatty(1) == 1 { StandardError.write("\r\u{1B}[K") }  // result lines share the terminal
        StandardOutput.line(line)
    }

    /// One stdout line, or nil with `-q`: tab-separated; aligned columns on a
    /// terminal; or a JSON object with the same keys for every URL (plus
    /// `source`, the list file and line, for a line rejected before download).
    private func line(for outcome: FetchOutcome, source: String? = nil) -> String? {
        switch form {
        case .none: return nil
        case .tabs: return "\(outcome.status.rawValue)\t\(outcome.size)\t\(outcome.path ?? "-")\t\(outcome.url)"
        case .columns:
            let size = outcome.status == .failed ? "-" : ByteSize.format(outcome.size)
            return Self.pad(outcome.status.rawValue, 11) + Self.pad(size, 10, right: true) + "  "
                + Self.pad(outcome.key?.name ?? "-", 24) + "  " + outcome.url
        case .json: break
        }
        var fields: [(String, JSON)] = [
            ("status", .string(outcome.status.rawValue)), ("url", .string(outcome.url)),
            ("key", .optional(outcome.key?.name)), ("path", .optional(outcome.path)), ("size", .int(outcome.size)),
            ("bytes_transferred", .int(outcome.transferred)),
            ("http_status", outcome.httpStatus.map { .int($0) } ?? .null), ("attempts", .int(outcome.attempts)),
            ("error", .optional(outcome.error?.description)), ("remote", .optional(outcome.remote)),
        ]
        if let source { fields.append(("source", .string(source))) }
        return JSON.object(fields).rendered()
    }

    private static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }

    private func draw() {
        let (done, fetched) = tally.withLock { ($0.done, $0.counts[.fetched, default: 0]) }
        let bytes = progress()
        let elapsed = max(0.001, TimeText.now() - started)
        let rate = Double(bytes) / elapsed
        let width = 24
        let filled = total == 0 ? width : min(width, done * width / total)
        var bar = "[" + String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled) + "]"
        bar += " \(done)/\(total) URLs  \(ByteSize.format(bytes))  \(ByteSize.format(Int64(rate)))/s"
        if done > 0 && done < total, rate > 0,
            let left = Self.bytesLeft(total: total, done: done, fetched: fetched, received: bytes, announced: announced())
        {
            bar += "  ETA \(DurationText.format(Double(left) / rate))"
        }
        StandardError.write("\r\u{1B}[K" + bar)
    }

    /// Bytes still to come, estimated from bytes (not URLs, so one large body
    /// left at 299/300 is not "ETA 0s"): what the bodies in flight announced
    /// and have not yet sent, plus, for the URLs not yet answered, the mean
    /// announced size. Nil before any size is known.
    static func bytesLeft(total: Int, done: Int, fetched: Int, received: Int64, announced: (count: Int, bytes: Int64)) -> Int64? {
        guard announced.count > 0 else { return nil }
        let inFlight = max(0, announced.count - fetched)
        let unanswered = max(0, total - done - inFlight)
        return max(0, announced.bytes - received) + Int64(unanswered) * (announced.bytes / Int64(announced.count))
    }

    /// The closing line on stderr, unless quiet.
    func summary() {
        guard !quiet else { return }
        let (counts, _) = tally.withLock { ($0.counts, $0.stored) }
        let bytes = progress()
        let elapsed = max(0.001, TimeText.now() - started)
        let rate = ByteSize.format(Int64(Double(bytes) / elapsed))
        warn(
            "\(counts[.fetched, default: 0]) fetched, \(counts[.cached, default: 0]) cached, "
                + "\(counts[.revalidated, default: 0]) revalidated, \(counts[.failed, default: 0]) failed; "
                + "\(ByteSize.format(bytes)) downloaded in \(ByteSize.oneDecimal(elapsed))s (\(rate)/s)")
    }
}
