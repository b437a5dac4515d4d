/// A small RGB drawing surface for the report's plots: rectangles, points, text in the bitmap font, and
/// greyscale/RGB images scaled into a cell. Coordinates are pixels, origin top left.
public struct Canvas: Sendable {
    public typealias Colour = (UInt8, UInt8, UInt8)
    public static let white: Colour = (255, 255, 255)
    public static let black: Colour = (0, 0, 0)
    public static let grey: Colour = (160, 160, 160)
    public static let blue: Colour = (40, 90, 200)
    public static let red: Colour = (200, 50, 40)

    public let width: Int
    public let height: Int
    private var samples: [UInt8]

    public init(width: Int, height: Int, background: Colour = Canvas.white) {
        self.width = width
        self.height = height
        samples = [UInt8](repeating: 0, count: width * height * 3)
        fill(x: 0, y: 0, width: width, height: height, colour: background)
    }

    public var raster: Raster { Raster(width: width, height: height, channels: 3, samples: samples) }

    public mutating func set(_ x: Int, _ y: Int, _ colour: Colour) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        samples[i] = colour.0
        samples[i + 1] = colour.1
        samples[i + 2] = colour.2
    }

    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, colour: Colour) {
        let x0 = max(0, x), x1 = min(width, x + w)
        let y0 = max(0, y), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        for yy in y0..<y1 {
            for xx in x0..<x1 { set(xx, yy, colour) }
        }
    }

    public mutating func frame(x: Int, y: Int, width w: Int, height h: Int, colour: Colour) {
        fill(x: x, y: y, width: w, height: 1, colour: colour)
        fill(x: x, y: y + h - 1, width: w, height: 1, colour: colour)
        fill(x: x, y: y, width: 1, height: h, colour: colour)
        fill(x: x + w - 1, y: y, width: 1, height: h, colour: colour)
    }

    /// Width in pixels of `text` at `scale`.
    public static func textWidth(_ text: String, scale: Int = 1) -> Int {
        text.count * (BitmapFont.width + 1) * scale
    }

    public mutating func text(_ text: String, x: Int, y: Int, scale: Int = 1, colour: Colour = Canvas.black) {
        var cx = x
        for character in text {
            let mask = BitmapFont.mask(for: character)
            for (row, bits) in mask.enumerated() {
                for (column, ink) in bits.enumerated() where ink {
                    fill(x: cx + column * scale, y: y + row * scale, width: scale, height: scale, colour: colour)
                }
            }
            cx += (BitmapFont.width + 1) * scale
        }
    }

    /// Draws a raster (grey or RGB) into a cell, scaled by nearest neighbour to fit while keeping its aspect.
    public mutating func image(_ source: Raster, x: Int, y: Int, width w: Int, height h: Int) {
        guard source.width > 0, source.height > 0 else { return }
        let scale = min(Double(w) / Double(source.width), Double(h) / Double(source.height))
        let dw = max(1, Int(Double(source.width) * scale))
        let dh = max(1, Int(Double(source.height) * scale))
        let ox = x + (w - dw) / 2
        let oy = y + (h - dh) / 2
        for yy in 0..<dh {
            let sy = min(source.height - 1, Int(Double(yy) / scale))
            for xx in 0..<dw {
                let sx = min(source.width - 1, Int(Double(xx) / scale))
                let i = (sy * source.width + sx) * source.channels
                if source.channels == 3 {
                    set(ox + xx, oy + yy, (source.samples[i], source.samples[i + 1], source.samples[i + 2]))
                } else {
                    let g = source.samples[i]
                    set(ox + xx, oy + yy, (g, g, g))
                }
            }
        }
    }
}
