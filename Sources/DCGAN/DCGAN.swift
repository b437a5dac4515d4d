/// DCGAN — generator inference for `dcgan-vpd` decoy images, from committed weights.
///
/// The generator is the DCGAN layout of the paper (100-d latent → ConvTranspose 4×4 + BatchNorm + ReLU ×4 →
/// ConvTranspose 4×4 → tanh → 3×64×64), trained by `tools/dcgan/train.py`; its weights are read from the
/// small file format described in docs/ciphers/dcgan-vpd.md (`generator.qdcg`, shipped as a resource).
/// This module knows nothing of pixels in DICOM objects; it hands decoys to `Ciphers` through `DecoySource`.
///
/// ```swift
/// let generator = try Generator.bundled()
/// let rgb = generator.generate(latent: [Float](repeating: 0, count: 100))   // 3×64×64 in [−1, 1]
/// let cipher = DCGANVPDCipher(decoySource: DCGANDecoySource(generator: generator))
/// ```
public import Ciphers
import Foundation

/// Why weights could not be loaded. Messages name the file and the problem, never any values.
public enum DCGANError: Error, Sendable, Equatable, CustomStringConvertible {
    case resourceMissing(String)
    case unreadable(path: String, reason: String)
    case malformed(reason: String)

    public var description: String {
        switch self {
        case .resourceMissing(let name):
            "the DCGAN weight resource '\(name)' is not bundled; rebuild the package or pass a weights path"
        case .unreadable(let path, let reason):
            "cannot read DCGAN weights at \(path): \(reason)"
        case .malformed(let reason):
            "DCGAN weight file is malformed: \(reason); regenerate it with tools/dcgan/train.py"
        }
    }
}

/// One ConvTranspose2d (+ optional BatchNorm folded to a per-channel scale and shift) of the generator.
struct GeneratorLayer: Sendable {
    let inChannels: Int, outChannels: Int, stride: Int, padding: Int
    /// Output channels rounded up to a multiple of 4: the stride of this layer's output pixels (the extra
    /// channels stay 0), so that every block of output channels is whole `SIMD4<Float>` vectors.
    var outStride: Int { (outChannels + 3) & ~3 }
    /// Weights reordered to [ky][kx][in][out] with `outStride` out entries per row (the padding is 0), so that for
    /// one kernel tap the input channels run over contiguous rows of output channels.
    let weights: [Float]
    /// y = x·scale + shift per output channel (scale = γ/√(var+ε), shift = β − mean·scale); nil: no BN.
    let scale: [Float]?, shift: [Float]?
}

/// The trained generator: `generate(latent:)` runs the layers in Float on one latent vector.
public struct Generator: Sendable {
    public static let latentSize = 100
    public static let imageSize = 64
    static let kernel = 4
    static let batchNormEpsilon: Float = 1e-5

    let layers: [GeneratorLayer]

    /// Loads `generator.qdcg` from the module's resources.
    public static func bundled() throws(DCGANError) -> Generator {
        guard let url = Bundle.module.url(forResource: "generator", withExtension: "qdcg") else {
            throw .resourceMissing("generator.qdcg")
        }
        return try Generator(contentsOf: url.path)
    }

    public init(contentsOf path: String) throws(DCGANError) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        try self.init(bytes: [UInt8](data))
    }

    /// Parses the weight file format (docs/ciphers/dcgan-vpd.md §DCGAN weights).
    public init(bytes: [UInt8]) throws(DCGANError) {
        var reader = ByteReader(bytes: bytes)
        guard try reader.take(8) == Array("QKDDCGN1".utf8) else { throw .malformed(reason: "bad magic") }
        let version = try reader.u32(), latent = try reader.u32(), _ = try reader.u32(), count = try reader.u32()
        guard version == 1 else { throw .malformed(reason: "format version \(version) (supported: 1)") }
        guard latent == Self.latentSize else { throw .malformed(reason: "latent size \(latent), expected 100") }
        guard (1...8).contains(count) else { throw .malformed(reason: "\(count) layers") }
        var layers: [GeneratorLayer] = []
        var expectedIn = Self.latentSize
        var side = 1
        for index in 0..<count {
            let cin = try reader.u32(), cout = try reader.u32(), kernel = try reader.u32()
            let stride = try reader.u32(), padding = try reader.u32(), hasBN = try reader.u32()
            guard cin == expectedIn, cout >= 1, cout <= 4096, kernel == Self.kernel, (1...2).contains(stride),
                  padding <= 1, hasBN <= 1 else {
                throw .malformed(reason: "layer \(index) header (in \(cin), out \(cout), kernel \(kernel))")
            }
            let raw = try reader.float16s(cin * cout * 16)
            let outStride = (cout + 3) & ~3
            var reordered = [Float](repeating: 0, count: 16 * cin * outStride)
            for i in 0..<cin { for o in 0..<cout { for k in 0..<16 {
                reordered[(k * cin + i) * outStride + o] = raw[(i * cout + o) * 16 + k]
            } } }
            var scale: [Float]? = nil, shift: [Float]? = nil
            if hasBN == 1 {
                let gamma = try reader.float32s(cout), beta = try reader.float32s(cout)
                let mean = try reader.float32s(cout), variance = try reader.float32s(cout)
                guard variance.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
                    throw .malformed(reason: "layer \(index) has a negative or non-finite running variance")
                }
                let s = (0..<cout).map { gamma[$0] / (variance[$0] + Self.batchNormEpsilon).squareRoot() }
                scale = s
                shift = (0..<cout).map { beta[$0] - mean[$0] * s[$0] }
            }
            layers.append(GeneratorLayer(inChannels: cin, outChannels: cout, stride: stride, padding: padding,
                                         weights: reordered, scale: scale, shift: shift))
            side = (side - 1) * stride - 2 * padding + Self.kernel
            expectedIn = cout
        }
        guard reader.remaining == 0 else { throw .malformed(reason: "\(reader.remaining) trailing bytes") }
        guard side == Self.imageSize, expectedIn == 3 else {
            throw .malformed(reason: "the layers produce \(expectedIn)×\(side)×\(side), not 3×64×64")
        }
        self.layers = layers
    }

    /// The image for one latent vector: 3×64×64 floats in [−1, 1], channel-major (C, H, W) like PyTorch.
    public func generate(latent: [Float]) -> [Float] {
        precondition(latent.count == Self.latentSize, "the generator takes a 100-value latent vector")
        var activation = latent   // layout (H, W, C) with `inStride` floats per pixel, here 1×1×100
        var inStride = Self.latentSize
        var side = 1
        for (index, layer) in layers.enumerated() {
            let outSide = (side - 1) * layer.stride - 2 * layer.padding + Self.kernel
            let outStride = layer.outStride
            var out = [Float](repeating: 0, count: outSide * outSide * outStride)
            Self.transposedConvolution(activation, side: side, inStride: inStride, layer: layer, into: &out,
                                       outSide: outSide)
            let cout = layer.outChannels
            out.withUnsafeMutableBufferPointer { o in
                if let scale = layer.scale, let shift = layer.shift {
                    for p in 0..<(outSide * outSide) {
                        for c in 0..<cout {
                            let y = o[p * outStride + c] * scale[c] + shift[c]
                            o[p * outStride + c] = y > 0 ? y : 0   // BN layers are followed by ReLU
                        }
                    }
                } else if index == layers.count - 1 {
                    for i in 0..<o.count { o[i] = Foundation.tanh(o[i]) }
                }
            }
            activation = out
            inStride = outStride
            side = outSide
        }
        // (H, W, C) → (C, H, W)
        let plane = side * side
        var chw = [Float](repeating: 0, count: 3 * plane)
        for p in 0..<plane { for c in 0..<3 { chw[c * plane + p] = activation[p * inStride + c] } }
        return chw
    }

    /// out[y][x][o] += in[i][j][c] · w[c][o][ky][kx] with y = i·stride − padding + ky (PyTorch ConvTranspose2d).
    ///
    /// For one input pixel and one kernel tap this is a vector–matrix product over the input channels; it is
    /// accumulated in registers for 16 (or 4) output channels at a time and added to the output once, rather than
    /// read and written back for every input channel.
    static func transposedConvolution(_ input: [Float], side: Int, inStride: Int, layer: GeneratorLayer,
                                      into out: inout [Float], outSide: Int) {
        let cin = layer.inChannels, outStride = layer.outStride
        input.withUnsafeBufferPointer { x in
            layer.weights.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { o in
                    guard let xBase = x.baseAddress, let wBase = w.baseAddress, let oBase = o.baseAddress else { return }
                    let weights = UnsafeRawPointer(wBase), outputs = UnsafeMutableRawPointer(oBase)
                    let floatSize = MemoryLayout<Float>.stride
                    for i in 0..<side {
                        for j in 0..<side {
                            let pixel = xBase + (i * side + j) * inStride
                            for ky in 0..<kernel {
                                let y = i * layer.stride - layer.padding + ky
                                guard y >= 0, y < outSide else { continue }
                                for kx in 0..<kernel {
                                    let xx = j * layer.stride - layer.padding + kx
                                    guard xx >= 0, xx < outSide else { continue }
                                    let target = (y * outSide + xx) * outStride
                                    let tap = (ky * kernel + kx) * cin * outStride
                                    var block = 0
                                    while block + 16 <= outStride {
                                        var acc = SIMD16<Float>()
                                        for c in 0..<cin {
                                            let row = weights.loadUnaligned(
                                                fromByteOffset: (tap + c * outStride + block) * floatSize, as: SIMD16<Float>.self)
                                            acc += row * pixel[c]
                                        }
                                        let at = (target + block) * floatSize
                                        let sum = outputs.loadUnaligned(fromByteOffset: at, as: SIMD16<Float>.self) + acc
                                        outputs.storeBytes(of: sum, toByteOffset: at, as: SIMD16<Float>.self)
                                        block += 16
                                    }
                                    while block < outStride {
                                        var acc = SIMD4<Float>()
                                        for c in 0..<cin {
                                            let row = weights.loadUnaligned(
                                                fromByteOffset: (tap + c * outStride + block) * floatSize, as: SIMD4<Float>.self)
                                            acc += row * pixel[c]
                                        }
                                        let at = (target + block) * floatSize
                                        let sum = outputs.loadUnaligned(fromByteOffset: at, as: SIMD4<Float>.self) + acc
                                        outputs.storeBytes(of: sum, toByteOffset: at, as: SIMD4<Float>.self)
                                        block += 4
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A `DecoySource` that runs the generator on a latent drawn from N(0, 1) with the system CSPRNG
/// (Box–Muller), and quantises the tanh output to bytes: round((v + 1)·127.5) clamped to 0 … 255.
public struct DCGANDecoySource: DecoySource {
    public let generator: Generator

    public init(generator: Generator) {
        self.generator = generator
    }

    /// The source over the bundled weights.
    public static func bundled() throws(DCGANError) -> DCGANDecoySource {
        DCGANDecoySource(generator: try Generator.bundled())
    }

    public func makeDecoy() throws(CipherError) -> DecoyImage {
        var rng = SystemRandomNumberGenerator()
        return Self.decoy(from: generator.generate(latent: Self.gaussianLatent(using: &rng)))
    }

    /// 100 standard normal values (Box–Muller on 53-bit uniforms in (0, 1]).
    public static func gaussianLatent<R: RandomNumberGenerator>(using rng: inout R) -> [Float] {
        var latent: [Float] = []
        latent.reserveCapacity(Generator.latentSize)
        while latent.count < Generator.latentSize {
            let u1 = Double(rng.next() >> 11 + 1) / 9_007_199_254_740_992.0
            let u2 = Double(rng.next() >> 11) / 9_007_199_254_740_992.0
            let radius = (-2.0 * Foundation.log(u1)).squareRoot()
            latent.append(Float(radius * Foundation.cos(2 * Double.pi * u2)))
            latent.append(Float(radius * Foundation.sin(2 * Double.pi * u2)))
        }
        return latent
    }

    /// Bytes from a 3×64×64 generator output.
    public static func decoy(from chw: [Float]) -> DecoyImage {
        let plane = Generator.imageSize * Generator.imageSize
        func channel(_ c: Int) -> [UInt8] {
            (0..<plane).map { p in
                let v = ((chw[c * plane + p] + 1) * 127.5).rounded()
                return UInt8(max(0, min(255, v.isNaN ? 0 : v)))
            }
        }
        return DecoyImage(width: Generator.imageSize, height: Generator.imageSize,
                          red: channel(0), green: channel(1), blue: channel(2))
    }
}

/// Little-endian reader over the weight file; every read is bounds-checked.
struct ByteReader {
    let bytes: [UInt8]
    var offset = 0

    var remaining: Int { bytes.count - offset }

    mutating func take(_ count: Int) throws(DCGANError) -> [UInt8] {
        guard count >= 0, count <= remaining else {
            throw .malformed(reason: "truncated at byte \(offset) (needs \(count) more)")
        }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func u32() throws(DCGANError) -> Int {
        let b = try take(4)
        return Int(UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24)
    }

    mutating func float32s(_ count: Int) throws(DCGANError) -> [Float] {
        let b = try take(count * 4)
        return (0..<count).map { i in
            Float(bitPattern: UInt32(b[4 * i]) | UInt32(b[4 * i + 1]) << 8 | UInt32(b[4 * i + 2]) << 16
                  | UInt32(b[4 * i + 3]) << 24)
        }
    }

    mutating func float16s(_ count: Int) throws(DCGANError) -> [Float] {
        let b = try take(count * 2)
        return (0..<count).map { i in Self.halfToFloat(UInt16(b[2 * i]) | UInt16(b[2 * i + 1]) << 8) }
    }

    /// IEEE binary16 → binary32 (exact), written out so it does not depend on the platform's Float16.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign: Float = h & 0x8000 != 0 ? -1 : 1
        let exponent = Int((h >> 10) & 0x1F)
        let fraction = Float(h & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * 0x1p-24
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }
}
