public import Gateway
public import Relay
public import Protection

/// What the decryptor does with an object that carries no qkdgate private block.
public enum UnencryptedRule: String, Sendable, Hashable {
    /// Forward it unchanged (e.g. a report or a study that was never encrypted).
    case forward
    /// Refuse it: quarantine with the reason.
    case reject
}

/// `conf/decryptor.yaml`, parsed and checked. The node keys (AE title, port, callers, spool, retry, admin, KME,
/// destinations) are read by the same code as the gateway's, so they mean the same in both files.
public struct DecryptorConfiguration: Sendable {
    public var aeTitle: String
    public var port: Int
    public var allowedCallers: [String]
    public var maxAssociations: Int
    public var spoolDirectory: String
    public var workers: Int
    public var retainDeliveredSeconds: Double
    public var retry: RetryPolicy
    /// Viewer AEs and/or folders; every restored object goes to each of them.
    public var destinations: [Destination]
    /// This node's KME (the slave SAE's side): keys are fetched by key_ID with `dec_keys`.
    public var kme: KMEClientSettings
    public var unencrypted: UnencryptedRule
    public var outputSyntax: FileProtection.OutputSyntax
    /// Days a fetched key is kept in the spool's key store so that a re-sent object can be restored again
    /// (the KME hands a key out once). 0 keeps keys until `qkdgate` removes them with the spool.
    public var keyRetentionDays: Double
    public var adminHost: String
    public var adminPort: Int?
    public var logLevel: String
}

extension DecryptorConfiguration {
    public static func load(path: String) throws(ConfigurationError) -> DecryptorConfiguration {
        try parse(yaml: try ConfigReader.text(path: path), file: path)
    }

    public static func parse(yaml text: String, file: String = "decryptor.yaml") throws(ConfigurationError) -> DecryptorConfiguration {
        let root = try ConfigReader.document(yaml: text, file: file)
        let reader = ConfigReader(file: file)
        let top = try reader.mapping(root, "", allowed: [
            "aeTitle", "port", "allowedCallers", "maxAssociations", "spool", "workers", "retentionSeconds", "retry",
            "destinations", "kme", "unencrypted", "outputSyntax", "keyRetentionDays", "admin", "logLevel",
        ])
        let ae = try reader.aeTitle(try reader.string(top, "aeTitle", "", root), "aeTitle", top["aeTitle"])
        let port = try reader.int(top, "port", "", root, default: nil, range: 1...65535)
        let callers = try reader.strings(top, "allowedCallers", "")
        for (index, caller) in callers.enumerated() {
            _ = try reader.aeTitle(caller, "allowedCallers[\(index)]", top["allowedCallers"]?.sequence?[index])
        }
        guard let kme = try reader.kmeSettings(top["kme"]) else {
            throw reader.fail("kme", root, "required key is missing: the decryptor fetches each object's key from its KME (url, saeId, peerSaeId, certificate, privateKey, caCertificate)")
        }
        guard kme.certificate != nil, kme.privateKey != nil, kme.caCertificate != nil else {
            throw reader.fail("kme", top["kme"], "certificate, privateKey and caCertificate are required (the KME requires mutual TLS)")
        }
        let unencryptedName = try reader.string(top, "unencrypted", "", root, default: "forward")
        guard let unencrypted = UnencryptedRule(rawValue: unencryptedName) else {
            throw reader.fail("unencrypted", top["unencrypted"], "expected forward or reject")
        }
        let syntaxName = try reader.string(top, "outputSyntax", "", root, default: "original")
        guard let syntax = FileProtection.OutputSyntax(rawValue: syntaxName) else {
            throw reader.fail("outputSyntax", top["outputSyntax"], "expected original (the syntax the gateway received, when it can be written losslessly) or explicit")
        }
        let (adminHost, adminPort) = try reader.admin(top["admin"])
        return DecryptorConfiguration(
            aeTitle: ae, port: port, allowedCallers: callers,
            maxAssociations: try reader.int(top, "maxAssociations", "", root, default: 16, range: 1...1024),
            spoolDirectory: try reader.string(top, "spool", "", root),
            workers: try reader.int(top, "workers", "", root, default: 0, range: 0...256),
            retainDeliveredSeconds: try reader.double(top, "retentionSeconds", "", default: 0, minimum: -1),
            retry: try reader.retryPolicy(top["retry"]),
            destinations: try reader.destinationList(top["destinations"], root),
            kme: kme, unencrypted: unencrypted, outputSyntax: syntax,
            keyRetentionDays: try reader.double(top, "keyRetentionDays", "", default: 30, minimum: 0),
            adminHost: adminHost, adminPort: adminPort, logLevel: try reader.logLevel(top, root))
    }
}
