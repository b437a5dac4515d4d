public import Foundation
internal import CDCMTK

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Delivers objects to a folder destination: `<root>/<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm`,
/// the layout viewers and import tools expect. The bytes go to a temporary name first, are fsynced, renamed into
/// place and the directory is fsynced, so a file under its final name is always complete; writing the same
/// object twice (a retry after a crash) overwrites it with identical bytes.
///
/// UIDs become path components only after checking they are UIDs (digits and dots), so nothing in a dataset can
/// steer a write outside the folder.
public struct FolderWriter: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root }

    /// Writes `file` (a DICOM file in the outbox) into the folder; returns the path relative to the root.
    public func deliver(file: URL, sopInstanceUID: String) throws(SendFailure) -> String {
        let (study, series, instance) = try uids(of: file, fallbackInstanceUID: sopInstanceUID)
        let relative = "\(study)/\(series)/\(instance).dcm"
        let directory = root.appendingPathComponent(study, isDirectory: true).appendingPathComponent(series, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .transient("cannot create \(directory.path) (\(error.localizedDescription)); check the folder's owner and free space")
        }
        let target = directory.appendingPathComponent("\(instance).dcm")
        let temporary = directory.appendingPathComponent(".\(instance).dcm.partial")
        unlink(temporary.path)
        do {
            try FileManager.default.copyItem(at: file, to: temporary)
        } catch {
            unlink(temporary.path)
            throw .transient("cannot write into \(directory.path) (\(error.localizedDescription)); check free space")
        }
        guard Durable.sync(file: temporary.path), Durable.move(temporary.path, to: target.path),
              Durable.sync(directory: directory.path)
        else {
            unlink(temporary.path)
            throw .transient("cannot fsync or rename the file in \(directory.path)")
        }
        return relative
    }

    /// Study, series and instance UIDs of the file, each checked to be a UID.
    func uids(of file: URL, fallbackInstanceUID: String) throws(SendFailure) -> (String, String, String) {
        var error = cdcmtk_error()
        guard let object = cdcmtk_object_load_file(file.path, &error) else {
            throw .permanent("the outbox file cannot be read as DICOM")
        }
        defer { cdcmtk_object_free(object) }
        func value(_ group: UInt16, _ element: UInt16) -> String? {
            var text: UnsafeMutablePointer<CChar>?
            guard cdcmtk_get_string(object, group, element, &text) == 0, let text else { return nil }
            defer { cdcmtk_free(text) }
            return String(cString: text).trimmingCharacters(in: .whitespaces)
        }
        let study = value(0x0020, 0x000D) ?? ""
        let series = value(0x0020, 0x000E) ?? ""
        let instance = value(0x0008, 0x0018) ?? fallbackInstanceUID
        for uid in [study, series, instance] where !Self.isUID(uid) {
            throw .permanent("the object's study, series or SOP instance UID is missing or not a valid UID, so it has no place in the folder layout")
        }
        return (study, series, instance)
    }

    static func isUID(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 64 && text.first != "." && text.last != "." && !text.contains("..")
            && text.allSatisfy { $0 == "." || ("0"..."9").contains($0) }
    }
}
