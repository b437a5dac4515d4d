public import Foundation
public import Protection
import Ciphers
import DICOM
package import QKD
import Relay

/// The encryption profiles' transform: one `ObjectProtector` (KME key source, gateway UID secret) applied with
/// the route's cipher, the route's fallback, and the encrypted object written to the outbox.
public struct EncryptingTransform: ObjectTransform {
    public let protector: ObjectProtector

    public init(protector: ObjectProtector) {
        self.protector = protector
    }

    /// Keys fetched per `enc_keys` request (at most the KME's `max_key_per_request`; 128 for `qkdgate kme`).
    static let keyBatchSize = 16

    /// The protector for a configuration: its KME as key source, the spool's gateway secret for UIDs.
    public static func protector(for configuration: GatewayConfiguration) throws -> ObjectProtector {
        guard let kme = configuration.kme else {
            throw TransformError.permanent("routes with an encryption profile need a `kme` section in the configuration")
        }
        let client = try kme.client()
        let secret = try GatewaySecret.loadOrCreate(spoolDirectory: configuration.spoolDirectory)
        return ObjectProtector(keySource: KeyBatcher(source: client, batchSize: keyBatchSize), keySourceKind: .qkd,
                               uidSecret: secret)
    }

    /// The cipher settings a route's profile stands for.
    public static func settings(for profile: Profile) -> ProfileSettings? {
        switch profile {
        case .qkdHybrid(let planes): ProfileSettings(profile: "qkd-hybrid", planes: planes.map { "msb:\($0)" } ?? "all")
        case .dcganVPD(let rule): ProfileSettings(profile: "dcgan-vpd", rule: rule)
        case .aesCTR: ProfileSettings(profile: "aes-ctr")
        case .passThrough: nil
        }
    }

    public func transform(input: URL, output: URL, route: Route) async throws(TransformError) -> TransformOutcome {
        guard let settings = Self.settings(for: route.profile) else {
            throw .permanent("route `\(route.name)` does not encrypt; the encrypting transform was called by mistake")
        }
        do {
            let object = try DicomObject(contentsOf: input)
            let cipher = try CipherCatalog.encryptionCipher(settings)
            let fallback = route.fallback == .aesCTR
                ? try CipherCatalog.encryptionCipher(ProfileSettings(profile: "aes-ctr")) : nil
            let outcome = try await protector.protect(object, with: cipher, fallback: fallback)
            // No fsync here: the relay fsyncs `output` (and its directory) before it records the result.
            try object.write(to: output, transferSyntax: .explicitVRLittleEndian, fsync: false)
            return TransformOutcome(
                sopClassUID: object.string(.sopClassUID) ?? "", sopInstanceUID: outcome.newSOPInstanceUID,
                transferSyntaxUID: TransferSyntax.explicitVRLittleEndian.uid, profile: outcome.profile)
        } catch let error as ProtectionError {
            throw error.isRetryable ? .retryable(error.description) : .permanent(error.description)
        } catch let error as DicomError {
            throw .permanent(error.description)
        } catch {
            throw .permanent("\(error)")
        }
    }
}

extension KMEClientSettings {
    /// The ETSI GS QKD 014 client for these settings (gateway: master SAE; decryptor: slave SAE).
    package func client() throws -> KMEClient {
        guard let certificate, let privateKey, let caCertificate else {
            throw RelayError.configuration("`kme` needs certificate, privateKey and caCertificate (the KME requires mutual TLS)")
        }
        return try KMEClient(configuration: KMEClientConfiguration(
            baseURL: url, peerSAEID: peerSAEID, certificatePath: certificate,
            privateKeyPath: privateKey, caCertificatePath: caCertificate))
    }
}
