import Crypto
import Foundation
public import DICOM
public import Ciphers
public import QKD

/// Encrypts a DICOM object in place (gateway side) and restores it exactly (decryptor side).
public struct ObjectProtector: Sendable {
    /// Where the one-time pad comes from, as recorded in the block.
    public enum KeySourceKind: String, Sendable {
        case qkd
        case local
    }

    public let keySource: any KeySource
    public let keySourceKind: KeySourceKind
    /// The node secret behind deterministic new SOP Instance UIDs.
    public let uidSecret: [UInt8]

    public init(keySource: any KeySource, keySourceKind: KeySourceKind, uidSecret: [UInt8]) {
        self.keySource = keySource
        self.keySourceKind = keySourceKind
        self.uidSecret = uidSecret
    }

    /// What `protect` did.
    public struct ProtectOutcome: Sendable, Equatable {
        public var profile: String
        public var newSOPInstanceUID: String
        public var keyID: String
        /// True when the route's profile could not take the image and the fallback cipher was used.
        public var usedFallback: Bool
    }

    /// What `restore` did.
    public struct RestoreOutcome: Sendable, Equatable {
        public var profile: String
        public var keyID: String
        public var restoredSOPInstanceUID: String
        /// The transfer syntax the object arrived at the gateway in (re-encode to it when lossless and wanted).
        public var originalTransferSyntaxUID: String
    }

    /// Element offsets inside the private block (docs/format.md).
    enum Element: UInt8 {
        case profile = 0x10, cipherFormatVersion = 0x11, blockVersion = 0x12, keySource = 0x13, keyID = 0x14
        case keyOrigin = 0x15, wrappedBundle = 0x16, parameters = 0x17, originalAttributes = 0x18
        case plainPixelSHA256 = 0x19, mac = 0x1A
    }

    // MARK: - Protect

    /// Decodes, encrypts the pixel data, wraps the keys with a fresh pad, gives the object its new SOP Instance
    /// UID and writes the private block. The object is changed only if everything succeeded up to the key
    /// fetch; on a later failure the caller must discard it (it never forwards a half-built object).
    public func protect(
        _ object: DicomObject, with cipher: any PixelCipher, fallback: (any PixelCipher)? = nil
    ) async throws(ProtectionError) -> ProtectOutcome {
        guard object.hasPixelData else { throw .notAnImage("no Pixel Data element") }
        guard let originalUID = object.string(.sopInstanceUID), !originalUID.isEmpty else {
            throw .unsupported("the object has no SOP Instance UID")
        }
        let arrivedSyntax = object.transferSyntax
        let plain: PixelBuffer
        let plainHash: [UInt8]
        do {
            try object.decodeToNative()
            plain = try object.pixelBuffer()
            plainHash = try object.withNativePixelBytes { raw in Array(SHA256.hash(data: raw)) }
        } catch {
            throw .dicom(error.description)
        }
        if object.findPrivateBlock(creator: ProtectionBlock.creator) != nil {
            throw .unsupported("the object already carries a qkdgate private block (encrypted twice?)")
        }

        var chosen = cipher
        var usedFallback = false
        do {
            try cipher.checkSupported(plain.descriptor)
        } catch {
            guard let fallback else { throw .unsupported(error.description) }
            do { try fallback.checkSupported(plain.descriptor) } catch { throw .unsupported(error.description) }
            chosen = fallback
            usedFallback = true
        }

        // The pad first: when the KME has none to give (its link distils keys slowly, or it is down), the object
        // goes back to the queue before the cipher has spent anything on it. A pad taken for an object that then
        // fails is never used by anything else.
        let pad: QKDKey
        do {
            pad = try await keySource.newKey(bytes: KeyBundle.size)
        } catch {
            throw .keySource(error.description, retryable: error.isRetryable)
        }
        let key: CipherKey
        let sealed: PixelBuffer
        do {
            key = try chosen.generateKey()
            sealed = try chosen.encrypt(plain, key: key)
        } catch {
            throw .cipher(error.description)
        }
        var rng = SystemRandomNumberGenerator()
        let macKey = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        let bundle = try KeyBundle(cipherSecret: key.secret, macKey: macKey, originalSOPInstanceUID: originalUID).encoded()

        let wrapped: [UInt8]
        do { wrapped = try KeyWrap.wrap(bundle, with: pad) } catch { throw .keySource("\(error)", retryable: false) }

        var original: [String: String] = ["TransferSyntaxUID": arrivedSyntax.uid]
        if let record = object.decodeRecord {
            original["TransferSyntaxUID"] = record.originalTransferSyntaxUID
            if let p = record.originalPhotometricInterpretation { original["PhotometricInterpretation"] = p }
        }
        var origin = ["kme=\(pad.kmeID ?? "unknown")"]
        if let m = pad.masterSAEID { origin.append("master=\(m)") }
        if let s = pad.slaveSAEID { origin.append("slave=\(s)") }

        var block = ProtectionBlock(
            profile: chosen.profile, cipherFormatVersion: chosen.formatVersion, keySource: keySourceKind.rawValue,
            keyID: pad.id, keyOrigin: origin.joined(separator: ";"), wrappedBundle: wrapped,
            parameters: key.parameters, originalAttributes: original, plainPixelSHA256: plainHash)

        let newUID = InstanceUID.derive(from: originalUID, secret: uidSecret)
        do {
            try object.setPixelBuffer(sealed)
            try object.setString(newUID, for: .sopInstanceUID)
            let unsigned = block
            block.mac = try object.withNativePixelBytes { raw in unsigned.computeMAC(macKey: macKey, cipherPixelData: raw) }
            try write(block, to: object)
        } catch {
            throw .dicom(error.description)
        }
        return ProtectOutcome(profile: chosen.profile, newSOPInstanceUID: newUID, keyID: pad.id, usedFallback: usedFallback)
    }

    // MARK: - Restore

    /// Reads the block, fetches the pad by key_ID, verifies the MAC, decrypts, checks the SHA-256 of the
    /// result, restores the original SOP Instance UID and removes the block. Nothing is changed in the object
    /// unless the result verified (or `ignoreIntegrity` is set, for the robustness analysis only).
    public func restore(
        _ object: DicomObject, ignoreIntegrity: Bool = false
    ) async throws(ProtectionError) -> RestoreOutcome {
        let (block, privateBlock) = try Self.read(from: object)
        let padKey: QKDKey
        do {
            padKey = try await keySource.key(id: block.keyID)
        } catch {
            throw .keySource(error.description, retryable: error.isRetryable)
        }
        let bundleBytes: [UInt8]
        do { bundleBytes = try KeyWrap.unwrap(block.wrappedBundle, with: padKey) } catch {
            throw .integrity("the QKD key for key_ID \(block.keyID) is shorter than the wrapped bundle")
        }
        let bundle = try KeyBundle(decoding: bundleBytes)

        let cipherBuffer: PixelBuffer
        let macMatches: Bool
        do {
            cipherBuffer = try object.pixelBuffer()
            macMatches = try object.withNativePixelBytes { raw in block.verifyMAC(macKey: bundle.macKey, cipherPixelData: raw) }
        } catch {
            throw .dicom(error.description)
        }
        if !ignoreIntegrity && !macMatches {
            throw .integrity("the MAC over the pixel data and the private block does not match (the object was altered, or the key is wrong)")
        }
        let cipher = try CipherCatalog.decryptionCipher(profile: block.profile, formatVersion: block.cipherFormatVersion)
        let plain: PixelBuffer
        do {
            plain = try cipher.decrypt(cipherBuffer, key: CipherKey(secret: bundle.cipherSecret, parameters: block.parameters))
        } catch {
            throw .cipher(error.description)
        }
        let plainBytes: [UInt8]
        do { plainBytes = try plain.nativeBytes() } catch { throw .integrity(error.description) }
        var padded = plainBytes
        if padded.count % 2 == 1 { padded.append(0) }
        if !ignoreIntegrity && Array(SHA256.hash(data: padded)) != block.plainPixelSHA256 {
            throw .integrity("the decrypted pixel data does not match the SHA-256 of the original")
        }
        do {
            try object.setPixelBuffer(plain)
            try object.setString(bundle.originalSOPInstanceUID, for: .sopInstanceUID)
            try object.removePrivateBlock(privateBlock)
        } catch {
            throw .dicom(error.description)
        }
        return RestoreOutcome(
            profile: block.profile, keyID: block.keyID, restoredSOPInstanceUID: bundle.originalSOPInstanceUID,
            originalTransferSyntaxUID: block.originalAttributes["TransferSyntaxUID"] ?? TransferSyntax.explicitVRLittleEndian.uid)
    }

    /// True when the object carries a qkdgate block.
    public static func isProtected(_ object: DicomObject) -> Bool {
        object.findPrivateBlock(creator: ProtectionBlock.creator) != nil
    }

    // MARK: - Block I/O

    func write(_ block: ProtectionBlock, to object: DicomObject) throws(DicomError) {
        let pb = try object.reservePrivateBlock(creator: ProtectionBlock.creator)
        func text(_ value: String, _ vr: VR, _ element: Element) throws(DicomError) {
            var bytes = Array(value.utf8)
            if bytes.count % 2 == 1 { bytes.append(0x20) }
            try object.setPrivateElement(bytes, vr: vr, offset: element.rawValue, in: pb)
        }
        try text(block.profile, .lo, .profile)
        try text(String(block.cipherFormatVersion), .is, .cipherFormatVersion)
        try text(String(ProtectionBlock.blockVersion), .is, .blockVersion)
        try text(block.keySource, .lo, .keySource)
        try text(block.keyID, .lo, .keyID)
        try text(block.keyOrigin, .lo, .keyOrigin)
        try object.setPrivateElement(block.wrappedBundle, vr: .ob, offset: Element.wrappedBundle.rawValue, in: pb)
        try text(ProtectionBlock.canonical(block.parameters), .ut, .parameters)
        try text(ProtectionBlock.canonical(block.originalAttributes), .ut, .originalAttributes)
        try object.setPrivateElement(block.plainPixelSHA256, vr: .ob, offset: Element.plainPixelSHA256.rawValue, in: pb)
        try object.setPrivateElement(block.mac, vr: .ob, offset: Element.mac.rawValue, in: pb)
    }

    /// Reads the block whatever VR the elements came back with (UN after an Implicit VR PACS).
    public static func read(from object: DicomObject) throws(ProtectionError) -> (ProtectionBlock, PrivateBlock) {
        guard let pb = object.findPrivateBlock(creator: ProtectionBlock.creator) else { throw .noBlock }
        func bytes(_ element: Element) throws(ProtectionError) -> [UInt8] {
            guard let value = object.privateElement(offset: element.rawValue, in: pb) else {
                throw .malformedBlock("element \(pb.tag(offset: element.rawValue)) is missing")
            }
            return value
        }
        func text(_ element: Element) throws(ProtectionError) -> String {
            var value = try bytes(element)
            while let last = value.last, last == 0x20 || last == 0 { value.removeLast() }
            guard let string = String(bytes: value, encoding: .utf8) else {
                throw .malformedBlock("element \(pb.tag(offset: element.rawValue)) is not text")
            }
            return string
        }
        guard let blockVersion = Int(try text(.blockVersion)), blockVersion == ProtectionBlock.blockVersion else {
            throw .malformedBlock("unknown block version (this qkdgate reads version \(ProtectionBlock.blockVersion)); upgrade the decryptor")
        }
        guard let formatVersion = Int(try text(.cipherFormatVersion)) else { throw .malformedBlock("cipher format version is not a number") }
        let block = ProtectionBlock(
            profile: try text(.profile), cipherFormatVersion: formatVersion, keySource: try text(.keySource),
            keyID: try text(.keyID), keyOrigin: try text(.keyOrigin), wrappedBundle: try bytes(.wrappedBundle),
            parameters: try ProtectionBlock.parseCanonical(try text(.parameters)),
            originalAttributes: try ProtectionBlock.parseCanonical(try text(.originalAttributes)),
            plainPixelSHA256: try bytes(.plainPixelSHA256), mac: try bytes(.mac))
        guard block.wrappedBundle.count == KeyBundle.size, block.plainPixelSHA256.count == 32, block.mac.count == 32 else {
            throw .integrity("private block fields have the wrong length (the object was altered)")
        }
        return (block, pb)
    }
}
