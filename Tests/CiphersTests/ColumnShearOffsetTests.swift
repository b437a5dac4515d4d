import Testing
@testable import Ciphers

/// The column shear's strips index w1 and w2 with Int32 offsets wherever the plane allows it and with Int ones
/// beyond (planes of about 2^31 values, too big to build in a test). Both instantiations run here on the same
/// planes: each must give the map its documentation states, z[dihedral(r, (c + u[r]) mod C)] = w1[(r − t[c]) mod
/// R, c], computed here value by value, and the inverse must give w1 back.
@Suite("Column shear: Int32 and Int offsets")
struct ColumnShearOffsetTests {
    /// Shapes with and without the padded pitch (from 128 rows), square (quarter turns possible) and not.
    static let shapes: [(rows: Int, columns: Int)] = [(5, 7), (6, 6), (130, 130), (129, 66), (128, 200)]

    @Test("both offset widths give the documented map and its inverse", arguments: shapes.indices)
    func bothWidthsGiveTheMap(shape: Int) {
        let (rows, columns) = Self.shapes[shape]
        let n = rows * columns
        let schedule = KeySchedule(secret: (0..<32).map { UInt8($0 &* 7 &+ UInt8(shape)) }, profile: "qkd-hybrid", version: 2)
        var dihedralMaps = Set<Int>()
        // Twelve planes: different shifts and, with high probability, most of the eight dihedral maps.
        for plane in 0..<12 {
            var stream = [UInt16](repeating: 0, count: 3 * n)
            stream.withUnsafeMutableBufferPointer { stream in
                let keys = QKDHybridPlaneKeys(schedule: schedule, formatVersion: 2, plane: UInt32(plane), rows: rows,
                                              columns: columns, m: 4, inverse: false, stream: stream)
                let pitch = keys.shearPitch
                dihedralMaps.insert(keys.dihedralBase * 4 + keys.dihedralRowStep.signum() * 2 + keys.dihedralColumnStep.signum())
                var w1 = [UInt8](repeating: 0, count: rows * pitch)
                for r in 0..<rows { for c in 0..<columns { w1[r * pitch + c] = UInt8(truncatingIfNeeded: (r &* 131 &+ c &* 17 &+ plane) % 251) } }

                // Expected z, value by value from the stated map.
                var expected = [UInt16](repeating: 0xFFFF, count: n)
                for r in 0..<rows {
                    for c in 0..<columns {
                        let source = w1[((r - Int(keys.shiftColumns[c])) % rows + rows) % rows * pitch + c]
                        let c2 = (c + Int(keys.shiftRowsSecond[r])) % columns
                        expected[keys.dihedralBase + keys.dihedralRowStep * r + keys.dihedralColumnStep * c2] = UInt16(source)
                    }
                }

                func turn<Offset: FixedWidthInteger & SignedInteger>(_ offset: Offset.Type) -> [UInt16] {
                    var z = [UInt16](repeating: 0xFFFF, count: n)
                    var w2 = [UInt8](repeating: 0, count: rows * pitch)
                    w1.withUnsafeBufferPointer { w1 in
                        w2.withUnsafeMutableBufferPointer { w2 in
                            z.withUnsafeMutableBufferPointer { z in
                                QKDHybridStages.shearColumnsAndTurn(w1, keys: keys, temporary: w2, into: z, offset: offset)
                            }
                        }
                    }
                    return z
                }
                func unturn<Offset: FixedWidthInteger & SignedInteger>(_ z: [UInt16], _ offset: Offset.Type) -> [UInt8] {
                    var back = [UInt8](repeating: 0, count: rows * pitch)
                    var w2 = [UInt8](repeating: 0, count: rows * pitch)
                    z.withUnsafeBufferPointer { z in
                        w2.withUnsafeMutableBufferPointer { w2 in
                            back.withUnsafeMutableBufferPointer { back in
                                QKDHybridStages.unturnAndUnshearColumns(z, keys: keys, scratch: w2, into: back, offset: offset)
                            }
                        }
                    }
                    return (0..<rows).flatMap { r in back[(r * pitch)..<(r * pitch + columns)] }
                }
                let unpadded = (0..<rows).flatMap { r in w1[(r * pitch)..<(r * pitch + columns)] }

                let narrow = turn(Int32.self), wide = turn(Int.self)
                #expect(narrow == expected, "Int32 offsets, \(rows)×\(columns), plane \(plane)")
                #expect(wide == expected, "Int offsets, \(rows)×\(columns), plane \(plane)")
                #expect(unturn(expected, Int32.self) == unpadded, "inverse, Int32 offsets, \(rows)×\(columns), plane \(plane)")
                #expect(unturn(expected, Int.self) == unpadded, "inverse, Int offsets, \(rows)×\(columns), plane \(plane)")
            }
        }
        #expect(dihedralMaps.count >= 3, "the planes should cover several dihedral maps")
    }

    @Test("Int32 offsets are used only where every index and the step past the end fit")
    func offsetWidthChoice() {
        #expect(QKDHybridStages.fitsInt32Offsets(rows: 4096, pitch: 4096 + 64))
        #expect(QKDHybridStages.fitsInt32Offsets(rows: 32_767, pitch: 65_535))
        #expect(!QKDHybridStages.fitsInt32Offsets(rows: 32_768, pitch: 65_535))
        #expect(!QKDHybridStages.fitsInt32Offsets(rows: 65_535, pitch: 65_599))
    }
}
