/// vLLM's own settings, read as `vllm/envs.py` reads them.
///
/// `VLLM_MEDIA_CACHE_MAX_SIZE_MB` is `int(os.getenv(name, "5120"))` and
/// `VLLM_MEDIA_CACHE_TTL_HOURS` is `float(os.getenv(name, "24"))`. A set but
/// empty variable is therefore `int("")`: vLLM refuses it (its server does not
/// start), and so does this tool. Every value vLLM accepts means the same here:
/// 0 MiB or less keeps nothing but the entry just written, an infinite or NaN
/// TTL never expires anything (vLLM's `age > ttl` is then never true), and a
/// TTL of 0 or less expires every entry on its next look.
public enum VLLMEnvironment {
    /// The size limit in bytes that `VLLM_MEDIA_CACHE_MAX_SIZE_MB=text` gives vLLM.
    public static func maxBytes(_ text: String) throws(MediaCacheError) -> Int64 {
        guard let mib = PythonNumber.int(text) else {
            throw .invalidSetting(
                name: "VLLM_MEDIA_CACHE_MAX_SIZE_MB", value: text,
                expected: "a whole number of MiB, as Python's int() reads it (vLLM would refuse this value too)")
        }
        let (bytes, overflow) = mib.multipliedReportingOverflow(by: 1_048_576)
        return overflow ? (mib < 0 ? Int64.min : Int64.max) : bytes
    }

    /// The TTL in seconds that `VLLM_MEDIA_CACHE_TTL_HOURS=text` gives vLLM.
    public static func ttl(_ text: String) throws(MediaCacheError) -> Double {
        guard let hours = PythonNumber.float(text) else {
            throw .invalidSetting(
                name: "VLLM_MEDIA_CACHE_TTL_HOURS", value: text,
                expected: "a number of hours, as Python's float() reads it (vLLM would refuse this value too)")
        }
        return hours * 3600
    }
}
