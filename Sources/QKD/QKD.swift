/// QKD — a BB84 link simulator, a durable key pool, an ETSI GS QKD 014 key manager (KME) server and client,
/// a small local PKI for mutual TLS, and one-time-pad key wrapping.
///
/// **A software simulation gives no physical security.** The BB84 simulator models the statistics of a
/// prepare-and-measure link (source, fibre loss, detector, dark counts, misalignment, an optional
/// intercept-resend eavesdropper) and runs the classical post-processing honestly (sifting, QBER estimation,
/// Cascade, verification, Toeplitz privacy amplification), but the "quantum" randomness is ordinary CSPRNG
/// output inside one computer. Keys from the simulator are as good as the CSPRNG that made them, no better.
/// A real KME that speaks ETSI GS QKD 014 replaces the simulator by configuration (`KMEClient` against it).
///
/// This module knows nothing of DICOM, pixel ciphers or private tags: the gateway and decryptor see only the
/// `KeySource` seam and `KeyWrap`.
///
/// ```swift
/// let source: any KeySource = try KMEClient(configuration: clientConfig)   // gateway = master SAE
/// let key = try await source.newKey(bytes: bundle.count)                    // ETSI enc_keys
/// let wrapped = try KeyWrap.wrap(bundle, with: key)                          // store key.id beside it
/// // … at the decryptor (slave SAE):
/// let same = try await decryptorSource.key(id: key.id)                      // ETSI dec_keys
/// let opened = try KeyWrap.unwrap(wrapped, with: same)                        // == bundle
/// ```
public enum QKDModule {
    /// Printed by the KME at start-up and repeated in docs/kme.md.
    public static let simulationNotice =
        "qkdgate kme is a software simulation of a BB84 QKD link: it gives no physical (quantum) security; "
        + "its keys are as strong as the system CSPRNG that produced them."
}
