public import Foundation
public import Logging
public import ServiceLifecycle
import Prometheus
import Synchronization

/// The decision about one received object, taken synchronously on the association's thread.
public enum IntakeDecision: Sendable, Equatable {
    /// Keep it: process with `profile` under `route`, then deliver to the named destinations.
    case accept(route: String, profile: String, destinations: [String])
    /// Refuse it with this C-STORE-RSP status; the file goes to quarantine with `reason` (PHI-free).
    case reject(DimseStatus, reason: String)
}

/// Decides which objects a node takes and where they go (the gateway's routes, the decryptor's rules).
public protocol IntakePolicy: Sendable {
    func decide(_ object: ReceivedObject) -> IntakeDecision
}

/// What processing produced: the identity of the object that is forwarded.
public struct ProcessedObject: Sendable, Hashable {
    public var sopClassUID: String
    public var sopInstanceUID: String
    public var transferSyntaxUID: String
    public init(sopClassUID: String, sopInstanceUID: String, transferSyntaxUID: String) {
        self.sopClassUID = sopClassUID
        self.sopInstanceUID = sopInstanceUID
        self.transferSyntaxUID = transferSyntaxUID
    }
}

/// Why processing failed: `retryable` waits in the queue (e.g. KME 503), `permanent` goes to quarantine.
public enum ProcessingFailure: Error, Sendable, Equatable, CustomStringConvertible {
    case retryable(String)
    case permanent(String)
    public var description: String {
        switch self {
        case let .retryable(text): return "retryable: \(text)"
        case let .permanent(text): return "permanent: \(text)"
        }
    }
}

/// Turns a received file into the file to forward (encrypt, decrypt, pass through). The caller fsyncs `output`.
public protocol ObjectProcessor: Sendable {
    func process(_ object: QueuedObject, input: URL, output: URL) async throws(ProcessingFailure) -> ProcessedObject
    /// Whether objects accepted with `profile` are forwarded exactly as received. Those skip the workers: the
    /// intake commit makes their deliveries, which send the received file (one file, one fsync, no extra
    /// transaction).
    func forwardsUnchanged(profile: String) -> Bool
}

extension ObjectProcessor {
    public func forwardsUnchanged(profile: String) -> Bool { false }
}

/// Everything the relay core needs to run one node.
public struct RelayConfiguration: Sendable {
    public var scp: StorageSCPConfiguration
    public var spool: Spool
    public var destinations: [Destination]
    public var delivery: RetryPolicy
    /// Backoff for retryable processing failures (never dead-lettered: an object waits for its keys).
    public var processingRetry: RetryPolicy
    public var workers: Int
    /// Seconds to keep files of delivered objects: 0 deletes at once, a negative value keeps them.
    public var retainDeliveredSeconds: Double
    /// AE title used when forwarding (defaults to the SCP's).
    public var callingAETitle: String

    public init(scp: StorageSCPConfiguration, spool: Spool, destinations: [Destination], delivery: RetryPolicy,
                processingRetry: RetryPolicy = RetryPolicy(initialDelay: 1, multiplier: 2, maxDelay: 30, maxAttempts: 0),
                workers: Int = ProcessInfo.processInfo.activeProcessorCount, retainDeliveredSeconds: Double = 0,
                callingAETitle: String? = nil)
    {
        self.scp = scp
        self.spool = spool
        self.destinations = destinations
        self.delivery = delivery
        self.processingRetry = processingRetry
        self.workers = max(1, workers)
        self.retainDeliveredSeconds = retainDeliveredSeconds
        self.callingAETitle = callingAETitle ?? scp.aeTitle
    }
}

/// A lock-protected flag readable from threads and tasks.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

/// One relay node: SCP intake → spool + queue → processing workers → outbox → per-destination senders.
/// A `Service`: `run()` serves until graceful shutdown, then stops intake first and lets in-flight work end.
public final class RelayNode: Service, Sendable {
    public let configuration: RelayConfiguration
    public let queue: RelayQueue
    public let metrics: RelayMetrics
    let intake: any IntakePolicy
    let processor: any ObjectProcessor
    let logger: Logger
    let workBell = Doorbell()
    let sendBell = Doorbell()
    let sweepBell = Doorbell()
    let stopping = StopFlag()
    let quarantineCounter = SequenceCounter()
    let processingPause: RetryPause
    /// Held from `init` until the node is released, so no second node recovers this spool under it.
    let spoolLock: SpoolLock

    final class SequenceCounter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int { lock.withLock { value += 1; return value } }
    }

    public init(configuration: RelayConfiguration, intake: any IntakePolicy, processor: any ObjectProcessor,
                metrics: RelayMetrics = RelayMetrics(), logger: Logger) throws(RelayError)
    {
        try configuration.spool.prepare()
        self.spoolLock = try SpoolLock(spool: configuration.spool)
        self.configuration = configuration
        self.queue = try RelayQueue(path: configuration.spool.database.path)
        self.intake = intake
        self.processor = processor
        self.metrics = metrics
        self.logger = logger
        self.processingPause = RetryPause(policy: configuration.processingRetry)
    }

    public func run() async throws {
        try recover()
        // After `recover`, which deletes unmarked files without a row: the slots are such files until their
        // objects come.
        let slots = SpoolSlots(spool: configuration.spool, queue: queue, logger: logger)
        defer { slots.discardUnused() }
        let scp = try StorageSCP(
            configuration: configuration.scp, incomingDirectory: configuration.spool.incoming.path,
            fileProvider: { slots.take() }, handler: { [self] object in handleStore(object) })
        logger.info("storage SCP listening", metadata: [
            "ae": "\(configuration.scp.aeTitle)", "port": "\(configuration.scp.port)",
            "destinations": "\(configuration.destinations.map(\.name).joined(separator: ","))",
        ])
        let scpDone = Thread.launch(name: "storage-scp") { scp.runBlocking() }
        var senders: [ThreadHandle] = []
        for destination in configuration.destinations {
            // One pause per destination: while it is down, its associations' threads wait together.
            let pause = RetryPause(policy: configuration.delivery)
            for index in 0..<max(1, destination.associations) {
                senders.append(Thread.launch(name: "sender-\(destination.name)-\(index)") { [self] in
                    senderLoop(destination, pause: pause)
                })
            }
        }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<configuration.workers {
                group.addTask { [self] in await workerLoop() }
            }
            group.addTask { [self] in await housekeepingLoop(slots: slots) }
            group.addTask { [self] in
                // Stop intake first; in-flight associations finish (their objects are committed or refused).
                try? await gracefulShutdown()
                logger.info("shutting down: closing the storage SCP, finishing in-flight work")
                scp.stop()
                await scpDone.join()
                stopping.set()
                workBell.ring()
                sendBell.ring()
            }
            await group.waitForAll()
        }
        for sender in senders { await sender.join() }
        logger.info("relay node stopped")
    }

    // MARK: Recovery

    func recover() throws(RelayError) {
        try queue.recoverInFlight()
        let spool = configuration.spool
        let files = FileManager.default
        // Partial receptions never got Success; the sender will retry them.
        for name in (try? files.contentsOfDirectory(atPath: spool.incoming.path)) ?? [] {
            Durable.remove(spool.incoming.appendingPathComponent(name).path)
        }
        let known = try queue.knownObjectIDs()
        let live = try queue.liveObjectIDs()
        var readmitted = 0
        var highest: Int64 = 0
        for (directory, isReceived) in [(spool.received, true), (spool.outbox, false)] {
            // In id order, which is the order of arrival: objects queued again keep it.
            let ids = ((try? files.contentsOfDirectory(atPath: directory.path)) ?? [])
                .compactMap { name in name.hasSuffix(".dcm") ? Int64(name.dropLast(4)) : nil }.sorted()
            for id in ids {
                highest = max(highest, id)
                let path = isReceived ? spool.receivedPath(id: id) : spool.outboxPath(id: id)
                if known.contains(id) {
                    // Files of objects delivered just before a crash (retention 0) were not deleted yet.
                    if configuration.retainDeliveredSeconds == 0 && !live.contains(id) { Durable.remove(path) }
                } else if isReceived && AcceptanceMark.isPresent(path) {
                    // Accepted (Success may have been sent), but a power cut took its record's commit.
                    try readmit(path: path, id: id)
                    readmitted += 1
                } else {
                    // Without a record and without the mark: a reception that never got Success, a slot nobody
                    // took, or an outbox file whose object is processed again.
                    Durable.remove(path)
                }
            }
        }
        // Ids are never handed out twice, also those of files that a lost commit left without a row (queued again
        // above under their own ids, or deleted).
        queue.ids.advance(past: highest)
        let counts = try queue.counts()
        logger.info("queue recovered", metadata: [
            "objects": "\(counts.objectsByState)", "pending": "\(counts.pendingByDestination)",
            "dead": "\(counts.deadByDestination)", "readmitted": "\(readmitted)",
        ])
    }

    /// Takes back an accepted object found without its queue record, deciding its route again from the file (the
    /// calling AE comes from its meta header). It was acknowledged, so nothing drops it: an object that no longer
    /// reads, or that today's configuration refuses, goes to quarantine.
    func readmit(path: String, id: Int64) throws(RelayError) {
        let object = ReceivedObject.describing(file: path, calledAETitle: configuration.scp.aeTitle, fileToken: id)
        switch decide(object) {
        case let .reject(status, reason):
            let name = quarantine(object, status: status,
                                  reason: "found at restart without its queue record, and refused: \(reason)")
            logger.warning("an accepted object found at restart is refused now; quarantined", metadata: [
                "id": "\(id)", "reason": "\(reason)", "quarantine": "\(name)",
            ])
        case let .accept(route, profile, destinations):
            _ = try admit(object, route: route, profile: profile, destinations: destinations,
                          forwardUnchanged: processor.forwardsUnchanged(profile: profile))
            logger.notice("an accepted object without its queue record (power cut) is queued again", metadata: [
                "id": "\(id)", "route": "\(route)",
            ])
        }
    }

    // MARK: Intake (association threads)

    func handleStore(_ object: ReceivedObject) -> DimseStatus {
        switch decide(object) {
        case let .reject(status, reason):
            return refuse(object, status: status, reason: reason)
        case let .accept(route, profile, destinations):
            let unchanged = processor.forwardsUnchanged(profile: profile)
            do {
                let admitStart = ContinuousClock.now
                let id = try admit(object, route: route, profile: profile, destinations: destinations,
                                   forwardUnchanged: unchanged)
                metrics.admitSeconds.record(ContinuousClock.now - admitStart)
                metrics.received.increment()
                if unchanged {
                    // Processed at the commit: no time spent (one observation per processed object, as for others).
                    metrics.processed.increment()
                    metrics.processSeconds.record(.zero)
                    sendBell.ring()
                } else {
                    workBell.ring()
                }
                logger.debug("object accepted", metadata: ["id": "\(id)", "route": "\(route)", "profile": "\(profile)"])
                return .success
            } catch {
                Durable.remove(object.path)
                logger.error("cannot commit a received object; answering out of resources", metadata: ["error": "\(error)"])
                return .outOfResources
            }
        }
    }

    /// A received object's fate: refused when the bridge could not make sense of its file, else the intake's.
    func decide(_ object: ReceivedObject) -> IntakeDecision {
        if let problem = object.problem { return .reject(.cannotUnderstand, reason: problem) }
        return intake.decide(object)
    }

    /// Records an accepted object where it was received (in its slot, if it came in one).
    func admit(
        _ object: ReceivedObject, route: String, profile: String, destinations: [String], forwardUnchanged: Bool
    ) throws(RelayError) -> Int64 {
        try queue.admit(
            file: object.path, reservedID: object.fileToken, spool: configuration.spool,
            callingAETitle: object.callingAETitle,
            sopClassUID: object.sopClassUID, sopInstanceUID: object.sopInstanceUID,
            transferSyntaxUID: object.transferSyntaxUID, modality: object.modality, route: route,
            profile: profile, destinations: destinations, forwardUnchanged: forwardUnchanged)
    }

    /// Moves a refused object's file to quarantine with its facts; returns the quarantine name.
    func quarantine(_ object: ReceivedObject, status: DimseStatus, reason: String) -> String {
        let name = quarantineName()
        quarantine(file: object.path, name: name, move: true, reason: reason, facts: [
            "calling AE": object.callingAETitle, "SOP class": object.sopClassUID,
            "transfer syntax": object.transferSyntaxUID, "status": status.description,
        ])
        return name
    }

    func refuse(_ object: ReceivedObject, status: DimseStatus, reason: String) -> DimseStatus {
        let name = quarantine(object, status: status, reason: reason)
        metrics.rejected.increment()
        logger.warning("object refused", metadata: [
            "calling_ae": "\(object.callingAETitle)", "sop_class": "\(object.sopClassUID)",
            "transfer_syntax": "\(object.transferSyntaxUID)", "status": "\(status)", "reason": "\(reason)",
            "quarantine": "\(name)",
        ])
        return status
    }

    func quarantineName() -> String {
        "\(Int(Date().timeIntervalSince1970 * 1000))-\(quarantineCounter.next())"
    }

    func quarantine(file: String, name: String, move: Bool, reason: String, facts: [String: String]) {
        let spool = configuration.spool
        let target = spool.quarantine.appendingPathComponent("\(name).dcm").path
        if move {
            if !Durable.move(file, to: target) { Durable.remove(file) }
        } else {
            try? FileManager.default.copyItem(atPath: file, toPath: target)
        }
        var text = "reason: \(reason)\n"
        for (key, value) in facts.sorted(by: { $0.key < $1.key }) { text += "\(key): \(value)\n" }
        try? text.write(toFile: spool.quarantine.appendingPathComponent("\(name).txt").path, atomically: true, encoding: .utf8)
    }

    // MARK: Processing (async workers)

    func workerLoop() async {
        while !stopping.isSet {
            if let pause = processingPause.remaining() {
                // In slices, so that a shutdown does not wait for the end of the pause; a cancelled task stops.
                do { try await Task.sleep(for: min(pause, .milliseconds(250))) } catch { return }
                continue
            }
            let seen = workBell.current
            let claimed: [QueuedObject]
            do { claimed = try queue.claimForProcessing(limit: 1) } catch {
                logger.error("queue read failed", metadata: ["error": "\(error)"])
                await workBell.waitAsync(after: seen, timeout: 1)
                continue
            }
            guard let object = claimed.first else {
                await workBell.waitAsync(after: seen, timeout: 0.5)
                continue
            }
            await process(object)
        }
    }

    func process(_ object: QueuedObject) async {
        let spool = configuration.spool
        let outputPath = spool.outboxPath(id: object.id)
        Durable.remove(outputPath)  // left over from an attempt that crashed
        _ = spool.takeRecycled(to: outputPath)  // an emptied file to write into, if one waits (`RecycledFiles`)
        let start = ContinuousClock.now
        do {
            let result = try await processor.process(
                object, input: spool.receivedFile(id: object.id), output: URL(fileURLWithPath: outputPath))
            guard Durable.sync(file: outputPath), Durable.sync(directory: spool.outbox.path) else {
                throw ProcessingFailure.retryable("cannot fsync the outbox file")
            }
            try queue.finishProcessing(
                id: object.id, destinations: object.destinations, sopClassUID: result.sopClassUID,
                sopInstanceUID: result.sopInstanceUID, transferSyntaxUID: result.transferSyntaxUID)
            metrics.processed.increment()
            metrics.processSeconds.record(ContinuousClock.now - start)
            processingPause.succeeded()
            sendBell.ring()
        } catch let failure as ProcessingFailure {
            switch failure {
            case let .retryable(reason):
                // The object backs off by its own attempts; the workers pause too (see `RetryPause`).
                let delay = configuration.processingRetry.delay(afterAttempt: object.attempts + 1)
                _ = try? queue.deferProcessing(id: object.id, retryAt: Date(timeIntervalSinceNow: delay), error: reason)
                let pause = processingPause.failed()
                logger.info("processing deferred", metadata: [
                    "id": "\(object.id)", "reason": "\(reason)", "retry in": "\(delay) s",
                    "workers paused for": "\(pause) s",
                ])
            case let .permanent(reason):
                quarantineAfterFailure(object, reason: reason)
            }
        } catch {
            quarantineAfterFailure(object, reason: "\(error)")
        }
    }

    func quarantineAfterFailure(_ object: QueuedObject, reason: String) {
        let spool = configuration.spool
        let name = quarantineName()
        quarantine(file: spool.receivedPath(id: object.id), name: name, move: true, reason: reason, facts: [
            "calling AE": object.callingAETitle, "SOP class": object.sopClassUID, "profile": object.profile,
            "route": object.route, "queue id": "\(object.id)",
        ])
        Durable.remove(spool.outboxPath(id: object.id))
        try? queue.markQuarantined(id: object.id, error: reason)
        metrics.processingFailed.increment()
        logger.error("processing failed; object quarantined", metadata: [
            "id": "\(object.id)", "profile": "\(object.profile)", "reason": "\(reason)", "quarantine": "\(name)",
        ])
    }

    // MARK: Sending (one OS thread per association)

    func senderLoop(_ destination: Destination, pause: RetryPause) {
        if let directory = destination.directory {
            folderLoop(destination, writer: FolderWriter(root: URL(fileURLWithPath: directory, isDirectory: true)))
            return
        }
        var association: StorageAssociation?
        var lastUse = Date()
        var known: Set<ProposedContext> = []
        let counters = DeliveryCounters(metrics, destination)
        while !stopping.isSet {
            if let left = pause.remaining() {
                // In slices, so that a shutdown does not wait for the end of the pause.
                let seconds = Double(left.components.seconds) + Double(left.components.attoseconds) * 1e-18
                Thread.sleep(forTimeInterval: min(seconds, 0.25))
                continue
            }
            let batch = claimOrWait(destination)
            if batch.isEmpty {
                if association != nil && Date().timeIntervalSince(lastUse) > 5 { association = nil }
                continue
            }
            let needed = Set(batch.map { ProposedContext(sopClassUID: $0.sopClassUID, transferSyntaxUID: $0.transferSyntaxUID) })
            if let open = association, !(open.isOpen && needed.isSubset(of: open.proposed)) { association = nil }
            if association == nil {
                if known.count > 60 { known = [] }
                known.formUnion(needed)
                do {
                    association = try StorageAssociation(
                        callingAETitle: configuration.callingAETitle, destination: destination, contexts: known)
                } catch {
                    for delivery in batch {
                        counters.retried.increment()
                        recordTransient(delivery, reason: "\(error)", policy: configuration.delivery, deadCounter: counters.dead)
                    }
                    let seconds = pause.failed()
                    logger.warning("destination unreachable; will retry", metadata: [
                        "destination": "\(destination.name)", "error": "\(error)", "waiting": "\(batch.count)",
                        "sender paused for": "\(seconds) s",
                    ])
                    continue
                }
            }
            for (index, delivery) in batch.enumerated() {
                guard let open = association, !stopping.isSet else {
                    try? queue.release(Array(batch[index...]))
                    break
                }
                let path = configuration.spool.pathToSend(delivery)
                do {
                    _ = try open.store(path: path, sopClassUID: delivery.sopClassUID,
                                       transferSyntaxUID: delivery.transferSyntaxUID)
                    lastUse = Date()
                    pause.succeeded()
                    counters.forwarded.increment()
                    if try queue.markDelivered(delivery) { objectFinished(delivery.objectID) }
                } catch let failure as SendFailure {
                    record(failure, of: delivery, to: destination, counters: counters)
                    if case .transient = failure {
                        try? queue.release(Array(batch[(index + 1)...]))
                        association = nil
                        pause.failed()
                    } else if !open.isOpen {
                        association = nil
                    }
                    if association == nil {
                        break
                    }
                } catch {
                    logger.error("queue update failed", metadata: ["error": "\(error)"])
                }
            }
        }
        association = nil
    }

    /// Up to 16 due deliveries for `destination`; when there are none, waits for the doorbell or the next due
    /// retry (at most 1 s) and returns an empty batch.
    func claimOrWait(_ destination: Destination) -> [Delivery] {
        let seen = sendBell.current
        let batch: [Delivery]
        do { batch = try queue.claimDeliveries(destination: destination.name, limit: 16) } catch {
            logger.error("queue read failed", metadata: ["error": "\(error)"])
            sendBell.wait(after: seen, timeout: 1)
            return []
        }
        guard batch.isEmpty else { return batch }
        var timeout = 1.0
        if let due = try? queue.nextDue(destination: destination.name) {
            timeout = min(max(due.timeIntervalSinceNow, 0.005), 1.0)
        }
        sendBell.wait(after: seen, timeout: timeout)
        return []
    }

    /// A folder destination's sender: same queue, retry and dead-letter rules as a DICOM destination.
    func folderLoop(_ destination: Destination, writer: FolderWriter) {
        let counters = DeliveryCounters(metrics, destination)
        while !stopping.isSet {
            let batch = claimOrWait(destination)
            for (index, delivery) in batch.enumerated() {
                guard !stopping.isSet else {
                    try? queue.release(Array(batch[index...]))
                    break
                }
                do {
                    _ = try writer.deliver(file: URL(fileURLWithPath: configuration.spool.pathToSend(delivery)),
                                           sopInstanceUID: delivery.sopInstanceUID)
                    counters.forwarded.increment()
                    if try queue.markDelivered(delivery) { objectFinished(delivery.objectID) }
                } catch let failure as SendFailure {
                    record(failure, of: delivery, to: destination, counters: counters)
                } catch {
                    logger.error("queue update failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// A destination's counters, looked up once per sender thread.
    struct DeliveryCounters {
        let forwarded: Prometheus.Counter
        let retried: Prometheus.Counter
        let dead: Prometheus.Counter

        init(_ metrics: RelayMetrics, _ destination: Destination) {
            forwarded = metrics.forwarded(destination.name)
            retried = metrics.retried(destination.name)
            dead = metrics.deadLettered(destination.name)
        }
    }

    /// Books a failed delivery for any kind of destination: transient → retried with backoff (dead letter after
    /// `maxAttempts`), permanent → dead letter at once.
    func record(_ failure: SendFailure, of delivery: Delivery, to destination: Destination, counters: DeliveryCounters) {
        switch failure {
        case let .transient(reason):
            counters.retried.increment()
            recordTransient(delivery, reason: reason, policy: configuration.delivery, deadCounter: counters.dead)
            logger.warning("send failed; will retry", metadata: [
                "destination": "\(destination.name)", "delivery": "\(delivery.id)", "error": "\(reason)",
            ])
        case let .permanent(reason):
            try? queue.markDead(delivery, error: reason)
            counters.dead.increment()
            logger.error("destination refused the object; dead letter", metadata: [
                "destination": "\(destination.name)", "delivery": "\(delivery.id)", "error": "\(reason)",
            ])
        }
    }

    func recordTransient(_ delivery: Delivery, reason: String, policy: RetryPolicy, deadCounter: Prometheus.Counter) {
        let delay = policy.delay(afterAttempt: delivery.attempts + 1)
        let state = try? queue.markFailedAttempt(
            delivery, retryAt: Date(timeIntervalSinceNow: delay), maxAttempts: policy.maxAttempts, error: reason)
        if state == .dead {
            deadCounter.increment()
            logger.error("delivery gave up after \(policy.maxAttempts) attempts; dead letter", metadata: [
                "destination": "\(delivery.destination)", "delivery": "\(delivery.id)",
            ])
        }
    }

    /// An object's last delivery is booked: its files go with the next sweep (at most a second later, after
    /// the commit that makes the booking durable).
    func objectFinished(_ id: Int64) {
        if configuration.retainDeliveredSeconds == 0 { sweepBell.ring() }
    }

    // MARK: Housekeeping

    /// Every second (or sooner when a sender rings after finishing objects, but at most every 0.2 s): queue
    /// depth metrics, the files of delivered objects past their retention deleted after a durable commit (one
    /// fsync per sweep instead of one per delivery), and recycled files that kept an object's bytes longer than
    /// their hold emptied (`RecycledFiles`), in `free/` and in the slots made of them.
    func housekeepingLoop(slots: SpoolSlots) async {
        var lastMetrics = ContinuousClock.now - .seconds(2)
        while !stopping.isSet {
            let seen = sweepBell.current
            if ContinuousClock.now - lastMetrics >= .seconds(1), let counts = try? queue.counts() {
                lastMetrics = ContinuousClock.now
                for destination in configuration.destinations {
                    metrics.queueDepth(destination.name).set(Double(counts.pendingByDestination[destination.name] ?? 0))
                }
            }
            sweepDeliveredFiles()
            configuration.spool.recycled.emptyStale()
            slots.emptyStale()
            try? await Task.sleep(for: .milliseconds(200))
            await sweepBell.waitAsync(after: seen, timeout: 0.8)
        }
        sweepDeliveredFiles()
    }

    func sweepDeliveredFiles() {
        guard configuration.retainDeliveredSeconds >= 0,
              let expired = try? queue.sweepDone(before: Date(timeIntervalSinceNow: -configuration.retainDeliveredSeconds))
        else { return }
        try? queue.forgetSwept(expired, spool: configuration.spool)
    }
}


/// A started OS thread that can be awaited without blocking a cooperative thread.
final class ThreadHandle: @unchecked Sendable {
    // `finished` and `waiters` are guarded by `lock`.
    private let lock = NSLock()
    private var finished = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func markFinished() {
        let toResume = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            finished = true
            defer { waiters = [] }
            return waiters
        }
        toResume.forEach { $0.resume() }
    }

    func join() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = lock.withLock { () -> Bool in
                if finished { return true }
                waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}

extension Thread {
    static func launch(name: String, _ body: @escaping @Sendable () -> Void) -> ThreadHandle {
        let handle = ThreadHandle()
        let thread = Thread {
            body()
            handle.markFinished()
        }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
        return handle
    }
}

/// A pause after a retryable failure of something every queued object needs: for the processing workers, the
/// KME (no key: its link distils them slowly, or it is down) or the disk; for a destination's senders, the
/// destination (unreachable, out of resources). The next objects in the queue would fail the same way: without
/// the pause, a gateway with a few hundred objects waiting for keys retried every one of them each second and
/// kept both cores busy doing so, and a sender went through every pending delivery of a down destination, a
/// connection attempt and a log line per 16. Consecutive failures lengthen the pause by the retry policy
/// (1, 2, 4 … up to its cap); the first success ends it.
final class RetryPause: Sendable {
    let policy: RetryPolicy
    private let state = Mutex<(failures: Int, until: ContinuousClock.Instant?)>((0, nil))

    init(policy: RetryPolicy) { self.policy = policy }

    /// How much of the pause is left (the workers or the sender claim nothing meanwhile); nil when none.
    func remaining() -> Duration? {
        state.withLock { state in
            guard let until = state.until else { return nil }
            let left = until - ContinuousClock.now
            return left > .zero ? left : nil
        }
    }

    /// Books a retryable failure; returns the pause in seconds.
    @discardableResult
    func failed() -> Double {
        state.withLock { state in
            state.failures += 1
            let seconds = policy.delay(afterAttempt: state.failures)
            state.until = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
            return seconds
        }
    }

    func succeeded() {
        state.withLock { state in state = (0, nil) }
    }
}

