public import Pixels
import Crypto
import Foundation

/// An 8-bit RGB decoy image: what key generation of dcgan-vpd hashes (through its channel sums).
public struct DecoyImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// One plane per channel, row-major, `width × height` bytes each.
    public let red: [UInt8], green: [UInt8], blue: [UInt8]

    public init(width: Int, height: Int, red: [UInt8], green: [UInt8], blue: [UInt8]) {
        precondition(red.count == width * height && green.count == red.count && blue.count == red.count,
                     "each decoy channel needs width × height bytes")
        (self.width, self.height, self.red, self.green, self.blue) = (width, height, red, green, blue)
    }

    /// Σ channel + 1 for R, G, B (the +1 keeps an all-zero channel from contributing nothing).
    public var channelSums: [UInt64] {
        [red, green, blue].map { plane in plane.reduce(UInt64(1)) { $0 + UInt64($1) } }
    }
}

/// Where key generation gets a fresh decoy image. The DCGAN module provides the real one
/// (`DCGANDecoySource`, a trained generator fed a CSPRNG latent); Ciphers itself does not know the DCGAN,
/// so a decryptor, which never generates keys, needs neither the weights nor the generator code.
public protocol DecoySource: Sendable {
    func makeDecoy() throws(CipherError) -> DecoyImage
}

/// Profile `dcgan-vpd` (spec/dcgan-vpd.md, format in docs/ciphers/dcgan-vpd.md), format version 1.
///
/// Key: the 64-byte SHA-512 of the decoy's channel sums, the timestamp, the nonce and 32 secret random bytes;
/// parameters `timestamp` (DD-MM-YYYY HH:MM:SS, UTC), `nonce` (32 hex digits) and `rule` (1 … 40,320) in clear.
/// Encryption: VPD → shuffle(K1,K2,K3) → zigzag(K4) → VPD → shuffle(K5,K6,K7) → zigzag(K4) → planet XOR(K8).
///
/// ```swift
/// let cipher = DCGANVPDCipher(decoySource: try DCGANDecoySource.bundled())
/// let key = try cipher.generateKey()
/// let sealed = try cipher.encrypt(buffer, key: key)
/// ```
public struct DCGANVPDCipher: PixelCipher {
    public static let profileName = "dcgan-vpd"
    /// Largest BitsStored the profile takes (the key words and the bitstream are built for n ≤ 16).
    public static let maxBitsStored = 16
    /// Bytes of secret randomness hashed with the decoy sums (see docs: why the paper's inputs are not enough).
    public static let saltBytes = 32

    public var profile: String { Self.profileName }
    public var formatVersion: Int { 1 }

    public let decoySource: any DecoySource
    /// Rule written into keys this instance generates; decryption uses the rule carried by the key.
    public let rule: VPDRule

    public init(decoySource: any DecoySource, rule: VPDRule = .standard) {
        self.decoySource = decoySource
        self.rule = rule
    }

    public func checkSupported(_ descriptor: PixelDescriptor) throws(CipherError) {
        guard descriptor.bitsStored <= Self.maxBitsStored else {
            throw .unsupportedPixelFormat(profile: Self.profileName,
                                          reason: "BitsStored \(descriptor.bitsStored) is above \(Self.maxBitsStored)")
        }
    }

    public func generateKey() throws(CipherError) -> CipherKey {
        let decoy = try decoySource.makeDecoy()
        var rng = SystemRandomNumberGenerator()
        let nonce = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        let salt = (0..<Self.saltBytes).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        let now = VPDTimestamp(secondsSince1970: Int64(Date().timeIntervalSince1970.rounded(.down)))
        return Self.deriveKey(decoy: decoy, timestamp: now, nonce: nonce, salt: salt, rule: rule)
    }

    /// The key for given inputs: secret = SHA-512("ΣR|ΣG|ΣB|timestamp|nonce-hex|" ‖ salt), sums in decimal.
    public static func deriveKey(decoy: DecoyImage, timestamp: VPDTimestamp, nonce: [UInt8], salt: [UInt8],
                                 rule: VPDRule) -> CipherKey {
        let sums = decoy.channelSums
        let nonceHex = hex(nonce)
        var message = Array("\(sums[0])|\(sums[1])|\(sums[2])|\(timestamp)|\(nonceHex)|".utf8)
        message += salt
        let digest = Array(SHA512.hash(data: message))
        return CipherKey(secret: digest, parameters: [
            "timestamp": timestamp.description, "nonce": nonceHex, "rule": String(rule.number),
        ])
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Everything derived from a key for one geometry: the permutations, the rule's tables and the key words
    /// (the key-stream cost); the pixel work then only reads it.
    public struct Schedule: Sendable {
        let bits: Int
        let rows: Int, columns: Int, planes: Int
        let planetTable: [UInt8]
        let round1: VPDShuffle, round2: VPDShuffle
        /// The rule and its inverse as 12-bit substitution tables (`VPDStages.substitutionTable`).
        let encodeTable: [UInt16], decodeTable: [UInt16]
        let words: KeyWords
    }

    /// K4 and K8 in the working type of the pixel work: bytes for n ≤ 8, 16-bit words above.
    enum KeyWords: Sendable {
        case narrow(k4: [UInt8], k8: [UInt8])
        case wide(k4: [UInt16], k8: [UInt16])
    }

    /// Builds the key streams of `key` for images shaped like `descriptor`.
    public func schedule(key: CipherKey, descriptor: PixelDescriptor) throws(CipherError) -> Schedule {
        try checkSupported(descriptor)
        let keys = try VPDKeySchedule(secret: key.secret)
        guard let timestampText = key.parameters["timestamp"] else {
            throw .missingParameter(profile: Self.profileName, name: "timestamp")
        }
        guard let ruleText = key.parameters["rule"] else {
            throw .missingParameter(profile: Self.profileName, name: "rule")
        }
        guard let ruleNumber = Int(ruleText) else {
            throw .invalidParameter(profile: Self.profileName, name: "rule", value: ruleText)
        }
        let time = try VPDTimestamp(parsing: timestampText)
        let rule = try VPDRule(number: ruleNumber)
        let rows = descriptor.rows, columns = descriptor.columns
        let planes = descriptor.frames * descriptor.components
        let n = descriptor.bitsStored
        let count = descriptor.valueCount
        let words: KeyWords
        if n <= 8 {
            let pair = keys.wordPair(count: count, bits: n, as: UInt8.self)
            words = .narrow(k4: pair.k4, k8: pair.k8)
        } else {
            let pair = keys.wordPair(count: count, bits: n, as: UInt16.self)
            words = .wide(k4: pair.k4, k8: pair.k8)
        }
        return Schedule(
            bits: n, rows: rows, columns: columns, planes: planes, planetTable: PlanetTable.codeTable(at: time),
            round1: VPDShuffle(rows: keys.permutation(1, count: rows), columns: keys.permutation(2, count: columns),
                               planes: keys.permutation(3, count: planes)),
            round2: VPDShuffle(rows: keys.permutation(5, count: rows), columns: keys.permutation(6, count: columns),
                               planes: keys.permutation(7, count: planes)),
            encodeTable: VPDStages.substitutionTable(rule.planet), decodeTable: VPDStages.substitutionTable(rule.inverse),
            words: words)
    }

    public func encrypt(_ plain: PixelBuffer, key: CipherKey) throws(CipherError) -> PixelBuffer {
        try encrypt(plain, schedule: schedule(key: key, descriptor: plain.descriptor))
    }

    public func decrypt(_ cipher: PixelBuffer, key: CipherKey) throws(CipherError) -> PixelBuffer {
        try decrypt(cipher, schedule: schedule(key: key, descriptor: cipher.descriptor))
    }

    /// The pixel work alone, with streams built beforehand (`schedule(key:descriptor:)`):
    /// VPD → shuffle(K1,K2,K3) → zigzag(K4) → VPD → shuffle(K5,K6,K7) → zigzag(K4) → planet XOR(K8).
    public func encrypt(_ plain: PixelBuffer, schedule s: Schedule) throws(CipherError) -> PixelBuffer {
        try checkGeometry(plain.descriptor, s)
        switch s.words {
        case .narrow(let k4, let k8): return try rebuilt(plain, Self.encryptValues(plain.values, s, k4, k8))
        case .wide(let k4, let k8): return try rebuilt(plain, Self.encryptValues(plain.values, s, k4, k8))
        }
    }

    /// The inverse stages in reverse order.
    public func decrypt(_ cipher: PixelBuffer, schedule s: Schedule) throws(CipherError) -> PixelBuffer {
        try checkGeometry(cipher.descriptor, s)
        switch s.words {
        case .narrow(let k4, let k8): return try rebuilt(cipher, Self.decryptValues(cipher.values, s, k4, k8))
        case .wide(let k4, let k8): return try rebuilt(cipher, Self.decryptValues(cipher.values, s, k4, k8))
        }
    }

    static func encryptValues<Word: FixedWidthInteger & UnsignedInteger>(
        _ values: [UInt32], _ s: Schedule, _ k4: [Word], _ k8: [Word]
    ) -> [UInt32] {
        var work = WorkingArrays<Word>(narrowing: values, bits: s.bits)
        s.encodeTable.withUnsafeBufferPointer { lut in
            k4.withUnsafeBufferPointer { key in
                if s.bits == Word.bitWidth {
                    encryptPasses(&work, s, lut, VPDChains<Word, FullWidth>(schedule: s, key: key))
                } else {
                    encryptPasses(&work, s, lut, VPDChains<Word, PartialWidth>(schedule: s, key: key))
                }
            }
        }
        if s.planetTable == PlanetTable.solarOrder { return work.widened(xor: k8) }
        var out = work.widened()
        VPDStages.planetEncode(&out, bits: s.bits, table: s.planetTable, key: k8.map { UInt32($0) })
        return out
    }

    private static func encryptPasses<Word, Width>(
        _ work: inout WorkingArrays<Word>, _ s: Schedule, _ lut: UnsafeBufferPointer<UInt16>, _ chains: VPDChains<Word, Width>
    ) {
        for round in [s.round1, s.round2] {
            work.vpd(bits: s.bits, lut: lut, decode: false)
            round.withUnsafe { shuffle in work.pass { chains.shuffleForward($0, $1, shuffle) } }
            work.pass { chains.backwardScatter($0, $1) }
        }
    }

    static func decryptValues<Word: FixedWidthInteger & UnsignedInteger>(
        _ values: [UInt32], _ s: Schedule, _ k4: [Word], _ k8: [Word]
    ) -> [UInt32] {
        var work: WorkingArrays<Word>
        if s.planetTable == PlanetTable.solarOrder {
            work = WorkingArrays<Word>(narrowing: values, bits: s.bits, xor: k8)
        } else {
            var planets = values
            VPDStages.planetDecode(&planets, bits: s.bits, table: s.planetTable, key: k8.map { UInt32($0) })
            work = WorkingArrays<Word>(narrowing: planets, bits: s.bits)
        }
        s.decodeTable.withUnsafeBufferPointer { lut in
            k4.withUnsafeBufferPointer { key in
                if s.bits == Word.bitWidth {
                    decryptPasses(&work, s, lut, VPDChains<Word, FullWidth>(schedule: s, key: key))
                } else {
                    decryptPasses(&work, s, lut, VPDChains<Word, PartialWidth>(schedule: s, key: key))
                }
            }
        }
        return work.widened()
    }

    private static func decryptPasses<Word, Width>(
        _ work: inout WorkingArrays<Word>, _ s: Schedule, _ lut: UnsafeBufferPointer<UInt16>, _ chains: VPDChains<Word, Width>
    ) {
        for round in [s.round2, s.round1] {
            work.pass { chains.gatherBackwardInverse($0, $1) }
            round.withUnsafe { shuffle in work.pass { chains.forwardInverseScatter($0, $1, shuffle) } }
            work.vpd(bits: s.bits, lut: lut, decode: true)
        }
    }

    private func checkGeometry(_ d: PixelDescriptor, _ s: Schedule) throws(CipherError) {
        guard d.bitsStored == s.bits, d.rows == s.rows, d.columns == s.columns,
              d.frames * d.components == s.planes else {
            throw .invalidKey(profile: Self.profileName, reason: "the schedule was built for another image geometry")
        }
    }

    private func rebuilt(_ original: PixelBuffer, _ values: [UInt32]) throws(CipherError) -> PixelBuffer {
        do {
            return try original.replacingValues(values)
        } catch {
            // Same count by construction; reaching this is a bug in this file.
            preconditionFailure("dcgan-vpd changed the value count: \(error)")
        }
    }
}

extension VPDRule {
    /// Rule 37,241, the paper's.
    public static let standard: VPDRule = {
        do { return try VPDRule(number: defaultNumber) } catch { preconditionFailure("rule 37241 is in range") }
    }()
}
