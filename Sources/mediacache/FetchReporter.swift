import MediaCache
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Everything `fetch` prints: a line per URL on stdout, a progress bar and
/// a summary on stderr. The bar is drawn only when stderr is a terminal.
final class FetchReporter: Sendable {
    private struct Tally {
        var done = 0
        var counts: [FetchStatus: Int] = [:]
        var stored: Int64 = 0
    }

    private let total: Int
    private let json: Bool
    private let quiet: Bool
    private let progress: @Sendable () -> Int64
    private let tally = Mutex(Tally())
    private let started = TimeText.now()
    private let ticker = Mutex<Task<Void, Never>?>(nil)
    private let drawsBar: Bool

    init(total: Int, json: Bool, quiet: Bool, progress: @escaping @Sendable () -> Int64) {
        self.total = total
        self.json = json
        self.quiet = quiet
        self.progress = progress
        drawsBar = !quiet && StandardError.isTerminal
    }

    var failures: Int { tally.withLock { $0.counts[.failed, default: 0] } }

    /// Reports a line of the list that is not a URL; it counts as failed.
    func reject(_ bad: (source: String, url: String, error: MediaCacheError)) {
        tally.withLock { $0.counts[.failed, default: 0] += 1 }
        if !json { warn("\(bad.source): \(bad.error)") }
        StandardOutput.line(line(for: .failure(bad.url, bad.error), source: bad.source))
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
        if drawsBar && isatty(1) == 1 { StandardError.write("\r\u{1B}[K") }  // result lines share the terminal
        StandardOutput.line(line(for: outcome))
    }

    /// One stdout line: tab-separated, or a JSON object with the same keys for every URL
    /// (plus `source`, the list file and line, for a line rejected before download).
    private func line(for outcome: FetchOutcome, source: String? = nil) -> String {
        guard json else { return "\(outcome.status.rawValue)\t\(outcome.size)\t\(outcome.path ?? "-")\t\(outcome.url)" }
        var fields: [(String, JSON)] = [
            ("status", .string(outcome.status.rawValue)), ("url", .string(outcome.url)),
            ("key", .optional(outcome.key?.name)), ("path", .optional(outcome.path)), ("size", .int(outcome.size)),
            ("bytes_transferred", .int(outcome.transferred)),
            ("http_status", outcome.httpStatus.map { .int($0) } ?? .null), ("attempts", .int(outcome.attempts)),
            ("error", .optional(outcome.error?.description)),
        ]
        if let source { fields.append(("source", .string(source))) }
        return JSON.object(fields).rendered()
    }

    private func draw() {
        let done = tally.withLock { $0.done }
        let bytes = progress()
        let elapsed = max(0.001, TimeText.now() - started)
        let rate = Double(bytes) / elapsed
        let width = 24
        let filled = total == 0 ? width : min(width, done * width / total)
        var bar = "[" + String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled) + "]"
        bar += " \(done)/\(total) URLs  \(ByteSize.format(bytes))  \(ByteSize.format(Int64(rate)))/s"
        if done > 0 && done < total {
            let eta = elapsed / Double(done) * Double(total - done)
            bar += "  ETA \(DurationText.format(eta))"
        }
        StandardError.write("\r\u{1B}[K" + bar)
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
