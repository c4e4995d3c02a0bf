import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// A URL this node is downloading for the fleet: the collection it created
/// on the level, deleted again (`release`) once the entry is uploaded, or
/// the download failed.
struct RemoteClaim: Sendable {
    let level: RemoteLevel
    let server: String
    let url: String

    /// Deletes the claim: this node's, done with, or one left by a crashed
    /// node. Best effort: a claim that stays costs a waiting node `claimWait`.
    /// Tried even on a server turned off for a refused upload (a full disk,
    /// say), whose claims the other nodes would otherwise wait out; not on
    /// one that stopped answering, where it would cost a timeout each.
    /// Sent from a task of its own, so that a cancelled fetch still lets go
    /// of its claim. A release that gets no answer turns the server off.
    func release() async {
        guard level.isReachable(server) else { return }
        await Task.detached {
            do {
                _ = try await level.statusOf(.DELETE, url)
            } catch {
                level.fail(error, server: server)
            }
        }.value
    }
}

/// What a level answered to a claim.
enum ClaimAnswer: Sendable {
    /// This node downloads the URL; the others wait for its upload.
    case owned(RemoteClaim)
    /// Another node is downloading it.
    case held
    /// No claims on this level (turned off, not supported, or the server is off).
    case unavailable
}

extension RemoteLevel {
    /// Claims `key` for this node: single flight across the nodes of a fleet.
    ///
    /// A claim is a WebDAV collection, `claims/<key>/`, made with `MKCOL`,
    /// which a server creates atomically or refuses (405) when it exists: of
    /// nodes that miss the same URL together, exactly one gets 201 and asks
    /// the origin; the others wait for its record. No clocks are compared
    /// across nodes: a node that has waited `claimWait` for a claim takes
    /// it as left by a crashed node, deletes it and asks the origin itself.
    /// Claims only ever save requests: any answer but 201 and 405 (a server
    /// without `MKCOL`, bazel-remote) means no claims, never a failure.
    func claim(_ key: String) async -> ClaimAnswer {
        let server = server(for: key)
        guard spec.claims, !spec.readOnly, spec.layout == .default, isEnabled(server),
            await claimsSupported(on: server)
        else { return .unavailable }
        let url = claimURL(key, on: server)
        do {
            var status = try await statusOf(.MKCOL, url)
            if status == 409 {  // claims/ itself was removed (a pruned tier): make it again, once
                _ = try await statusOf(.MKCOL, RemotePath.join(server, "claims/"))
                status = try await statusOf(.MKCOL, url)
            }
            switch status {
            case 201: return .owned(RemoteClaim(level: self, server: server, url: url))
            case 405: return .held
            default: return .unavailable
            }
        } catch {
            // A cancelled fetch (a server's request that went away) is not the level's failure.
            if !Task.isCancelled { fail(error, server: server) }
            return .unavailable
        }
    }

    /// Deletes the claim on `key`, whoever made it (after `claimWait`).
    func breakClaim(_ key: String) async {
        let server = server(for: key)
        await RemoteClaim(level: self, server: server, url: claimURL(key, on: server)).release()
    }

    private func claimURL(_ key: String, on server: String) -> String {
        RemotePath.join(server, "claims/\(RemotePath.segment(key))/")
    }

    /// Whether `server` makes collections with `MKCOL`, asked once a run.
    ///
    /// `MKCOL claims/` answers 201 (made now: yes) or 405, which means
    /// either that it exists or that the server has no `MKCOL` at all (nginx
    /// without it in `dav_methods`); a collection of a random name tells
    /// the two apart, and is deleted again. 409 means the level's own
    /// folder does not exist yet (a new tier): a PUT makes the whole path
    /// (`create_full_put_path`), and the file it leaves is deleted again.
    private func claimsSupported(on server: String) async -> Bool {
        if let known = claimSupport.withLockedValue({ $0[server] }) { return known }
        var supported = false
        do {
            var status = try await statusOf(.MKCOL, RemotePath.join(server, "claims/"))
            if status == 409 {
                let marker = RemotePath.join(server, "claims/.made-by-mediacache")
                if (200...299).contains(try await statusOf(.PUT, marker, body: .bytes(ByteBuffer()))) {
                    _ = try await statusOf(.DELETE, marker)
                    status = 405  // claims/ exists now; whether MKCOL works is still to be seen
                }
            }
            switch status {
            case 201: supported = true
            case 405:
                let probe = RemotePath.join(server, "claims/probe-\(UInt64.random(in: 1...UInt64.max))/")
                supported = try await statusOf(.MKCOL, probe) == 201
                if supported { _ = try? await statusOf(.DELETE, probe) }
            default: break
            }
        } catch {
            if !Task.isCancelled { fail(error, server: server) }
        }
        claimSupport.withLockedValue { $0[server] = supported }
        return supported
    }

    /// The status of a request, whatever it is; only a transport failure throws.
    fileprivate func statusOf(_ method: HTTPMethod, _ url: String, body: HTTPClientRequest.Body? = nil)
        async throws(RemoteFailure)
        -> Int
    {
        let response = try await execute(method, url, body: body)
        await Self.discard(response.body)
        return Int(response.status.code)
    }
}
