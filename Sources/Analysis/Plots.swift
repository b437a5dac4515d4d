/// The report's figures, drawn on a `Canvas`: histogram panels, scatter plots of adjacent-pixel pairs and
/// labelled image grids.
public enum Plots {
    static let margin = 8
    static let labelHeight = 12

    /// One panel per entry, side by side: bar histogram of `counts` with its title above.
    public static func histograms(_ panels: [(title: String, counts: [Int])], panelWidth: Int = 280, panelHeight: Int = 180) -> Raster {
        let width = margin + panels.count * (panelWidth + margin)
        let height = margin + labelHeight + panelHeight + margin + labelHeight
        var canvas = Canvas(width: width, height: height)
        for (index, panel) in panels.enumerated() {
            let x0 = margin + index * (panelWidth + margin)
            let y0 = margin + labelHeight
            canvas.text(panel.title, x: x0, y: margin)
            canvas.frame(x: x0, y: y0, width: panelWidth, height: panelHeight, colour: Canvas.grey)
            let peak = max(1, panel.counts.max() ?? 1)
            let bins = max(1, panel.counts.count)
            let plotWidth = panelWidth - 2
            let plotHeight = panelHeight - 2
            for (bin, count) in panel.counts.enumerated() {
                let bx0 = x0 + 1 + bin * plotWidth / bins
                let bx1 = max(bx0 + 1, x0 + 1 + (bin + 1) * plotWidth / bins)
                let barHeight = count * plotHeight / peak
                canvas.fill(x: bx0, y: y0 + 1 + plotHeight - barHeight, width: bx1 - bx0, height: barHeight, colour: Canvas.blue)
            }
            canvas.text("0", x: x0, y: y0 + panelHeight + 3)
            let last = "\(bins - 1)"
            canvas.text(last, x: x0 + panelWidth - Canvas.textWidth(last), y: y0 + panelHeight + 3)
            let peakText = "MAX \(peak)"
            canvas.text(peakText, x: x0 + panelWidth - Canvas.textWidth(peakText) - 3, y: y0 + 3, colour: Canvas.grey)
        }
        return canvas.raster
    }

    /// A grid of scatter panels; each panel plots (x, y) pairs over [0, maxValue]².
    public static func scatter(
        _ panels: [(title: String, points: [(Double, Double)])], maxValue: Double, columns: Int, panelSize: Int = 200
    ) -> Raster {
        let rows = (panels.count + columns - 1) / max(1, columns)
        let cellHeight = labelHeight + panelSize + margin
        let width = margin + columns * (panelSize + margin)
        let height = margin + rows * cellHeight
        var canvas = Canvas(width: width, height: height)
        for (index, panel) in panels.enumerated() {
            let x0 = margin + (index % columns) * (panelSize + margin)
            let y0 = margin + (index / columns) * cellHeight
            canvas.text(panel.title, x: x0, y: y0)
            let top = y0 + labelHeight
            canvas.frame(x: x0, y: top, width: panelSize, height: panelSize, colour: Canvas.grey)
            let scale = Double(panelSize - 3) / max(1, maxValue)
            for (x, y) in panel.points {
                let px = x0 + 1 + Int(x * scale)
                let py = top + panelSize - 2 - Int(y * scale)
                canvas.set(px, py, Canvas.red)
            }
        }
        return canvas.raster
    }

    /// Images in a grid of `columns` cells of `cellSize` pixels, each with its label above.
    public static func imageGrid(_ cells: [(label: String, image: Raster)], columns: Int, cellSize: Int = 256) -> Raster {
        let rows = (cells.count + columns - 1) / max(1, columns)
        let cellHeight = labelHeight + cellSize + margin
        let width = margin + columns * (cellSize + margin)
        let height = margin + rows * cellHeight
        var canvas = Canvas(width: width, height: height)
        for (index, cell) in cells.enumerated() {
            let x0 = margin + (index % columns) * (cellSize + margin)
            let y0 = margin + (index / columns) * cellHeight
            canvas.text(cell.label, x: x0, y: y0)
            canvas.image(cell.image, x: x0, y: y0 + labelHeight, width: cellSize, height: cellSize)
        }
        return canvas.raster
    }

    /// A plane as an 8-bit grey raster, stretched from its own minimum to maximum (a constant plane is grey 0).
    public static func greyRaster<C: Collection>(_ values: C, rows: Int, columns: Int) -> Raster where C.Element == UInt32 {
        let low = values.min() ?? 0
        let high = values.max() ?? 0
        let span = Double(max(1, high - low))
        let samples = values.map { UInt8((Double($0 - low) * 255 / span).rounded()) }
        return Raster(width: columns, height: rows, channels: 1, samples: samples)
    }

    /// Three planes as one RGB raster, each channel scaled from 0 to `maxValue`.
    public static func rgbRaster(_ red: ArraySlice<UInt32>, _ green: ArraySlice<UInt32>, _ blue: ArraySlice<UInt32>,
                                 rows: Int, columns: Int, maxValue: UInt32) -> Raster {
        var samples = [UInt8](repeating: 0, count: rows * columns * 3)
        let scale = 255 / Double(max(1, maxValue))
        let r0 = red.startIndex, g0 = green.startIndex, b0 = blue.startIndex
        for i in 0..<(rows * columns) {
            samples[3 * i] = UInt8(min(255, (Double(red[r0 + i]) * scale).rounded()))
            samples[3 * i + 1] = UInt8(min(255, (Double(green[g0 + i]) * scale).rounded()))
            samples[3 * i + 2] = UInt8(min(255, (Double(blue[b0 + i]) * scale).rounded()))
        }
        return Raster(width: columns, height: rows, channels: 3, samples: samples)
    }
}
