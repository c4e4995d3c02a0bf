import Foundation
import TestSupport
import Testing

@testable import MediaCache

/// The fleet's claims through the library, against real nginx WebDAV.
@Suite(
    "shared tier: claims in the library",
    .enabled(if: NginxServer.isAvailable, "needs Debian's nginx (apt-get install nginx-light)"))
struct RemoteClaimTests {
    /// The claims nginx holds now (collections under `claims/`).
    private static func claims(_ nginx: NginxServer) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: nginx.file("claims"))) ?? []).filter { !$0.hasPrefix(".") }
    }

    @Test func aCancelledFetchLetsGoOfItsClaim() async throws {
        let server = try await TestServer.start()
        try await withTempDir { dir in
            let nginx = try NginxServer.start(in: dir + "/tier")
            defer { nginx.stop() }
            // About 2 s of body: cancelled long before it ends.
            let url = server.url("/slow/cancelled?size=20000&chunks=10&delay=200")
            let tier = try RemoteTier(specs: [RemoteSpec.parse(nginx.url)])
            var settings = FetchSettings()
            settings.remote = tier
            let store = try CacheStore(CacheConfiguration(directory: dir + "/cache"))
            let fetcher = Fetcher(store: store, settings: settings)
            let fetch = Task { await fetcher.fetch(url) }
            try await server.waitForRequests(prefix: "/slow/cancelled", count: 1, timeout: 60)
            #expect(Self.claims(nginx).count == 1, "the download holds a claim")
            fetch.cancel()
            let outcome = await fetch.value
            #expect(outcome.status == .failed)
            // The claim was deleted although the task that held it was cancelled, and the level is still on.
            #expect(Self.claims(nginx).isEmpty, "claims left: \(Self.claims(nginx))")
            let counts = tier.levels[0].counts.withLockedValue { $0 }
            #expect(counts.errors == 0 && counts.timeouts == 0 && counts.claims == 1, "\(counts)")
            _ = await tier.finish(store: store)
            try await fetcher.shutdown()
        }
        await server.stop()
    }
}
