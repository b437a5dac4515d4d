/// Ciphers — pixel ciphers behind one protocol (`qkd-hybrid`, `dcgan-vpd`, `aes-ctr`).
///
/// A cipher turns a `PixelBuffer` into another `PixelBuffer` of the same geometry and value range, exactly
/// invertibly. It knows nothing of DICOM files, DCMTK, networking or where its key came from; the caller draws
/// the key with `generateKey()`, protects `CipherKey.secret` (OTP-wrapped with a QKD key, or a local key file),
/// and stores `CipherKey.parameters` in clear beside the ciphertext.
///
/// ```swift
/// let cipher = AESCTRCipher()
/// let key = try cipher.generateKey()
/// let sealed = try cipher.encrypt(buffer, key: key)
/// let opened = try cipher.decrypt(sealed, key: key)   // == buffer, bit for bit
/// ```
public import Pixels

/// Key material for one object: the secret part is wrapped before it leaves the process, the parameters
/// travel in clear (nonce, timestamp, plane setting, rule …).
public struct CipherKey: Sendable, Equatable {
    /// Secret bytes (32 for a 256-bit key, 64 for dcgan-vpd's SHA-512). Never logged.
    public var secret: [UInt8]
    /// Public parameters, as short ASCII strings, that decryption needs besides the secret.
    public var parameters: [String: String]

    public init(secret: [UInt8], parameters: [String: String] = [:]) {
        self.secret = secret
        self.parameters = parameters
    }
}

/// One pixel cipher profile.
public protocol PixelCipher: Sendable {
    /// Profile name as written in configuration and the private block, e.g. "qkd-hybrid".
    var profile: String { get }
    /// Version of the ciphertext format; bumped whenever any stream, stage or choice changes.
    var formatVersion: Int { get }
    /// Throws `CipherError.unsupportedPixelFormat` naming the reason when this profile cannot take the layout.
    func checkSupported(_ descriptor: PixelDescriptor) throws(CipherError)
    /// Draws fresh key material from the system CSPRNG (and whatever else the profile derives its key from).
    func generateKey() throws(CipherError) -> CipherKey
    /// Encrypts the stored values; geometry, residue bits and trailing bytes are kept.
    func encrypt(_ plain: PixelBuffer, key: CipherKey) throws(CipherError) -> PixelBuffer
    /// Exact inverse of `encrypt` under the same key.
    func decrypt(_ cipher: PixelBuffer, key: CipherKey) throws(CipherError) -> PixelBuffer
}

/// Why a cipher could not run. Messages never contain key bytes or pixel values.
public enum CipherError: Error, Sendable, Equatable, CustomStringConvertible {
    case unsupportedPixelFormat(profile: String, reason: String)
    case invalidKey(profile: String, reason: String)
    case missingParameter(profile: String, name: String)
    case invalidParameter(profile: String, name: String, value: String)
    case unknownProfile(String)
    case randomSourceFailed

    public var description: String {
        switch self {
        case .unsupportedPixelFormat(let p, let reason):
            "\(p) cannot encrypt this image: \(reason); route it to a fallback profile (aes-ctr) or reject it"
        case .invalidKey(let p, let reason):
            "\(p) key is invalid: \(reason)"
        case .missingParameter(let p, let name):
            "\(p) needs the public parameter '\(name)', which the object does not carry"
        case .invalidParameter(let p, let name, let value):
            "\(p) public parameter '\(name)' has an invalid value '\(value)'"
        case .unknownProfile(let name):
            "unknown cipher profile '\(name)' (known: qkd-hybrid, dcgan-vpd, aes-ctr)"
        case .randomSourceFailed:
            "the system random number generator failed; the node cannot draw keys"
        }
    }
}
