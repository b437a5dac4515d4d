/// Protection — encrypts and restores whole DICOM objects: pixel cipher, OTP-wrapped key bundle, MAC,
/// deterministic new SOP Instance UID, and the qkdgate private block (format in docs/format.md).
///
/// The gateway, the decryptor and the `qkdgate encrypt/decrypt` commands all go through `ObjectProtector`,
/// so there is exactly one implementation of the on-the-wire format.
///
/// ```swift
/// let protector = ObjectProtector(keySource: kmeClient, keySourceKind: .qkd, uidSecret: secret)
/// let outcome = try await protector.protect(object, with: CipherCatalog.cipher(for: settings))
/// // … object is now encrypted in place; later, on the reading side:
/// let restored = try await restorer.restore(object)
/// ```
