public import Foundation
public import DICOM
public import Ciphers

/// `qkdgate encrypt` / `qkdgate decrypt` on files and folders: the logic behind the commands, callable by tests.
public enum FileProtection {
    /// One input file's result. `detail` names the cause of a failure; it never holds PHI or key bytes.
    public struct Result: Sendable, Equatable {
        public enum Status: String, Sendable { case encrypted, restored, copied, skipped, failed }
        public var input: String
        public var output: String?
        public var status: Status
        public var profile: String?
        public var detail: String
    }

    /// What to do with an object that has no Pixel Data (SR, RTSTRUCT, waveforms).
    public enum NonImageRule: String, Sendable, CaseIterable { case copy, skip }

    /// Transfer syntax the decryptor writes.
    public enum OutputSyntax: String, Sendable, CaseIterable {
        /// The syntax the object arrived in at the gateway when that can be written losslessly, else Explicit VR LE.
        case original
        /// Always Explicit VR Little Endian.
        case explicit
    }

    /// Lists the files under `input` (itself when it is a file), sorted, with their paths relative to it.
    public static func files(under input: URL) throws(ProtectionError) -> [(url: URL, relative: String)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: input.path, isDirectory: &isDirectory) else {
            throw .unsupported("\(input.path) does not exist")
        }
        guard isDirectory.boolValue else { return [(input, input.lastPathComponent)] }
        guard let walker = FileManager.default.enumerator(at: input, includingPropertiesForKeys: [.isRegularFileKey]) else {
            throw .unsupported("cannot list \(input.path)")
        }
        var out: [(URL, String)] = []
        let base = input.standardizedFileURL.path
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let path = url.standardizedFileURL.path
            let relative = path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : url.lastPathComponent
            if relative.hasPrefix(".") { continue }
            out.append((url, relative))
        }
        return out.sorted { $0.1 < $1.1 }
    }

    /// True when the file starts with a DICOM preamble ("DICM" at offset 128). Files without one may still be
    /// bare datasets (DCMTK reads those), so this only decides how a file that failed to parse is reported.
    static func hasDICOMMagic(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 132), head.count == 132 else { return false }
        return Array(head[128..<132]) == Array("DICM".utf8)
    }

    /// Where the result for `relative` goes: `output` itself for a single file, else the same relative path.
    static func destination(for relative: String, output: URL, single: Bool) throws(ProtectionError) -> URL {
        let url = single ? output : output.appendingPathComponent(relative)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw .unsupported("cannot create \(url.deletingLastPathComponent().path): \(error.localizedDescription)")
        }
        return url
    }

    static func isSingleFile(_ input: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: input.path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// Encrypts every DICOM file under `input` into `output`.
    public static func encrypt(
        input: URL, output: URL, protector: ObjectProtector, cipher: any PixelCipher,
        fallback: (any PixelCipher)?, nonImage: NonImageRule = .copy,
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws(ProtectionError) -> [Result] {
        let list = try files(under: input)
        let single = isSingleFile(input)
        var results: [Result] = []
        for (index, item) in list.enumerated() {
            progress?(index, list.count)
            results.append(await encryptOne(item.url, relative: item.relative, output: output, single: single,
                                            protector: protector, cipher: cipher, fallback: fallback, nonImage: nonImage))
        }
        progress?(list.count, list.count)
        return results
    }

    static func encryptOne(
        _ url: URL, relative: String, output: URL, single: Bool, protector: ObjectProtector,
        cipher: any PixelCipher, fallback: (any PixelCipher)?, nonImage: NonImageRule
    ) async -> Result {
        do {
            let object = try DicomObject(contentsOf: url)
            guard object.hasPixelData else {
                guard nonImage == .copy else {
                    return Result(input: relative, output: nil, status: .copied, profile: nil, detail: "skipped: no pixel data")
                }
                let destination = try destination(for: relative, output: output, single: single)
                try object.write(to: destination, transferSyntax: object.transferSyntax.isKnown ? object.transferSyntax : .explicitVRLittleEndian)
                return Result(input: relative, output: destination.path, status: .copied, profile: nil, detail: "no pixel data: copied unchanged")
            }
            let outcome = try await protector.protect(object, with: cipher, fallback: fallback)
            let destination = try destination(for: relative, output: output, single: single)
            try object.write(to: destination, transferSyntax: .explicitVRLittleEndian, fsync: true)
            return Result(input: relative, output: destination.path, status: .encrypted, profile: outcome.profile,
                          detail: outcome.usedFallback ? "fallback profile" : "")
        } catch {
            return failure(error, relative: relative, url: url)
        }
    }

    /// Restores every encrypted DICOM file under `input` into `output`; objects without a block are copied.
    public static func decrypt(
        input: URL, output: URL, protector: ObjectProtector, ignoreIntegrity: Bool = false,
        syntax: OutputSyntax = .original, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws(ProtectionError) -> [Result] {
        let list = try files(under: input)
        let single = isSingleFile(input)
        var results: [Result] = []
        for (index, item) in list.enumerated() {
            progress?(index, list.count)
            results.append(await decryptOne(item.url, relative: item.relative, output: output, single: single,
                                            protector: protector, ignoreIntegrity: ignoreIntegrity, syntax: syntax))
        }
        progress?(list.count, list.count)
        return results
    }

    static func decryptOne(
        _ url: URL, relative: String, output: URL, single: Bool, protector: ObjectProtector,
        ignoreIntegrity: Bool, syntax: OutputSyntax
    ) async -> Result {
        do {
            let object = try DicomObject(contentsOf: url)
            guard ObjectProtector.isProtected(object) else {
                let destination = try destination(for: relative, output: output, single: single)
                try object.write(to: destination, transferSyntax: object.transferSyntax.isKnown ? object.transferSyntax : .explicitVRLittleEndian)
                return Result(input: relative, output: destination.path, status: .copied, profile: nil, detail: "not encrypted: copied unchanged")
            }
            let outcome = try await protector.restore(object, ignoreIntegrity: ignoreIntegrity)
            let destination = try destination(for: relative, output: output, single: single)
            let target = syntax == .original ? writableSyntax(outcome.originalTransferSyntaxUID) : .explicitVRLittleEndian
            try object.write(to: destination, transferSyntax: target, fsync: true)
            return Result(input: relative, output: destination.path, status: .restored, profile: outcome.profile, detail: "")
        } catch {
            return failure(error, relative: relative, url: url)
        }
    }

    /// How a file that could not be processed is reported: skipped when it is no DICOM file at all (a README
    /// in the folder), failed with the typed error's message otherwise.
    static func failure(_ error: any Error, relative: String, url: URL) -> Result {
        let detail: String
        switch error {
        case let error as ProtectionError:
            detail = error.description
        case let error as DicomError:
            if case .readFailed = error, !hasDICOMMagic(url) {
                return Result(input: relative, output: nil, status: .skipped, profile: nil, detail: "not a DICOM file")
            }
            detail = error.description
        default:
            detail = "\(error)"
        }
        return Result(input: relative, output: nil, status: .failed, profile: nil, detail: detail)
    }

    /// The original syntax when it can be written without loss here, else Explicit VR Little Endian.
    public static func writableSyntax(_ uid: String) -> TransferSyntax {
        let losslessWritable: Set<TransferSyntax> = [
            .implicitVRLittleEndian, .explicitVRLittleEndian, .explicitVRBigEndian, .deflatedExplicitVRLittleEndian,
            .jpegLosslessSV1, .jpegLSLossless, .rleLossless,
        ]
        let syntax = TransferSyntax(uid: uid)
        return losslessWritable.contains(syntax) ? syntax : .explicitVRLittleEndian
    }
}
