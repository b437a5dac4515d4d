import Foundation
internal import AsyncHTTPClient
internal import NIOCore
internal import NIOSSL

/// Site B's side of a two-process link: when a slave SAE asks for a key_ID that site B does not hold yet,
/// site B asks site A (`GET /link/v1/delivered/{key_ID}` over mTLS, as the KME-B certificate) for that key's
/// units, SAE pair and size, stores them as assigned, and delivers them once.
///
/// This stands in for the two copies a real link would have: in QKD, site B already holds the bits from the
/// quantum channel and only the classical post-processing crosses the network; the simulator has a single
/// copy at site A, so the bits of a delivered key cross the (TLS-protected) TCP link. Nothing physical about
/// it, as with the rest of the simulator.
struct LinkPeer: Sendable {
    let baseURL: String
    let tls: TLSConfiguration

    init(configuration: KMEConfiguration) throws(KMEServerError) {
        baseURL = "https://\(configuration.siteA.host):\(configuration.siteA.port)"
        do {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(configuration.siteB.certificate)
                .map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: configuration.siteB.privateKey, format: .pem))
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(configuration.caCertificate))
            self.tls = tls
        } catch {
            throw KMEServerError.tls(site: configuration.siteB.kmeID, reason: String(describing: error))
        }
    }

    /// What site A delivered under `keyID`, or nil if it delivered nothing under it.
    func delivered(keyID: String) async throws -> KeyPool.Delivered? {
        var request = HTTPClientRequest(url: "\(baseURL)/link/v1/delivered/\(keyID)")
        request.tlsConfiguration = tls
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        switch response.status.code {
        case 200:
            let wire = try JSONDecoder().decode(LinkDelivered.self, from: Data(body.readableBytesView))
            var units: [KeyPool.Delivered.Unit] = []
            for unit in wire.units {
                guard let material = Data(base64Encoded: unit.material), material.count == KeyPool.unitBytes else {
                    throw LinkPeerError.malformed
                }
                units.append(.init(id: unit.unit_ID, material: Array(material)))
            }
            return KeyPool.Delivered(keyID: wire.key_ID, master: wire.master_SAE_ID, slave: wire.slave_SAE_ID,
                                     bits: wire.size, units: units)
        case 404:
            return nil
        default:
            throw LinkPeerError.status(Int(response.status.code))
        }
    }
}

enum LinkPeerError: Error, CustomStringConvertible {
    case malformed
    case status(Int)
    var description: String {
        switch self {
        case .malformed: "site A's answer about a delivered key is malformed"
        case .status(let code): "site A answered HTTP \(code) on the link endpoint; check both KMEs' certificates"
        }
    }
}

/// Wire form of `KeyPool.Delivered` on the site A ↔ site B link.
struct LinkDelivered: Codable {
    struct Unit: Codable {
        var unit_ID: String
        var material: String
    }
    var key_ID: String
    var master_SAE_ID: String
    var slave_SAE_ID: String
    var size: Int
    var units: [Unit]
}
