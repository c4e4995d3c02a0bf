/// When and how long to wait before trying a URL again.
struct RetryPolicy {
    var retries: Int
    var backoff: Double
    var maxWait: Double

    /// Statuses worth another try: timeouts, rate limits and server errors.
    static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 429 || (500...599).contains(status)
    }

    /// Seconds to wait before attempt `attempt + 1` (attempt counts from 1).
    ///
    /// Exponential backoff with full-range jitter in [0.5, 1.5) of the step,
    /// so many clients retrying at once spread out; a Retry-After from the
    /// origin wins when present, capped at `maxWait`.
    func delay(afterAttempt attempt: Int, retryAfter: Double?) -> Double {
        if let retryAfter { return min(max(0, retryAfter), maxWait) }
        let step = backoff * Double(1 << min(attempt - 1, 16))
        return min(step * Double.random(in: 0.5..<1.5), maxWait)
    }

    /// Parses Retry-After: delay-seconds, or an HTTP date (IMF-fixdate) relative to `now`.
    static func parseRetryAfter(_ value: String?, now: Double) -> Double? {
        guard let value = value?.trimmingSpaces(), !value.isEmpty else { return nil }
        if let seconds = Double(value), seconds >= 0 { return seconds }
        guard let date = HTTPDate.parse(value) else { return nil }
        return max(0, date - now)
    }
}

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the only date form servers are required to send.
enum HTTPDate {
    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    static func parse(_ text: String) -> Double? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, let day = Int(parts[1]), let month = months.firstIndex(of: parts[2].lowercased()),
            let year = Int(parts[3])
        else { return nil }
        let clock = parts[4].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3 else { return nil }
        return Double(daysFromCivil(year: year, month: month + 1, day: day)) * 86400
            + Double(clock[0] * 3600 + clock[1] * 60 + clock[2])
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
