internal import CDCMTK

/// A remote storage SCP the relay forwards to.
public struct Destination: Sendable, Hashable {
    public var name: String
    public var aeTitle: String
    public var host: String
    public var port: Int
    /// Associations opened in parallel to this destination.
    public var associations: Int
    /// Set for a folder destination: objects are written as `<StudyUID>/<SeriesUID>/<SOPUID>.dcm` under this
    /// directory (fsynced) instead of being sent over DICOM; `aeTitle`, `host` and `port` are then unused.
    public var directory: String?

    public init(name: String, aeTitle: String, host: String, port: Int, associations: Int = 1) {
        self.name = name
        self.aeTitle = aeTitle
        self.host = host
        self.port = port
        self.associations = associations
        self.directory = nil
    }

    /// A folder destination (see `directory`).
    public init(name: String, directory: String) {
        self.init(name: name, aeTitle: "", host: "", port: 0)
        self.directory = directory
    }
}

/// Why a send did not store the object. `transient` is retried with backoff; `permanent` is a dead letter.
public enum SendFailure: Error, Sendable, Equatable, CustomStringConvertible {
    case transient(String)
    case permanent(String)

    public var description: String {
        switch self {
        case let .transient(text): return "transient: \(text)"
        case let .permanent(text): return "permanent: \(text)"
        }
    }
}

/// A presentation context to propose: one SOP class with its transfer syntaxes.
public struct ProposedContext: Sendable, Hashable {
    public var sopClassUID: String
    public var transferSyntaxUID: String

    public init(sopClassUID: String, transferSyntaxUID: String) {
        self.sopClassUID = sopClassUID
        self.transferSyntaxUID = transferSyntaxUID
    }
}

/// One open association to a destination (DCMTK `DcmSCU`, dataset conversion on). Used by one thread at a
/// time; blocking calls, so callers run it on their own threads, never on Swift's cooperative pool.
public final class StorageAssociation {
    private let handle: OpaquePointer
    public let destination: Destination
    /// Every (SOP class, transfer syntax) pair proposed when the association was opened.
    public let proposed: Set<ProposedContext>

    /// Opens the association, proposing for each pair a context with its own transfer syntax and, for each SOP
    /// class, one with the uncompressed syntaxes a converted dataset can travel in.
    public init(callingAETitle: String, destination: Destination, contexts: Set<ProposedContext>,
                timeoutSeconds: Int = 30) throws(SendFailure)
    {
        self.destination = destination
        self.proposed = contexts
        var error = cdcmtk_net_error()
        var scu: OpaquePointer?
        let created = callingAETitle.withCString { own in
            destination.aeTitle.withCString { peer in
                destination.host.withCString { host in
                    var config = cdcmtk_net_scu_config()
                    config.ae_title = own
                    config.peer_ae_title = peer
                    config.peer_host = host
                    config.peer_port = UInt16(clamping: destination.port)
                    config.max_pdu = 131_072
                    config.connect_timeout_seconds = UInt32(clamping: timeoutSeconds)
                    config.acse_timeout_seconds = UInt32(clamping: timeoutSeconds)
                    config.dimse_timeout_seconds = UInt32(clamping: timeoutSeconds * 2)
                    return cdcmtk_net_scu_create(&config, &scu, &error)
                }
            }
        }
        guard created == CDCMTK_NET_OK, let scu else { throw .transient(errorText(error)) }
        handle = scu
        // DICOM allows 128 presentation contexts; keep to that, exact-syntax contexts first.
        var count = 0
        let uncompressed = [TransferSyntaxUID.explicitLittleEndian, TransferSyntaxUID.implicitLittleEndian]
        for context in contexts.sorted(by: { ($0.sopClassUID, $0.transferSyntaxUID) < ($1.sopClassUID, $1.transferSyntaxUID) })
        where count < 120 {
            _ = withCStrings([context.transferSyntaxUID]) { syntaxes in
                cdcmtk_net_scu_propose(scu, context.sopClassUID, syntaxes.baseAddress, syntaxes.count, &error)
            }
            count += 1
        }
        for sopClass in Set(contexts.map(\.sopClassUID)).sorted() where count < 127 {
            _ = withCStrings(uncompressed) { syntaxes in
                cdcmtk_net_scu_propose(scu, sopClass, syntaxes.baseAddress, syntaxes.count, &error)
            }
            count += 1
        }
        let connected = cdcmtk_net_scu_connect(scu, &error)
        guard connected == CDCMTK_NET_OK else {
            // All stored properties are set, so deinit frees the handle.
            throw .transient(errorText(error))
        }
    }

    deinit { cdcmtk_net_scu_free(handle) }

    public var isOpen: Bool { cdcmtk_net_scu_is_connected(handle) != 0 }

    /// Sends one file. Returns the peer's status when it stored the object (success or warning).
    public func store(path: String, sopClassUID: String, transferSyntaxUID: String) throws(SendFailure) -> DimseStatus {
        var error = cdcmtk_net_error()
        var status: UInt16 = 0
        let result = cdcmtk_net_scu_store_file(handle, path, sopClassUID, transferSyntaxUID, &status, &error)
        switch result {
        case CDCMTK_NET_OK:
            let dimse = DimseStatus(status)
            switch dimse.category {
            case .success, .warning: return dimse
            case .transientFailure: throw .transient("destination answered \(dimse)")
            case .permanentFailure: throw .permanent("destination answered \(dimse)")
            }
        case CDCMTK_NET_NO_PRESENTATION_CONTEXT:
            throw .permanent("destination accepts no presentation context for SOP class \(sopClassUID)")
        case CDCMTK_NET_FILE_UNREADABLE:
            throw .permanent(errorText(error))
        default:
            throw .transient(errorText(error))
        }
    }

    /// C-ECHO (verification) on this association.
    public func echo() throws(SendFailure) {
        var error = cdcmtk_net_error()
        guard cdcmtk_net_scu_echo(handle, &error) == CDCMTK_NET_OK else { throw .transient(errorText(error)) }
    }
}
