// Image content and IOD attributes for the synthetic studies (see SyntheticStudies).

import Pixels

/// The images' seeded generator (reproducible from the seed).
typealias SampleRandom = SplitMix64

extension SplitMix64 {
    /// Roughly normal noise (sum of uniforms), mean 0, standard deviation about `sigma`.
    mutating func noise(_ sigma: Double) -> Double {
        var sum = 0.0
        for _ in 0..<4 { sum += nextUnit() }
        return (sum - 2) * sigma * 1.73
    }
}

/// An axis-aligned ellipse test in normalised coordinates.
@inline(__always)
func inEllipse(_ x: Double, _ y: Double, cx: Double, cy: Double, rx: Double, ry: Double) -> Bool {
    let dx = (x - cx) / rx, dy = (y - cy) / ry
    return dx * dx + dy * dy <= 1
}

extension SyntheticStudies {
    static let sampleDate = "20260101"

    static func makeBuffer(_ descriptor: PixelDescriptor, _ values: [UInt32], residue: [UInt32]? = nil) throws(DicomError) -> PixelBuffer {
        do {
            return try PixelBuffer(descriptor: descriptor, values: values, residue: residue)
        } catch {
            throw .pixelData(error)
        }
    }

    /// Patient, study, series, equipment and SOP common attributes.
    static func baseObject(
        study: StudyIdentity, sopClassUID: String, instanceUID: String, seriesUID: String, modality: String,
        seriesNumber: Int, instanceNumber: Int, seriesDescription: String
    ) throws(DicomError) -> DicomObject {
        let object = try DicomObject()
        let values: [(Tag, String)] = [
            (.specificCharacterSet, "ISO_IR 100"),
            (.sopClassUID, sopClassUID), (.sopInstanceUID, instanceUID),
            (.studyDate, sampleDate), (.studyTime, "120000"), (.seriesDate, sampleDate), (.seriesTime, "120000"),
            (.contentDate, sampleDate), (.contentTime, "120000"),
            (.accessionNumber, ""), (.modality, modality), (.manufacturer, "qkdgate synthetic samples"),
            (.referringPhysicianName, ""), (.studyDescription, study.description), (.seriesDescription, seriesDescription),
            (.patientName, study.patientName), (.patientID, study.patientID), (.patientBirthDate, ""), (.patientSex, "O"),
            (.studyInstanceUID, study.studyUID), (.seriesInstanceUID, seriesUID), (.studyID, study.studyID),
            (.seriesNumber, String(seriesNumber)), (.instanceNumber, String(instanceNumber)),
        ]
        for (tag, value) in values { try object.setString(value, for: tag) }
        return object
    }

    static func makeCT(study: StudyIdentity, seriesUID: String, frameOfReference: String, instanceUID: String,
                       slice: Int, seed: UInt64) throws(DicomError) -> DicomObject {
        let object = try baseObject(study: study, sopClassUID: "1.2.840.10008.5.1.4.1.1.2", instanceUID: instanceUID,
                                    seriesUID: seriesUID, modality: "CT", seriesNumber: 1, instanceNumber: slice + 1,
                                    seriesDescription: "Phantom axial 5 mm")
        let z = Double(slice) * 5.0
        let values: [(Tag, String)] = [
            (.imageType, "ORIGINAL\\PRIMARY\\AXIAL"), (.frameOfReferenceUID, frameOfReference), (Tag(0x0018, 0x5100), "HFS"), (.bodyPartExamined, "CHEST"),
            (.positionReferenceIndicator, ""), (.sliceThickness, "5"), (.kvp, "120"),
            (.imagePositionPatient, "-250\\-250\\\(z)"), (.imageOrientationPatient, "1\\0\\0\\0\\1\\0"),
            (.pixelSpacing, "0.9765625\\0.9765625"), (.sliceLocation, "\(z)"),
            (.rescaleIntercept, "-1024"), (.rescaleSlope, "1"), (.rescaleType, "HU"),
            (.windowCenter, "40"), (.windowWidth, "400"), (Tag(0x0020, 0x0012), "1"),
        ]
        for (tag, value) in values { try object.setString(value, for: tag) }
        // Pixel Padding Value (US or SS by PixelRepresentation): stored value for -2000 HU − (−1024).
        try object.setRawValue(withUnsafeBytes(of: Int16(-976).littleEndian) { Array($0) }, vr: .ss, for: Tag(0x0028, 0x0120))

        let size = 512
        let descriptor = PixelDescriptor(rows: size, columns: size, bitsAllocated: 16, bitsStored: 12, highBit: 11,
                                         isSigned: true, photometricInterpretation: "MONOCHROME2")
        var random = SampleRandom(seed: seed ^ UInt64(0xC7 + slice))
        var values16 = [UInt32](repeating: 0, count: size * size)
        var residue = [UInt32](repeating: 0, count: size * size)
        let t = Double(slice) / 7.0
        for row in 0..<size {
            for column in 0..<size {
                let x = (Double(column) + 0.5) / Double(size) * 2 - 1
                let y = (Double(row) + 0.5) / Double(size) * 2 - 1
                var hu: Double
                if x * x + y * y > 0.98 {
                    hu = -2000  // outside the reconstruction circle: padding (stored −976)
                } else if !inEllipse(x, y, cx: 0, cy: 0.05, rx: 0.78, ry: 0.6) {
                    hu = -1000 + random.noise(8)
                } else {
                    hu = 40 + random.noise(12)  // soft tissue
                    if !inEllipse(x, y, cx: 0, cy: 0.05, rx: 0.74, ry: 0.56) { hu = -100 + random.noise(10) }  // fat rim
                    let lungRY = 0.38 - 0.1 * t
                    if inEllipse(x, y, cx: -0.36, cy: -0.02, rx: 0.26, ry: lungRY) || inEllipse(x, y, cx: 0.36, cy: -0.02, rx: 0.26, ry: lungRY) {
                        hu = -820 + random.noise(25)
                    }
                    if inEllipse(x, y, cx: 0.05, cy: 0.0, rx: 0.16 + 0.04 * t, ry: 0.14) { hu = 45 + random.noise(10) }  // heart
                    if inEllipse(x, y, cx: 0.12, cy: -0.2, rx: 0.05, ry: 0.05) { hu = 300 + random.noise(15) }  // contrast vessel
                    if inEllipse(x, y, cx: 0, cy: 0.42, rx: 0.09, ry: 0.08) { hu = 700 + random.noise(30) }  // vertebra
                    if inEllipse(x, y, cx: 0, cy: 0.42, rx: 0.05, ry: 0.045) { hu = 30 + random.noise(10) }  // spinal canal
                    if inEllipse(x, y, cx: 0, cy: -0.48, rx: 0.04, ry: 0.03) { hu = 1000 + random.noise(30) }  // sternum
                }
                let stored = Int(hu.rounded()) + 1024
                let clamped = Int16(max(-2048, min(2047, stored)))
                let word = UInt32(UInt16(bitPattern: clamped))
                values16[row * size + column] = word & 0x0FFF
                residue[row * size + column] = word & 0xF000  // sign extension above BitsStored
            }
        }
        try object.setPixelBuffer(try makeBuffer(descriptor, values16, residue: residue))
        return object
    }

    static func makeMR(study: StudyIdentity, seriesUID: String, frameOfReference: String, instanceUID: String,
                       slice: Int, seed: UInt64) throws(DicomError) -> DicomObject {
        let object = try baseObject(study: study, sopClassUID: "1.2.840.10008.5.1.4.1.1.4", instanceUID: instanceUID,
                                    seriesUID: seriesUID, modality: "MR", seriesNumber: 1, instanceNumber: slice + 1,
                                    seriesDescription: "T1 SE axial")
        let z = Double(slice) * 6.0
        let values: [(Tag, String)] = [
            (.imageType, "ORIGINAL\\PRIMARY\\OTHER"), (.frameOfReferenceUID, frameOfReference), (Tag(0x0018, 0x5100), "HFS"), (.bodyPartExamined, "HEAD"),
            (.positionReferenceIndicator, ""), (.sliceThickness, "5"),
            (.imagePositionPatient, "-120\\-120\\\(z)"), (.imageOrientationPatient, "1\\0\\0\\0\\1\\0"),
            (.pixelSpacing, "0.9375\\0.9375"), (.sliceLocation, "\(z)"),
            (Tag(0x0018, 0x0020), "SE"), (Tag(0x0018, 0x0021), "NONE"), (Tag(0x0018, 0x0022), ""),
            (Tag(0x0018, 0x0023), "2D"), (Tag(0x0018, 0x0080), "500"), (Tag(0x0018, 0x0081), "15"),
            (Tag(0x0018, 0x0091), "1"), (Tag(0x0018, 0x0087), "1.5"), (Tag(0x0020, 0x0012), "1"),
        ]
        for (tag, value) in values { try object.setString(value, for: tag) }
        let size = 256
        let descriptor = PixelDescriptor(rows: size, columns: size, bitsAllocated: 16, bitsStored: 16,
                                         photometricInterpretation: "MONOCHROME2")
        var random = SampleRandom(seed: seed ^ UInt64(0x3A0 + slice))
        var pixels = [UInt32](repeating: 0, count: size * size)
        for row in 0..<size {
            for column in 0..<size {
                let x = (Double(column) + 0.5) / Double(size) * 2 - 1
                let y = (Double(row) + 0.5) / Double(size) * 2 - 1
                var signal = 20 + random.noise(6)
                if inEllipse(x, y, cx: 0, cy: 0, rx: 0.72, ry: 0.88) { signal = 2600 + random.noise(60) }  // scalp/fat
                if inEllipse(x, y, cx: 0, cy: 0, rx: 0.66, ry: 0.82) { signal = 400 + random.noise(30) }  // skull
                if inEllipse(x, y, cx: 0, cy: 0, rx: 0.6, ry: 0.76) { signal = 1500 + random.noise(40) }  // white matter
                if inEllipse(x, y, cx: -0.12, cy: -0.05, rx: 0.07, ry: 0.22 - 0.04 * Double(slice)) ||
                    inEllipse(x, y, cx: 0.12, cy: -0.05, rx: 0.07, ry: 0.22 - 0.04 * Double(slice)) {
                    signal = 600 + random.noise(30)  // ventricles
                }
                if inEllipse(x, y, cx: 0.3, cy: 0.3, rx: 0.08, ry: 0.06) { signal = 3900 + random.noise(80) }  // lesion
                pixels[row * size + column] = UInt32(max(0, min(65535, Int(signal.rounded()))))
            }
        }
        try object.setPixelBuffer(try makeBuffer(descriptor, pixels))
        return object
    }

    static func makeCR(study: StudyIdentity, seriesUID: String, instanceUID: String, seed: UInt64) throws(DicomError) -> DicomObject {
        let object = try baseObject(study: study, sopClassUID: "1.2.840.10008.5.1.4.1.1.1", instanceUID: instanceUID,
                                    seriesUID: seriesUID, modality: "CR", seriesNumber: 1, instanceNumber: 1,
                                    seriesDescription: "Chest PA")
        let values: [(Tag, String)] = [
            (.bodyPartExamined, "CHEST"), (Tag(0x0018, 0x5101), "PA"), (.patientOrientation, "L\\F"),
            (.imageType, "ORIGINAL\\PRIMARY"), (Tag(0x0020, 0x0012), "1"),
        ]
        for (tag, value) in values { try object.setString(value, for: tag) }
        let rows = 768, columns = 640
        let descriptor = PixelDescriptor(rows: rows, columns: columns, bitsAllocated: 16, bitsStored: 12,
                                         photometricInterpretation: "MONOCHROME1")
        var random = SampleRandom(seed: seed ^ 0xC4)
        var pixels = [UInt32](repeating: 0, count: rows * columns)
        for row in 0..<rows {
            for column in 0..<columns {
                let x = (Double(column) + 0.5) / Double(columns) * 2 - 1
                let y = (Double(row) + 0.5) / Double(rows) * 2 - 1
                // MONOCHROME1: high values display dark. Attenuation: more tissue = lower detector value.
                var attenuation = 0.05
                if inEllipse(x, y, cx: 0, cy: 0.1, rx: 0.85, ry: 1.0) { attenuation = 0.55 }
                if inEllipse(x, y, cx: -0.38, cy: -0.05, rx: 0.3, ry: 0.6) || inEllipse(x, y, cx: 0.38, cy: -0.05, rx: 0.3, ry: 0.6) {
                    attenuation = 0.25  // lungs
                }
                if inEllipse(x, y, cx: 0.12, cy: 0.2, rx: 0.22, ry: 0.28) { attenuation = 0.6 }  // heart
                if abs(x) < 0.07 { attenuation = max(attenuation, 0.75) }  // spine
                for rib in stride(from: -0.6, through: 0.5, by: 0.16) where abs(y - rib - 0.15 * x * x) < 0.015 && abs(x) < 0.7 {
                    attenuation += 0.15
                }
                let value = 4095 * (1 - min(1, attenuation)) * 0.9 + 200 + random.noise(20)
                pixels[row * columns + column] = UInt32(max(0, min(4095, Int(value.rounded()))))
            }
        }
        try object.setPixelBuffer(try makeBuffer(descriptor, pixels))
        return object
    }

    static func makeUS(study: StudyIdentity, seriesUID: String, instanceUID: String, seed: UInt64) throws(DicomError) -> DicomObject {
        let object = try baseObject(study: study, sopClassUID: "1.2.840.10008.5.1.4.1.1.3.1", instanceUID: instanceUID,
                                    seriesUID: seriesUID, modality: "US", seriesNumber: 1, instanceNumber: 1,
                                    seriesDescription: "Cardiac cine with colour flow")
        let values: [(Tag, String)] = [
            (.imageType, "ORIGINAL\\PRIMARY\\ABDOMINAL\\0011"), (.patientOrientation, ""), (.bodyPartExamined, "HEART"),
            (Tag(0x0018, 0x1063), "40"), (Tag(0x0018, 0x1244), "0"), (Tag(0x0028, 0x2110), "00"),
            (Tag(0x0020, 0x0012), "1"),
        ]
        for (tag, value) in values { try object.setString(value, for: tag) }
        try object.setRawValue([0x18, 0x00, 0x63, 0x10], vr: .at, for: .frameIncrementPointer)
        let rows = 192, columns = 256, frames = 8
        let descriptor = PixelDescriptor(rows: rows, columns: columns, frames: frames, samplesPerPixel: 3,
                                         bitsAllocated: 8, bitsStored: 8, photometricInterpretation: "RGB")
        var random = SampleRandom(seed: seed ^ 0x05)
        var pixels = [UInt32](repeating: 0, count: descriptor.valueCount)
        let plane = rows * columns
        for frame in 0..<frames {
            let phase = Double(frame) / Double(frames) * 2 * Double.pi
            for row in 0..<rows {
                for column in 0..<columns {
                    let dx = Double(column) - Double(columns) / 2, dy = Double(row) + 10
                    let radius = (dx * dx + dy * dy).squareRoot(), angle = atan2Approx(dx, dy)
                    var r = 0.0, g = 0.0, b = 0.0
                    if radius < 190 && abs(angle) < 0.75 {
                        let speckle = max(0, 60 + random.noise(35))
                        let wall = abs(radius - (110 + 12 * sin(phase))) < 8 ? 120.0 : 0
                        let gray = min(255, speckle + wall)
                        r = gray; g = gray; b = gray
                        let fx = Double(column) - 128 - 20 * cos(phase), fy = Double(row) - 100
                        if fx * fx / 900 + fy * fy / 400 < 1 {
                            let flow = 120 + 100 * sin(phase + fx / 10)
                            if flow > 150 { r = min(255, flow); g = 40; b = 30 } else { r = 30; g = 60; b = min(255, 300 - flow) }
                        }
                    }
                    let index = row * columns + column
                    let base = frame * 3 * plane
                    pixels[base + index] = UInt32(r.rounded())
                    pixels[base + plane + index] = UInt32(g.rounded())
                    pixels[base + 2 * plane + index] = UInt32(b.rounded())
                }
            }
        }
        try object.setPixelBuffer(try makeBuffer(descriptor, pixels))
        try object.setString(String(frames), for: .numberOfFrames)
        return object
    }

    static func makeXC(study: StudyIdentity, seriesUID: String, instanceUID: String, seed: UInt64) throws(DicomError) -> DicomObject {
        let object = try baseObject(study: study, sopClassUID: "1.2.840.10008.5.1.4.1.1.77.1.4", instanceUID: instanceUID,
                                    seriesUID: seriesUID, modality: "XC", seriesNumber: 1, instanceNumber: 1,
                                    seriesDescription: "Dermatology photograph, left forearm")
        let values: [(Tag, String)] = [
            (.imageType, "ORIGINAL\\PRIMARY"), (.patientOrientation, ""), (Tag(0x0028, 0x2110), "00"),
            (.bodyPartExamined, "ARM"), (.laterality, "L"),
            (Tag(0x0020, 0x0012), "1"), (Tag(0x0008, 0x002A), sampleDate + "120000"),
        ]
        for (tag, value) in values { try object.setString(value, for: tag) }
        try object.setString("", for: Tag(0x0040, 0x0555), vr: .sq)  // Acquisition Context Sequence (type 2, empty)
        let rows = 227, columns = 301
        let descriptor = PixelDescriptor(rows: rows, columns: columns, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8,
                                         photometricInterpretation: "RGB")
        var random = SampleRandom(seed: seed ^ 0x8C)
        var pixels = [UInt32](repeating: 0, count: descriptor.valueCount)
        let plane = rows * columns
        for row in 0..<rows {
            for column in 0..<columns {
                let x = Double(column) - 150, y = Double(row) - 113
                let shade = 1 - 0.15 * (Double(row) / Double(rows))
                var r = 224 * shade + random.noise(4), g = 172 * shade + random.noise(4), b = 150 * shade + random.noise(4)
                let wobble = 1 + 0.15 * sin(atan2Approx(x, y) * 5) + random.noise(0.02)
                let d = (x * x / 3600 + y * y / 2025).squareRoot() / wobble
                if d < 1 {
                    let dark = d < 0.55 ? 0.35 : 0.55
                    r = 120 * dark + 40 + random.noise(6); g = 70 * dark + 25 + random.noise(5); b = 50 * dark + 20 + random.noise(5)
                }
                let index = row * columns + column
                pixels[index] = UInt32(max(0, min(255, r.rounded())))
                pixels[plane + index] = UInt32(max(0, min(255, g.rounded())))
                pixels[2 * plane + index] = UInt32(max(0, min(255, b.rounded())))
            }
        }
        try object.setPixelBuffer(try makeBuffer(descriptor, pixels))
        return object
    }
}

/// atan2 without Foundation (angle of (x, y) from the +y axis), good enough for drawing.
@inline(__always)
func atan2Approx(_ x: Double, _ y: Double) -> Double {
    if y == 0 { return x > 0 ? Double.pi / 2 : (x < 0 ? -Double.pi / 2 : 0) }
    let ratio = x / y
    var angle = ratio / (1 + 0.28 * ratio * ratio)
    if abs(ratio) > 1 { angle = (ratio > 0 ? Double.pi / 2 : -Double.pi / 2) - (1 / ratio) / (1 + 0.28 / (ratio * ratio)) }
    if y < 0 { angle += x >= 0 ? Double.pi : -Double.pi }
    return angle
}

/// sin/cos without Foundation for drawing (Taylor series after range reduction).
@inline(__always)
func sin(_ x: Double) -> Double {
    var t = x.truncatingRemainder(dividingBy: 2 * Double.pi)
    if t > Double.pi { t -= 2 * Double.pi } else if t < -Double.pi { t += 2 * Double.pi }
    let t2 = t * t
    return t * (1 - t2 / 6 * (1 - t2 / 20 * (1 - t2 / 42 * (1 - t2 / 72 * (1 - t2 / 110)))))
}

@inline(__always)
func cos(_ x: Double) -> Double { sin(x + Double.pi / 2) }
