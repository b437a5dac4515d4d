public import Ciphers

/// A route's or a command line's choice of pixel cipher.
public struct ProfileSettings: Sendable, Hashable {
    /// "qkd-hybrid", "dcgan-vpd" or "aes-ctr".
    public var profile: String
    /// qkd-hybrid: "msb:4" (the paper) or "all".
    public var planes: String?
    /// dcgan-vpd: VPD rule 1 … 40,320 (default 37241).
    public var rule: Int?

    public init(profile: String, planes: String? = nil, rule: Int? = nil) {
        self.profile = profile
        self.planes = planes
        self.rule = rule
    }
}

/// Maps profile names to cipher instances: the one place that knows every profile.
public enum CipherCatalog {
    public static let profiles = ["qkd-hybrid", "dcgan-vpd", "aes-ctr"]

    /// A cipher that can draw keys and encrypt under `settings`.
    public static func encryptionCipher(_ settings: ProfileSettings) throws(ProtectionError) -> any PixelCipher {
        switch settings.profile {
        case QKDHybridCipher.profileName:
            var planes = QKDHybridCipher.Planes.msb(4)
            if let text = settings.planes {
                guard let parsed = QKDHybridCipher.Planes(parameter: text) else {
                    throw .unsupported("plane setting '\(text)' (use msb:4 or all)")
                }
                planes = parsed
            }
            return QKDHybridCipher(planes: planes)
        case AESCTRCipher.profileName:
            return AESCTRCipher()
        case DCGANVPDCipher.profileName:
            return try DecoyGenerator.dcganCipher(rule: settings.rule)
        default:
            throw .unsupported(CipherError.unknownProfile(settings.profile).description)
        }
    }

    /// A cipher that decrypts what `profile` at `formatVersion` produced (its parameters come with the key).
    public static func decryptionCipher(profile: String, formatVersion: Int) throws(ProtectionError) -> any PixelCipher {
        let cipher: any PixelCipher
        switch profile {
        case QKDHybridCipher.profileName:
            // Objects written by older builds keep their format version; every supported one still decrypts.
            cipher = QKDHybridCipher.supportedFormatVersions.contains(formatVersion)
                ? QKDHybridCipher(formatVersion: formatVersion) : QKDHybridCipher()
        case AESCTRCipher.profileName: cipher = AESCTRCipher()
        case DCGANVPDCipher.profileName: cipher = DCGANVPDCipher(decoySource: NoDecoys())
        default: throw .unsupported(CipherError.unknownProfile(profile).description)
        }
        guard cipher.formatVersion == formatVersion else {
            throw .unsupported("\(profile) format version \(formatVersion) (this qkdgate reads version \(cipher.formatVersion)); upgrade the decryptor")
        }
        return cipher
    }
}

/// Decryption never draws keys, so it needs no generator.
struct NoDecoys: DecoySource {
    func makeDecoy() throws(CipherError) -> DecoyImage {
        throw .invalidKey(profile: DCGANVPDCipher.profileName, reason: "a decrypting node does not generate keys")
    }
}
