import Foundation
public import Relay
package import Yams

/// A pixel-encryption profile a route uses, with its setting.
public enum Profile: Sendable, Hashable, CustomStringConvertible {
    /// Bit-plane chaotic cipher (spec/qkd-hybrid.md); `planes`: number of most significant planes, nil = all.
    case qkdHybrid(planes: Int?)
    /// DCGAN + VPD cipher (spec/dcgan-vpd.md) with its rule number (1 … 40,320).
    case dcganVPD(rule: Int)
    case aesCTR
    case passThrough

    public var name: String {
        switch self {
        case .qkdHybrid: return "qkd-hybrid"
        case .dcganVPD: return "dcgan-vpd"
        case .aesCTR: return "aes-ctr"
        case .passThrough: return "pass-through"
        }
    }

    public var description: String { name }
    public var encrypts: Bool { self != .passThrough }
}

/// What a route does with an object its profile cannot take.
public enum Fallback: String, Sendable, Hashable {
    case aesCTR = "aes-ctr"
    case reject
}

/// What a route does with an object that has no Pixel Data (SR, RTSTRUCT, waveforms).
public enum NonImageRule: String, Sendable, Hashable {
    /// Forward unchanged (its pixel cipher has nothing to encrypt).
    case forward
    case reject
}

/// A route: which objects (all listed criteria must match; an empty list matches anything) go where, how.
public struct Route: Sendable, Hashable {
    public var name: String
    public var modalities: [String]
    public var sopClassUIDs: [String]
    public var callingAETitles: [String]
    public var profile: Profile
    public var fallback: Fallback
    public var nonImage: NonImageRule
    public var destinations: [String]

    public init(name: String, modalities: [String] = [], sopClassUIDs: [String] = [], callingAETitles: [String] = [],
                profile: Profile, fallback: Fallback = .reject, nonImage: NonImageRule = .forward, destinations: [String])
    {
        self.name = name
        self.modalities = modalities
        self.sopClassUIDs = sopClassUIDs
        self.callingAETitles = callingAETitles
        self.profile = profile
        self.fallback = fallback
        self.nonImage = nonImage
        self.destinations = destinations
    }

    public func matches(modality: String, sopClassUID: String, callingAETitle: String) -> Bool {
        (modalities.isEmpty || modalities.contains(modality))
            && (sopClassUIDs.isEmpty || sopClassUIDs.contains(sopClassUID))
            && (callingAETitles.isEmpty || callingAETitles.contains(callingAETitle))
    }
}

/// Where the gateway asks for QKD keys (ETSI GS QKD 014). Kept as given; the KME client validates it on use.
public struct KMEClientSettings: Sendable, Hashable {
    public var url: String
    public var saeID: String
    public var peerSAEID: String
    public var certificate: String?
    public var privateKey: String?
    public var caCertificate: String?
}

/// `conf/gateway.yaml`, parsed and checked.
public struct GatewayConfiguration: Sendable {
    public var aeTitle: String
    public var port: Int
    public var allowedCallers: [String]
    public var maxAssociations: Int
    public var spoolDirectory: String
    public var workers: Int
    public var retainDeliveredSeconds: Double
    public var retry: RetryPolicy
    public var destinations: [Destination]
    public var routes: [Route]
    /// The route for objects no other route matches (nil: such objects are refused).
    public var defaultRoute: Route?
    public var kme: KMEClientSettings?
    public var adminHost: String
    public var adminPort: Int?
    public var logLevel: String

    /// First matching route wins; then the default route.
    public func route(modality: String, sopClassUID: String, callingAETitle: String) -> Route? {
        routes.first { $0.matches(modality: modality, sopClassUID: sopClassUID, callingAETitle: callingAETitle) }
            ?? defaultRoute
    }
}

/// A configuration problem: the file, the key path, the line, and what is wrong.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var key: String
    public var line: Int?
    public var problem: String

    public init(file: String, key: String, line: Int?, problem: String) {
        self.file = file
        self.key = key
        self.line = line
        self.problem = problem
    }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return "\(location): `\(key)`: \(problem)"
    }
}

extension GatewayConfiguration {
    public static func load(path: String) throws(ConfigurationError) -> GatewayConfiguration {
        try parse(yaml: try ConfigReader.text(path: path), file: path)
    }

    public static func parse(yaml text: String, file: String = "gateway.yaml") throws(ConfigurationError) -> GatewayConfiguration {
        let root = try ConfigReader.document(yaml: text, file: file)
        let reader = ConfigReader(file: file)
        return try reader.gateway(root)
    }

    static func yamlErrorFacts(_ error: YamlError) -> (line: Int?, problem: String) {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return (mark.line, problem)
        default:
            return (nil, "\(error)")
        }
    }
}

extension ConfigReader {
    /// The configuration file's text, or an error that names the file.
    package static func text(path: String) throws(ConfigurationError) -> String {
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigurationError(file: path, key: "(file)", line: nil,
                                     problem: "cannot read the file (\(error.localizedDescription)); check the path given to --config")
        }
    }

    /// The YAML document's root node, or an error naming the line of a syntax problem.
    package static func document(yaml text: String, file: String) throws(ConfigurationError) -> Node {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ConfigurationError(file: file, key: "(document)", line: 1, problem: "the file is empty")
            }
            root = node
        } catch let error as ConfigurationError {
            throw error
        } catch let error as YamlError {
            let (line, problem) = GatewayConfiguration.yamlErrorFacts(error)
            throw ConfigurationError(file: file, key: "(syntax)", line: line, problem: "not valid YAML: \(problem)")
        } catch {
            throw ConfigurationError(file: file, key: "(syntax)", line: nil, problem: "not valid YAML: \(error)")
        }
        return root
    }
}

/// Walks the YAML node tree; every error names the key path and the line it is on. Shared by the gateway's and
/// the decryptor's configurations (`package`), so both read the same keys the same way.
package struct ConfigReader {
    package let file: String

    package init(file: String) { self.file = file }

    package func fail(_ key: String, _ node: Node?, _ problem: String) -> ConfigurationError {
        ConfigurationError(file: file, key: key, line: node?.mark?.line, problem: problem)
    }

    package func mapping(_ node: Node, _ key: String, allowed: Set<String>) throws(ConfigurationError) -> [String: Node] {
        guard let mapping = node.mapping else { throw fail(key, node, "expected a mapping (key: value lines)") }
        var result: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let name = keyNode.string else { throw fail(key, keyNode, "keys must be plain strings") }
            let path = key.isEmpty ? name : "\(key).\(name)"
            guard allowed.contains(name) else {
                throw fail(path, keyNode, "unknown key; allowed here: \(allowed.sorted().joined(separator: ", "))")
            }
            result[name] = value
        }
        return result
    }

    package func string(_ map: [String: Node], _ name: String, _ parent: String, _ parentNode: Node, default value: String? = nil)
        throws(ConfigurationError) -> String
    {
        let key = parent.isEmpty ? name : "\(parent).\(name)"
        guard let node = map[name] else {
            if let value { return value }
            throw fail(key, parentNode, "required key is missing")
        }
        guard let text = node.scalar?.string, !text.isEmpty else { throw fail(key, node, "expected a non-empty string") }
        return text
    }

    package func int(_ map: [String: Node], _ name: String, _ parent: String, _ parentNode: Node, default value: Int?,
             range: ClosedRange<Int>) throws(ConfigurationError) -> Int
    {
        let key = parent.isEmpty ? name : "\(parent).\(name)"
        guard let node = map[name] else {
            if let value { return value }
            throw fail(key, parentNode, "required key is missing")
        }
        guard let number = node.int else { throw fail(key, node, "expected a whole number") }
        guard range.contains(number) else { throw fail(key, node, "must be between \(range.lowerBound) and \(range.upperBound)") }
        return number
    }

    package func double(_ map: [String: Node], _ name: String, _ parent: String, default value: Double,
                minimum: Double) throws(ConfigurationError) -> Double
    {
        let key = parent.isEmpty ? name : "\(parent).\(name)"
        guard let node = map[name] else { return value }
        guard let number = node.float ?? node.int.map(Double.init) else { throw fail(key, node, "expected a number") }
        guard number >= minimum else { throw fail(key, node, "must be at least \(minimum)") }
        return number
    }

    package func strings(_ map: [String: Node], _ name: String, _ parent: String) throws(ConfigurationError) -> [String] {
        let key = parent.isEmpty ? name : "\(parent).\(name)"
        guard let node = map[name] else { return [] }
        if let scalar = node.scalar { return [scalar.string] }
        guard let sequence = node.sequence else { throw fail(key, node, "expected a list of strings") }
        var result: [String] = []
        for item in sequence {
            guard let text = item.scalar?.string, !text.isEmpty else { throw fail(key, item, "list items must be non-empty strings") }
            result.append(text)
        }
        return result
    }

    package func aeTitle(_ text: String, _ key: String, _ node: Node?) throws(ConfigurationError) -> String {
        guard (1...16).contains(text.count), text.allSatisfy({ $0.isASCII && $0 != "\\" && !$0.isNewline }) else {
            throw fail(key, node, "an AE title is 1 to 16 ASCII characters without backslash")
        }
        return text
    }

    func gateway(_ root: Node) throws(ConfigurationError) -> GatewayConfiguration {
        let top = try mapping(root, "", allowed: [
            "aeTitle", "port", "allowedCallers", "maxAssociations", "spool", "workers", "retentionSeconds", "retry",
            "destinations", "routes", "kme", "admin", "logLevel",
        ])
        let ae = try aeTitle(try string(top, "aeTitle", "", root), "aeTitle", top["aeTitle"])
        let port = try int(top, "port", "", root, default: nil, range: 1...65535)
        let callers = try strings(top, "allowedCallers", "")
        for (index, caller) in callers.enumerated() {
            _ = try aeTitle(caller, "allowedCallers[\(index)]", top["allowedCallers"]?.sequence?[index])
        }
        let maxAssociations = try int(top, "maxAssociations", "", root, default: 16, range: 1...1024)
        let spool = try string(top, "spool", "", root)
        let workers = try int(top, "workers", "", root, default: 0, range: 0...256)
        let retention = try double(top, "retentionSeconds", "", default: 0, minimum: -1)
        let retry = try retryPolicy(top["retry"])
        let destinations = try destinationList(top["destinations"], root)
        let names = Set(destinations.map(\.name))
        let (routes, defaultRoute) = try routeList(top["routes"], root, destinations: names)
        let kme = try kmeSettings(top["kme"])
        let (adminHost, adminPort) = try admin(top["admin"])
        let logLevel = try logLevel(top, root)
        return GatewayConfiguration(
            aeTitle: ae, port: port, allowedCallers: callers, maxAssociations: maxAssociations, spoolDirectory: spool,
            workers: workers, retainDeliveredSeconds: retention, retry: retry, destinations: destinations,
            routes: routes, defaultRoute: defaultRoute, kme: kme, adminHost: adminHost, adminPort: adminPort,
            logLevel: logLevel)
    }

    package func retryPolicy(_ node: Node?) throws(ConfigurationError) -> RetryPolicy {
        var retry = RetryPolicy()
        guard let node else { return retry }
        let map = try mapping(node, "retry", allowed: ["initialDelay", "multiplier", "maxDelay", "maxAttempts"])
        retry.initialDelay = try double(map, "initialDelay", "retry", default: retry.initialDelay, minimum: 0.001)
        retry.multiplier = try double(map, "multiplier", "retry", default: retry.multiplier, minimum: 1)
        retry.maxDelay = try double(map, "maxDelay", "retry", default: retry.maxDelay, minimum: retry.initialDelay)
        retry.maxAttempts = try int(map, "maxAttempts", "retry", node, default: retry.maxAttempts, range: 0...1_000_000)
        return retry
    }

    package func kmeSettings(_ node: Node?) throws(ConfigurationError) -> KMEClientSettings? {
        guard let node else { return nil }
        let map = try mapping(node, "kme", allowed: ["url", "saeId", "peerSaeId", "certificate", "privateKey", "caCertificate"])
        let url = try string(map, "url", "kme", node)
        guard let parsed = URL(string: url), parsed.scheme == "https" || parsed.scheme == "http", parsed.host != nil else {
            throw fail("kme.url", map["url"], "expected an http(s) URL of the KME, e.g. https://kme-a.example:8443")
        }
        return KMEClientSettings(
            url: url, saeID: try string(map, "saeId", "kme", node), peerSAEID: try string(map, "peerSaeId", "kme", node),
            certificate: map["certificate"]?.string, privateKey: map["privateKey"]?.string,
            caCertificate: map["caCertificate"]?.string)
    }

    package func admin(_ node: Node?) throws(ConfigurationError) -> (host: String, port: Int?) {
        guard let node else { return ("127.0.0.1", nil) }
        let map = try mapping(node, "admin", allowed: ["host", "port"])
        return (try string(map, "host", "admin", node, default: "127.0.0.1"),
                try int(map, "port", "admin", node, default: nil, range: 0...65535))
    }

    package func logLevel(_ top: [String: Node], _ root: Node) throws(ConfigurationError) -> String {
        let level = try string(top, "logLevel", "", root, default: "info")
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(level) else {
            throw fail("logLevel", top["logLevel"], "expected one of trace, debug, info, notice, warning, error, critical")
        }
        return level
    }

    package func destinationList(_ node: Node?, _ root: Node) throws(ConfigurationError) -> [Destination] {
        guard let node else { throw fail("destinations", root, "required key is missing (list the remote PACS)") }
        guard let sequence = node.sequence, !sequence.isEmpty else {
            throw fail("destinations", node, "expected a non-empty list of destinations")
        }
        var result: [Destination] = []
        for (index, item) in sequence.enumerated() {
            let key = "destinations[\(index)]"
            let map = try mapping(item, key, allowed: ["name", "aeTitle", "host", "port", "associations", "directory"])
            let name = try string(map, "name", key, item)
            guard !result.contains(where: { $0.name == name }) else { throw fail("\(key).name", map["name"], "duplicate destination name") }
            if map["directory"] != nil {
                // A folder destination: <StudyUID>/<SeriesUID>/<SOPUID>.dcm files instead of C-STORE.
                for network in ["aeTitle", "host", "port", "associations"] where map[network] != nil {
                    throw fail("\(key).\(network)", map[network], "a folder destination (`directory`) has no \(network); give either a directory or aeTitle/host/port")
                }
                result.append(Destination(name: name, directory: try string(map, "directory", key, item)))
                continue
            }
            result.append(Destination(
                name: name, aeTitle: try aeTitle(try string(map, "aeTitle", key, item), "\(key).aeTitle", map["aeTitle"]),
                host: try string(map, "host", key, item),
                port: try int(map, "port", key, item, default: nil, range: 1...65535),
                associations: try int(map, "associations", key, item, default: 1, range: 1...32)))
        }
        return result
    }

    func routeList(_ node: Node?, _ root: Node, destinations: Set<String>) throws(ConfigurationError) -> ([Route], Route?) {
        guard let node else { throw fail("routes", root, "required key is missing (at least a default route)") }
        guard let sequence = node.sequence, !sequence.isEmpty else { throw fail("routes", node, "expected a non-empty list of routes") }
        var routes: [Route] = []
        var defaultRoute: Route?
        for (index, item) in sequence.enumerated() {
            let key = "routes[\(index)]"
            let map = try mapping(item, key, allowed: [
                "name", "match", "default", "profile", "planes", "rule", "fallback", "nonImage", "destinations",
            ])
            let name = try string(map, "name", key, item)
            let profileName = try string(map, "profile", key, item)
            let profile: Profile
            switch profileName {
            case "qkd-hybrid":
                var planes: Int?
                if let node = map["planes"] {
                    if node.string == "all" { planes = nil } else {
                        planes = try int(map, "planes", key, item, default: nil, range: 1...16)
                    }
                } else {
                    planes = 4
                }
                profile = .qkdHybrid(planes: planes)
            case "dcgan-vpd":
                profile = .dcganVPD(rule: try int(map, "rule", key, item, default: 37241, range: 1...40320))
            case "aes-ctr": profile = .aesCTR
            case "pass-through": profile = .passThrough
            default:
                throw fail("\(key).profile", map["profile"], "unknown profile `\(profileName)`; expected qkd-hybrid, dcgan-vpd, aes-ctr or pass-through")
            }
            if map["planes"] != nil, profileName != "qkd-hybrid" { throw fail("\(key).planes", map["planes"], "only the qkd-hybrid profile has planes") }
            if map["rule"] != nil, profileName != "dcgan-vpd" { throw fail("\(key).rule", map["rule"], "only the dcgan-vpd profile has a rule") }
            let fallbackName = try string(map, "fallback", key, item, default: "reject")
            guard let fallback = Fallback(rawValue: fallbackName) else {
                throw fail("\(key).fallback", map["fallback"], "expected aes-ctr or reject")
            }
            let nonImageName = try string(map, "nonImage", key, item, default: "forward")
            guard let nonImage = NonImageRule(rawValue: nonImageName) else {
                throw fail("\(key).nonImage", map["nonImage"], "expected forward or reject")
            }
            let targets = try strings(map, "destinations", key)
            guard !targets.isEmpty else { throw fail("\(key).destinations", map["destinations"] ?? item, "a route needs at least one destination") }
            for target in targets where !destinations.contains(target) {
                throw fail("\(key).destinations", map["destinations"], "unknown destination `\(target)`; defined: \(destinations.sorted().joined(separator: ", "))")
            }
            var route = Route(name: name, profile: profile, fallback: fallback, nonImage: nonImage, destinations: targets)
            if let matchNode = map["match"] {
                let match = try mapping(matchNode, "\(key).match", allowed: ["modality", "sopClass", "callingAE"])
                route.modalities = try strings(match, "modality", "\(key).match")
                route.sopClassUIDs = try strings(match, "sopClass", "\(key).match")
                route.callingAETitles = try strings(match, "callingAE", "\(key).match")
            }
            let isDefault = map["default"]?.bool ?? false
            if isDefault {
                guard defaultRoute == nil else { throw fail("\(key).default", map["default"], "only one route can be the default") }
                guard map["match"] == nil else { throw fail("\(key).match", map["match"], "the default route matches everything; remove `match`") }
                defaultRoute = route
            } else {
                guard map["match"] != nil else { throw fail(key, item, "a route needs `match` (or `default: true`)") }
                routes.append(route)
            }
        }
        return (routes, defaultRoute)
    }
}
