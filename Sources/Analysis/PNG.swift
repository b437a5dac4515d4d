internal import CPNG
public import Foundation

/// An 8-bit greyscale or RGB raster, written and read through libpng's simplified API (which reports errors
/// in the image struct instead of longjmp, so it is safe to call from Swift).
public struct Raster: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// 1 (grey) or 3 (RGB).
    public var channels: Int
    /// Row-major samples, `channels` per pixel.
    public var samples: [UInt8]

    public init(width: Int, height: Int, channels: Int, samples: [UInt8]) {
        precondition(channels == 1 || channels == 3, "a raster is grey or RGB")
        precondition(samples.count == width * height * channels, "sample count must match the geometry")
        self.width = width
        self.height = height
        self.channels = channels
        self.samples = samples
    }

    /// Writes the raster as a PNG file.
    public func writePNG(to url: URL) throws(AnalysisError) {
        guard width > 0, height > 0 else { throw .pngWrite(path: url.path, reason: "empty raster") }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
        let ok = samples.withUnsafeBytes { raw in
            png_image_write_to_file(&image, url.path, 0, raw.baseAddress, Int32(width * channels), nil)
        }
        let message = Self.message(of: &image)
        png_image_free(&image)
        guard ok != 0 else { throw .pngWrite(path: url.path, reason: message) }
    }

    /// Decodes a PNG file with libpng's reader into 8-bit grey or RGB (whichever the file has).
    public static func readPNG(from url: URL) throws(AnalysisError) -> Raster {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, url.path) != 0 else {
            let message = message(of: &image)
            png_image_free(&image)
            throw .pngRead(path: url.path, reason: message)
        }
        let colour = image.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
        image.format = colour ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
        let channels = colour ? 3 : 1
        let width = Int(image.width)
        let height = Int(image.height)
        var samples = [UInt8](repeating: 0, count: width * height * channels)
        let ok = samples.withUnsafeMutableBytes { raw in
            png_image_finish_read(&image, nil, raw.baseAddress, Int32(width * channels), nil)
        }
        let message = message(of: &image)
        png_image_free(&image)
        guard ok != 0 else { throw .pngRead(path: url.path, reason: message) }
        return Raster(width: width, height: height, channels: channels, samples: samples)
    }

    private static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}

/// Why the analysis could not produce its report. Messages name files and steps, never key bytes or pixels.
public enum AnalysisError: Error, Sendable, Equatable, CustomStringConvertible {
    case pngWrite(path: String, reason: String)
    case pngRead(path: String, reason: String)
    case output(path: String, reason: String)
    case cipher(profile: String, step: String, error: CipherFailure)
    case unsuitableInput(String)

    /// The cipher's own error text (a `CipherError` description).
    public struct CipherFailure: Sendable, Equatable { public var text: String }

    public var description: String {
        switch self {
        case .pngWrite(let path, let reason):
            "could not write PNG \(path): \(reason); check that the report directory is writable and has space"
        case .pngRead(let path, let reason):
            "could not read PNG \(path): \(reason)"
        case .output(let path, let reason):
            "could not write \(path): \(reason); check that the report directory is writable and has space"
        case .cipher(let profile, let step, let error):
            "\(profile) failed while \(step): \(error.text)"
        case .unsuitableInput(let what):
            "cannot analyse this input: \(what)"
        }
    }
}
