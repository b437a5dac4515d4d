import Foundation
internal import Yams

/// Configuration of `qkdgate kme` (YAML, see conf/kme.yaml and docs/kme.md). Relative paths are resolved
/// against the directory of the configuration file.
public struct KMEConfiguration: Sendable, Equatable {
    /// One end of the link: its KME ID, where it listens, its TLS identity and the SAEs attached to it.
    public struct Site: Sendable, Equatable {
        public var kmeID: String
        public var host: String
        /// TCP port; 0 picks a free port (tests).
        public var port: Int
        public var certificate: String
        public var privateKey: String
        /// SAE IDs (client certificate Common Names) attached to this site.
        public var saes: [String]
    }

    /// CA certificate that signed the KME and SAE certificates (PEM).
    public var caCertificate: String
    /// Site A: master SAEs call enc_keys here.
    public var siteA: Site
    /// Site B: slave SAEs call dec_keys here.
    public var siteB: Site
    /// Directory of the two pool databases (`site-a.sqlite`, `site-b.sqlite`).
    public var poolDirectory: String
    /// Most 256-bit units each pool holds; the link pauses when the pool is full.
    public var maxKeyCount: Int = 100_000
    /// Key size when a request names none (bits).
    public var defaultKeySizeBits: Int = 256
    public var minKeySizeBits: Int = 64
    public var maxKeySizeBits: Int = 8_192
    public var maxKeysPerRequest: Int = 128
    /// Simulated link.
    public var link = LinkParameters()
    /// Fixed seed for the simulator (tests and benchmarks only); nil = the system CSPRNG.
    public var linkSeed: UInt64?
    /// When false the link does not run (the pool only drains); for tests of an empty pool.
    public var linkEnabled = true

    /// An SAE ID is used in URLs, certificate names and file names: keep it plain.
    public static func isValidSAEID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 64
            && id.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0) }
            && id.unicodeScalars.allSatisfy(\.isASCII)
    }

    /// Loads and validates a YAML file.
    public static func load(path: String) throws(KMEConfigurationError) -> KMEConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw KMEConfigurationError.unreadable(path: path, reason: String(describing: error))
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(yaml: text, baseDirectory: base, source: path)
    }

    /// Parses YAML text; relative paths are taken relative to `baseDirectory`.
    public static func parse(yaml: String, baseDirectory: String, source: String = "<yaml>")
        throws(KMEConfigurationError) -> KMEConfiguration
    {
        let root: [String: Any]
        do {
            guard let loaded = try Yams.load(yaml: yaml) as? [String: Any] else {
                throw KMEConfigurationError.invalid(source: source, field: "(top level)", reason: "not a mapping")
            }
            root = loaded
        } catch let error as KMEConfigurationError {
            throw error
        } catch {
            throw KMEConfigurationError.invalid(source: source, field: "(yaml)", reason: String(describing: error))
        }
        var reader = FieldReader(source: source, base: baseDirectory)
        return try reader.configuration(root)
    }

    /// The configuration `kme init-pki` writes.
    static func defaultYAML(
        caPath: String, masterSAEs: [String], slaveSAEs: [String], portA: Int, portB: Int,
        siteACertificate: String, siteAKey: String, siteBCertificate: String, siteBKey: String,
        poolDirectory: String
    ) -> String {
        """
        # qkdgate kme — embedded BB84 link simulator, both sites in one process (docs/kme.md).
        # A software simulation gives no physical security.
        ca_certificate: \(caPath)
        site_a:                     # master SAEs call enc_keys here
          kme_id: KME-A
          host: 127.0.0.1
          port: \(portA)
          certificate: \(siteACertificate)
          private_key: \(siteAKey)
          saes: [\(masterSAEs.joined(separator: ", "))]
        site_b:                     # slave SAEs call dec_keys here
          kme_id: KME-B
          host: 127.0.0.1
          port: \(portB)
          certificate: \(siteBCertificate)
          private_key: \(siteBKey)
          saes: [\(slaveSAEs.joined(separator: ", "))]
        pool:
          directory: \(poolDirectory)
          max_key_count: 100000     # 256-bit units per site
        keys:
          default_size_bits: 256
          min_size_bits: 64
          max_size_bits: 8192
          max_keys_per_request: 128
        link:
          fibre_length_km: 20
          attenuation_db_per_km: 0.2
          mean_photon_number: 0.5
          detector_efficiency: 0.1
          dark_count_probability: 1.0e-6
          misalignment_error: 0.015
          pulse_rate_hz: 1.0e8
          eavesdrop_fraction: 0
          qber_abort_threshold: 0.11
          sample_fraction: 0.1
          sifted_bits_per_block: 32768
          cascade_passes: 10

        """
    }
}

/// Why the KME configuration cannot be used.
public enum KMEConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case invalid(source: String, field: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            "cannot read the KME configuration \(path): \(reason)"
        case .invalid(let source, let field, let reason):
            "KME configuration \(source): '\(field)' \(reason); see docs/kme.md for the format"
        }
    }
}

/// Reads typed fields from the YAML tree with messages that name the field.
private struct FieldReader {
    let source: String
    let base: String

    func fail(_ field: String, _ reason: String) -> KMEConfigurationError {
        .invalid(source: source, field: field, reason: reason)
    }

    func map(_ value: Any?, _ field: String) throws(KMEConfigurationError) -> [String: Any] {
        guard let m = value as? [String: Any] else { throw fail(field, "is missing or not a mapping") }
        return m
    }

    func string(_ m: [String: Any], _ key: String, _ prefix: String) throws(KMEConfigurationError) -> String {
        guard let s = m[key] as? String, !s.isEmpty else { throw fail(prefix + key, "is missing or not a string") }
        return s
    }

    func path(_ m: [String: Any], _ key: String, _ prefix: String) throws(KMEConfigurationError) -> String {
        let p = try string(m, key, prefix)
        return p.hasPrefix("/") ? p : URL(fileURLWithPath: base).appendingPathComponent(p).standardizedFileURL.path
    }

    func int(_ m: [String: Any], _ key: String, _ prefix: String, default value: Int?) throws(KMEConfigurationError) -> Int {
        switch m[key] {
        case nil:
            guard let value else { throw fail(prefix + key, "is missing") }
            return value
        case let i as Int: return i
        default: throw fail(prefix + key, "must be an integer")
        }
    }

    func double(_ m: [String: Any], _ key: String, default value: Double) throws(KMEConfigurationError) -> Double {
        switch m[key] {
        case nil: return value
        case let d as Double: return d
        case let i as Int: return Double(i)
        default: throw fail("link." + key, "must be a number")
        }
    }

    func site(_ value: Any?, _ name: String) throws(KMEConfigurationError) -> KMEConfiguration.Site {
        let m = try map(value, name)
        let prefix = name + "."
        let port = try int(m, "port", prefix, default: nil)
        guard (0...65_535).contains(port) else { throw fail(prefix + "port", "must be 0…65535") }
        guard let saes = m["saes"] as? [String], !saes.isEmpty else {
            throw fail(prefix + "saes", "must be a non-empty list of SAE IDs")
        }
        for sae in saes where !KMEConfiguration.isValidSAEID(sae) {
            throw fail(prefix + "saes", "has '\(sae)', which is not a plain SAE ID (letters, digits, - _ .)")
        }
        return KMEConfiguration.Site(
            kmeID: try string(m, "kme_id", prefix), host: (m["host"] as? String) ?? "127.0.0.1", port: port,
            certificate: try path(m, "certificate", prefix), privateKey: try path(m, "private_key", prefix),
            saes: saes)
    }

    mutating func configuration(_ root: [String: Any]) throws(KMEConfigurationError) -> KMEConfiguration {
        let siteA = try site(root["site_a"], "site_a")
        let siteB = try site(root["site_b"], "site_b")
        if !Set(siteA.saes).isDisjoint(with: siteB.saes) {
            throw fail("site_b.saes", "shares an SAE ID with site_a.saes; an SAE is attached to one site")
        }
        let pool = try map(root["pool"], "pool")
        var config = KMEConfiguration(
            caCertificate: try path(root, "ca_certificate", ""), siteA: siteA, siteB: siteB,
            poolDirectory: try path(pool, "directory", "pool."))
        config.maxKeyCount = try int(pool, "max_key_count", "pool.", default: config.maxKeyCount)
        guard config.maxKeyCount >= 1 else { throw fail("pool.max_key_count", "must be ≥ 1") }

        if root["keys"] != nil {
            let keys = try map(root["keys"], "keys")
            config.defaultKeySizeBits = try int(keys, "default_size_bits", "keys.", default: config.defaultKeySizeBits)
            config.minKeySizeBits = try int(keys, "min_size_bits", "keys.", default: config.minKeySizeBits)
            config.maxKeySizeBits = try int(keys, "max_size_bits", "keys.", default: config.maxKeySizeBits)
            config.maxKeysPerRequest = try int(keys, "max_keys_per_request", "keys.", default: config.maxKeysPerRequest)
        }
        for (name, bits) in [("min_size_bits", config.minKeySizeBits), ("max_size_bits", config.maxKeySizeBits),
                             ("default_size_bits", config.defaultKeySizeBits)] where bits < 8 || bits % 8 != 0 {
            throw fail("keys." + name, "must be a positive multiple of 8")
        }
        guard config.minKeySizeBits <= config.defaultKeySizeBits, config.defaultKeySizeBits <= config.maxKeySizeBits
        else { throw fail("keys", "needs min_size_bits ≤ default_size_bits ≤ max_size_bits") }
        guard config.maxKeysPerRequest >= 1 else { throw fail("keys.max_keys_per_request", "must be ≥ 1") }

        if root["link"] != nil {
            let link = try map(root["link"], "link")
            var p = LinkParameters()
            p.fibreLengthKm = try double(link, "fibre_length_km", default: p.fibreLengthKm)
            p.attenuationDBPerKm = try double(link, "attenuation_db_per_km", default: p.attenuationDBPerKm)
            p.meanPhotonNumber = try double(link, "mean_photon_number", default: p.meanPhotonNumber)
            p.detectorEfficiency = try double(link, "detector_efficiency", default: p.detectorEfficiency)
            p.darkCountProbability = try double(link, "dark_count_probability", default: p.darkCountProbability)
            p.misalignmentError = try double(link, "misalignment_error", default: p.misalignmentError)
            p.pulseRateHz = try double(link, "pulse_rate_hz", default: p.pulseRateHz)
            p.eavesdropFraction = try double(link, "eavesdrop_fraction", default: p.eavesdropFraction)
            p.qberAbortThreshold = try double(link, "qber_abort_threshold", default: p.qberAbortThreshold)
            p.sampleFraction = try double(link, "sample_fraction", default: p.sampleFraction)
            p.siftedBitsPerBlock = try int(link, "sifted_bits_per_block", "link.", default: p.siftedBitsPerBlock)
            p.cascadePasses = try int(link, "cascade_passes", "link.", default: p.cascadePasses)
            do {
                config.link = try p.validated()
            } catch {
                throw fail("link." + error.field, "is out of range (allowed: \(error.allowed))")
            }
            if let seed = link["seed"] {
                guard let s = seed as? Int, s >= 0 else { throw fail("link.seed", "must be a non-negative integer") }
                config.linkSeed = UInt64(s)
            }
            if let enabled = link["enabled"] {
                guard let e = enabled as? Bool else { throw fail("link.enabled", "must be true or false") }
                config.linkEnabled = e
            }
        }
        return config
    }
}
