/// QKD — BB84 link simulator, key pool, ETSI GS QKD 014 KME server and client, OTP key wrapping.
/// A software simulation gives no physical security.
