import Foundation

/// Wakes waiting workers when new work is committed. Threads wait on a condition; async tasks poll the
/// generation counter with short sleeps (they must not block a cooperative thread).
final class Doorbell: @unchecked Sendable {
    // All state is guarded by `condition`.
    private let condition = NSCondition()
    private var generation: UInt64 = 0

    func ring() {
        condition.lock()
        generation &+= 1
        condition.broadcast()
        condition.unlock()
    }

    var current: UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return generation
    }

    /// Blocks the calling (non-cooperative) thread until the bell rings after `seen` or `timeout` passes.
    func wait(after seen: UInt64, timeout: Double) {
        let deadline = Date(timeIntervalSinceNow: max(timeout, 0))
        condition.lock()
        while generation == seen {
            if !condition.wait(until: deadline) { break }
        }
        condition.unlock()
    }

    /// Async variant: returns when the bell rang after `seen` or after `timeout` seconds.
    func waitAsync(after seen: UInt64, timeout: Double) async {
        var waited = 0.0
        while current == seen && waited < timeout {
            try? await Task.sleep(for: .milliseconds(2))
            waited += 0.002
        }
    }
}
