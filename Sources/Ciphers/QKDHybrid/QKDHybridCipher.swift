import Crypto
import Dispatch
import Foundation
public import Pixels

/// Profile `qkd-hybrid`: the hybrid quantum/classical image cipher of Shafique et al. (Sci. Rep. 14, 2024) as
/// reconstructed in spec/qkd-hybrid.md, with every open choice fixed in docs/ciphers/qkd-hybrid.md.
///
/// Per plane (one component of one frame), on the top m bits of each stored value: bit-plane row/column
/// scrambling (6D coupled Chen system, Ikeda map) → pixel shuffling + value shuffling + rotation/flipping →
/// chained affine diffusion forward and backward → block lifting transform + modulation → Haar lifting +
/// subband modulation → Möbius map over GF(2^m) → permutation polynomial. Decryption runs the inverses in
/// reverse order. The lower n − m planes (MSB mode) and the bits above BitsStored are kept as they are.
///
/// ```swift
/// let cipher = QKDHybridCipher(planes: .msb(4))
/// let key = try cipher.generateKey()          // key.parameters["planes"] == "msb:4"
/// let sealed = try cipher.encrypt(buffer, key: key)
/// ```
///
/// Supported: BitsStored 1 … 16 (any BitsAllocated, signedness, samples, planar configuration, frames).
public struct QKDHybridCipher: PixelCipher {
    public static let profileName = "qkd-hybrid"
    /// Version 2 differs from version 1 only in the chaotic transients (docs/ciphers/qkd-hybrid.md §3) and,
    /// through the HKDF salt, in every derived value. Version 1 objects still decrypt with
    /// `QKDHybridCipher(formatVersion: 1)`.
    public static let currentFormatVersion = 2
    public static let supportedFormatVersions = 1...2
    /// The name of the public parameter that carries the plane setting.
    public static let planesParameter = "planes"

    /// Which bit-planes are encrypted.
    public enum Planes: Sendable, Hashable, CustomStringConvertible {
        /// The top `k` planes (the paper uses 4); all planes when BitsStored < k.
        case msb(Int)
        /// Every stored bit-plane.
        case all

        /// "msb:4" or "all", as stored in `CipherKey.parameters["planes"]`.
        public var description: String {
            switch self {
            case .msb(let k): "msb:\(k)"
            case .all: "all"
            }
        }

        /// Parses "all" or "msb:K" with 1 ≤ K ≤ 16.
        public init?(parameter: String) {
            if parameter == "all" {
                self = .all
                return
            }
            guard parameter.hasPrefix("msb:"), let k = Int(parameter.dropFirst(4)), (1...16).contains(k) else { return nil }
            self = .msb(k)
        }

        /// Number of encrypted planes for BitsStored `n`.
        public func encryptedPlanes(bitsStored n: Int) -> Int {
            switch self {
            case .msb(let k): min(k, n)
            case .all: n
            }
        }
    }

    /// The plane setting written into keys drawn by `generateKey()`. Encryption and decryption read the setting
    /// from the key's parameters, so a key always decrypts what it encrypted.
    public var planes: Planes
    /// Process planes (frames × components) on all cores. The benchmark turns it off to measure one core.
    public var parallel: Bool

    /// The format this instance writes and reads (one of `supportedFormatVersions`).
    public let formatVersion: Int

    /// `formatVersion` other than the current one is for decrypting older objects; check a version read from
    /// an object against `supportedFormatVersions` first.
    public init(planes: Planes = .msb(4), parallel: Bool = true, formatVersion: Int = currentFormatVersion) {
        precondition(Self.supportedFormatVersions.contains(formatVersion),
                     "qkd-hybrid format version \(formatVersion) is not one of \(Self.supportedFormatVersions)")
        self.planes = planes
        self.parallel = parallel
        self.formatVersion = formatVersion
    }

    public var profile: String { Self.profileName }

    public func checkSupported(_ descriptor: PixelDescriptor) throws(CipherError) {
        do {
            try descriptor.validate()
        } catch {
            throw .unsupportedPixelFormat(profile: profile, reason: error.description)
        }
        guard (1...16).contains(descriptor.bitsStored) else {
            throw .unsupportedPixelFormat(
                profile: profile, reason: "BitsStored \(descriptor.bitsStored) is above 16, the limit of the chaotic profiles")
        }
    }

    public func generateKey() throws(CipherError) -> CipherKey {
        let key = SymmetricKey(size: .bits256)
        return CipherKey(
            secret: key.withUnsafeBytes { Array($0) },
            parameters: [Self.planesParameter: planes.description])
    }

    public func encrypt(_ plain: PixelBuffer, key: CipherKey) throws(CipherError) -> PixelBuffer {
        try run(plain, key: key, encrypting: true)
    }

    public func decrypt(_ cipher: PixelBuffer, key: CipherKey) throws(CipherError) -> PixelBuffer {
        try run(cipher, key: key, encrypting: false)
    }

    /// The plane setting a key carries.
    func planes(of key: CipherKey) throws(CipherError) -> Planes {
        guard let text = key.parameters[Self.planesParameter] else {
            throw .missingParameter(profile: profile, name: Self.planesParameter)
        }
        guard let planes = Planes(parameter: text) else {
            throw .invalidParameter(profile: profile, name: Self.planesParameter, value: text)
        }
        return planes
    }

    private func run(_ input: PixelBuffer, key: CipherKey, encrypting: Bool) throws(CipherError) -> PixelBuffer {
        let descriptor = input.descriptor
        try checkSupported(descriptor)
        guard key.secret.count == 32 else {
            throw .invalidKey(profile: profile, reason: "the secret must be 32 bytes (256 bits), got \(key.secret.count)")
        }
        guard input.values.count == descriptor.valueCount else {
            throw .unsupportedPixelFormat(
                profile: profile, reason: "the buffer holds \(input.values.count) values, its descriptor needs \(descriptor.valueCount)")
        }
        let engine = QKDHybridEngine(
            schedule: KeySchedule(secret: key.secret, profile: profile, version: formatVersion),
            formatVersion: formatVersion, descriptor: descriptor, m: try planes(of: key).encryptedPlanes(bitsStored: descriptor.bitsStored),
            encrypting: encrypting)
        var output = input
        // A copy of its own, so the writes below do not copy on write into 4 KiB pages (`LargeArrays`).
        output.values = LargeArrays.writableCopy(of: input.values)
        output.values.withUnsafeMutableBufferPointer { values in
            engine.run(values, encrypting: encrypting, parallel: parallel)
        }
        return output
    }
}

/// One object's run: tables built once, then each plane independently (in parallel when asked).
struct QKDHybridEngine: Sendable {
    let schedule: KeySchedule
    let formatVersion: Int
    let rows: Int
    let columns: Int
    let planeCount: Int
    let bitsStored: Int
    let m: Int
    let tables: QKDHybridTables

    init(schedule: KeySchedule, formatVersion: Int, descriptor: PixelDescriptor, m: Int, encrypting: Bool) {
        self.schedule = schedule
        self.formatVersion = formatVersion
        rows = descriptor.rows
        columns = descriptor.columns
        planeCount = descriptor.frames * descriptor.components
        bitsStored = descriptor.bitsStored
        self.m = m
        tables = QKDHybridTables(schedule: schedule, m: m, inverse: !encrypting)
    }

    func run(_ values: UnsafeMutableBufferPointer<UInt32>, encrypting: Bool, parallel: Bool) {
        let scratchCount = PlaneScratch.count(rows: rows, columns: columns, m: m)
        // The pointer is shared by the workers; each touches only its own planes' range.
        nonisolated(unsafe) let shared = values
        let group = groupSize(encrypting: encrypting, parallel: parallel)
        let groups = (planeCount + group - 1) / group
        @Sendable func planes(of index: Int) -> Range<Int> { (index * group)..<min((index + 1) * group, planeCount) }
        if parallel && groups > 1 {
            DispatchQueue.concurrentPerform(iterations: groups) { index in
                let range = planes(of: index)
                let blocks = range.map { _ in QKDHybridScratchPool.shared.take(count: scratchCount) }
                defer { blocks.forEach { QKDHybridScratchPool.shared.give($0) } }
                self.process(planes: range, values: shared, scratch: blocks.map(\.buffer), encrypting: encrypting)
            }
        } else {
            // One scratch per plane of a group for all groups: a fresh multi-megabyte allocation per plane costs its
            // page faults again.
            let blocks = (0..<min(group, planeCount)).map { _ in QKDHybridScratchPool.shared.take(count: scratchCount) }
            defer { blocks.forEach { QKDHybridScratchPool.shared.give($0) } }
            for index in 0..<groups {
                process(planes: planes(of: index), values: shared, scratch: blocks.map(\.buffer), encrypting: encrypting)
            }
        }
    }

    /// Planes encrypted together, so that their chains' serial steps interleave (`QKDHybridStages.
    /// affineChainEncrypt(_:count:m:)`): up to three where the pair tables apply; on all cores only when there
    /// are enough planes to keep every core busy with groups (many frames), since a group runs on one core.
    func groupSize(encrypting: Bool, parallel: Bool) -> Int {
        guard encrypting && m <= QKDHybridStages.pairLimit && rows * columns >= QKDHybridStages.pairMinimumCount else { return 1 }
        guard parallel else { return 3 }
        return planeCount >= 4 * ProcessInfo.processInfo.activeProcessorCount ? 3 : 1
    }

    /// Runs all stages on the planes `range`, each with its own scratch (`scratch[i]` for the i-th plane of
    /// the range; see `decrypt(plane:values:scratch:)` for its size). Encryption runs the stages plane by plane
    /// but the chains of all of them together (a group of one is the one-plane case).
    func process(planes range: Range<Int>, values: UnsafeMutableBufferPointer<UInt32>,
                 scratch: [UnsafeMutableBufferPointer<UInt16>], encrypting: Bool) {
        let n = rows * columns
        @inline(__always) func slice(_ plane: Int) -> UnsafeMutableBufferPointer<UInt32> {
            UnsafeMutableBufferPointer(rebasing: values[(plane * n)..<((plane + 1) * n)])
        }
        guard encrypting else {
            for (i, plane) in range.enumerated() { decrypt(plane: plane, values: slice(plane), scratch: scratch[i]) }
            return
        }
        var parts = [PlaneScratch]()
        var keys = [QKDHybridPlaneKeys]()
        var chains = [QKDHybridStages.ChainPlane]()
        for (i, plane) in range.enumerated() {
            guard let part = PlaneScratch(scratch[i], rows: rows, columns: columns, m: m) else { return }
            let planeKeys = QKDHybridPlaneKeys(
                schedule: schedule, formatVersion: formatVersion, plane: UInt32(plane), rows: rows, columns: columns, m: m,
                inverse: false, stream: part.stream)
            scrambleAndShuffle(slice(plane), keys: planeKeys, scratch: part)
            guard let chain = QKDHybridStages.ChainPlane(
                part.a, stream: UnsafeBufferPointer(rebasing: part.stream[0..<(2 * n)]), keys: planeKeys, scratch: part.chain)
            else { return }
            parts.append(part)
            keys.append(planeKeys)
            chains.append(chain)
        }
        QKDHybridStages.affineChainEncrypt(chains, count: n, m: m)
        for (i, plane) in range.enumerated() {
            diffuseAndStore(slice(plane), keys: keys[i], scratch: parts[i])
        }
    }

    /// The parts of one plane's scratch (see `process`): the dense plane `a` (z and the diffusion), `b` and
    /// `temporary` (rows × `QKDHybridStages.shearPitch` each, since w1 and w2 live there), the 3N key words, a row
    /// region of 2 · max(rows, columns) values (the general path's row uses half of it) and the chain tables.
    struct PlaneScratch {
        let a, b, temporary, stream: UnsafeMutableBufferPointer<UInt16>
        let row: UnsafeMutablePointer<UInt16>
        let rowCount: Int
        let chain: UnsafeMutableBufferPointer<UInt16>

        /// UInt16 values one plane's scratch holds.
        static func count(rows: Int, columns: Int, m: Int) -> Int {
            let n = rows * columns, padded = rows * QKDHybridStages.shearPitch(rows: rows, columns: columns)
            return 4 * n + 2 * padded + 2 * max(rows, columns) + QKDHybridStages.chainScratchCount(m: m)
        }

        init?(_ scratch: UnsafeMutableBufferPointer<UInt16>, rows: Int, columns: Int, m: Int) {
            let n = rows * columns, padded = rows * QKDHybridStages.shearPitch(rows: rows, columns: columns)
            guard scratch.count >= Self.count(rows: rows, columns: columns, m: m) else { return nil }
            rowCount = 2 * max(rows, columns)
            a = UnsafeMutableBufferPointer(rebasing: scratch[0..<n])
            b = UnsafeMutableBufferPointer(rebasing: scratch[n..<(n + padded)])
            temporary = UnsafeMutableBufferPointer(rebasing: scratch[(n + padded)..<(n + 2 * padded)])
            let rest = n + 2 * padded
            stream = UnsafeMutableBufferPointer(rebasing: scratch[rest..<(rest + 3 * n)])
            guard let row = UnsafeMutableBufferPointer(rebasing: scratch[(rest + 3 * n)..<(rest + 3 * n + rowCount)]).baseAddress
            else { return nil }
            self.row = row
            chain = UnsafeMutableBufferPointer(
                rebasing: scratch[(rest + 3 * n + rowCount)..<(rest + 3 * n + rowCount + QKDHybridStages.chainScratchCount(m: m))])
        }
    }

    /// Encryption stages 1–3 of one plane: the top m bits of `values` → z in `scratch.a`.
    func scrambleAndShuffle(_ values: UnsafeMutableBufferPointer<UInt32>, keys: borrowing QKDHybridPlaneKeys, scratch: PlaneScratch) {
        let low = UInt32(bitsStored - m)
        tables.valueShuffle.withUnsafeBufferPointer { table in
            if m <= QKDHybridStages.directGatherLimit {
                QKDHybridStages.scrambleAndShuffleDirect(
                    values: UnsafeBufferPointer(values), low: low, keys: keys, valueShuffle: table, into: scratch.a,
                    output: scratch.b, temporary: scratch.temporary)
            } else {
                QKDHybridStages.scrambleAndShuffle(
                    values: UnsafeBufferPointer(values), low: low, keys: keys, valueShuffle: table, into: scratch.a,
                    output: scratch.b, temporary: scratch.temporary, row: scratch.row)
            }
        }
    }

    /// Encryption stages 5–8 of one plane (after the chains): `scratch.a` → the top m bits of `values`.
    func diffuseAndStore(_ values: UnsafeMutableBufferPointer<UInt32>, keys: borrowing QKDHybridPlaneKeys, scratch: PlaneScratch) {
        let n = values.count
        let low = UInt32(bitsStored - m)
        let offsets = UnsafeBufferPointer(rebasing: scratch.stream[(2 * n)..<(3 * n)])
        if columns % 2 == 0 {
            QKDHybridStages.blockAndRowsEncrypt(scratch.a, offsets: offsets, keys: keys)
        } else {
            QKDHybridStages.blockTransformEncrypt(scratch.a, offsets: offsets, keys: keys)
            QKDHybridStages.waveletRowsEncrypt(scratch.a, keys: keys)
        }
        tables.mobiusThenPolynomial.withUnsafeBufferPointer { table in
            QKDHybridStages.columnsSubstituteAndStore(scratch.a, keys: keys, table: table, into: values, low: low)
        }
    }

    /// Decrypts one plane. `scratch` holds `PlaneScratch.count(rows:columns:m:)` values.
    func decrypt(plane: Int, values: UnsafeMutableBufferPointer<UInt32>, scratch: UnsafeMutableBufferPointer<UInt16>) {
        let n = values.count
        let low = UInt32(bitsStored - m)
        guard let parts = PlaneScratch(scratch, rows: rows, columns: columns, m: m) else { return }
        let (a, b, temporary, stream, row) = (parts.a, parts.b, parts.temporary, parts.stream, parts.row)
        let keys = QKDHybridPlaneKeys(
            schedule: schedule, formatVersion: formatVersion, plane: UInt32(plane), rows: rows, columns: columns, m: m,
            inverse: true, stream: stream)
        let forwardAndBackward = UnsafeBufferPointer(rebasing: stream[0..<(2 * n)])
        let offsets = UnsafeBufferPointer(rebasing: stream[(2 * n)..<(3 * n)])

        tables.mobiusThenPolynomial.withUnsafeBufferPointer { table in
            QKDHybridStages.loadSubstituteAndColumnsDecrypt(UnsafeBufferPointer(values), low: low, table: table, keys: keys, into: a)
        }
        if columns % 2 == 0 {
            QKDHybridStages.blockAndRowsDecrypt(a, offsets: offsets, keys: keys)
        } else {
            QKDHybridStages.waveletRowsDecrypt(a, keys: keys)
            QKDHybridStages.blockTransformDecrypt(a, offsets: offsets, keys: keys)
        }
        QKDHybridStages.affineChainDecrypt(a, stream: forwardAndBackward, keys: keys, temporary: temporary)
        tables.valueShuffle.withUnsafeBufferPointer { table in
            if m <= QKDHybridStages.directGatherLimit {
                QKDHybridStages.unshuffleAndUnscrambleDirect(
                    a, keys: keys, valueShuffle: table, other: b, temporary: temporary, into: values, low: low)
            } else {
                QKDHybridStages.unshuffleAndUnscramble(
                    a, keys: keys, valueShuffle: table, other: b, temporary: temporary, row: row, into: values, low: low)
            }
        }
    }
}
