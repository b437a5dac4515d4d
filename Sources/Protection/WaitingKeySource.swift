import Foundation
public import QKD

/// A key source that waits out back-pressure: a KME answering 503 (no key distilled yet), a timeout or a
/// refused connection is retried with exponential backoff until `maxWait` has passed. Used by the command line;
/// the gateway instead leaves such objects queued and retries them from its durable queue.
public struct WaitingKeySource: KeySource {
    public let base: any KeySource
    public let maxWait: Double

    public init(_ base: any KeySource, maxWait: Double = 120) {
        self.base = base
        self.maxWait = maxWait
    }

    public func newKey(bytes: Int) async throws(KeySourceError) -> QKDKey {
        try await retrying { () async throws(KeySourceError) -> QKDKey in try await base.newKey(bytes: bytes) }
    }

    public func key(id: String) async throws(KeySourceError) -> QKDKey {
        try await retrying { () async throws(KeySourceError) -> QKDKey in try await base.key(id: id) }
    }

    private func retrying(_ attempt: () async throws(KeySourceError) -> QKDKey) async throws(KeySourceError) -> QKDKey {
        let deadline = Date(timeIntervalSinceNow: maxWait)
        var delay = 0.1
        while true {
            do {
                return try await attempt()
            } catch {
                guard error.isRetryable, Date(timeIntervalSinceNow: delay) < deadline else { throw error }
                try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                delay = min(delay * 2, 5)
            }
        }
    }
}
