import Foundation

/// The secret bundle of one protected object, before and after the one-time pad.
///
/// Layout (fixed 256 bytes, so the wrapped length says nothing about the key or UID lengths):
///
/// | offset | size | field                                           |
/// |--------|------|-------------------------------------------------|
/// | 0      | 1    | bundle version (1)                              |
/// | 1      | 1    | cipher secret length L (1…128)                  |
/// | 2      | L    | cipher secret                                   |
/// | 2+L    | 32   | MAC key (HMAC-SHA-256)                          |
/// | 34+L   | 1    | original SOP Instance UID length U (1…64)       |
/// | 35+L   | U    | original SOP Instance UID (ASCII)               |
/// | …      | …    | zero padding to 256 bytes                       |
public struct KeyBundle: Sendable, Equatable {
    public static let size = 256
    public static let version: UInt8 = 1

    /// The profile's cipher key (`CipherKey.secret`).
    public var cipherSecret: [UInt8]
    /// Key of the HMAC over the ciphertext pixel data and the private block.
    public var macKey: [UInt8]
    /// The SOP Instance UID the modality gave the object; restored by the decryptor.
    public var originalSOPInstanceUID: String

    public init(cipherSecret: [UInt8], macKey: [UInt8], originalSOPInstanceUID: String) {
        self.cipherSecret = cipherSecret
        self.macKey = macKey
        self.originalSOPInstanceUID = originalSOPInstanceUID
    }

    /// The fixed-size plaintext that gets XORed with the QKD key.
    public func encoded() throws(ProtectionError) -> [UInt8] {
        let uid = Array(originalSOPInstanceUID.utf8)
        guard (1...128).contains(cipherSecret.count) else { throw .bundle("cipher secret of \(cipherSecret.count) bytes") }
        guard macKey.count == 32 else { throw .bundle("MAC key of \(macKey.count) bytes") }
        guard (1...64).contains(uid.count) else { throw .bundle("SOP Instance UID of \(uid.count) characters") }
        var out: [UInt8] = [Self.version, UInt8(cipherSecret.count)]
        out += cipherSecret
        out += macKey
        out.append(UInt8(uid.count))
        out += uid
        out += [UInt8](repeating: 0, count: Self.size - out.count)
        return out
    }

    /// Parses an unwrapped bundle. A wrong pad yields garbage here, so every field is range-checked; the MAC
    /// check that follows is what finally tells a wrong key from a right one.
    public init(decoding bytes: [UInt8]) throws(ProtectionError) {
        guard bytes.count == Self.size, bytes[0] == Self.version else {
            throw .integrity("the unwrapped key bundle is malformed (wrong QKD key, or the wrapped bundle was altered)")
        }
        let l = Int(bytes[1])
        guard (1...128).contains(l), 2 + l + 32 + 1 <= bytes.count else {
            throw .integrity("the unwrapped key bundle is malformed (wrong QKD key, or the wrapped bundle was altered)")
        }
        let u = Int(bytes[34 + l])
        guard (1...64).contains(u), 35 + l + u <= bytes.count,
              bytes[(35 + l + u)...].allSatisfy({ $0 == 0 }),
              let uid = String(bytes: bytes[(35 + l)..<(35 + l + u)], encoding: .ascii)
        else {
            throw .integrity("the unwrapped key bundle is malformed (wrong QKD key, or the wrapped bundle was altered)")
        }
        cipherSecret = Array(bytes[2..<(2 + l)])
        macKey = Array(bytes[(2 + l)..<(34 + l)])
        originalSOPInstanceUID = uid
    }
}
