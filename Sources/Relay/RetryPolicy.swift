import Foundation

/// Exponential backoff with a cap: delay(n) = min(initial × multiplier^(n-1), cap) for the n-th failed attempt.
public struct RetryPolicy: Sendable, Hashable {
    public var initialDelay: Double
    public var multiplier: Double
    public var maxDelay: Double
    /// Attempts before a delivery becomes a dead letter; 0 means retry transient failures forever.
    public var maxAttempts: Int

    public init(initialDelay: Double = 1, multiplier: Double = 2, maxDelay: Double = 300, maxAttempts: Int = 20) {
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maxDelay = maxDelay
        self.maxAttempts = maxAttempts
    }

    /// Seconds to wait after the `attempt`-th failure (1-based).
    public func delay(afterAttempt attempt: Int) -> Double {
        let exponent = Double(max(attempt, 1) - 1)
        let raw = initialDelay * pow(multiplier, exponent)
        return raw.isFinite ? min(raw, maxDelay) : maxDelay
    }
}
