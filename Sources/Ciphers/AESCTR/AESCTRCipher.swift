import Crypto
import Foundation
import _CryptoExtras
public import Pixels

/// Profile `aes-ctr`: AES-256 in counter mode as a key stream XORed into the n stored bits of every value.
///
/// The standard baseline: the image keeps its geometry and value range, every depth 1 … 32 works, and it is the
/// speed reference of `qkdgate bench ciphers`. Key stream layout (docs/ciphers/aes-ctr.md): value i takes the
/// ⌈n/8⌉ key-stream bytes at offset i·⌈n/8⌉, read little-endian and masked to n bits. Counter block =
/// 12-byte random nonce ‖ 32-bit big-endian block counter from 0, so one object holds at most 2^32 blocks.
public struct AESCTRCipher: PixelCipher {
    public static let profileName = "aes-ctr"
    public static let currentFormatVersion = 1
    /// The public parameter carrying the nonce as 24 lowercase hexadecimal digits.
    public static let nonceParameter = "nonce"

    public init() {}

    public var profile: String { Self.profileName }
    public var formatVersion: Int { Self.currentFormatVersion }

    public func checkSupported(_ descriptor: PixelDescriptor) throws(CipherError) {
        do {
            try descriptor.validate()
        } catch {
            throw .unsupportedPixelFormat(profile: profile, reason: error.description)
        }
        let bytes = descriptor.valueCount * Self.bytesPerValue(bitsStored: descriptor.bitsStored)
        guard bytes / 16 < (1 << 32) else {
            throw .unsupportedPixelFormat(profile: profile, reason: "more than 2^32 AES blocks of pixel data in one object")
        }
    }

    public func generateKey() throws(CipherError) -> CipherKey {
        var random = SystemRandomNumberGenerator()
        let nonce = (0..<12).map { _ in UInt8.random(in: .min ... .max, using: &random) }
        let key = SymmetricKey(size: .bits256)
        return CipherKey(secret: key.withUnsafeBytes { Array($0) }, parameters: [Self.nonceParameter: hex(nonce)])
    }

    public func encrypt(_ plain: PixelBuffer, key: CipherKey) throws(CipherError) -> PixelBuffer {
        try apply(plain, key: key)
    }

    /// Counter mode is its own inverse.
    public func decrypt(_ cipher: PixelBuffer, key: CipherKey) throws(CipherError) -> PixelBuffer {
        try apply(cipher, key: key)
    }

    static func bytesPerValue(bitsStored n: Int) -> Int { (n + 7) / 8 }

    /// Values per key-stream piece: 16 KB to 64 KB of stream, in the L2 cache while it is XORed in.
    static let piece = 16_384

    /// XORs each value with its ⌈n/8⌉ key-stream bytes, read little-endian, masked to n bits.
    static func mix(_ values: UnsafeMutableBufferPointer<UInt32>, with stream: UnsafeRawBufferPointer, width: Int, mask: UInt32) {
        let count = values.count
        switch width {
        case 1:
            for i in 0..<count { values[i] ^= UInt32(stream[i]) & mask }
        case 2:
            for i in 0..<count {
                values[i] ^= (UInt32(stream[2 * i]) | UInt32(stream[2 * i + 1]) << 8) & mask
            }
        case 3:
            for i in 0..<count {
                values[i] ^= (UInt32(stream[3 * i]) | UInt32(stream[3 * i + 1]) << 8 | UInt32(stream[3 * i + 2]) << 16) & mask
            }
        default:
            for i in 0..<count {
                let w = UInt32(stream[4 * i]) | UInt32(stream[4 * i + 1]) << 8
                    | UInt32(stream[4 * i + 2]) << 16 | UInt32(stream[4 * i + 3]) << 24
                values[i] ^= w & mask
            }
        }
    }

    private func apply(_ input: PixelBuffer, key: CipherKey) throws(CipherError) -> PixelBuffer {
        let descriptor = input.descriptor
        try checkSupported(descriptor)
        guard key.secret.count == 32 else {
            throw .invalidKey(profile: profile, reason: "the secret must be 32 bytes (256 bits), got \(key.secret.count)")
        }
        guard let nonceText = key.parameters[Self.nonceParameter] else {
            throw .missingParameter(profile: profile, name: Self.nonceParameter)
        }
        guard let nonceBytes = parseHex(nonceText), nonceBytes.count == 12 else {
            throw .invalidParameter(profile: profile, name: Self.nonceParameter, value: nonceText)
        }
        let width = Self.bytesPerValue(bitsStored: descriptor.bitsStored)
        let count = input.values.count
        let mask = descriptor.valueMask
        let symmetricKey = SymmetricKey(data: key.secret)
        // The key stream is made and used piece by piece (`piece` values at a time, a multiple of 16 bytes for
        // every width, so each piece starts on a block boundary), not as one stream as long as the image: for a
        // 4096 × 4096 image that stream and its input were two more 32 MB allocations, faulted in page by page
        // on every call. A piece starting at stream byte o has counter block nonce ‖ BE32(o / 16), the block
        // the one-stream counter reaches there (the counter never carries out of its 32 bits, `checkSupported`).
        let piece = Self.piece
        let zeros = [UInt8](repeating: 0, count: min(count, piece) * width)
        var output = input
        output.values = LargeArrays.writableCopy(of: input.values)
        var rejected = false
        output.values.withUnsafeMutableBufferPointer { values in
            guard let base = values.baseAddress else { return }
            var start = 0
            while start < count {
                let length = min(piece, count - start)
                let block = UInt32(truncatingIfNeeded: start * width / 16)
                let counter = nonceBytes + [UInt8(block >> 24), UInt8((block >> 16) & 0xFF), UInt8((block >> 8) & 0xFF), UInt8(block & 0xFF)]
                guard let nonce = try? AES._CTR.Nonce(nonceBytes: counter),
                      let stream = try? AES._CTR.encrypt(zeros[0..<(length * width)], using: symmetricKey, nonce: nonce)
                else {
                    rejected = true
                    return
                }
                stream.withUnsafeBytes { bytes in
                    Self.mix(UnsafeMutableBufferPointer(start: base + start, count: length), with: bytes, width: width, mask: mask)
                }
                start += length
            }
        }
        if rejected { throw .invalidKey(profile: profile, reason: "AES rejected the key") }
        return output
    }
}

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    var text = ""
    for b in bytes {
        text.append(digits[Int(b >> 4)])
        text.append(digits[Int(b & 0xF)])
    }
    return text
}

func parseHex(_ text: String) -> [UInt8]? {
    let scalars = Array(text.utf8)
    guard scalars.count % 2 == 0 else { return nil }
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
    var bytes = [UInt8]()
    bytes.reserveCapacity(scalars.count / 2)
    var i = 0
    while i < scalars.count {
        guard let high = nibble(scalars[i]), let low = nibble(scalars[i + 1]) else { return nil }
        bytes.append(high << 4 | low)
        i += 2
    }
    return bytes
}
