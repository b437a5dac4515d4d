import Crypto
public import Pixels

/// `qkdgate bench ciphers`: single-core throughput of the pixel cipher profiles against AES-256-GCM measured in
/// the same run, and the cost per pixel across image sizes.
///
/// Throughput counts pixel bytes = rows · columns · samples · bytes per sample (BitsAllocated / 8). Each figure is
/// the best of `repetitions` timed runs after one warm-up run; every run's decryption is checked against the
/// plain image, so a broken cipher cannot report a speed.
public struct CipherBenchmark: Sendable {
    public struct Options: Sendable {
        /// Side of the two throughput images (512 in the report).
        public var imageSize: Int
        /// Sides for the cost-per-pixel table.
        public var scalingSizes: [Int]
        public var repetitions: Int

        public init(imageSize: Int = 512, scalingSizes: [Int] = [64, 128, 256, 512, 1024, 2048, 4096], repetitions: Int = 5) {
            self.imageSize = imageSize
            self.scalingSizes = scalingSizes
            self.repetitions = repetitions
        }
    }

    public struct ThroughputRow: Sendable {
        public var image: String
        public var cipher: String
        public var pixelBytes: Int
        /// Megabytes (10^6 bytes) per second on one core.
        public var encryptMBps: Double
        public var decryptMBps: Double
        /// This cipher's speed divided by AES-256-GCM's on the same image.
        public var encryptRatioToGCM: Double
        public var decryptRatioToGCM: Double
    }

    public struct ScalingRow: Sendable {
        public var side: Int
        public var cipher: String
        public var encryptNanosecondsPerPixel: Double
        public var decryptNanosecondsPerPixel: Double
    }

    /// The fixed cost of `qkd-hybrid` per plane: object tables, HKDF, both chaotic streams with their transients,
    /// the row and column permutations and the plane parameters, including the 3N per-pixel key words.
    public struct KeyScheduleRow: Sendable {
        public var side: Int
        public var planes: String
        public var microseconds: Double
        public var nanosecondsPerPixel: Double
    }

    /// One part of the `qkd-hybrid` fixed cost per plane (msb:4, smallest scaling side), so that the table shows
    /// where a small image's time goes.
    public struct KeySchedulePartRow: Sendable {
        public var part: String
        public var microseconds: Double
    }

    /// The encryption stages of `qkd-hybrid` on one plane (msb:4, 8-bit, throughput side), timed one by one with
    /// the engine's own stage functions.
    public struct StageRow: Sendable {
        public var stage: String
        public var nanosecondsPerPixel: Double
    }

    public struct Report: Sendable {
        public var throughput: [ThroughputRow]
        public var scaling: [ScalingRow]
        public var keySchedule: [KeyScheduleRow]
        public var keyScheduleParts: [KeySchedulePartRow] = []
        public var stages: [StageRow] = []
        public var stageSide = 0

        /// The report as a plain-text table.
        public var table: String {
            var lines = ["Single-core throughput (pixel bytes; best of runs; ratio = this / AES-256-GCM in the same run)"]
            lines.append(pad("image", 26) + pad("cipher", 18) + padLeft("enc MB/s", 10) + padLeft("dec MB/s", 10)
                         + padLeft("enc ratio", 11) + padLeft("dec ratio", 11))
            for row in throughput {
                lines.append(pad(row.image, 26) + pad(row.cipher, 18) + padLeft(format(row.encryptMBps, 1), 10)
                             + padLeft(format(row.decryptMBps, 1), 10) + padLeft(format(row.encryptRatioToGCM, 3), 11)
                             + padLeft(format(row.decryptRatioToGCM, 3), 11))
            }
            lines.append("")
            lines.append("Cost per pixel, 16-bit grey, one core (flat = O(pixels))")
            lines.append(pad("side", 8) + pad("cipher", 18) + padLeft("enc ns/px", 11) + padLeft("dec ns/px", 11))
            for row in scaling {
                lines.append(pad("\(row.side)", 8) + pad(row.cipher, 18)
                             + padLeft(format(row.encryptNanosecondsPerPixel, 2), 11)
                             + padLeft(format(row.decryptNanosecondsPerPixel, 2), 11))
            }
            lines.append("")
            lines.append("qkd-hybrid key schedule per plane (16-bit grey, best of runs; included in the figures above)")
            lines.append(pad("side", 8) + pad("planes", 10) + padLeft("µs", 10) + padLeft("ns/px", 10))
            for row in keySchedule {
                lines.append(pad("\(row.side)", 8) + pad(row.planes, 10) + padLeft(format(row.microseconds, 1), 10)
                             + padLeft(format(row.nanosecondsPerPixel, 2), 10))
            }
            if !keyScheduleParts.isEmpty {
                lines.append("")
                lines.append("qkd-hybrid key schedule parts, one plane, msb:4, side \(keySchedule.first?.side ?? 0) (best of runs)")
                for row in keyScheduleParts {
                    lines.append(pad(row.part, 48) + padLeft(format(row.microseconds, 1), 10) + " µs")
                }
            }
            if !stages.isEmpty {
                lines.append("")
                lines.append("qkd-hybrid encryption stages, one 8-bit plane, msb:4, side \(stageSide) (best of runs)")
                for row in stages {
                    lines.append(pad(row.stage, 48) + padLeft(format(row.nanosecondsPerPixel, 2), 10) + " ns/px")
                }
            }
            return lines.joined(separator: "\n")
        }
    }

    public var options: Options

    public init(options: Options = Options()) {
        self.options = options
    }

    /// Runs every measurement. Throws if a cipher fails or does not round-trip.
    public func run() throws(CipherError) -> Report {
        let size = options.imageSize
        let images: [(String, PixelBuffer)] = [
            ("\(size)x\(size) 16-bit CT-like", Self.ctLike(side: size)),
            ("\(size)x\(size) 8-bit RGB", Self.rgb(side: size)),
        ]
        var throughput = [ThroughputRow]()
        for (name, image) in images {
            let bytes = Self.pixelBytes(image.descriptor)
            let gcm = try Self.timeGCM(image, repetitions: options.repetitions)
            throughput.append(ThroughputRow(
                image: name, cipher: "aes-256-gcm", pixelBytes: bytes,
                encryptMBps: Double(bytes) / gcm.encrypt / 1e6, decryptMBps: Double(bytes) / gcm.decrypt / 1e6,
                encryptRatioToGCM: 1, decryptRatioToGCM: 1))
            for (label, cipher, key) in try Self.profiles() {
                let t = try Self.time(cipher, key: key, image: image, repetitions: options.repetitions)
                throughput.append(ThroughputRow(
                    image: name, cipher: label, pixelBytes: bytes,
                    encryptMBps: Double(bytes) / t.encrypt / 1e6, decryptMBps: Double(bytes) / t.decrypt / 1e6,
                    encryptRatioToGCM: gcm.encrypt / t.encrypt, decryptRatioToGCM: gcm.decrypt / t.decrypt))
            }
        }
        var scaling = [ScalingRow]()
        for side in options.scalingSizes {
            let image = Self.ctLike(side: side)
            let pixels = Double(side * side)
            // Big sides take a second or more per run, so at most three timed runs (and the warm-up); best of two
            // was at the mercy of one slow moment of a shared machine.
            let repetitions = side >= 2048 ? min(options.repetitions, 3) : options.repetitions
            for (label, cipher, key) in try Self.profiles() {
                let t = try Self.time(cipher, key: key, image: image, repetitions: repetitions)
                scaling.append(ScalingRow(
                    side: side, cipher: label,
                    encryptNanosecondsPerPixel: t.encrypt / pixels * 1e9, decryptNanosecondsPerPixel: t.decrypt / pixels * 1e9))
            }
        }
        var keySchedule = [KeyScheduleRow]()
        for side in Set([options.scalingSizes.min() ?? 64, size]).sorted() {
            for planes in [QKDHybridCipher.Planes.msb(4), .all] {
                let seconds = Self.timeKeySchedule(side: side, m: planes.encryptedPlanes(bitsStored: 16), repetitions: options.repetitions)
                keySchedule.append(KeyScheduleRow(
                    side: side, planes: planes.description, microseconds: seconds * 1e6,
                    nanosecondsPerPixel: seconds / Double(side * side) * 1e9))
            }
        }
        let parts = Self.timeKeyScheduleParts(side: options.scalingSizes.min() ?? 64, m: 4, repetitions: options.repetitions)
        let stages = Self.timeStages(side: size, m: 4, bitsStored: 8, repetitions: options.repetitions)
        return Report(throughput: throughput, scaling: scaling, keySchedule: keySchedule, keyScheduleParts: parts,
                      stages: stages, stageSide: size)
    }

    /// The encryption passes of one plane as the engine runs them (`QKDHybridEngine.process`), timed one by one.
    static func timeStages(side: Int, m: Int, bitsStored: Int, repetitions: Int) -> [StageRow] {
        let secret = [UInt8](repeating: 0x5A, count: 32)
        let version = QKDHybridCipher.currentFormatVersion
        let schedule = KeySchedule(secret: secret, profile: QKDHybridCipher.profileName, version: version)
        let tables = QKDHybridTables(schedule: schedule, m: m)
        let n = side * side
        let low = UInt32(bitsStored - m)
        let plain = (0..<n).map { UInt32(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 7) & ((1 << UInt32(bitsStored)) - 1) }
        let values = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: n)
        // Scratch as the engine gets it (`QKDHybridScratchPool.Block`: 2 MiB pages for big planes), so that the
        // column passes at 4096 × 4096 are not timed with 4 KiB pages the engine does not use.
        let block = QKDHybridScratchPool.Block(count: QKDHybridEngine.PlaneScratch.count(rows: side, columns: side, m: m))
        let scratch = block.buffer
        defer { values.deallocate(); withExtendedLifetime(block) {} }
        _ = values.initialize(from: plain)
        scratch.initialize(repeating: 0)
        guard let parts = QKDHybridEngine.PlaneScratch(scratch, rows: side, columns: side, m: m) else { return [] }
        let (a, b, temporary, stream, chain) = (parts.a, parts.b, parts.temporary, parts.stream, parts.chain)
        let clock = ContinuousClock()
        var keys = QKDHybridPlaneKeys(schedule: schedule, formatVersion: version, plane: 0, rows: side, columns: side, m: m,
                                      inverse: false, stream: stream)
        func best(_ body: () -> Void) -> Double {
            var fastest = Double.infinity
            for _ in 0...max(repetitions, 10) { fastest = min(fastest, seconds(clock.measure(body))) }
            return fastest / Double(n) * 1e9
        }
        var rows = [StageRow]()
        rows.append(StageRow(stage: "plane key schedule (incl. 3N key words)", nanosecondsPerPixel: best {
            keys = QKDHybridPlaneKeys(schedule: schedule, formatVersion: version, plane: 0, rows: side, columns: side, m: m,
                                      inverse: false, stream: stream)
        }))
        rows.append(StageRow(stage: "stages 2–3 (scrambling, shuffles, rotation/flip)", nanosecondsPerPixel: best {
            tables.valueShuffle.withUnsafeBufferPointer { table in
                QKDHybridStages.scrambleAndShuffleDirect(
                    values: UnsafeBufferPointer(values), low: low, keys: keys, valueShuffle: table, into: a, output: b,
                    temporary: temporary)
            }
        }))
        rows.append(StageRow(stage: "  of which column shear, second shear, turn", nanosecondsPerPixel: best {
            // w1 and w2 are byte planes on the direct path (m ≤ 8), as `scrambleAndShuffleDirect` runs it.
            b.withMemoryRebound(to: UInt8.self) { w1 in
                temporary.withMemoryRebound(to: UInt8.self) { w2 in
                    QKDHybridStages.shearColumnsAndTurn(UnsafeBufferPointer(w1), keys: keys, temporary: w2, into: a)
                }
            }
        }))
        let snapshot = Array(a)
        func restore() { for i in 0..<n { a[i] = snapshot[i] } }
        let restoreCost = best { restore() }
        rows.append(StageRow(stage: "chains forward + backward", nanosecondsPerPixel: best {
            restore()
            QKDHybridStages.affineChainEncrypt(
                a, stream: UnsafeBufferPointer(rebasing: stream[0..<(2 * n)]), keys: keys, scratch: chain)
        } - restoreCost))
        // Three planes' chains together, as multi-plane encryption runs them (each with its own copy and tables).
        let group = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: 3 * (n + QKDHybridStages.chainScratchCount(m: m)))
        defer { group.deallocate() }
        let chainScratch = QKDHybridStages.chainScratchCount(m: m)
        let copies = (0..<3).map { UnsafeMutableBufferPointer(rebasing: group[($0 * n)..<(($0 + 1) * n)]) }
        let chainPlanes = (0..<3).compactMap { i in
            QKDHybridStages.ChainPlane(
                copies[i], stream: UnsafeBufferPointer(rebasing: stream[0..<(2 * n)]), keys: keys,
                scratch: UnsafeMutableBufferPointer(rebasing: group[(3 * n + i * chainScratch)..<(3 * n + (i + 1) * chainScratch)]))
        }
        func restoreCopies() { for copy in copies { for i in 0..<n { copy[i] = snapshot[i] } } }
        let restoreCopiesCost = best { restoreCopies() }
        rows.append(StageRow(stage: "  chains of three planes together, per plane", nanosecondsPerPixel: (best {
            restoreCopies()
            QKDHybridStages.affineChainEncrypt(chainPlanes, count: n, m: m)
        } - restoreCopiesCost) / 3))
        rows.append(StageRow(stage: "block transform + Haar rows", nanosecondsPerPixel: best {
            QKDHybridStages.blockAndRowsEncrypt(a, offsets: UnsafeBufferPointer(rebasing: stream[(2 * n)..<(3 * n)]), keys: keys)
        }))
        rows.append(StageRow(stage: "Haar columns + modulation + T + store", nanosecondsPerPixel: best {
            tables.mobiusThenPolynomial.withUnsafeBufferPointer { table in
                QKDHybridStages.columnsSubstituteAndStore(a, keys: keys, table: table, into: values, low: low)
            }
        }))
        return rows
    }

    /// The parts of one plane's key schedule, timed one by one (best of runs each): what a small image pays per plane.
    static func timeKeyScheduleParts(side: Int, m: Int, repetitions: Int) -> [KeySchedulePartRow] {
        let secret = [UInt8](repeating: 0x5A, count: 32)
        let version = QKDHybridCipher.currentFormatVersion
        let schedule = KeySchedule(secret: secret, profile: QKDHybridCipher.profileName, version: version)
        let stream = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: 3 * side * side)
        defer { stream.deallocate() }
        let clock = ContinuousClock()
        func best(_ body: () -> Int) -> Double {
            var fastest = Double.infinity
            for _ in 0...max(repetitions, 20) {
                var check = 0
                let elapsed = clock.measure { check = body() }
                precondition(check != Int.min, "unreachable: keeps the measured work alive")
                fastest = min(fastest, seconds(elapsed))
            }
            return fastest * 1e6
        }
        let chenSteps = ChenWordStream.transientSteps(formatVersion: version)
        let ikedaSteps = IkedaWordStream.transientSteps(formatVersion: version)
        return [
            KeySchedulePartRow(part: "object tables (once per object)", microseconds: best {
                QKDHybridTables(schedule: schedule, m: m).valueShuffle.count
            }),
            KeySchedulePartRow(part: "HKDF-SHA-512, 3 derivations", microseconds: best {
                schedule.bytes(QKDHybridLabel.chen, plane: 0, count: 48).count
                    + schedule.bytes(QKDHybridLabel.ikeda, plane: 0, count: 24).count
                    + schedule.bytes(QKDHybridLabel.stream, plane: 0, count: 32).count
            }),
            KeySchedulePartRow(part: "Chen transient (\(chenSteps) RK4 steps)", microseconds: best {
                let chen = ChenWordStream(seed: secret + secret, transientSteps: chenSteps)
                return Int(chen.state.x1.bitPattern & 1)
            }),
            KeySchedulePartRow(part: "Chen words, \(m) row permutations", microseconds: best {
                var chen = ChenWordStream(seed: secret + secret, transientSteps: 0)
                return (0..<m).reduce(0) { sum, _ in sum + Permutations.fisherYates(count: side) { chen.below($0) }.count }
            }),
            KeySchedulePartRow(part: "Ikeda transient (\(ikedaSteps) iterations)", microseconds: best {
                let ikeda = IkedaWordStream(seed: secret, transientSteps: ikedaSteps)
                return Int(ikeda.x.bitPattern & 1)
            }),
            KeySchedulePartRow(part: "Ikeda words, \(m) column permutations", microseconds: best {
                var ikeda = IkedaWordStream(seed: secret, transientSteps: 0)
                return (0..<m).reduce(0) { sum, _ in sum + Permutations.fisherYates(count: side) { ikeda.below($0) }.count }
            }),
            KeySchedulePartRow(part: "the four above in one loop (what a plane runs)", microseconds: best {
                let permutations = QKDHybridPlaneKeys.chaoticPermutations(
                    chenSeed: secret + secret, ikedaSeed: secret, formatVersion: version, rows: side, columns: side, m: m,
                    inverse: false)
                return permutations.rows.count + permutations.columns.count
            }),
            KeySchedulePartRow(part: "3N key words (xoshiro256**)", microseconds: best {
                var generator = Xoshiro256StarStar(seed: secret)
                generator.fill(stream)
                return Int(stream[0])
            }),
            KeySchedulePartRow(part: "whole plane key schedule (all of the above but the tables)", microseconds: best {
                QKDHybridPlaneKeys(
                    schedule: schedule, formatVersion: version, plane: 0, rows: side, columns: side, m: m, inverse: false,
                    stream: stream).rowPermutations.count
            }),
        ]
    }

    /// Best time in seconds to derive one plane's key material for a side × side plane with m encrypted planes.
    static func timeKeySchedule(side: Int, m: Int, repetitions: Int) -> Double {
        let secret = [UInt8](repeating: 0x5A, count: 32)
        let stream = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: 3 * side * side)
        defer { stream.deallocate() }
        let clock = ContinuousClock()
        var best = Double.infinity
        for _ in 0...repetitions {
            var check = 0
            let elapsed = clock.measure {
                let schedule = KeySchedule(secret: secret, profile: QKDHybridCipher.profileName, version: QKDHybridCipher.currentFormatVersion)
                let tables = QKDHybridTables(schedule: schedule, m: m)
                let keys = QKDHybridPlaneKeys(
                    schedule: schedule, formatVersion: QKDHybridCipher.currentFormatVersion, plane: 0, rows: side,
                    columns: side, m: m, inverse: false, stream: stream)
                check = tables.valueShuffle.count + keys.rowPermutations.count
            }
            precondition(check > 0, "the key schedule produced no tables")
            best = min(best, seconds(elapsed))
        }
        return best
    }

    static func profiles() throws(CipherError) -> [(String, any PixelCipher, CipherKey)] {
        let msb = QKDHybridCipher(planes: .msb(4), parallel: false)
        let all = QKDHybridCipher(planes: .all, parallel: false)
        let aes = AESCTRCipher()
        return [
            ("qkd-hybrid msb:4", msb, try msb.generateKey()),
            ("qkd-hybrid all", all, try all.generateKey()),
            ("aes-ctr", aes, try aes.generateKey()),
        ]
    }

    static func pixelBytes(_ d: PixelDescriptor) -> Int {
        d.rows * d.columns * d.samplesPerPixel * d.frames * max(1, d.bitsAllocated / 8)
    }

    static func seconds(_ duration: Duration) -> Double {
        let (s, attoseconds) = duration.components
        return Double(s) + Double(attoseconds) * 1e-18
    }

    /// Best encryption and decryption time in seconds.
    static func time(_ cipher: any PixelCipher, key: CipherKey, image: PixelBuffer, repetitions: Int)
        throws(CipherError) -> (encrypt: Double, decrypt: Double)
    {
        let clock = ContinuousClock()
        var bestEncrypt = Double.infinity, bestDecrypt = Double.infinity
        for _ in 0...repetitions {
            var sealed: PixelBuffer? = nil
            var opened: PixelBuffer? = nil
            var failure: CipherError? = nil
            let encryptTime = clock.measure {
                do throws(CipherError) { sealed = try cipher.encrypt(image, key: key) } catch { failure = error }
            }
            guard let sealed else { throw failure ?? .randomSourceFailed }
            let decryptTime = clock.measure {
                do throws(CipherError) { opened = try cipher.decrypt(sealed, key: key) } catch { failure = error }
            }
            guard let opened, opened == image else {
                throw failure ?? .unsupportedPixelFormat(profile: cipher.profile, reason: "benchmark round trip failed")
            }
            bestEncrypt = min(bestEncrypt, seconds(encryptTime))
            bestDecrypt = min(bestDecrypt, seconds(decryptTime))
        }
        return (bestEncrypt, bestDecrypt)
    }

    /// AES-256-GCM over the native Pixel Data bytes (what a whole-object standard cipher would process).
    static func timeGCM(_ image: PixelBuffer, repetitions: Int) throws(CipherError) -> (encrypt: Double, decrypt: Double) {
        guard let bytes = try? image.nativeBytes() else {
            throw .unsupportedPixelFormat(profile: "aes-256-gcm", reason: "benchmark image has no native form")
        }
        let key = SymmetricKey(size: .bits256)
        let clock = ContinuousClock()
        var bestEncrypt = Double.infinity, bestDecrypt = Double.infinity
        for _ in 0...repetitions {
            var box: AES.GCM.SealedBox? = nil
            var opened: [UInt8]? = nil
            let encryptTime = clock.measure { box = try? AES.GCM.seal(bytes, using: key) }
            guard let box else { throw .invalidKey(profile: "aes-256-gcm", reason: "seal failed") }
            let decryptTime = clock.measure { opened = (try? AES.GCM.open(box, using: key)).map { Array($0) } }
            guard opened == bytes else { throw .invalidKey(profile: "aes-256-gcm", reason: "open failed") }
            bestEncrypt = min(bestEncrypt, seconds(encryptTime))
            bestDecrypt = min(bestDecrypt, seconds(decryptTime))
        }
        return (bestEncrypt, bestDecrypt)
    }

    /// A 16-bit CT-like slice: body disc with a gradient, a darker core, and noise from a fixed seed.
    static func ctLike(side: Int) -> PixelBuffer {
        var state: UInt64 = 0x1234_5678
        var values = [UInt32](repeating: 0, count: side * side)
        let centre = Double(side) / 2
        for r in 0..<side {
            for c in 0..<side {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let dr = Double(r) - centre, dc = Double(c) - centre
                let d = (dr * dr + dc * dc).squareRoot() / centre
                var v = d < 0.9 ? 30_000 - 8_000 * d : 1_000
                if d < 0.3 { v -= 9_000 }
                v += Double(state >> 52)
                values[r * side + c] = UInt32(v)
            }
        }
        // The descriptor is valid by construction.
        return try! PixelBuffer(
            descriptor: PixelDescriptor(rows: side, columns: side, bitsAllocated: 16, bitsStored: 16), values: values)
    }

    /// An 8-bit RGB image (interleaved): smooth colour ramps.
    static func rgb(side: Int) -> PixelBuffer {
        var values = [UInt32](repeating: 0, count: 3 * side * side)
        let plane = side * side
        for r in 0..<side {
            for c in 0..<side {
                values[r * side + c] = UInt32((r * 255) / max(1, side - 1))
                values[plane + r * side + c] = UInt32((c * 255) / max(1, side - 1))
                values[2 * plane + r * side + c] = UInt32(((r + c) * 127) / max(1, side - 1))
            }
        }
        return try! PixelBuffer(
            descriptor: PixelDescriptor(rows: side, columns: side, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8),
            values: values)
    }
}

private func format(_ value: Double, _ decimals: Int) -> String {
    guard value.isFinite else { return "-" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = "\(rounded)"
    if let dot = text.firstIndex(of: ".") {
        let fraction = text[text.index(after: dot)...].count
        if fraction < decimals { text += String(repeating: "0", count: decimals - fraction) }
    } else if decimals > 0 {
        text += "." + String(repeating: "0", count: decimals)
    }
    return text
}

private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}

private func padLeft(_ text: String, _ width: Int) -> String {
    text.count >= width ? " " + text : String(repeating: " ", count: width - text.count) + text
}
