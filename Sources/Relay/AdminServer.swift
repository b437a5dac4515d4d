public import Hummingbird
import Foundation
public import Logging
import ServiceLifecycle

/// The admin HTTP endpoint: `/health` (200 while the queue answers), `/metrics` (Prometheus text format) and
/// `/` (a short status page). Bind it to 127.0.0.1 or a management network: it is not authenticated.
public enum AdminServer {
    public static func makeApplication(node: RelayNode, host: String, port: Int) -> some ApplicationProtocol {
        let router = Router()
        router.get("/health") { _, _ -> Response in
            do {
                let counts = try node.queue.counts()
                let dead = counts.deadByDestination.values.reduce(0, +)
                let body = "{\"status\":\"ok\",\"dead_letters\":\(dead)}"
                return Response(status: .ok, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(string: body)))
            } catch {
                return Response(status: .serviceUnavailable, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\"queue unavailable\"}")))
            }
        }
        router.get("/metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: node.metrics.exposition())))
        }
        router.get("/") { _, _ -> Response in
            var text = "qkdgate relay node \(node.configuration.scp.aeTitle) on port \(node.configuration.scp.port)\n"
            if let counts = try? node.queue.counts() {
                text += "objects by state: \(counts.objectsByState.sorted(by: { $0.key < $1.key }))\n"
                text += "waiting per destination: \(counts.pendingByDestination.sorted(by: { $0.key < $1.key }))\n"
                text += "dead letters per destination: \(counts.deadByDestination.sorted(by: { $0.key < $1.key }))\n"
            }
            return Response(status: .ok, headers: [.contentType: "text/plain"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port)))
    }
}

extension RelayNode {
    /// Runs this node (and its admin endpoint when `adminPort` is set) until SIGTERM/SIGINT; the process entry
    /// point of every node kind.
    public func runUntilSignalled(adminHost: String, adminPort: Int?, logger: Logger) async throws {
        var services: [any Service] = []
        if let adminPort {
            services.append(AdminServer.makeApplication(node: self, host: adminHost, port: adminPort))
        }
        // Last listed stops first: the node (intake) drains before the admin endpoint goes away.
        services.append(self)
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}
