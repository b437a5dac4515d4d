public import Foundation
internal import CDCMTK
#if canImport(Glibc)
import Glibc
#endif

/// What the storage SCP learnt about one received object (no patient attributes).
public struct ReceivedObject: Sendable, Hashable {
    public var callingAETitle: String
    public var calledAETitle: String
    public var sopClassUID: String
    public var sopInstanceUID: String
    /// Transfer syntax it arrived (and is stored) in.
    public var transferSyntaxUID: String
    public var modality: String
    public var hasPixelData: Bool
    public var pixelDataEncapsulated: Bool
    public var rows: Int
    public var columns: Int
    public var bitsAllocated: Int
    public var bitsStored: Int
    public var samplesPerPixel: Int
    public var numberOfFrames: Int
    /// A problem the bridge found (unparseable, Pixel Data length mismatch), PHI-free; nil when none.
    public var problem: String?
    /// The received file (meta header + dataset as received). Not yet fsynced: whoever answers Success makes
    /// it durable first (`RelayQueue.admit`).
    public var path: String
    /// The token the SCP's file provider gave with `path`; nil when the file was created in the incoming
    /// directory.
    public var fileToken: Int64?

    public init(
        callingAETitle: String, calledAETitle: String, sopClassUID: String, sopInstanceUID: String,
        transferSyntaxUID: String, modality: String, hasPixelData: Bool, pixelDataEncapsulated: Bool, rows: Int,
        columns: Int, bitsAllocated: Int, bitsStored: Int, samplesPerPixel: Int, numberOfFrames: Int,
        problem: String?, path: String, fileToken: Int64? = nil
    ) {
        self.callingAETitle = callingAETitle
        self.calledAETitle = calledAETitle
        self.sopClassUID = sopClassUID
        self.sopInstanceUID = sopInstanceUID
        self.transferSyntaxUID = transferSyntaxUID
        self.modality = modality
        self.hasPixelData = hasPixelData
        self.pixelDataEncapsulated = pixelDataEncapsulated
        self.rows = rows
        self.columns = columns
        self.bitsAllocated = bitsAllocated
        self.bitsStored = bitsStored
        self.samplesPerPixel = samplesPerPixel
        self.numberOfFrames = numberOfFrames
        self.problem = problem
        self.path = path
        self.fileToken = fileToken
    }
}

/// Settings of the storage SCP.
public struct StorageSCPConfiguration: Sendable {
    public var aeTitle: String
    public var port: Int
    public var allowedCallingAETitles: [String]
    public var maxPDU: Int = 131_072
    public var maxAssociations: Int = 16
    public var acseTimeoutSeconds: Int = 30
    public var dimseTimeoutSeconds: Int = 60
    public var transferSyntaxes: [String] = TransferSyntaxUID.accepted

    public init(aeTitle: String, port: Int, allowedCallingAETitles: [String]) {
        self.aeTitle = aeTitle
        self.port = port
        self.allowedCallingAETitles = allowedCallingAETitles
    }
}

/// Transfer syntax UIDs the relay talks about.
public enum TransferSyntaxUID {
    public static let implicitLittleEndian = "1.2.840.10008.1.2"
    public static let explicitLittleEndian = "1.2.840.10008.1.2.1"
    public static let deflatedExplicitLittleEndian = "1.2.840.10008.1.2.1.99"
    public static let explicitBigEndian = "1.2.840.10008.1.2.2"
    public static let jpegBaseline = "1.2.840.10008.1.2.4.50"
    public static let jpegExtended = "1.2.840.10008.1.2.4.51"
    public static let jpegLossless = "1.2.840.10008.1.2.4.57"
    public static let jpegLosslessSV1 = "1.2.840.10008.1.2.4.70"
    public static let jpegLSLossless = "1.2.840.10008.1.2.4.80"
    public static let jpegLSNearLossless = "1.2.840.10008.1.2.4.81"
    public static let jpeg2000Lossless = "1.2.840.10008.1.2.4.90"
    public static let jpeg2000 = "1.2.840.10008.1.2.4.91"
    public static let jpeg2000Part2Lossless = "1.2.840.10008.1.2.4.92"
    public static let jpeg2000Part2 = "1.2.840.10008.1.2.4.93"
    public static let rleLossless = "1.2.840.10008.1.2.5"

    /// Accepted by the SCP for storage, in order of preference (uncompressed first, then what peers commonly
    /// send compressed). An object in a syntax the node cannot process is refused per object, not per context.
    public static let accepted = [
        explicitLittleEndian, implicitLittleEndian, deflatedExplicitLittleEndian, explicitBigEndian,
        jpegBaseline, jpegExtended, jpegLossless, jpegLosslessSV1, jpegLSLossless, jpegLSNearLossless,
        jpeg2000Lossless, jpeg2000, jpeg2000Part2Lossless, jpeg2000Part2, rleLossless,
    ]

    public static let uncompressed: Set<String> = [
        implicitLittleEndian, explicitLittleEndian, deflatedExplicitLittleEndian, explicitBigEndian,
    ]
}

/// The single intervention point for C-STORE: called on the association's thread (not a Swift cooperative
/// thread, so it may block on disk and database); returns the status for the C-STORE-RSP.
public typealias StoreHandler = @Sendable (ReceivedObject) -> DimseStatus

/// Names an existing file for the next received object (called on the association's thread before its dataset
/// arrives), with a non-zero token that comes back in `ReceivedObject.fileToken`; nil lets the SCP create a file
/// in its incoming directory.
public typealias ReceiveFileProvider = @Sendable () -> (path: String, token: Int64)?

/// DCMTK storage SCP with the bridge's own accept loop, one OS thread per association.
public final class StorageSCP: @unchecked Sendable {
    // The bridge handle is used from the accept thread (run) and any thread (stop, active); the C side makes
    // those calls thread-safe. `@unchecked` because OpaquePointer is not Sendable.
    private let handle: OpaquePointer
    private let handlerBox: Unmanaged<HandlerBox>
    public let configuration: StorageSCPConfiguration

    final class HandlerBox {
        let handler: StoreHandler
        let fileProvider: ReceiveFileProvider?
        init(_ handler: @escaping StoreHandler, _ fileProvider: ReceiveFileProvider?) {
            self.handler = handler
            self.fileProvider = fileProvider
        }
    }

    /// Opens the port now (so that a busy port is an error here). Received objects are written to the files
    /// `fileProvider` names, or (without one, or when it has none) to new files in `incomingDirectory`.
    public init(configuration: StorageSCPConfiguration, incomingDirectory: String,
                fileProvider: ReceiveFileProvider? = nil, handler: @escaping StoreHandler) throws(RelayError)
    {
        self.configuration = configuration
        let box = Unmanaged.passRetained(HandlerBox(handler, fileProvider))
        var error = cdcmtk_net_error()
        var scp: OpaquePointer?
        let status = withCStrings(configuration.allowedCallingAETitles) { callers in
            withCStrings(configuration.transferSyntaxes) { syntaxes in
                configuration.aeTitle.withCString { ae in
                    incomingDirectory.withCString { incoming in
                        var config = cdcmtk_net_scp_config()
                        config.ae_title = ae
                        config.port = UInt16(clamping: configuration.port)
                        config.max_pdu = UInt32(clamping: configuration.maxPDU)
                        config.max_associations = UInt32(clamping: configuration.maxAssociations)
                        config.acse_timeout_seconds = UInt32(clamping: configuration.acseTimeoutSeconds)
                        config.dimse_timeout_seconds = UInt32(clamping: configuration.dimseTimeoutSeconds)
                        config.allowed_calling_ae_titles = callers.baseAddress
                        config.allowed_calling_ae_title_count = callers.count
                        config.transfer_syntaxes = syntaxes.baseAddress
                        config.transfer_syntax_count = syntaxes.count
                        config.incoming_directory = incoming
                        config.handler = storeTrampoline
                        config.handler_context = box.toOpaque()
                        if fileProvider != nil { config.file_provider = fileTrampoline }
                        return cdcmtk_net_scp_create(&config, &scp, &error)
                    }
                }
            }
        }
        guard status == CDCMTK_NET_OK, let scp else {
            box.release()
            throw .listen(port: configuration.port, detail: errorText(error))
        }
        handle = scp
        handlerBox = box
    }

    deinit {
        cdcmtk_net_scp_free(handle)
        handlerBox.release()
    }

    /// Runs the accept loop on the calling thread until `stop()`; returns when every association has ended.
    public func runBlocking() {
        var error = cdcmtk_net_error()
        _ = cdcmtk_net_scp_run(handle, &error)
    }

    /// Starts the accept loop on a dedicated thread and returns at once.
    public func start() -> Thread {
        let thread = Thread { [self] in runBlocking() }
        thread.name = "storage-scp"
        thread.start()
        return thread
    }

    public func stop() { cdcmtk_net_scp_stop(handle) }

    public var activeAssociations: Int { Int(cdcmtk_net_scp_active_associations(handle)) }
}

private func storeTrampoline(
    _ context: UnsafeMutableRawPointer?, _ object: UnsafePointer<cdcmtk_net_received_object>?
) -> UInt16 {
    guard let context, let object else { return DimseStatus.cannotUnderstand.code }
    let box = Unmanaged<StorageSCP.HandlerBox>.fromOpaque(context).takeUnretainedValue()
    return box.handler(ReceivedObject(object.pointee)).code
}

extension ReceivedObject {
    /// The facts the bridge hands over, copied (its strings live only during the call).
    init(_ facts: cdcmtk_net_received_object) {
        self.init(
            callingAETitle: string(facts.calling_ae_title), calledAETitle: string(facts.called_ae_title),
            sopClassUID: string(facts.sop_class_uid), sopInstanceUID: string(facts.sop_instance_uid),
            transferSyntaxUID: string(facts.transfer_syntax_uid), modality: string(facts.modality),
            hasPixelData: facts.has_pixel_data != 0, pixelDataEncapsulated: facts.pixel_data_encapsulated != 0,
            rows: Int(facts.rows), columns: Int(facts.columns), bitsAllocated: Int(facts.bits_allocated),
            bitsStored: Int(facts.bits_stored), samplesPerPixel: Int(facts.samples_per_pixel),
            numberOfFrames: Int(facts.number_of_frames), problem: facts.problem.map { String(cString: $0) },
            path: string(facts.path), fileToken: facts.file_token == 0 ? nil : facts.file_token)
    }

    /// Describes a received file found in a spool after a restart, as the SCP described it when it arrived
    /// (the same parse and checks); the SOP UIDs, transfer syntax and calling AE come from its meta header,
    /// which DCMTK wrote at the reception. A file that is not a complete object has a `problem`.
    public static func describing(file path: String, calledAETitle: String, fileToken: Int64?) -> ReceivedObject {
        final class Result: @unchecked Sendable { var object: ReceivedObject? }  // written once, on this thread
        let result = Result()
        let status = withExtendedLifetime(result) {
            cdcmtk_net_describe_file(path, calledAETitle, fileToken ?? 0, { context, facts in
                guard let context, let facts else { return DimseStatus.cannotUnderstand.code }
                Unmanaged<Result>.fromOpaque(context).takeUnretainedValue().object = ReceivedObject(facts.pointee)
                return DimseStatus.success.code
            }, Unmanaged.passUnretained(result).toOpaque())
        }
        if status == DimseStatus.success.code, let object = result.object { return object }
        return ReceivedObject(
            callingAETitle: "", calledAETitle: calledAETitle, sopClassUID: "", sopInstanceUID: "", transferSyntaxUID: "",
            modality: "", hasPixelData: false, pixelDataEncapsulated: false, rows: 0, columns: 0, bitsAllocated: 0,
            bitsStored: 0, samplesPerPixel: 0, numberOfFrames: 0, problem: "the bridge could not read the file",
            path: path, fileToken: fileToken)
    }
}

private func fileTrampoline(
    _ context: UnsafeMutableRawPointer?, _ path: UnsafeMutablePointer<CChar>?, _ capacity: Int,
    _ token: UnsafeMutablePointer<Int64>?
) -> Int32 {
    guard let context, let path, let token else { return 0 }
    let box = Unmanaged<StorageSCP.HandlerBox>.fromOpaque(context).takeUnretainedValue()
    guard let file = box.fileProvider?(), file.token != 0 else { return 0 }
    let characters = file.path.utf8CString  // with its NUL
    guard characters.count > 1, characters.count <= capacity else { return 0 }
    for (index, character) in characters.enumerated() { path[index] = character }
    token.pointee = file.token
    return 1
}

func string(_ pointer: UnsafePointer<CChar>?) -> String { pointer.map { String(cString: $0) } ?? "" }

func errorText(_ error: cdcmtk_net_error) -> String {
    withUnsafeBytes(of: error.text) { raw in
        let bytes = raw.bindMemory(to: UInt8.self)
        let end = bytes.firstIndex(of: 0) ?? bytes.count
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
}

/// Lends a C array of C strings for the duration of `body`.
func withCStrings<R>(_ strings: [String], _ body: (UnsafeBufferPointer<UnsafePointer<CChar>?>) -> R) -> R {
    let duplicates = strings.map { strdup($0) }
    defer { duplicates.forEach { free($0) } }
    let pointers = duplicates.map { UnsafePointer<CChar>($0) }
    return pointers.withUnsafeBufferPointer(body)
}
