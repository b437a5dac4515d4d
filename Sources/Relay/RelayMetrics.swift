public import Prometheus

/// The relay's Prometheus metrics. Labels carry destination names only (no UIDs, no PHI).
public final class RelayMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let received: Counter
    let rejected: Counter
    let processed: Counter
    let processingFailed: Counter
    let processSeconds: DurationHistogram
    let admitSeconds: DurationHistogram
    let namespace: String

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), namespace: String = "qkdgate") {
        self.registry = registry
        self.namespace = namespace
        func descriptor(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: namespace, metricName: name, unitName: unit, helpText: help)
        }
        received = registry.makeCounter(descriptor: descriptor("objects_received", "total", "Objects accepted (C-STORE Success)"))
        rejected = registry.makeCounter(descriptor: descriptor("objects_rejected", "total", "Objects refused at receive time (quarantined)"))
        processed = registry.makeCounter(descriptor: descriptor("objects_processed", "total", "Objects processed (encrypted or passed through)"))
        processingFailed = registry.makeCounter(descriptor: descriptor("objects_failed", "total", "Objects quarantined after processing failed"))
        processSeconds = registry.makeDurationHistogram(
            descriptor: descriptor("process", "seconds", "Time to process (encrypt) one object"),
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(20), .milliseconds(100), .milliseconds(500), .seconds(2), .seconds(10)])
        // The spool disk's part of every C-STORE: an operator's view of what the durability contract costs there
        // (a disk with a slow flush shows here first).
        admitSeconds = registry.makeDurationHistogram(
            descriptor: descriptor("admit", "seconds", "Time to make one received object durable before its Success (spool file fsynced, queue record committed)"),
            buckets: [.microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(20), .milliseconds(100), .seconds(1)])
    }

    private func descriptor(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: namespace, metricName: name, unitName: unit, helpText: help)
    }

    func forwarded(_ destination: String) -> Counter {
        registry.makeCounter(descriptor: descriptor("objects_forwarded", "total", "Deliveries stored by the destination"),
                             labels: [("destination", destination)])
    }

    func retried(_ destination: String) -> Counter {
        registry.makeCounter(descriptor: descriptor("deliveries_retried", "total", "Delivery attempts that failed transiently"),
                             labels: [("destination", destination)])
    }

    func deadLettered(_ destination: String) -> Counter {
        registry.makeCounter(descriptor: descriptor("deliveries_dead", "total", "Deliveries that became dead letters"),
                             labels: [("destination", destination)])
    }

    func queueDepth(_ destination: String) -> Gauge {
        registry.makeGauge(descriptor: descriptor("queue_depth", "deliveries", "Deliveries waiting for the destination"),
                           labels: [("destination", destination)])
    }

    public func exposition() -> String { registry.emitToString() }
}
