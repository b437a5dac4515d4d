import Ciphers
import Crypto
import Pixels

/// Test-only stand-in for the real profiles: XOR of each value with a SHA-256 counter stream of the key,
/// restricted to the top `encryptedPlanes` planes (nil = all). Trivially correct and exactly invertible.
struct XORStreamCipher: PixelCipher {
    var profile: String = "test-xor"
    var formatVersion: Int = 1
    var encryptedPlanes: Int? = nil

    func checkSupported(_ descriptor: PixelDescriptor) throws(CipherError) {}

    func generateKey() throws(CipherError) -> CipherKey {
        var generator = SystemRandomNumberGenerator()
        return CipherKey(secret: (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    func encrypt(_ plain: PixelBuffer, key: CipherKey) throws(CipherError) -> PixelBuffer {
        try apply(plain, key: key)
    }

    func decrypt(_ cipher: PixelBuffer, key: CipherKey) throws(CipherError) -> PixelBuffer {
        try apply(cipher, key: key)
    }

    private func apply(_ buffer: PixelBuffer, key: CipherKey) throws(CipherError) -> PixelBuffer {
        guard key.secret.count == 32 else { throw .invalidKey(profile: profile, reason: "needs 32 bytes") }
        let n = buffer.descriptor.bitsStored
        let low = n - min(n, encryptedPlanes ?? n)
        let mask = buffer.descriptor.valueMask & ~((UInt32(1) << UInt32(low)) - 1)
        var out = buffer
        var block: [UInt8] = []
        var counter: UInt64 = 0
        var used = 32
        for i in 0..<out.values.count {
            if used + 4 > block.count {
                var input = key.secret
                withUnsafeBytes(of: counter.littleEndian) { input.append(contentsOf: $0) }
                block = Array(SHA256.hash(data: input))
                counter += 1
                used = 0
            }
            let word = UInt32(block[used]) | UInt32(block[used + 1]) << 8 | UInt32(block[used + 2]) << 16 | UInt32(block[used + 3]) << 24
            used += 4
            out.values[i] ^= word & mask
        }
        return out
    }
}

/// Test-only cipher with diffusion: the XOR stream, then a chained pass forward and backward
/// (c_t = p_t + k_t + c_{t−1} mod 2^n), so one changed value changes the whole image under the same key.
struct ChainedTestCipher: PixelCipher {
    var profile: String = "test-chained"
    var formatVersion: Int = 1
    private let stream = XORStreamCipher()

    func checkSupported(_ descriptor: PixelDescriptor) throws(CipherError) {}
    func generateKey() throws(CipherError) -> CipherKey { try stream.generateKey() }

    func encrypt(_ plain: PixelBuffer, key: CipherKey) throws(CipherError) -> PixelBuffer {
        var out = try stream.encrypt(plain, key: key)
        let mask = plain.descriptor.valueMask
        var previous: UInt32 = UInt32(key.secret[0])
        for i in 0..<out.values.count { out.values[i] = (out.values[i] &+ previous) & mask; previous = out.values[i] }
        previous = UInt32(key.secret[1])
        for i in stride(from: out.values.count - 1, through: 0, by: -1) {
            out.values[i] = (out.values[i] &+ previous) & mask; previous = out.values[i]
        }
        return out
    }

    func decrypt(_ cipher: PixelBuffer, key: CipherKey) throws(CipherError) -> PixelBuffer {
        guard key.secret.count == 32 else { throw .invalidKey(profile: profile, reason: "needs 32 bytes") }
        var out = cipher
        let mask = cipher.descriptor.valueMask
        let count = out.values.count
        // Undo the backward pass: c_i = p_i + c_{i+1}.
        for i in 0..<count {
            let next = i + 1 < count ? cipher.values[i + 1] : UInt32(key.secret[1])
            out.values[i] = (cipher.values[i] &- next) & mask
        }
        let middle = out
        for i in 0..<count {
            let before = i > 0 ? middle.values[i - 1] : UInt32(key.secret[0])
            out.values[i] = (middle.values[i] &- before) & mask
        }
        return try stream.decrypt(out, key: key)
    }
}
