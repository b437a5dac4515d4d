public import ArgumentParser
import Foundation
import Ciphers
import DICOM
import Protection
import QKD

/// Where the pad comes from on the command line: a local key file, or a KME over ETSI GS QKD 014 with mTLS.
struct KeySourceOptions: ParsableArguments {
    @Option(name: .customLong("key-file"), help: "Local key file made by `qkdgate keygen` (offline use).")
    var keyFile: String?

    @Option(name: .customLong("kme"), help: "KME base URL, e.g. https://127.0.0.1:8443.")
    var kmeURL: String?

    @Option(name: .customLong("cert"), help: "This SAE's client certificate (PEM).")
    var certificate: String?

    @Option(name: .customLong("key"), help: "This SAE's private key (PEM).")
    var privateKey: String?

    @Option(name: .customLong("ca"), help: "CA certificate that signed the KME's certificate (PEM).")
    var ca: String?

    @Option(name: .customLong("peer-sae"), help: "The other SAE's ID (encrypt: the slave, default 'decryptor'; decrypt: the master, default 'gateway').")
    var peerSAE: String?

    @Option(name: .customLong("kme-wait"), help: "Seconds to wait for key when the KME has none yet (HTTP 503) or is unreachable.")
    var kmeWait: Double = 120

    @Option(name: .customLong("uid-secret"), help: "Node secret for deterministic new SOP Instance UIDs with --kme (created on first use).")
    var uidSecretPath: String = FileManager.default.homeDirectoryForCurrentUser
        .appendingPathComponent(".config/qkdgate/uid-secret").path

    func validate() throws {
        if keyFile == nil && kmeURL == nil {
            throw ValidationError("give --key-file FILE or --kme URL --cert FILE --key FILE --ca FILE")
        }
        if keyFile != nil && kmeURL != nil { throw ValidationError("give either --key-file or --kme, not both") }
        if kmeURL != nil && (certificate == nil || privateKey == nil || ca == nil) {
            throw ValidationError("--kme needs --cert, --key and --ca")
        }
    }

    /// The protector for this command line; `defaultPeer` is the other SAE's ID when none was given.
    func protector(defaultPeer: String) throws -> ObjectProtector {
        if let keyFile {
            let source = try LocalKeyFile(contentsOf: URL(fileURLWithPath: keyFile))
            return ObjectProtector(keySource: source, keySourceKind: .local, uidSecret: source.uidSecret)
        }
        guard let kmeURL, let certificate, let privateKey, let ca else {
            throw ValidationError("--kme needs --cert, --key and --ca")
        }
        let client = try KMEClient(configuration: KMEClientConfiguration(
            baseURL: kmeURL, peerSAEID: peerSAE ?? defaultPeer, certificatePath: certificate,
            privateKeyPath: privateKey, caCertificatePath: ca))
        let secret = try InstanceUID.loadOrCreateSecret(at: URL(fileURLWithPath: uidSecretPath))
        return ObjectProtector(keySource: WaitingKeySource(client, maxWait: kmeWait), keySourceKind: .qkd, uidSecret: secret)
    }
}

/// Prints a one-line progress bar on stderr when stderr is a terminal.
func progressPrinter(_ verb: String) -> (@Sendable (Int, Int) -> Void)? {
    guard isatty(STDERR_FILENO) != 0 else { return nil }
    return { done, total in
        let width = 30
        let filled = total == 0 ? width : done * width / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r\(verb) [\(bar)] \(done)/\(total)\(done == total ? "\n" : "")".utf8))
    }
}

/// Prints a per-file table and a summary; returns the number of failures.
func printSummary(_ results: [FileProtection.Result], verb: String) -> Int {
    for r in results {
        let profile = r.profile.map { " \($0)" } ?? ""
        let detail = r.detail.isEmpty ? "" : " — \(r.detail)"
        print("\(r.status.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(r.input)\(profile)\(detail)")
    }
    var counts: [FileProtection.Result.Status: Int] = [:]
    for r in results { counts[r.status, default: 0] += 1 }
    let failed = counts[.failed] ?? 0
    print("\(verb): \(counts[.encrypted] ?? 0) encrypted, \(counts[.restored] ?? 0) restored, \(counts[.copied] ?? 0) copied, \(failed) failed, \(counts[.skipped] ?? 0) skipped (not DICOM)")
    return failed
}

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen", abstract: "Make a local 256-bit key file for offline encrypt/decrypt (mode 0600).")

    @Option(name: .long, help: "Where to write the key file (refuses to overwrite).")
    var out: String

    func run() throws {
        try LocalKeyFile.generate(at: URL(fileURLWithPath: out))
        print("wrote key file \(out)")
    }
}

struct EncryptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encrypt", abstract: "Encrypt the pixel data of DICOM files (a file or a folder).")

    @Option(name: .long, help: "Cipher profile: qkd-hybrid, dcgan-vpd or aes-ctr.")
    var profile: String = "qkd-hybrid"

    @Option(name: .long, help: "qkd-hybrid bit-planes: msb:4 (the paper) or all.")
    var planes: String?

    @Option(name: .long, help: "dcgan-vpd VPD rule, 1…40320.")
    var rule: Int?

    @Option(name: .long, help: "For images the profile cannot take (e.g. 32-bit): aes-ctr or reject.")
    var fallback: String = "aes-ctr"

    @Option(name: .customLong("non-image"), help: "Objects without pixel data: copy or skip.")
    var nonImage: FileProtection.NonImageRule = .copy

    @OptionGroup var keys: KeySourceOptions

    @Argument(help: "Input file or folder.") var input: String
    @Argument(help: "Output file (for a file) or folder.") var output: String

    func run() async throws {
        DICOMLibrary.initialize()
        let cipher = try CipherCatalog.encryptionCipher(ProfileSettings(profile: profile, planes: planes, rule: rule))
        let fallbackCipher: (any PixelCipher)?
        switch fallback {
        case "reject": fallbackCipher = nil
        case "aes-ctr": fallbackCipher = try CipherCatalog.encryptionCipher(ProfileSettings(profile: "aes-ctr"))
        default: throw ValidationError("--fallback must be aes-ctr or reject")
        }
        let protector = try keys.protector(defaultPeer: "decryptor")
        let results = try await FileProtection.encrypt(
            input: URL(fileURLWithPath: input), output: URL(fileURLWithPath: output), protector: protector,
            cipher: cipher, fallback: fallbackCipher, nonImage: nonImage, progress: progressPrinter("encrypt"))
        if printSummary(results, verb: "encrypt") > 0 { throw ExitCode(1) }
    }
}

struct DecryptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decrypt", abstract: "Restore DICOM files encrypted by qkdgate (a file or a folder), verified bit for bit.")

    @Flag(name: .customLong("ignore-integrity"), help: "Skip the MAC and SHA-256 checks (robustness analysis only; never for clinical use).")
    var ignoreIntegrity = false

    @Option(name: .customLong("transfer-syntax"), help: "original (re-encode lossless originals) or explicit.")
    var syntax: FileProtection.OutputSyntax = .original

    @OptionGroup var keys: KeySourceOptions

    @Argument(help: "Input file or folder.") var input: String
    @Argument(help: "Output file (for a file) or folder.") var output: String

    func run() async throws {
        DICOMLibrary.initialize()
        let protector = try keys.protector(defaultPeer: "gateway")
        let results = try await FileProtection.decrypt(
            input: URL(fileURLWithPath: input), output: URL(fileURLWithPath: output), protector: protector,
            ignoreIntegrity: ignoreIntegrity, syntax: syntax, progress: progressPrinter("decrypt"))
        if printSummary(results, verb: "decrypt") > 0 { throw ExitCode(1) }
    }
}

extension FileProtection.NonImageRule: ExpressibleByArgument {}
extension FileProtection.OutputSyntax: ExpressibleByArgument {}
