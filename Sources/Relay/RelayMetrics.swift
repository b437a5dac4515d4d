public import Prometheus

/// The relay's Prometheus metrics. Labels carry destination names and outcomes only (no UIDs, no PHI).
public final class RelayMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let received: Counter
    let rejected: Counter
    let processed: Counter
    let processingFailed: Counter
    let processSeconds: DurationHistogram
    let prefix: String

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), prefix: String = "qkdgate") {
        self.registry = registry
        self.prefix = prefix
        received = registry.makeCounter(name: "\(prefix)_objects_received_total", help: "Objects accepted (C-STORE Success)")
        rejected = registry.makeCounter(name: "\(prefix)_objects_rejected_total", help: "Objects refused at receive time (quarantined)")
        processed = registry.makeCounter(name: "\(prefix)_objects_processed_total", help: "Objects processed (encrypted or passed through)")
        processingFailed = registry.makeCounter(name: "\(prefix)_objects_failed_total", help: "Objects quarantined after processing failed")
        processSeconds = registry.makeDurationHistogram(
            name: "\(prefix)_process_seconds",
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(20), .milliseconds(100), .milliseconds(500), .seconds(2), .seconds(10)],
            help: "Time to process (encrypt) one object")
    }

    func forwarded(_ destination: String) -> Counter {
        registry.makeCounter(name: "\(prefix)_objects_forwarded_total", labels: [("destination", destination)], help: "Deliveries stored by the destination")
    }

    func retried(_ destination: String) -> Counter {
        registry.makeCounter(name: "\(prefix)_deliveries_retried_total", labels: [("destination", destination)], help: "Delivery attempts that failed transiently")
    }

    func deadLettered(_ destination: String) -> Counter {
        registry.makeCounter(name: "\(prefix)_deliveries_dead_total", labels: [("destination", destination)], help: "Deliveries that became dead letters")
    }

    func queueDepth(_ destination: String) -> Gauge {
        registry.makeGauge(name: "\(prefix)_queue_depth", labels: [("destination", destination)], help: "Deliveries waiting for the destination")
    }

    public func exposition() -> String { registry.emitToString() }
}
