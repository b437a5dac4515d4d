import Foundation
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Files for objects still to come, created ahead of time: `received/<id>.dcm`, empty, with the directory
/// fsynced once per batch. The storage SCP writes each arriving object into one of them, so that before its
/// Success only the file itself needs a flush: its name is already durable. Without them every object is
/// created in `incoming/`, renamed into `received/` and that directory fsynced, and a directory fsync on a
/// journaling file system commits the whole journal (all other files' pending metadata and, in ordered mode,
/// their data), in the middle of the C-STORE.
///
/// Thread-safe; `take` runs on association threads and never waits for the disk: a batch is made on its own
/// queue when fewer than `lowWater` are left, and when none is ready the object goes to `incoming/` as before.
/// Unused slots are files without a row: `discardUnused` deletes them at shutdown, `RelayNode.recover` after a
/// crash.
final class SpoolSlots: Sendable {
    let spool: Spool
    let queue: RelayQueue
    let logger: Logger
    let batch: Int
    let lowWater: Int
    private let state = Mutex(State())
    private let maker = DispatchQueue(label: "qkdgate.spool-slots")

    private struct State {
        var ready: [Int64] = []
        /// When the newest batch was made; the slots of a recycled file keep its old bytes until written over.
        var madeAt: ContinuousClock.Instant?
        var next = 0                          // index of the next ready id; used ones are dropped per batch
        var making = false
        var retryAt: ContinuousClock.Instant?  // after a failed batch, the next one waits until then
    }

    init(spool: Spool, queue: RelayQueue, logger: Logger, batch: Int = 32, lowWater: Int = 16) {
        self.spool = spool
        self.queue = queue
        self.logger = logger
        self.batch = max(1, batch)
        self.lowWater = max(1, min(lowWater, batch))
        startBatchIfLow()
    }

    /// A reserved file and its id, or nil (the SCP then writes into `incoming/`).
    func take() -> (path: String, token: Int64)? {
        let id = state.withLock { state -> Int64? in
            guard state.next < state.ready.count else { return nil }
            defer { state.next += 1 }
            return state.ready[state.next]
        }
        startBatchIfLow()
        return id.map { (spool.receivedPath(id: $0), $0) }
    }

    /// Starts making a batch on `maker` when fewer than `lowWater` are ready, none is being made, and the last
    /// failure (if any) is 5 s old.
    private func startBatchIfLow() {
        let start = state.withLock { state -> Bool in
            guard state.ready.count - state.next < lowWater, !state.making,
                  state.retryAt.map({ ContinuousClock.now >= $0 }) ?? true else { return false }
            state.making = true
            return true
        }
        if start { maker.async { self.makeBatch() } }
    }

    /// Empties the slots nobody took when the newest batch is older than the recycled files' hold (the node went
    /// idle): a slot made from a recycled file holds that file's old bytes until an object is written over them.
    /// The slots leave the ready list while they are emptied, so no association can take one meanwhile.
    func emptyStale(now: ContinuousClock.Instant = .now) {
        let hold = spool.recycled.holdSeconds
        let stale = state.withLock { state -> [Int64] in
            guard !state.making, let madeAt = state.madeAt, now - madeAt >= .seconds(hold) else { return [] }
            state.madeAt = nil
            let untaken = Array(state.ready[state.next...])
            state.ready = []
            state.next = 0
            return untaken
        }
        guard !stale.isEmpty else { return }
        var emptied: [Int64] = []
        for id in stale {
            let path = spool.receivedPath(id: id)
            if Durable.empty(path) { emptied.append(id) } else { Durable.remove(path) }
        }
        state.withLock { state in
            state.ready.removeFirst(state.next)
            state.next = 0
            state.ready.insert(contentsOf: emptied, at: 0)
        }
    }

    /// Deletes the slots nobody took (at shutdown, after the SCP has stopped), once a batch still being made
    /// is done.
    func discardUnused() {
        maker.sync {}
        let unused = state.withLock { state -> ArraySlice<Int64> in
            defer { state.ready = []; state.next = 0 }
            return state.ready[state.next...]
        }
        for id in unused { Durable.remove(spool.receivedPath(id: id)) }
    }

    private func makeBatch() {
        let made = make(count: batch)
        state.withLock { state in
            state.ready.removeFirst(state.next)
            state.next = 0
            state.ready.append(contentsOf: made)
            if !made.isEmpty { state.madeAt = .now }
            state.making = false
            state.retryAt = made.isEmpty ? ContinuousClock.now + .seconds(5) : nil
        }
    }

    /// Creates `count` empty files and fsyncs the directory; returns the ids of those that exist durably.
    private func make(count: Int) -> [Int64] {
        var made: [Int64] = []
        var failure: Int32 = 0
        for _ in 0..<count {
            let id = queue.reserveID()
            let path = spool.receivedPath(id: id)
            // An emptied file of a forgotten object (0600 already) keeps its inode; otherwise a new one.
            if spool.takeRecycled(to: path) { made.append(id); continue }
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { failure = errno; continue }
            // 0600 whatever the umask: read-only is the mark of an accepted object (`AcceptanceMark`).
            fchmod(fd, 0o600)
            close(fd)
            made.append(id)
        }
        if !made.isEmpty, !Durable.sync(directory: spool.received.path) {
            failure = errno
            for id in made { Durable.remove(spool.receivedPath(id: id)) }
            made = []
        }
        if made.isEmpty {
            logger.warning("cannot create files ahead in the spool; objects are written to incoming/ meanwhile", metadata: [
                "directory": "\(spool.received.path)", "error": "\(String(cString: strerror(failure)))",
            ])
        }
        return made
    }
}
