public import Relay
import DICOM
import Foundation

/// What the pixel pipeline can take: transfer syntaxes it can decode and pixel formats per profile. The
/// decodable set is the DICOM module's (DCMTK 3.6.7 codecs + OpenJPEG for JPEG 2000 Part 1; see DICOM.swift);
/// JPEG 2000 Part 2, HTJ2K, JPEG XL and video are received but cannot be encrypted.
public struct PixelCapabilities: Sendable {
    public var decodableTransferSyntaxes: Set<String>

    public static let standard = PixelCapabilities(decodableTransferSyntaxes: TransferSyntaxUID.uncompressed.union([
        TransferSyntaxUID.jpegBaseline, TransferSyntaxUID.jpegExtended, TransferSyntaxUID.jpegLossless,
        TransferSyntaxUID.jpegLosslessSV1, TransferSyntaxUID.jpegLSLossless, TransferSyntaxUID.jpegLSNearLossless,
        TransferSyntaxUID.rleLossless, TransferSyntaxUID.jpeg2000Lossless, TransferSyntaxUID.jpeg2000,
    ]))

    /// Whether `profile` can encrypt pixels of this format (DESIGN §3: the chaotic profiles take n ≤ 16).
    public func supports(_ profile: Profile, bitsAllocated: Int, bitsStored: Int) -> Bool {
        switch profile {
        case .qkdHybrid, .dcganVPD:
            return [8, 16].contains(bitsAllocated) && (1...16).contains(bitsStored)
        case .aesCTR:
            return [1, 8, 16, 32].contains(bitsAllocated)
        case .passThrough:
            return true
        }
    }
}

/// The gateway's C-STORE decision: route by Modality / SOP Class / calling AE (first match, then default),
/// then check that the route's profile can really encrypt the object. A route that requires encryption never
/// lets plaintext through: what it cannot encrypt goes to its fallback (`aes-ctr`) or is refused.
public struct GatewayIntake: IntakePolicy {
    public let configuration: GatewayConfiguration
    public let capabilities: PixelCapabilities

    public init(configuration: GatewayConfiguration, capabilities: PixelCapabilities = .standard) {
        self.configuration = configuration
        self.capabilities = capabilities
    }

    public func decide(_ object: ReceivedObject) -> IntakeDecision {
        guard let route = configuration.route(
            modality: object.modality, sopClassUID: object.sopClassUID, callingAETitle: object.callingAETitle)
        else {
            return .reject(.cannotUnderstand, reason: "no route matches (modality \(object.modality.isEmpty ? "none" : object.modality), SOP class \(object.sopClassUID)) and there is no default route")
        }
        let accept = { (profile: Profile) in
            IntakeDecision.accept(route: route.name, profile: profile.name, destinations: route.destinations)
        }
        guard object.hasPixelData else {
            switch route.nonImage {
            case .forward: return accept(.passThrough)
            case .reject: return .reject(.cannotUnderstand, reason: "route `\(route.name)` refuses objects without Pixel Data")
            }
        }
        guard route.profile.encrypts else { return accept(.passThrough) }
        guard capabilities.decodableTransferSyntaxes.contains(object.transferSyntaxUID) else {
            return .reject(.cannotUnderstand, reason: "transfer syntax \(object.transferSyntaxUID) cannot be decoded, so route `\(route.name)` (\(route.profile)) cannot encrypt it")
        }
        // "Decode possible" is part of validation: a compressed object whose frames do not decode would
        // otherwise get Success and fail only in the worker. Native pixel data was length-checked by the bridge.
        if object.pixelDataEncapsulated, let problem = Self.decodeProblem(path: object.path) {
            return .reject(.cannotUnderstand, reason: "compressed Pixel Data does not decode (\(problem)), so route `\(route.name)` (\(route.profile)) cannot encrypt it")
        }
        if capabilities.supports(route.profile, bitsAllocated: object.bitsAllocated, bitsStored: object.bitsStored) {
            return accept(route.profile)
        }
        switch route.fallback {
        case .aesCTR where capabilities.supports(.aesCTR, bitsAllocated: object.bitsAllocated, bitsStored: object.bitsStored):
            return accept(.aesCTR)
        default:
            return .reject(.cannotUnderstand, reason: "pixel format (bits allocated \(object.bitsAllocated), stored \(object.bitsStored)) is not supported by \(route.profile) and route `\(route.name)` has no usable fallback")
        }
    }

    /// Decodes the received file once, in memory, to learn whether its frames decode; nil when they do. Only
    /// for compressed objects on encrypting routes (native data needs no decoder), so the extra decode is paid
    /// where an undecodable object would otherwise be accepted.
    static func decodeProblem(path: String) -> String? {
        do {
            let object = try DicomObject(contentsOf: URL(fileURLWithPath: path))
            try object.decodeToNative()
            _ = try object.pixelDescriptor()
            return nil
        } catch {
            return error.description
        }
    }
}
