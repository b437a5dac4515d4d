import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRDB
import Logging
import ServiceLifecycle
@testable import Relay
import Synchronization
import Testing

/// What the processing workers do when objects fail with a retryable error (the KME has no key).
@Suite("Processing pause", .serialized)
struct ProcessingPauseTests {
    @Test func pauseGrowsWithConsecutiveFailuresAndEndsOnSuccess() throws {
        let pause = RetryPause(policy: RetryPolicy(initialDelay: 1, multiplier: 2, maxDelay: 5, maxAttempts: 0))
        #expect(pause.remaining() == nil)
        #expect([pause.failed(), pause.failed(), pause.failed(), pause.failed()] == [1, 2, 4, 5])
        let left = try #require(pause.remaining())
        #expect(left > .seconds(4) && left <= .seconds(5))
        pause.succeeded()
        #expect(pause.remaining() == nil)
        #expect(pause.failed() == 1, "a success starts the count again")
    }

    /// A processor that counts its calls and fails every one of them as a KME without keys would.
    final class KeylessProcessor: ObjectProcessor {
        let calls = Mutex(0)
        func process(_ object: QueuedObject, input: URL, output: URL) async throws(ProcessingFailure) -> ProcessedObject {
            calls.withLock { $0 += 1 }
            throw .retryable("KME: no key available")
        }
    }

    struct AcceptAll: IntakePolicy {
        func decide(_ object: ReceivedObject) -> IntakeDecision {
            .accept(route: "r", profile: "qkd-hybrid", destinations: ["a"])
        }
    }

    /// Twenty objects wait for keys that do not come. Without the pause every one of them was tried at once and
    /// then again as it came due (120 calls in 3 s); with it, the workers try a few and wait.
    @Test func keylessObjectsAreNotRetriedInAStorm() async throws {
        let spool = try makeTestSpool()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        let queue = try RelayQueue(path: spool.database.path)
        for _ in 0..<20 { try admitTestObject(queue, spool, destinations: ["a"]) }
        let processor = KeylessProcessor()
        try await PauseTestNode.run(
            spool: spool, destinations: [],
            processingRetry: RetryPolicy(initialDelay: 0.5, multiplier: 2, maxDelay: 30, maxAttempts: 0),
            workers: 2, processor: processor, seconds: 3)
        // Two workers fail at once (pause 1 s after the second failure), then at most two per pause: 1 s, 2 s.
        let calls = processor.calls.withLock { $0 }
        #expect(calls >= 2 && calls <= 6, "\(calls) processing attempts in 3 s")
    }
}

/// What a destination's sender does while the destination cannot be reached.
@Suite("Sender pause", .serialized)
struct SenderPauseTests {
    /// 100 objects for a destination whose port nobody listens on, two associations. Without the pause the
    /// senders went through all of them at once (a connection attempt per 16, every delivery's attempt booked),
    /// and again as each came due; with it, one batch per pause (1 s, 2 s …), the destination's two sender
    /// threads pausing together (at most two batches, one per thread, before the first failure is booked).
    @Test func anUnreachableDestinationIsTriedOneBatchPerPause() async throws {
        let spool = try makeTestSpool()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        let queue = try RelayQueue(path: spool.database.path)
        for _ in 0..<100 { try admitTestObject(queue, spool, destinations: ["down"], forwardUnchanged: true) }
        // A port that was free a moment ago: connections to it are refused at once.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        let downPort = Int(UInt16(bigEndian: address.sin_port))
        close(listener)
        try #require(downPort > 0)

        try await PauseTestNode.run(
            spool: spool,
            destinations: [Destination(name: "down", aeTitle: "PACS", host: "127.0.0.1", port: downPort, associations: 2)],
            delivery: RetryPolicy(initialDelay: 1, multiplier: 2, maxDelay: 30, maxAttempts: 0),
            workers: 1, processor: ProcessingPauseTests.KeylessProcessor(), seconds: 3.5)
        let attempts = try await queue.database.read { db in
            try Int.fetchOne(db, sql: "SELECT SUM(attempts) FROM delivery") ?? 0
        }
        // Batches of 16 at 0 (one per thread, both under way before the first failure), 1 and 3 s: 64 attempts
        // at most. Without the pause one association made 300 (all 100 at once, then as they came due).
        #expect(attempts >= 16 && attempts <= 64, "\(attempts) delivery attempts in 3.5 s")
        #expect(try queue.counts().pendingByDestination["down"] == 100, "nothing is lost or given up meanwhile")
    }
}

/// A node run over a spool for a while, for the pause tests.
enum PauseTestNode {
    /// Runs a node over `spool` as a service, as `qkdgate serve` does, for `seconds`, then shuts it down
    /// gracefully. Its storage SCP listens on a random port; a port that is taken ends the run at once with an
    /// error, and another is tried.
    static func run(spool: Spool, destinations: [Destination], delivery: RetryPolicy = RetryPolicy(),
                    processingRetry: RetryPolicy = RetryPolicy(), workers: Int, processor: any ObjectProcessor,
                    seconds: Double) async throws {
        for _ in 0..<5 {
            let configuration = RelayConfiguration(
                scp: StorageSCPConfiguration(aeTitle: "NODE", port: Int.random(in: 20000...40000), allowedCallingAETitles: []),
                spool: spool, destinations: destinations, delivery: delivery, processingRetry: processingRetry,
                workers: workers)
            let node = try RelayNode(configuration: configuration, intake: ProcessingPauseTests.AcceptAll(),
                                     processor: processor, logger: Logger(label: "test"))
            let group = ServiceGroup(services: [node], gracefulShutdownSignals: [], logger: Logger(label: "test"))
            let run = Task { try await group.run() }
            try await Task.sleep(for: .seconds(seconds))
            await group.triggerGracefulShutdown()
            if (try? await run.value) != nil { return }
        }
        Issue.record("the node did not run")
    }
}
