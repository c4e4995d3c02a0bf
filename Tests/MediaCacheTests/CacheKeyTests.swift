import Testing

@testable import MediaCache

/// Names computed once with the machine's python3 (3.11) as vLLM does:
/// `hashlib.sha256(url.encode()).hexdigest()[:20] + pathlib.Path(url.split("?", 1)[0]).suffix`
@Suite("vLLM key names")
struct CacheKeyTests {
    static let table: [(String, String)] = [
        ("https://cdn.example/cat.jpg", "469aa9cd5552f33222b1.jpg"),
        ("https://h/a/cat.png?x=1", "aaa4109d0b1848a16b16.png"),
        ("https://h/a/cat.png?x=1&y=2.gif", "e861df939a9e23110f47.png"),
        ("https://h/a/cat.png#frag.webp", "4611eb110fe3b63f1e32.webp"),
        ("https://h/a/cat#frag.webp", "a09704cc60a50bbb749f.webp"),
        ("https://example.com", "100680ad546ce6a577f4.com"),
        ("https://example.com/", "0f115db062b7c0dd030b.com"),
        ("https://h/a/dir/", "e1bc4c8434bcb21a70e3"),
        ("https://h/a/a.tar.gz", "a72814c9186cd861c856.gz"),
        ("https://h/a/a.", "d447648e89bb85041a12"),
        ("https://h/a/.hidden", "58d0d9773e64882df36a"),
        ("https://h/a/a..png", "b0570d192d7515340af5.png"),
        ("https://H/A/CAT.JPG", "926949647517d9aee8e1.JPG"),
        ("https://h/a/caf%C3%A9.png", "ca5c20593b2473786fda.png"),
        ("https://h/a/café.png", "96f1a519861bc6eb727d.png"),
        ("https://h/ü/bild.JPEG?size=large", "402d48da6b0b31f4319f.JPEG"),
        ("https://h/a/x.\u{00E9}t\u{0301}", "181caeddd520ab9434b5.\u{00E9}t\u{0301}"),
        ("https://h/a/x.\u{0301}", "bdadf75b2e1408c18d3c.\u{0301}"),
        ("http://127.0.0.1:8080/v.mp4", "274d000047c8495b716c.mp4"),
        ("https://h/a/b/..", "f223139c012c853e79f4"),
        ("https://h/a/./x.wav", "671232c803eed8fe171e.wav"),
        ("https://h/a/x.wav/.", "f25b13fc36916284bc9d.wav"),
        ("https://h/a/noext", "f3e437121194ae9d9c6d"),
        ("https://h/a/x.png?", "e4a99efd7088c5fe84e2.png"),
        ("https://h/a?x=1.png", "d3d61cb6f7d68a6ecbd1"),
        ("https://h/a/%2E%2E.mp3", "60c9df2c65833d18c4ed.mp3"),
        ("https://h/a/x.y.z.flac", "c0cd498e352078bf2bdd.flac"),
        ("https://h/a/" + String(repeating: "a", count: 300) + ".png", "ca32c87e6f2f70e98177.png"),
        (
            "https://h/" + String(repeating: "d/", count: 2000) + "deep.jpg?" + String(repeating: "q", count: 5000),
            "83772a66b4422d4bf736.jpg"
        ),
    ]

    @Test("matches Python's name for every URL in the table", arguments: table)
    func matchesPython(url: String, expected: String) throws {
        let key = try CacheKey(url: url)
        // Compare bytes: Swift's == treats canonically equivalent strings as equal.
        #expect(Array(key.name.utf8) == Array(expected.utf8))
    }

    @Test(
        "rejects what is not an http(s) URL",
        arguments: [
            "", "ftp://h/a.png", "file:///etc/passwd", "data:image/png;base64,AA", "not a url", "cdn.example/cat.jpg",
            "https://", "http:///path", "https://h/a\u{7}.png", "https://h/a\u{0}.png", "https://h/a\n.png",
        ])
    func rejects(url: String) {
        #expect(throws: MediaCacheError.self) { try CacheKey(url: url) }
    }

    @Test func rejectsURLsLongerThan64KiB() {
        let url = "https://h/" + String(repeating: "a", count: 65_536)
        #expect(throws: MediaCacheError.self) { try CacheKey(url: url) }
    }

    @Test func rejectsSuffixTooLongForAFileName() {
        let url = "https://h/a." + String(repeating: "x", count: 300)
        #expect(throws: MediaCacheError.self) { try CacheKey(url: url) }
    }

    @Test("key names given by hand must be plain file names", arguments: ["", ".state", "a/b", "..", "x\u{0}y"])
    func rejectsBadNames(name: String) {
        #expect(throws: MediaCacheError.self) { try CacheKey(name: name) }
    }

    @Test func aSpaceIsAcceptedAsVLLMAcceptsIt() throws {
        #expect(try CacheKey(url: "http://h/a b.gif").name.hasSuffix(".gif"))
    }

    @Test func keysCompareByBytesNotByCanonicalEquivalence() throws {
        let nfc = try CacheKey(url: "https://h/caf\u{E9}.png")
        let nfd = try CacheKey(url: "https://h/cafe\u{301}.png")
        #expect(nfc != nfd)
        #expect(Set([nfc, nfd]).count == 2)
        // Names alike but for normalisation are still two keys.
        let a = try CacheKey(name: "x.caf\u{E9}")
        let b = try CacheKey(name: "x.cafe\u{301}")
        #expect(a != b && a.name == b.name)
    }

    @Test(
        "Python 3.14's suffix rules differ only for a few names",
        arguments: [
            ("https://h/a.", "", "."), ("https://h/..png", ".png", ""), ("https://h/a..", "", "."),
            ("https://h/.bashrc", "", ""), ("https://h/cat.png", ".png", ".png"), ("https://h/a.tar.gz?x=1", ".gz", ".gz"),
            ("https://h/...a.png", ".png", ".png"), ("https://h/..", "", ""),
        ])
    func suffixRules(url: String, python313: String, python314: String) {
        #expect(SuffixRules.python313.suffix(of: url) == python313)
        #expect(SuffixRules.python314.suffix(of: url) == python314)
    }

    @Test func everyNameOfAURLComesFirstUnderTheConfiguredRules() throws {
        let names = try CacheKey.names(of: "https://h/a.", rules: .python314).map(\.name)
        #expect(names.count == 2 && names[0].hasSuffix(".") && !names[1].hasSuffix("."))
        #expect(try CacheKey.names(of: "https://h/cat.png").count == 1)
        #expect(SuffixRules(pythonVersion: "3.10") == .python313 && SuffixRules(pythonVersion: "3.14") == .python314)
        #expect(SuffixRules(pythonVersion: "2.7") == nil)
    }

    @Test(
        "the request target is what urllib3's parse_url gives",
        arguments: [
            ("http://h/a b.gif", "http://h/a%20b.gif"),
            ("http://h/caf\u{E9}.png?q=\u{E9} x#frag", "http://h/caf%C3%A9.png?q=%C3%A9%20x"),
            ("http://h/a/./b/../c.png", "http://h/a/c.png"), ("http://h/%7e%zz", "http://h/%257E%25zz"),
            ("http://h/%7e", "http://h/%7E"),
            ("http://h:8080/x?a=1&b=[2]", "http://h:8080/x?a=1&b=%5B2%5D"), ("http://h", "http://h"),
            ("http://h/a/..", "http://h/"),
        ])
    func requestTarget(url: String, expected: String) {
        #expect(RequestTarget.of(url) == expected)
    }
}
