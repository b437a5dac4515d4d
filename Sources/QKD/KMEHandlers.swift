import Foundation
internal import Hummingbird
internal import Logging
internal import NIOCore
internal import NIOSSL

/// ETSI GS QKD 014 v1.1.1 JSON objects, field names as in the standard.
enum ETSI {
    struct Status: Codable {
        var source_KME_ID: String
        var target_KME_ID: String
        var master_SAE_ID: String
        var slave_SAE_ID: String
        var key_size: Int
        var stored_key_count: Int
        var max_key_count: Int
        var max_key_per_request: Int
        var max_key_size: Int
        var min_key_size: Int
        var max_SAE_ID_count: Int
    }

    struct Key: Codable {
        var key_ID: String
        var key: String
    }

    struct KeyContainer: Codable {
        var keys: [Key]
    }

    struct ErrorBody: Codable {
        var message: String
        var details: [[String: String]]?
    }
}

/// Request context that keeps the connection, to read the client certificate of the TLS session.
struct KMERequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// An ETSI 014 error answer: HTTP status and message (never key material).
struct KMEHTTPError: Error {
    var status: HTTPResponse.Status
    var message: String
    var details: [[String: String]]? = nil

    static func badRequest(_ message: String, _ details: [[String: String]]? = nil) -> KMEHTTPError {
        KMEHTTPError(status: .badRequest, message: message, details: details)
    }
    static func unauthorized(_ message: String) -> KMEHTTPError {
        KMEHTTPError(status: .unauthorized, message: message)
    }
    static func unavailable(_ message: String) -> KMEHTTPError {
        KMEHTTPError(status: .serviceUnavailable, message: message)
    }
}

/// The routes and their logic for one KME process (both sites).
struct KMEHandlers: Sendable {
    enum Site: Sendable { case a, b }

    let configuration: KMEConfiguration
    /// Pools of the sites this process runs (nil for a site that is another process).
    let poolA: KeyPool?
    let poolB: KeyPool?
    /// Site A, when site B runs here and site A is another process.
    let peer: LinkPeer?
    let logger: Logger

    func router(site: Site) -> Router<KMERequestContext> {
        let router = Router(context: KMERequestContext.self)
        let prefix = "/api/v1/keys/:sae/"
        router.get(RouterPath(prefix + "status")) { request, context in
            await answer(context) { caller in try await status(site: site, caller: caller, context: context) }
        }
        router.get(RouterPath(prefix + "enc_keys")) { request, context in
            await answer(context) { caller in
                let query = request.uri.queryParameters
                let number = try integer(query.get("number"), "number")
                let size = try integer(query.get("size"), "size")
                return try await encKeys(site: site, caller: caller, context: context, number: number, size: size)
            }
        }
        router.post(RouterPath(prefix + "enc_keys")) { request, context in
            var request = request
            let body = try? await request.collectBody(upTo: 1 << 20)
            return await answer(context) { caller in
                let json = try object(body)
                if let extra = json["additional_slave_SAE_IDs"] as? [Any], !extra.isEmpty {
                    throw KMEHTTPError.badRequest("additional_slave_SAE_IDs is not supported by this KME (max_SAE_ID_count is 0)")
                }
                // A mandatory extension must be handled or refused; this KME handles none.
                let mandatory = json["extension_mandatory"]
                if let list = mandatory as? [Any], list.isEmpty {
                } else if let map = mandatory as? [String: Any], map.isEmpty {
                } else if mandatory != nil, !(mandatory is NSNull) {
                    throw KMEHTTPError.badRequest("extension_mandatory is not supported by this KME")
                }
                let number = try integer(json["number"], "number")
                let size = try integer(json["size"], "size")
                return try await encKeys(site: site, caller: caller, context: context, number: number, size: size)
            }
        }
        router.get(RouterPath(prefix + "dec_keys")) { request, context in
            await answer(context) { caller in
                let ids = request.uri.queryParameters.getAll("key_ID", as: String.self)
                return try await decKeys(site: site, caller: caller, context: context, keyIDs: ids)
            }
        }
        router.post(RouterPath(prefix + "dec_keys")) { request, context in
            var request = request
            let body = try? await request.collectBody(upTo: 1 << 20)
            return await answer(context) { caller in
                let json = try object(body)
                guard let list = json["key_IDs"] as? [Any] else {
                    throw KMEHTTPError.badRequest("the body needs key_IDs: [{\"key_ID\": \"<uuid>\"}, …]")
                }
                var ids: [String] = []
                for item in list {
                    guard let entry = item as? [String: Any], let id = entry["key_ID"] as? String else {
                        throw KMEHTTPError.badRequest("each key_IDs entry needs a key_ID string")
                    }
                    ids.append(id)
                }
                return try await decKeys(site: site, caller: caller, context: context, keyIDs: ids)
            }
        }
        if site == .a, configuration.mode == .siteA {
            // The two-process link: site B's KME (its certificate's Common Name is site B's KME ID) fetches what
            // site A delivered under a key_ID.
            router.get(RouterPath("/link/v1/delivered/:key")) { request, context in
                await answer(context) { caller in
                    guard caller == configuration.siteB.kmeID else {
                        throw KMEHTTPError.unauthorized("only \(configuration.siteB.kmeID) may use the link endpoint")
                    }
                    let keyID = try context.parameters.require("key").lowercased()
                    let pool = try own(poolA)
                    guard let key = try await mapPool({ try await pool.delivered(keyID: keyID) }) else {
                        return Response(status: .notFound)
                    }
                    logger.info("link: key handed to the peer KME", metadata: [
                        "key_ID": "\(keyID)", "peer": "\(caller)"])
                    return try json(LinkDelivered(
                        key_ID: key.keyID, master_SAE_ID: key.master, slave_SAE_ID: key.slave, size: key.bits,
                        units: key.units.map { .init(unit_ID: $0.id, material: Data($0.material).base64EncodedString()) }))
                }
            }
        }
        return router
    }

    // MARK: Endpoints

    func status(site: Site, caller: String, context: KMERequestContext) async throws -> Response {
        let slave = try context.parameters.require("sae")
        try authorizeMaster(site: site, caller: caller, slave: slave)
        let pool = try own(poolA)
        let available = try await mapPool { try await pool.availableUnits() }
        let unitsPerKey = units(forBits: configuration.defaultKeySizeBits)
        let body = ETSI.Status(
            source_KME_ID: configuration.siteA.kmeID, target_KME_ID: configuration.siteB.kmeID,
            master_SAE_ID: caller, slave_SAE_ID: slave, key_size: configuration.defaultKeySizeBits,
            stored_key_count: available / unitsPerKey, max_key_count: configuration.maxKeyCount / unitsPerKey,
            max_key_per_request: configuration.maxKeysPerRequest, max_key_size: configuration.maxKeySizeBits,
            min_key_size: configuration.minKeySizeBits, max_SAE_ID_count: 0)
        return try json(body)
    }

    func encKeys(site: Site, caller: String, context: KMERequestContext, number: Int?, size: Int?) async throws
        -> Response
    {
        let slave = try context.parameters.require("sae")
        try authorizeMaster(site: site, caller: caller, slave: slave)
        let number = number ?? 1
        let size = size ?? configuration.defaultKeySizeBits
        guard number >= 1, number <= configuration.maxKeysPerRequest else {
            throw KMEHTTPError.badRequest("number must be 1…\(configuration.maxKeysPerRequest) (max_key_per_request)")
        }
        guard size % 8 == 0, size >= configuration.minKeySizeBits, size <= configuration.maxKeySizeBits else {
            throw KMEHTTPError.badRequest(
                "size must be a multiple of 8 between \(configuration.minKeySizeBits) and \(configuration.maxKeySizeBits) bits")
        }
        let pool = try own(poolA)
        let taken = try await mapPool {
            // Only a site A of a two-process link is asked for delivered keys again (by site B).
            try await pool.takeNew(count: number, bits: size, master: caller, slave: slave,
                                   erase: configuration.mode != .siteA)
        }
        // The slave's site learns which keys it may hand out, before the master sees them (embedded mode; a
        // separate site B asks site A when its slave first asks).
        if let poolB {
            try await mapPool { try await poolB.assign(taken, master: caller, slave: slave) }
        }
        logger.info("enc_keys delivered", metadata: [
            "master_SAE_ID": "\(caller)", "slave_SAE_ID": "\(slave)", "number": "\(number)", "size": "\(size)",
            "key_IDs": "\(taken.map { $0.keyID }.joined(separator: ","))",
        ])
        return try json(ETSI.KeyContainer(keys: taken.map {
            ETSI.Key(key_ID: $0.keyID, key: Data($0.bytes).base64EncodedString())
        }))
    }

    func decKeys(site: Site, caller: String, context: KMERequestContext, keyIDs: [String]) async throws -> Response {
        let master = try context.parameters.require("sae")
        guard site == .b, configuration.siteB.saes.contains(caller) else {
            throw KMEHTTPError.unauthorized("SAE '\(caller)' may not call dec_keys at \(kmeID(site)); slave SAEs attach to \(configuration.siteB.kmeID)")
        }
        guard configuration.siteA.saes.contains(master) else {
            throw KMEHTTPError.unauthorized("'\(master)' is not a master SAE of this link")
        }
        guard !keyIDs.isEmpty, keyIDs.count <= configuration.maxKeysPerRequest else {
            throw KMEHTTPError.badRequest("give 1…\(configuration.maxKeysPerRequest) key_IDs")
        }
        guard keyIDs.allSatisfy({ UUID(uuidString: $0) != nil }) else {
            throw KMEHTTPError.badRequest("every key_ID must be a UUID")
        }
        let normalised = keyIDs.map { $0.lowercased() }
        guard Set(normalised).count == normalised.count else {
            throw KMEHTTPError.badRequest("a key_ID appears twice in one request")
        }
        let pool = try own(poolB)
        let taken: [KeyPool.Taken]
        do {
            taken = try await takeAtSiteB(pool, keyIDs: normalised, master: master, slave: caller)
        } catch let error as KMEHTTPError {
            throw error
        } catch let error as KeyPoolError {
            if case .keyNotFound(let missing) = error {
                throw KMEHTTPError.badRequest(
                    "key_ID not found: unknown, for another SAE pair, or already delivered (each key is delivered once)",
                    missing.map { ["key_ID": $0] })
            }
            throw KMEHTTPError.unavailable(error.description)
        }
        logger.info("dec_keys delivered", metadata: [
            "master_SAE_ID": "\(master)", "slave_SAE_ID": "\(caller)", "key_IDs": "\(normalised.joined(separator: ","))",
        ])
        return try json(ETSI.KeyContainer(keys: taken.map {
            ETSI.Key(key_ID: $0.keyID, key: Data($0.bytes).base64EncodedString())
        }))
    }

    // MARK: Helpers

    /// dec_keys at site B. In a two-process link, key_IDs site B does not hold yet are fetched from site A,
    /// and the delivery is tried once more.
    func takeAtSiteB(_ pool: KeyPool, keyIDs: [String], master: String, slave: String) async throws
        -> [KeyPool.Taken]
    {
        let missing: [String]
        do {
            return try await pool.takeAssigned(keyIDs: keyIDs, master: master, slave: slave)
        } catch {
            guard case .keyNotFound(let ids) = error, peer != nil else { throw error }
            missing = ids
        }
        guard let peer else { return [] }
        for keyID in missing {
            let delivered: KeyPool.Delivered?
            do {
                delivered = try await peer.delivered(keyID: keyID)
            } catch {
                logger.warning("link: site A unreachable", metadata: ["error": "\(error)"])
                throw KMEHTTPError.unavailable("site A of the link is unreachable; retry later")
            }
            if let delivered, delivered.master == master, delivered.slave == slave {
                try await pool.importAssigned(delivered)
            }
        }
        return try await pool.takeAssigned(keyIDs: keyIDs, master: master, slave: slave)
    }

    /// The pool of a site this process runs; a request for a site it does not run is a configuration error.
    func own(_ pool: KeyPool?) throws -> KeyPool {
        guard let pool else { throw KMEHTTPError.unavailable("this KME process does not run that site") }
        return pool
    }

    func kmeID(_ site: Site) -> String { site == .a ? configuration.siteA.kmeID : configuration.siteB.kmeID }

    func units(forBits bits: Int) -> Int { max(1, (bits + KeyPool.unitBytes * 8 - 1) / (KeyPool.unitBytes * 8)) }

    func authorizeMaster(site: Site, caller: String, slave: String) throws {
        guard site == .a, configuration.siteA.saes.contains(caller) else {
            throw KMEHTTPError.unauthorized("SAE '\(caller)' may not call status or enc_keys at \(kmeID(site)); master SAEs attach to \(configuration.siteA.kmeID)")
        }
        guard configuration.siteB.saes.contains(slave) else {
            throw KMEHTTPError.unauthorized("'\(slave)' is not a slave SAE of this link")
        }
    }

    func mapPool<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as KeyPoolError {
            switch error {
            case .insufficientKey:
                throw KMEHTTPError.unavailable(error.description)
            default:
                logger.error("key pool failure", metadata: ["error": "\(error)"])
                throw KMEHTTPError.unavailable("the key pool failed; see the KME log")
            }
        }
    }

    func integer(_ value: Any?, _ name: String) throws -> Int? {
        switch value {
        case nil: return nil
        case let s as Substring:
            guard let i = Int(s) else { throw KMEHTTPError.badRequest("\(name) must be an integer") }
            return i
        case let s as String:
            guard let i = Int(s) else { throw KMEHTTPError.badRequest("\(name) must be an integer") }
            return i
        case let i as Int:
            return i
        case let n as NSNumber:
            guard n.doubleValue == n.doubleValue.rounded(), abs(n.doubleValue) < 1e9 else {
                throw KMEHTTPError.badRequest("\(name) must be an integer")
            }
            return n.intValue
        default:
            throw KMEHTTPError.badRequest("\(name) must be an integer")
        }
    }

    func object(_ body: ByteBuffer?) throws -> [String: Any] {
        guard let body, body.readableBytes > 0 else { return [:] }
        let data = Data(body.readableBytesView)
        guard let parsed = try? JSONSerialization.jsonObject(with: data), let object = parsed as? [String: Any] else {
            throw KMEHTTPError.badRequest("the request body is not a JSON object")
        }
        return object
    }

    func json(_ value: some Encodable) throws -> Response {
        let data = try JSONEncoder().encode(value)
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Identifies the SAE, runs `body`, and turns every failure into an ETSI error object.
    func answer(_ context: KMERequestContext, _ body: (String) async throws -> Response) async -> Response {
        do {
            guard let caller = await callerSAE(context) else {
                throw KMEHTTPError.unauthorized("no usable client certificate: present a certificate whose Common Name is your SAE ID")
            }
            return try await body(caller)
        } catch let error as KMEHTTPError {
            if error.status == .unauthorized {
                logger.warning("request refused", metadata: ["reason": "\(error.message)"])
            }
            let body = ETSI.ErrorBody(message: error.message, details: error.details)
            let data = (try? JSONEncoder().encode(body)) ?? Data()
            return Response(status: error.status, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        } catch {
            let body = ETSI.ErrorBody(message: "bad request: \(error)", details: nil)
            let data = (try? JSONEncoder().encode(body)) ?? Data()
            return Response(status: .badRequest, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    func callerSAE(_ context: KMERequestContext) async -> String? {
        guard let certificate = try? await context.channel.nioSSL_peerCertificate().get(),
              let der = try? certificate.toDERBytes()
        else { return nil }
        return LocalPKI.commonName(derEncoded: der)
    }
}
