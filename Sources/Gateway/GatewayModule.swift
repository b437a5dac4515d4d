/// Gateway — the encrypting node: `conf/gateway.yaml`, routes and profiles, intake validation, the
/// `ObjectTransform` seam that encryption plugs into, deterministic SOP Instance UIDs, `qkdgate serve` and
/// `qkdgate queue`. The store-and-forward machinery itself is `Relay`'s.
///
/// What it must not know: DCMTK (that is the bridge's), key material of any cipher (the transforms own it).
///
/// ```swift
/// let config = try GatewayConfiguration.load(path: "conf/gateway.yaml")
/// try await GatewayServer.run(configuration: config, logger: logger)   // until SIGTERM
/// ```
public enum GatewayModule {}
