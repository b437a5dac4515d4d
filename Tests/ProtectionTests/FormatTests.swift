import Testing
@testable import Protection
import Pixels

@Suite("Key bundle and UID format")
struct FormatTests {
    @Test func bundleRoundTripsAndHasFixedSize() throws {
        let bundle = KeyBundle(cipherSecret: Array(repeating: 7, count: 64), macKey: Array(0..<32),
                               originalSOPInstanceUID: "1.2.3.4.5")
        let bytes = try bundle.encoded()
        #expect(bytes.count == 256)
        // Hand-checked layout: version, length, secret, MAC key, UID length, UID, zeros.
        #expect(bytes[0] == 1 && bytes[1] == 64 && bytes[2] == 7 && bytes[66] == 0 && bytes[97] == 31)
        #expect(bytes[98] == 9 && Array(bytes[99..<108]) == Array("1.2.3.4.5".utf8))
        #expect(bytes[108...].allSatisfy { $0 == 0 })
        #expect(try KeyBundle(decoding: bytes) == bundle)
    }

    @Test func garbageBundleIsAnIntegrityError() {
        var rng = SplitMix64(seed: 9)
        var rejected = 0
        for _ in 0..<200 {
            let garbage = (0..<256).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if (try? KeyBundle(decoding: garbage)) == nil { rejected += 1 }
        }
        #expect(rejected == 200)
    }

    @Test func derivedUIDsAreValidDeterministicAndKeyed() {
        let a = InstanceUID.derive(from: "1.2.3", secret: Array(repeating: 1, count: 32))
        #expect(a == InstanceUID.derive(from: "1.2.3", secret: Array(repeating: 1, count: 32)))
        #expect(a != InstanceUID.derive(from: "1.2.4", secret: Array(repeating: 1, count: 32)))
        #expect(a != InstanceUID.derive(from: "1.2.3", secret: Array(repeating: 2, count: 32)))
        #expect(a.hasPrefix("2.25.") && a.count <= 64)
        #expect(a.dropFirst(5).allSatisfy(\.isNumber) && !a.dropFirst(5).hasPrefix("0"))
    }

    @Test func decimalOf128BitNumbers() {
        // 2^128 − 1 and 2^64, known values.
        #expect(InstanceUID.decimal(of: Array(repeating: 0xFF, count: 16)) == "340282366920938463463374607431768211455")
        #expect(InstanceUID.decimal(of: [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]) == "18446744073709551616")
        #expect(InstanceUID.decimal(of: Array(repeating: 0, count: 16)) == "0")
    }
}
