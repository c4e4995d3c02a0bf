/// Python's `int(text)` and `float(text)`, which vLLM's `envs.py` applies to
/// `VLLM_MEDIA_CACHE_MAX_SIZE_MB` and `VLLM_MEDIA_CACHE_TTL_HOURS`.
///
/// A value vLLM accepts must mean the same limit here, and a value it
/// refuses must be refused here too. So the grammar is Python's, not
/// Swift's (`Double("0x10")` is 16 in Swift and an error in Python):
/// surrounding white space as `str.strip()` sees it, a sign, single
/// underscores between digits, any Unicode decimal digit (`int("١٠")` is
/// 10), and for floats `inf`, `infinity` and `nan` in any case.
public enum PythonNumber {
    /// `int(text)` in base 10; nil where Python raises `ValueError`.
    /// Values beyond Int64 are clamped to it (Python's ints have no bound).
    public static func int(_ text: String) -> Int64? {
        var scalars = stripped(text)[...]
        var negative = false
        if let sign = scalars.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            scalars = scalars.dropFirst()
        }
        guard let digits = digitRun(scalars), digits.consumed == scalars.count else { return nil }
        var value: Int64 = 0
        for digit in digits.values {
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = times.addingReportingOverflow(Int64(digit))
            if overflowTimes || overflowSum { return negative ? Int64.min : Int64.max }
            value = sum
        }
        return negative ? -value : value
    }

    /// `float(text)`; nil where Python raises `ValueError`.
    public static func float(_ text: String) -> Double? {
        var scalars = stripped(text)[...]
        var sign = ""
        if let first = scalars.first, first == "+" || first == "-" {
            sign = first == "-" ? "-" : ""
            scalars = scalars.dropFirst()
        }
        let word = String(String.UnicodeScalarView(scalars)).lowercased()
        if word == "inf" || word == "infinity" { return sign == "-" ? -.infinity : .infinity }
        if word == "nan" { return .nan }
        // digits [. [digits]] | . digits, then an optional exponent.
        var ascii = sign
        let integer = digitRun(scalars)
        if let integer {
            ascii += integer.values.map(String.init).joined()
            scalars = scalars.dropFirst(integer.consumed)
        }
        var fraction: (values: [Int], consumed: Int)?
        if scalars.first == "." {
            scalars = scalars.dropFirst()
            fraction = digitRun(scalars)
            if let fraction {
                scalars = scalars.dropFirst(fraction.consumed)
                ascii += "." + fraction.values.map(String.init).joined()
            }
        }
        guard integer != nil || fraction != nil else { return nil }
        if let e = scalars.first, e == "e" || e == "E" {
            scalars = scalars.dropFirst()
            var exponentSign = ""
            if let first = scalars.first, first == "+" || first == "-" {
                exponentSign = first == "-" ? "-" : "+"
                scalars = scalars.dropFirst()
            }
            guard let exponent = digitRun(scalars) else { return nil }
            scalars = scalars.dropFirst(exponent.consumed)
            ascii += "e" + exponentSign + exponent.values.map(String.init).joined()
        }
        guard scalars.isEmpty else { return nil }
        // Only ASCII digits, a dot and an exponent are left: Swift's parser
        // reads those exactly as Python's (both round correctly).
        return Double(ascii)
    }

    /// Digits with single underscores between them, from the start of
    /// `scalars`; nil when there is no digit first or an underscore is misplaced.
    private static func digitRun(_ scalars: ArraySlice<Unicode.Scalar>) -> (values: [Int], consumed: Int)? {
        var values: [Int] = []
        var consumed = 0
        var afterUnderscore = false
        for scalar in scalars {
            if scalar == "_" {
                guard !values.isEmpty, !afterUnderscore else { return nil }
                afterUnderscore = true
            } else if let digit = decimalValue(scalar) {
                values.append(digit)
                afterUnderscore = false
            } else {
                break
            }
            consumed += 1
        }
        guard !values.isEmpty, !afterUnderscore else { return nil }
        return (values, consumed)
    }

    /// The value of a Unicode decimal digit (general category Nd), as Python's `int()` takes it.
    private static func decimalValue(_ scalar: Unicode.Scalar) -> Int? {
        guard scalar.properties.numericType == .decimal, let value = scalar.properties.numericValue else { return nil }
        return Int(value)
    }

    /// The scalars of `text` without what `str.strip()` removes: Unicode
    /// white space and the separators U+001C to U+001F.
    private static func stripped(_ text: String) -> [Unicode.Scalar] {
        let isSpace = { (scalar: Unicode.Scalar) in scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value) }
        var scalars = Array(text.unicodeScalars)
        while let last = scalars.last, isSpace(last) { scalars.removeLast() }
        let start = scalars.firstIndex { !isSpace($0) } ?? scalars.endIndex
        return Array(scalars[start...])
    }
}
