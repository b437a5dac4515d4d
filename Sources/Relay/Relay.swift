/// Relay — the durable DICOM store-and-forward core shared by the gateway and the decryptor.
///
/// What it does: a storage SCP (DCMTK, one thread per association) hands each received object to an
/// `IntakePolicy`; accepted objects are fsynced into the spool and committed to a SQLite (WAL) queue before the
/// C-STORE-RSP says Success. Processing workers run an `ObjectProcessor` (encrypt, decrypt, pass through) into
/// the outbox; per-destination senders forward over reused associations with retry, backoff and dead letters.
/// Bad input goes to quarantine. Everything not yet delivered resumes after a restart.
///
/// What it must not know: ciphers, keys, routes or profiles (those are the gateway's and decryptor's).
///
/// ```swift
/// let node = try RelayNode(configuration: relayConfiguration, intake: policy, processor: processor, logger: logger)
/// let group = ServiceGroup(services: [node], gracefulShutdownSignals: [.sigterm], logger: logger)
/// try await group.run()
/// ```
public enum RelayModule {}
