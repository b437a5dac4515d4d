public import Foundation
public import Relay
public import Protection
import DICOM

/// The decryptor takes every object from an allowed caller; what it is (encrypted or not, restorable or not) is
/// decided by the processor, which can read the whole dataset.
public struct DecryptorIntake: IntakePolicy {
    public let destinations: [String]

    public init(destinations: [String]) { self.destinations = destinations }

    public func decide(_ object: ReceivedObject) -> IntakeDecision {
        .accept(route: "restore", profile: DecryptorProcessor.profileName, destinations: destinations)
    }
}

/// Restores one received object: block → key by key_ID → unwrap → MAC → decrypt → SHA-256 → original UID and
/// transfer syntax, block removed (all inside `ObjectProtector.restore`, the same code as `qkdgate decrypt`).
/// The output file is written only after every check passed, so nothing half-restored is ever forwarded.
public struct DecryptorProcessor: ObjectProcessor {
    public static let profileName = "restore"

    public let protector: ObjectProtector
    public let unencrypted: UnencryptedRule
    public let outputSyntax: FileProtection.OutputSyntax

    public init(protector: ObjectProtector, unencrypted: UnencryptedRule, outputSyntax: FileProtection.OutputSyntax) {
        self.protector = protector
        self.unencrypted = unencrypted
        self.outputSyntax = outputSyntax
    }

    public func process(_ queued: QueuedObject, input: URL, output: URL) async throws(ProcessingFailure) -> ProcessedObject {
        let object: DicomObject
        do { object = try DicomObject(contentsOf: input) } catch {
            throw .permanent("the received object cannot be parsed: \(error.description)")
        }
        guard ObjectProtector.isProtected(object) else {
            switch unencrypted {
            case .reject:
                throw .permanent("the object carries no qkdgate private block and `unencrypted: reject` is set")
            case .forward:
                do { try Spool.placeUnchanged(input, at: output) } catch {
                    throw .retryable("cannot place the object in the outbox (\(error.localizedDescription))")
                }
                return ProcessedObject(sopClassUID: queued.sopClassUID, sopInstanceUID: queued.sopInstanceUID,
                                       transferSyntaxUID: queued.transferSyntaxUID)
            }
        }
        let outcome: ObjectProtector.RestoreOutcome
        do { outcome = try await protector.restore(object) } catch {
            throw error.isRetryable ? .retryable(error.description) : .permanent(error.description)
        }
        let syntax = outputSyntax == .original
            ? FileProtection.writableSyntax(outcome.originalTransferSyntaxUID) : .explicitVRLittleEndian
        do {
            // No fsync here: the relay fsyncs `output` and the outbox directory before it records the result
            // (a second flush here cost one more device cache flush per object).
            try object.write(to: output, transferSyntax: syntax, fsync: false)
        } catch {
            // Not the object's fault (disk full, permissions): keep it queued.
            throw .retryable("cannot write the restored object: \(error.description)")
        }
        return ProcessedObject(sopClassUID: object.string(.sopClassUID) ?? queued.sopClassUID,
                               sopInstanceUID: outcome.restoredSOPInstanceUID, transferSyntaxUID: syntax.uid)
    }
}
