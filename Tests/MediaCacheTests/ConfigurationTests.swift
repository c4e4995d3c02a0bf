import MediaCache
import Testing

@Suite("Sizes, durations and where settings come from")
struct ConfigurationTests {
    @Test(
        "sizes are powers of 1024 with or without B/iB",
        arguments: [
            ("500K", 500 * 1024), ("500M", 500 * 1_048_576), ("5G", 5 * 1_073_741_824), ("5GiB", 5 * 1_073_741_824),
            ("5GB", 5 * 1_073_741_824), ("1T", 1_099_511_627_776), ("4096", 4096), ("12B", 12), ("1.5k", 1536),
            (" 2m ", 2 * 1_048_576), ("7kib", 7 * 1024),
        ] as [(String, Int64)])
    func parsesSizes(text: String, bytes: Int64) throws {
        #expect(try ByteSize.parse(text, name: "--max-size") == bytes)
    }

    @Test("zero, negative and garbled sizes are errors", arguments: ["0", "-5", "-1G", "12Q", "", "G", "abc", "1e400", "nan"])
    func rejectsSizes(text: String) {
        #expect(throws: MediaCacheError.self) { try ByteSize.parse(text, name: "--max-size") }
    }

    @Test(
        "durations",
        arguments: [("90s", 90), ("30m", 1800), ("24h", 86400), ("7d", 604_800), ("45", 45), ("1.5h", 5400)] as [(String, Double)]
    )
    func parsesDurations(text: String, seconds: Double) throws {
        #expect(try DurationText.parse(text, name: "--ttl") == seconds)
    }

    @Test("zero, negative and garbled durations are errors", arguments: ["0", "0s", "-1d", "abc", "", "h", "5y"])
    func rejectsDurations(text: String) {
        #expect(throws: MediaCacheError.self) { try DurationText.parse(text, name: "--ttl") }
    }

    @Test func errorNamesTheSettingAndValue() {
        let error = #expect(throws: MediaCacheError.self) { try ByteSize.parse("12Q", name: "MEDIACACHE_MAX_SIZE") }
        #expect(error?.description.contains("MEDIACACHE_MAX_SIZE") == true)
        #expect(error?.description.contains("12Q") == true)
    }

    @Test func defaultsAreVLLMs() throws {
        let config = try CacheConfiguration.resolve(environment: ["HOME": "/home/u"])
        #expect(config.directory == "/home/u/.cache/mediacache")
        #expect(config.maxBytes == 5120 * 1_048_576)
        #expect(config.ttl == 24 * 3600)
    }

    @Test func flagsBeatMediacacheVariablesWhichBeatVLLMVariables() throws {
        let env = [
            "HOME": "/home/u", "XDG_CACHE_HOME": "/xdg", "VLLM_MEDIA_CACHE": "/vllm", "MEDIACACHE_DIR": "/mc",
            "VLLM_MEDIA_CACHE_MAX_SIZE_MB": "100", "MEDIACACHE_MAX_SIZE": "2G",
            "VLLM_MEDIA_CACHE_TTL_HOURS": "2", "MEDIACACHE_TTL": "30m",
        ]
        let flags = try CacheConfiguration.resolve(directory: "/flag", maxSize: "1M", ttl: "90s", environment: env)
        #expect(flags.directory == "/flag" && flags.maxBytes == 1_048_576 && flags.ttl == 90)

        let mine = try CacheConfiguration.resolve(environment: env)
        #expect(mine.directory == "/mc" && mine.maxBytes == 2 * 1_073_741_824 && mine.ttl == 1800)

        var vllmOnly = env
        for name in ["MEDIACACHE_DIR", "MEDIACACHE_MAX_SIZE", "MEDIACACHE_TTL"] { vllmOnly[name] = nil }
        let vllm = try CacheConfiguration.resolve(environment: vllmOnly)
        #expect(vllm.directory == "/vllm" && vllm.maxBytes == 100 * 1_048_576 && vllm.ttl == 7200)

        let xdg = try CacheConfiguration.resolve(environment: ["HOME": "/home/u", "XDG_CACHE_HOME": "/xdg"])
        #expect(xdg.directory == "/xdg/mediacache")
    }

    @Test(
        "bad environment values are errors naming the variable",
        arguments: [
            ["MEDIACACHE_MAX_SIZE": "junk"], ["VLLM_MEDIA_CACHE_MAX_SIZE_MB": "1.5"], ["MEDIACACHE_TTL": "0"],
            ["VLLM_MEDIA_CACHE_TTL_HOURS": "soon"], ["VLLM_MEDIA_CACHE_MAX_SIZE_MB": ""],
            ["VLLM_MEDIA_CACHE_MAX_SIZE_MB": "0x10"],
            ["VLLM_MEDIA_CACHE_TTL_HOURS": "0x1p3"], ["VLLM_MEDIA_CACHE_TTL_HOURS": ""],
        ])
    func rejectsBadEnvironment(env: [String: String]) {
        let error = #expect(throws: MediaCacheError.self) { try CacheConfiguration.resolve(environment: env) }
        #expect(error?.description.contains(env.keys.first!) == true)
    }

    static let vllmValues: [(String, String, Double)] = [
        ("VLLM_MEDIA_CACHE_MAX_SIZE_MB", " 1_0 ", 10.0 * 1_048_576), ("VLLM_MEDIA_CACHE_MAX_SIZE_MB", "+7", 7.0 * 1_048_576),
        ("VLLM_MEDIA_CACHE_MAX_SIZE_MB", "0", 0), ("VLLM_MEDIA_CACHE_MAX_SIZE_MB", "-3", -3.0 * 1_048_576),
        ("VLLM_MEDIA_CACHE_MAX_SIZE_MB", "\u{661}\u{660}", 10.0 * 1_048_576),
        ("VLLM_MEDIA_CACHE_TTL_HOURS", "1e-3", 3.6), ("VLLM_MEDIA_CACHE_TTL_HOURS", " 2_0.5\n", 20.5 * 3600),
        ("VLLM_MEDIA_CACHE_TTL_HOURS", "-1", -3600), ("VLLM_MEDIA_CACHE_TTL_HOURS", "INF", Double.infinity),
        ("VLLM_MEDIA_CACHE_TTL_HOURS", "0", 0),
    ]

    @Test("vLLM's variables mean what Python's int() and float() make of them", arguments: vllmValues)
    func readsVLLMVariablesAsPython(name: String, value: String, expected: Double) throws {
        let config = try CacheConfiguration.resolve(environment: [name: value])
        #expect((name.hasSuffix("_MB") ? Double(config.maxBytes) : config.ttl) == expected)
    }

    @Test func aNaNTTLNeverExpiresAndHugeSizesClamp() throws {
        let config = try CacheConfiguration.resolve(environment: [
            "VLLM_MEDIA_CACHE_TTL_HOURS": "nan", "VLLM_MEDIA_CACHE_MAX_SIZE_MB": "99999999999999999999",
        ])
        #expect(config.ttl.isNaN && !(1e9 > config.ttl))
        #expect(config.maxBytes == Int64.max)
        #expect(DurationText.format(config.ttl) == "never")
    }

    static let intTexts: [(String, Bool)] = [
        ("1__0", false), ("_1", false), ("1_", false), ("1 0", false), ("", false), ("+", false), ("\u{1F}12\u{1C}", true),
        ("\u{B2}", false),
    ]

    @Test("Python's int() grammar", arguments: intTexts)
    func pythonIntGrammar(text: String, valid: Bool) {
        #expect((PythonNumber.int(text) != nil) == valid)
    }

    static let floatTexts: [(String, Double)] = [
        ("1.", 1.0), (".5", 0.5), ("1e5", 1e5), ("1E+0_1", 10), ("-Infinity", -Double.infinity), ("1_0.2_5", 10.25),
    ]

    @Test("float() takes what Python takes", arguments: floatTexts)
    func pythonFloat(text: String, expected: Double) {
        #expect(PythonNumber.float(text) == expected)
    }

    @Test("float() refusals", arguments: [".", "1e", "0x10", "1._5", "in f", "1.5.2", "e5", "- 1"])
    func pythonFloatRefusals(text: String) {
        #expect(PythonNumber.float(text) == nil)
    }
}
