import Foundation
import Logging
import ServiceLifecycle
@testable import Relay
import Synchronization
import Testing

/// What the processing workers do when objects fail with a retryable error (the KME has no key).
@Suite("Processing pause", .serialized)
struct ProcessingPauseTests {
    @Test func pauseGrowsWithConsecutiveFailuresAndEndsOnSuccess() throws {
        let pause = ProcessingPause(policy: RetryPolicy(initialDelay: 1, multiplier: 2, maxDelay: 5, maxAttempts: 0))
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
    /// then again every second (20+ calls in the first moment); with it, the workers try a few and wait.
    @Test func keylessObjectsAreNotRetriedInAStorm() async throws {
        let spool = Spool(root: FileManager.default.temporaryDirectory.appendingPathComponent("pause-\(UUID().uuidString)"))
        try spool.prepare()
        defer { try? FileManager.default.removeItem(at: spool.root) }
        do {
            let queue = try RelayQueue(path: spool.database.path)
            for _ in 0..<20 {
                let file = spool.incoming.appendingPathComponent("\(UUID().uuidString).part").path
                _ = FileManager.default.createFile(atPath: file, contents: Data("DICM".utf8))
                _ = try queue.admit(file: file, spool: spool, callingAETitle: "CT01", sopClassUID: "1.2.840.10008.5.1.4.1.1.2",
                                    sopInstanceUID: "1.2.3", transferSyntaxUID: TransferSyntaxUID.explicitLittleEndian,
                                    modality: "CT", route: "r", profile: "qkd-hybrid", destinations: ["a"])
            }
        }
        let processor = KeylessProcessor()
        let retry = RetryPolicy(initialDelay: 0.5, multiplier: 2, maxDelay: 30, maxAttempts: 0)
        var ran = false
        for _ in 0..<5 where !ran {
            let configuration = RelayConfiguration(
                scp: StorageSCPConfiguration(aeTitle: "NODE", port: Int.random(in: 20000...40000), allowedCallingAETitles: []),
                spool: spool, destinations: [], delivery: RetryPolicy(), processingRetry: retry, workers: 2)
            let node = try RelayNode(configuration: configuration, intake: AcceptAll(), processor: processor,
                                     logger: Logger(label: "test"))
            let group = ServiceGroup(services: [node], gracefulShutdownSignals: [], logger: Logger(label: "test"))
            let run = Task { try await group.run() }
            try await Task.sleep(for: .seconds(3))
            await group.triggerGracefulShutdown()
            // A port that was taken ends the run at once with an error: try another.
            ran = (try? await run.value) != nil
        }
        try #require(ran, "the node did not run")
        // Two workers fail at once (pause 1 s after the second failure), then at most two per pause: 1 s, 2 s.
        let calls = processor.calls.withLock { $0 }
        #expect(calls >= 2 && calls <= 6, "\(calls) processing attempts in 3 s")
    }
}
