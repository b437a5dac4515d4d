public import Foundation
public import Relay

/// Facts about a transformed object, for the queue and the logs (no PHI, no keys).
public struct TransformOutcome: Sendable, Hashable {
    public var sopClassUID: String
    /// SOP Instance UID of the object written to `output` (new for encrypted objects, see `InstanceUID`).
    public var sopInstanceUID: String
    public var transferSyntaxUID: String
    /// The profile that was applied (after any fallback).
    public var profile: String

    public init(sopClassUID: String, sopInstanceUID: String, transferSyntaxUID: String, profile: String) {
        self.sopClassUID = sopClassUID
        self.sopInstanceUID = sopInstanceUID
        self.transferSyntaxUID = transferSyntaxUID
        self.profile = profile
    }
}

/// Why a transform failed. `retryable` (e.g. the KME answered 503: no key yet) keeps the object queued;
/// `permanent` quarantines it. Never forward plaintext as a way out.
public enum TransformError: Error, Sendable, Equatable, CustomStringConvertible {
    case retryable(String)
    case permanent(String)

    public var description: String {
        switch self {
        case let .retryable(text): return "\(text) (will retry)"
        case let .permanent(text): return "\(text) (object quarantined)"
        }
    }
}

/// The seam between the gateway's store-and-forward pipeline and whatever changes an object on its way.
/// The caller fsyncs `output` afterwards; `route.profile` is the profile to apply (already the fallback
/// profile when intake chose one).
public protocol ObjectTransform: Sendable {
    func transform(input: URL, output: URL, route: Route) async throws(TransformError) -> TransformOutcome
}

/// Forwards the received object unchanged (a hard link into the outbox: no copy, same bytes).
public struct PassThroughTransform: ObjectTransform {
    public init() {}

    public func transform(input: URL, output: URL, route: Route) async throws(TransformError) -> TransformOutcome {
        // Identity facts come from the queue record; the processor fills them in.
        do { try Spool.placeUnchanged(input, at: output) } catch {
            throw .retryable("cannot place the object in the outbox (\(error.localizedDescription))")
        }
        return TransformOutcome(sopClassUID: "", sopInstanceUID: "", transferSyntaxUID: "", profile: Profile.passThrough.name)
    }
}

/// Runs the transform registered for each object's effective profile (the Relay's `ObjectProcessor`).
public struct GatewayProcessor: ObjectProcessor {
    public let configuration: GatewayConfiguration
    /// Profile name → transform. Profiles without a transform in this build quarantine their objects.
    public let transforms: [String: any ObjectTransform]

    public init(configuration: GatewayConfiguration, transforms: [String: any ObjectTransform]) {
        self.configuration = configuration
        self.transforms = transforms
    }

    /// Pass-through objects (a pass-through route, or objects without pixel data on a route that forwards them)
    /// go from the intake commit straight to the outbox.
    public func forwardsUnchanged(profile: String) -> Bool { profile == Profile.passThrough.name }

    public func process(_ object: QueuedObject, input: URL, output: URL) async throws(ProcessingFailure) -> ProcessedObject {
        let routes = configuration.routes + (configuration.defaultRoute.map { [$0] } ?? [])
        guard var route = routes.first(where: { $0.name == object.route }) else {
            throw .permanent("route `\(object.route)` is no longer in the configuration")
        }
        if object.profile != route.profile.name {
            guard object.profile == Profile.aesCTR.name || object.profile == Profile.passThrough.name else {
                throw .permanent("profile `\(object.profile)` chosen at intake does not belong to route `\(route.name)`")
            }
            route.profile = object.profile == Profile.aesCTR.name ? .aesCTR : .passThrough
        }
        guard let transform = transforms[object.profile] else {
            throw .permanent("profile `\(object.profile)` has no transform in this build")
        }
        do {
            let outcome = try await transform.transform(input: input, output: output, route: route)
            return ProcessedObject(
                sopClassUID: outcome.sopClassUID.isEmpty ? object.sopClassUID : outcome.sopClassUID,
                sopInstanceUID: outcome.sopInstanceUID.isEmpty ? object.sopInstanceUID : outcome.sopInstanceUID,
                transferSyntaxUID: outcome.transferSyntaxUID.isEmpty ? object.transferSyntaxUID : outcome.transferSyntaxUID)
        } catch {
            switch error {
            case let .retryable(text): throw .retryable(text)
            case let .permanent(text): throw .permanent(text)
            }
        }
    }
}
