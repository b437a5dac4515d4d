import Foundation

/// Wakes waiting workers when new work is committed. Threads wait on a condition; async tasks park a
/// continuation (they must not block a cooperative thread, and polling would cost a wake-up every few ms).
final class Doorbell: @unchecked Sendable {
    // All state is guarded by `condition`.
    private let condition = NSCondition()
    private var generation: UInt64 = 0
    /// Async waiters, each with the task that resumes it at its timeout (cancelled when the bell rings first).
    private var parked: [UInt64: (continuation: CheckedContinuation<Void, Never>, timer: Task<Void, Never>)] = [:]
    private var nextTicket: UInt64 = 0

    func ring() {
        condition.lock()
        generation &+= 1
        let waiting = parked
        parked = [:]
        condition.broadcast()
        condition.unlock()
        for waiter in waiting.values {
            waiter.timer.cancel()
            waiter.continuation.resume()
        }
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
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            guard generation == seen else {
                condition.unlock()
                continuation.resume()
                return
            }
            nextTicket &+= 1
            let ticket = nextTicket
            // Started and recorded under the lock: the timer's resume takes the lock too, so it cannot miss the entry.
            let timer = Task { [self] in
                guard (try? await Task.sleep(for: .seconds(max(timeout, 0)))) != nil else { return }  // rung first
                resumeIfParked(ticket)
            }
            parked[ticket] = (continuation, timer)
            condition.unlock()
        }
    }

    private func resumeIfParked(_ ticket: UInt64) {
        condition.lock()
        let waiter = parked.removeValue(forKey: ticket)
        condition.unlock()
        waiter?.continuation.resume()
    }
}
