import Foundation
internal import Crypto
internal import SwiftASN1
internal import X509

/// A local certificate authority for the demo and the tests, so that nobody needs openssl commands:
/// a CA, one server+client certificate per KME site, and one client certificate per SAE whose Common Name
/// is the SAE ID (the KME identifies an SAE by it). ECDSA P-256, valid for `validityDays`.
public enum LocalPKI {
    /// What `generate` wrote.
    public struct Layout: Sendable, Equatable {
        public var directory: String
        public var caCertificate: String
        /// SAE ID → (certificate path, key path).
        public var saes: [String: (certificate: String, privateKey: String)]
        /// Site name ("kme-a", "kme-b") → (certificate path, key path).
        public var kmes: [String: (certificate: String, privateKey: String)]
        public var configuration: String

        public static func == (lhs: Layout, rhs: Layout) -> Bool {
            lhs.directory == rhs.directory && lhs.caCertificate == rhs.caCertificate
                && lhs.configuration == rhs.configuration
                && lhs.saes.mapValues { [$0.certificate, $0.privateKey] }
                    == rhs.saes.mapValues { [$0.certificate, $0.privateKey] }
                && lhs.kmes.mapValues { [$0.certificate, $0.privateKey] }
                    == rhs.kmes.mapValues { [$0.certificate, $0.privateKey] }
        }
    }

    /// Writes `ca.crt` (+ `ca.key`), `kme-a.crt/.key`, `kme-b.crt/.key`, `<SAE>.crt/.key` for every master and
    /// slave SAE, and a ready `kme.yaml` (site A on `portA`, site B on `portB`, pool under `DIR/kme-data`).
    /// Private keys are written with mode 0600. Existing files are overwritten.
    public static func generate(
        into directory: String,
        masterSAEs: [String] = ["gateway"],
        slaveSAEs: [String] = ["decryptor"],
        portA: Int = 8443,
        portB: Int = 8444,
        validityDays: Int = 825
    ) throws(PKIError) -> Layout {
        for id in masterSAEs + slaveSAEs where !KMEConfiguration.isValidSAEID(id) {
            throw PKIError.invalidName(id)
        }
        let dir = URL(fileURLWithPath: directory).standardizedFileURL.path
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let now = Date()
            let notBefore = now.addingTimeInterval(-3600)
            let notAfter = now.addingTimeInterval(Double(validityDays) * 86_400)

            let caKey = P256.Signing.PrivateKey()
            let caPublic = Certificate.PublicKey(caKey.publicKey)
            let caName = try DistinguishedName {
                OrganizationName("qkdgate")
                CommonName("qkdgate local KME CA")
            }
            let caSKI = SubjectKeyIdentifier(hash: caPublic)
            let ca = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: caPublic,
                notValidBefore: notBefore, notValidAfter: notAfter, issuer: caName, subject: caName,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    caSKI
                },
                issuerPrivateKey: .init(caKey))
            let caPath = dir + "/ca.crt"
            try write(try ca.serializeAsPEM().pemString, to: caPath, secret: false)
            try write(caKey.pemRepresentation, to: dir + "/ca.key", secret: true)

            func issue(commonName: String, server: Bool, name: String) throws -> (String, String) {
                let key = P256.Signing.PrivateKey()
                let publicKey = Certificate.PublicKey(key.publicKey)
                let subject = try DistinguishedName {
                    OrganizationName("qkdgate")
                    CommonName(commonName)
                }
                let usages: [ExtendedKeyUsage.Usage] = server ? [.serverAuth, .clientAuth] : [.clientAuth]
                let certificate = try Certificate(
                    version: .v3, serialNumber: .init(), publicKey: publicKey,
                    notValidBefore: notBefore, notValidAfter: notAfter, issuer: caName, subject: subject,
                    signatureAlgorithm: .ecdsaWithSHA256,
                    extensions: try Certificate.Extensions {
                        Critical(BasicConstraints.notCertificateAuthority)
                        Critical(KeyUsage(digitalSignature: true))
                        try ExtendedKeyUsage(usages)
                        SubjectKeyIdentifier(hash: publicKey)
                        AuthorityKeyIdentifier(keyIdentifier: caSKI.keyIdentifier)
                        if server {
                            SubjectAlternativeNames([
                                .dnsName("localhost"),
                                .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                            ])
                        }
                    },
                    issuerPrivateKey: .init(caKey))
                let certPath = "\(dir)/\(name).crt"
                let keyPath = "\(dir)/\(name).key"
                try write(try certificate.serializeAsPEM().pemString, to: certPath, secret: false)
                try write(key.pemRepresentation, to: keyPath, secret: true)
                return (certPath, keyPath)
            }

            var kmes: [String: (certificate: String, privateKey: String)] = [:]
            for site in ["kme-a", "kme-b"] {
                let (c, k) = try issue(commonName: site.uppercased(), server: true, name: site)
                kmes[site] = (c, k)
            }
            var saes: [String: (certificate: String, privateKey: String)] = [:]
            for sae in masterSAEs + slaveSAEs {
                let (c, k) = try issue(commonName: sae, server: false, name: sae)
                saes[sae] = (c, k)
            }
            let configPath = dir + "/kme.yaml"
            let yaml = KMEConfiguration.defaultYAML(
                caPath: "ca.crt", masterSAEs: masterSAEs, slaveSAEs: slaveSAEs, portA: portA, portB: portB,
                siteACertificate: "kme-a.crt", siteAKey: "kme-a.key",
                siteBCertificate: "kme-b.crt", siteBKey: "kme-b.key", poolDirectory: "kme-data")
            try write(yaml, to: configPath, secret: false)
            return Layout(directory: dir, caCertificate: caPath, saes: saes, kmes: kmes, configuration: configPath)
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError.generation(directory: dir, reason: String(describing: error))
        }
    }

    private static func write(_ text: String, to path: String, secret: Bool) throws {
        let data = Data(text.utf8)
        guard FileManager.default.createFile(
            atPath: path, contents: data, attributes: [.posixPermissions: secret ? 0o600 : 0o644])
        else { throw PKIError.write(path: path) }
        // createFile keeps an existing file's mode; set it again so an old 0644 key does not stay readable.
        try FileManager.default.setAttributes([.posixPermissions: secret ? 0o600 : 0o644], ofItemAtPath: path)
    }

    /// The subject Common Name of a DER certificate (the SAE ID of a client certificate), or nil.
    static func commonName(derEncoded der: [UInt8]) -> String? {
        guard let certificate = try? Certificate(derEncoded: der) else { return nil }
        for rdn in certificate.subject {
            for attribute in rdn where attribute.type == ASN1ObjectIdentifier.RDNAttributeType.commonName {
                return String(attribute.value)
            }
        }
        return nil
    }
}

/// Why the local PKI could not be written.
public enum PKIError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidName(String)
    case write(path: String)
    case generation(directory: String, reason: String)

    public var description: String {
        switch self {
        case .invalidName(let name):
            "'\(name)' is not a usable SAE ID (use 1–64 letters, digits, '-', '_' or '.')"
        case .write(let path):
            "cannot write \(path); check that the directory is writable"
        case .generation(let dir, let reason):
            "could not create the PKI in \(dir): \(reason)"
        }
    }
}
