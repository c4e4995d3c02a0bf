import ArgumentParser
import MediaCache

extension MediaCacheCommand {
    struct Key: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "key",
            abstract: "Print the entry file name (key) vLLM and mediacache use for each URL.",
            discussion: "Touches nothing; works whether or not the URL is cached.")

        @OptionGroup var location: CacheLocation
        // Accepted (scripts pass one set of cache flags to every command), not shown: they change nothing here.
        @OptionGroup(visibility: .hidden) var limits: CacheLimits
        @OptionGroup(visibility: .hidden) var writing: WriteOptions

        @Argument(help: "URLs to name.")
        var urls: [String]

        @Flag(help: "Print full paths inside the cache directory instead of names.")
        var path = false

        func run() throws {
            let config = try location.configuration()
            var out = ""
            for url in urls {
                let key = try reporting { try CacheKey(url: url, rules: config.suffixRules) }
                out += (path ? config.directory + "/" + key.name : key.name) + "\n"
            }
            StandardOutput.write(out)
        }
    }
}
