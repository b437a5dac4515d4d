import Foundation

/// Why the demo could not run (a server did not start, a sample folder is missing). Per-object problems are
/// rows in the report, not errors.
public enum DemoError: Error, Sendable, CustomStringConvertible {
    case start(String, String)
    case samples(String)
    case pacs(String)

    public var description: String {
        switch self {
        case let .start(name, what): "\(name): \(what)"
        case let .samples(what): "samples: \(what)"
        case let .pacs(what): "remote PACS: \(what)"
        }
    }
}

/// One sample's way through the chain.
public struct DemoRow: Sendable, Codable, Equatable {
    public enum Outcome: String, Sendable, Codable {
        /// Image restored bit for bit (decoded pixel data identical, original SOP Instance UID back).
        case restored
        /// Object without pixel data, forwarded unchanged.
        case forwarded
        /// The gateway refused it with a failure status (and quarantined it): malformed or unsupported input.
        case refused
        /// Another sample has the same SOP Instance UID, and the PACS kept that one (one instance per UID).
        case superseded
        /// The stand-in PACS refused to store it (Orthanc needs patient, study and series identity).
        case notStorable
        /// Not a readable DICOM file (e.g. a truncated one): no modality could send it, so it was not sent.
        case unreadable
        /// Anything else: not encrypted where it should be, lost, or restored with different pixels.
        case failed
    }

    public var object: String
    public var modality: String
    public var profile: String
    /// True when the copy in the remote PACS carried the qkdgate private block (nil: no pixel data or refused).
    public var encrypted: Bool?
    /// True when the viewer received the original pixels bit for bit (nil when not applicable).
    public var restoredBitExact: Bool?
    /// Seconds from the start of the send until the restored copy reached the viewer.
    public var seconds: Double?
    public var outcome: Outcome
    public var detail: String
}

public struct DemoReport: Sendable, Codable {
    public var pacs: String
    public var viewer: String
    public var rows: [DemoRow]
    public var totalSeconds: Double

    /// True when no object failed (refused malformed input is reported, and is not a failure of the chain).
    public var passed: Bool { !rows.isEmpty && rows.allSatisfy { $0.outcome != .failed } }

    public var table: String {
        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
        }
        func mark(_ value: Bool?) -> String { value.map { $0 ? "✔" : "✘" } ?? "–" }
        let width = max(6, rows.map(\.object.count).max() ?? 6) + 2
        var lines = [pad("object", width) + pad("modality", 10) + pad("profile", 14) + pad("encrypted", 11)
                     + pad("restored bit-exact", 20) + pad("time", 9) + "note"]
        for row in rows {
            let time = row.seconds.map { String(format: "%.2fs", $0) } ?? "–"
            lines.append(pad(row.object, width) + pad(row.modality, 10) + pad(row.profile, 14) + pad(mark(row.encrypted), 11)
                         + pad(mark(row.restoredBitExact), 20) + pad(time, 9) + row.detail)
        }
        let count = { (outcome: DemoRow.Outcome) in rows.filter { $0.outcome == outcome }.count }
        lines.append("")
        lines.append("remote PACS: \(pacs); viewer: \(viewer)")
        lines.append("\(rows.count) objects: \(count(.restored)) restored bit-exact, \(count(.forwarded)) without pixel data forwarded, "
                     + "\(count(.refused)) refused by the gateway, \(count(.superseded)) superseded by a same-UID object, "
                     + "\(count(.notStorable)) not storable in the PACS, \(count(.unreadable)) unreadable, \(count(.failed)) failed; \(String(format: "%.1f", totalSeconds)) s")
        lines.append(passed ? "DEMO PASSED" : "DEMO FAILED")
        return lines.joined(separator: "\n")
    }
}
