import NIOCore
import NIOHTTP1

/// Serves the routes documented on `TestServer`.
final class OriginHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: @Sendable () -> TestServer?
    private var head: HTTPRequestHead?
    static let lastModified = "Tue, 03 Nov 2026 10:00:00 GMT"

    init(server: @escaping @Sendable () -> TestServer?) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head, let server = server() else { return }
            respond(context: context, head: head, server: server)
        }
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead, server: TestServer) {
        let seen = server.count(head.uri)
        let (path, query) = Self.split(head.uri)
        let parts = path.split(separator: "/").map(String.init)
        let size = Int(query["size"] ?? "") ?? 1024
        let name = parts.count > 1 ? parts[1] : "x"
        switch parts.first ?? "" {
        case "file", "lastmod":
            let version = server.version(name)
            let etag = "\"\(name)-\(size)-v\(version)\""
            var headers: [(String, String)] = [("Last-Modified", Self.lastModified)]
            if parts[0] == "file" { headers.append(("ETag", etag)) }
            if let type = query["type"] { headers.append(("Content-Type", type)) }
            let matches =
                (parts[0] == "file" && head.headers.first(name: "if-none-match") == etag)
                || (parts[0] == "lastmod" && version == 0 && head.headers.first(name: "if-modified-since") == Self.lastModified)
            if matches {
                send(context, status: .notModified, headers: headers, body: [])
            } else {
                sendStream(context, headers: headers, seed: TestServer.seed(name, version: version), size: size)
            }
        case "chunked":
            sendChunks(context, body: TestServer.body(name, size: size), pieces: 4, delayMS: 0)
        case "slow":
            sendChunks(
                context, body: TestServer.body(name, size: size), pieces: Int(query["chunks"] ?? "") ?? 5,
                delayMS: Int64(query["delay"] ?? "") ?? 100, announced: query["length"] == "1")
        case "status":
            let code = Int(parts.count > 1 ? parts[1] : "500") ?? 500
            send(context, status: HTTPResponseStatus(statusCode: code), headers: [], body: Array("status \(code)\n".utf8))
        case "flaky", "retryafter":
            let failures = Int(query["fail"] ?? "") ?? 1
            let count = server.state.withLockedValue { $0.counts.filter { $0.key.hasPrefix(path) }.values.reduce(0, +) }
            if count <= failures {
                let code = parts[0] == "retryafter" ? 429 : Int(query["code"] ?? "") ?? 500
                let extra = parts[0] == "retryafter" ? [("Retry-After", query["after"] ?? "1")] : []
                send(context, status: HTTPResponseStatus(statusCode: code), headers: extra, body: Array("try later\n".utf8))
            } else {
                sendStream(context, headers: [], seed: TestServer.seed(name, version: 0), size: size)
            }
        case "redirect":
            let left = Int(parts.count > 1 ? parts[1] : "0") ?? 0
            let target = parts.count > 2 ? parts[2] : "x"
            let location = left <= 1 ? "/file/\(target)?size=\(size)" : "/redirect/\(left - 1)/\(target)?size=\(size)"
            send(context, status: .found, headers: [("Location", location)], body: [])
        case "loop":
            send(context, status: .found, headers: [("Location", name == "a" ? "/loop/b" : "/loop/a")], body: [])
        case "cutoff":
            let body = TestServer.body(name, size: size)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Length", value: "\(size)")
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body.prefix(size / 2))))))
                .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        case "gate":
            // Both answers go out on this server's one event loop thread.
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            let seed = TestServer.seed(name, version: 0)
            let answer: @Sendable () -> Void = {
                loop.execute {
                    let (handler, context) = bound.value
                    handler.sendStream(context, headers: [], seed: seed, size: size)
                }
            }
            for ready in server.reachGate(name, partner: query["with"] ?? "", answer: answer) { ready() }
            loop.assumeIsolated().scheduleTask(in: .seconds(120)) {
                guard server.abandonGate(name) else { return }
                let (handler, context) = bound.value
                handler.send(context, status: .gatewayTimeout, headers: [], body: Array("gate partner never came\n".utf8))
            }
        case "hang":
            _ = seen
        default:
            send(context, status: .notFound, headers: [], body: Array("no route\n".utf8))
        }
    }

    private func send(
        _ context: ChannelHandlerContext, status: HTTPResponseStatus, headers extra: [(String, String)], body: [UInt8]
    ) {
        var headers = HTTPHeaders(extra)
        headers.add(name: "Content-Length", value: "\(body.count)")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        if !body.isEmpty { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// A Content-Length body generated 256 KiB at a time, each piece written after the last one flushed.
    private func sendStream(_ context: ChannelHandlerContext, headers extra: [(String, String)], seed: UInt64, size: Int) {
        var headers = HTTPHeaders(extra)
        headers.add(name: "Content-Length", value: "\(size)")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        let piece = 256 * 1024
        func next(_ offset: Int) {
            guard offset < size else {
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                return
            }
            let count = min(piece, size - offset)
            let bytes = TestServer.fill(seed: seed, from: offset, count: count)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes))))).assumeIsolated().whenComplete {
                result in
                if case .success = result { next(offset + count) }
            }
        }
        next(0)
    }

    private func sendChunks(_ context: ChannelHandlerContext, body: [UInt8], pieces: Int, delayMS: Int64, announced: Bool = false)
    {
        var headers = HTTPHeaders()
        if announced {
            headers.add(name: "Content-Length", value: String(body.count))
        } else {
            headers.add(name: "Transfer-Encoding", value: "chunked")
        }
        context.writeAndFlush(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        let step = max(1, (body.count + pieces - 1) / max(1, pieces))
        func next(_ offset: Int) {
            guard offset < body.count else {
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                return
            }
            let end = min(body.count, offset + step)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body[offset..<end])))), promise: nil)
            context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(delayMS)) { next(end) }
        }
        next(0)
    }

    static func split(_ uri: String) -> (String, [String: String]) {
        let pieces = uri.split(separator: "?", maxSplits: 1)
        var query: [String: String] = [:]
        if pieces.count == 2 {
            for pair in pieces[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                if kv.count == 2 { query[String(kv[0])] = String(kv[1]) }
            }
        }
        return (String(pieces.first ?? ""), query)
    }
}
