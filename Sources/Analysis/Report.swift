public import Foundation
public import Ciphers
public import Pixels

/// Runs the analysis over images and profiles and writes `report.json`, `report.md` and the PNG figures.
///
/// ```swift
/// let report = try AnalysisRun.run(images: [("phantom", buffer)], ciphers: [cipher],
///                                  options: AnalysisOptions(), outputDirectory: reportURL)
/// ```
public enum AnalysisRun {
    public static func run(
        images: [(name: String, buffer: PixelBuffer)], ciphers: [any PixelCipher], options: AnalysisOptions,
        outputDirectory: URL
    ) throws(AnalysisError) -> AnalysisReport {
        do {
            try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        } catch {
            throw .output(path: outputDirectory.path, reason: "cannot create the directory")
        }
        let analyzer = Analyzer(options: options)
        var imageReports: [ImageReport] = []
        for (index, image) in images.enumerated() {
            let d = image.buffer.descriptor
            var profiles: [ProfileReport] = []
            for cipher in ciphers {
                // Figure names carry a running number and the profile only, never the input's name.
                let analysis = try analyzer.analyze(image.buffer, cipher: cipher, figurePrefix: "image\(index + 1)-\(cipher.profile)")
                for figure in analysis.figures {
                    try figure.raster.writePNG(to: outputDirectory.appendingPathComponent(figure.name))
                }
                profiles.append(analysis.report)
            }
            imageReports.append(ImageReport(
                name: image.name, rows: d.rows, columns: d.columns, frames: d.frames, components: d.components,
                bitsStored: d.bitsStored, bitPlanes: analyzer.bitPlanes(of: image.buffer), profiles: profiles))
        }
        let report = AnalysisReport(
            generator: "qkdgate analyze", seed: options.seed, correlationPairs: options.correlationPairs,
            nist: options.nist, images: imageReports,
            comparison: comparison(imageReports, profiles: ciphers.map(\.profile)), notes: notes)
        try write(Data(markdown(report).utf8), to: outputDirectory.appendingPathComponent("report.md"))
        try write(try json(report), to: outputDirectory.appendingPathComponent("report.json"))
        return report
    }

    static let notes = [
        "Paper A (Shafique et al. 2024, qkd-hybrid) published no numeric results that were available to us; only paper B's values are compared.",
        "NPCR/UACI \"same key\" change one plain value by one step and encrypt both images under one key (the true differential test); \"fresh keys\" encrypt them under two independent keys, which measures only key freshness.",
        "Critical values: Wu, Noonan, Agaian (2011) with F = 2^n − 1 and T = the number of values compared.",
        "NIST SP 800-22 runs on the cipher's changed bit planes (MSB first), from encryptions of the image under fresh keys; with fewer than 55 sequences NIST's p-value uniformity check carries little weight.",
        "Robustness: the attacked cipher image is decrypted directly (no integrity check), as the papers do; the gateway itself would refuse it (MAC).",
        "dcgan-vpd's planet order: the heliocentric order of the planets never changes, so its planet table is the same at every timestamp.",
    ]

    public static func json(_ report: AnalysisReport) throws(AnalysisError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try encoder.encode(report) } catch {
            throw .output(path: "report.json", reason: "encoding failed: \(error)")
        }
    }

    public static func decode(_ data: Data) throws -> AnalysisReport {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(AnalysisReport.self, from: data)
    }

    static func write(_ data: Data, to url: URL) throws(AnalysisError) {
        do { try data.write(to: url, options: .atomic) } catch {
            throw .output(path: url.path, reason: "\(error.localizedDescription)")
        }
    }

    static func comparison(_ images: [ImageReport], profiles: [String]) -> [ProfileComparison] {
        profiles.map { profile in
            let reports = images.compactMap { image in image.profiles.first { $0.profile == profile } }
            func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
            let nist = reports.compactMap(\.nist)
            return ProfileComparison(
                profile: profile, images: reports.count,
                entropy: mean(reports.flatMap { $0.entropy.map(\.cipher8) }),
                maxAbsCorrelation: reports.flatMap { $0.correlation.compactMap(\.cipher).map(abs) }.max() ?? 0,
                npcr: mean(reports.map(\.differential.sameKey.npcr)),
                uaci: mean(reports.map(\.differential.sameKey.uaci)),
                mse: mean(reports.map(\.mse)),
                psnr: mean(reports.map(\.psnr)),
                nistPassed: nist.isEmpty ? nil : nist.map(\.passedCount).min(),
                nistTests: nist.isEmpty ? nil : nist.map(\.tests.count).max())
        }
    }
}

/// Number formatting shared by the Markdown renderer (and so by anyone checking it against the JSON).
public enum ReportFormat {
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        if value.isInfinite { return value > 0 ? "∞" : "−∞" }
        if value.isNaN { return "n/a" }
        return String(format: "%.\(digits)f", value)
    }

    public static func optional(_ value: Double?, _ digits: Int) -> String {
        value.map { fixed($0, digits) } ?? "undefined"
    }
}

extension AnalysisRun {
    /// The Markdown report: summary table against paper B, then every image and profile in detail.
    public static func markdown(_ report: AnalysisReport) -> String {
        let f = ReportFormat.fixed
        var md = "# Security analysis\n\n"
        md += "Generated by `\(report.generator)`; seed \(report.seed), \(report.correlationPairs) pixel pairs per direction"
        if let nist = report.nist {
            md += ", NIST SP 800-22 on \(nist.sequenceCount) × \(nist.sequenceLength) bits at α = \(nist.alpha)"
        }
        md += ".\n\n## Ours vs paper B\n\n"
        md += "Paper B: Kumar, Chivukula, Barua, Sci. Rep. 15:1211 (2025). Paper A (qkd-hybrid) published no values we could obtain.\n\n"
        md += "| metric | paper B | " + report.comparison.map { "\($0.profile) (ours, \($0.images) image(s))" }.joined(separator: " | ") + " |\n"
        md += "|---|---|" + report.comparison.map { _ in "---|" }.joined() + "\n"
        func row(_ name: String, _ paper: String, _ value: (ProfileComparison) -> String) {
            md += "| \(name) | \(paper) | " + report.comparison.map(value).joined(separator: " | ") + " |\n"
        }
        row("entropy (8-bit, mean)", PaperB.entropy) { f($0.entropy, 4) }
        row("max abs. correlation", PaperB.correlation) { f($0.maxAbsCorrelation, 4) }
        row("NPCR % (same key)", PaperB.npcr) { f($0.npcr, 4) }
        row("UACI % (same key)", PaperB.uaci) { f($0.uaci, 4) }
        row("MSE", PaperB.mse) { f($0.mse, 2) }
        row("PSNR dB", PaperB.psnr) { f($0.psnr, 2) }
        row("NIST SP 800-22", PaperB.nist) { c in
            guard let passed = c.nistPassed, let tests = c.nistTests else { return "not run" }
            return "\(passed) / \(tests)"
        }
        md += "\n"
        for note in report.notes { md += "- \(note)\n" }
        for (index, image) in report.images.enumerated() {
            md += "\n## Image \(index + 1): \(image.name)\n\n"
            md += "\(image.rows) × \(image.columns), \(image.frames) frame(s), \(image.components) component(s), \(image.bitsStored) bits stored.\n\n"
            md += "Bit-plane information of the input (share of Σ values per plane, MSB first): "
            md += image.bitPlanes.shares.reversed().map { f($0 * 100, 2) + " %" }.joined(separator: ", ")
            md += ". Top four planes: \(f(image.bitPlanes.topFourShare * 100, 2)) % of this image (\(f(image.bitPlanes.nominalTopFourShare * 100, 2)) % of the value range; the paper's \"> 94 %\").\n"
            for p in image.profiles { md += profileSection(p) }
        }
        return md
    }

    static func profileSection(_ p: ProfileReport) -> String {
        let f = ReportFormat.fixed
        let o = ReportFormat.optional
        var md = "\n### \(p.profile) (format \(p.formatVersion))\n\n"
        md += "Exact round trip: \(p.roundTripExact ? "yes" : "NO")."
        if p.valuesAsOffsetBinary { md += " Signed pixel data: metrics and pictures use offset binary (the signed order)." }
        md += "\n\n"
        md += "![images](\(p.figures.first { $0.hasSuffix("-images.png") } ?? ""))\n\n"
        md += "#### Entropy\n\n| frame | component | plain 8-bit | cipher 8-bit | max | plain n-bit | cipher n-bit | max n |\n|---|---|---|---|---|---|---|---|\n"
        for e in p.entropy.prefix(24) {
            md += "| \(e.frame) | \(e.component) | \(f(e.plain8, 4)) | \(f(e.cipher8, 4)) | \(f(e.max8, 0)) | \(f(e.plainN, 4)) | \(f(e.cipherN, 4)) | \(f(e.maxN, 2)) |\n"
        }
        if p.entropy.count > 24 { md += "\n(\(p.entropy.count - 24) more planes in report.json)\n" }
        md += "\n#### Adjacent-pixel correlation (frame 0)\n\n| component | direction | plain | cipher |\n|---|---|---|---|\n"
        for c in p.correlation {
            md += "| \(c.component) | \(c.direction.rawValue) | \(o(c.plain, 4)) | \(o(c.cipher, 4)) |\n"
        }
        if let scatter = p.figures.first(where: { $0.hasSuffix("-correlation.png") }) { md += "\n![correlation](\(scatter))\n" }
        md += "\n#### Histogram uniformity (χ², all frames)\n\n| component | bins | plain χ² | plain p | cipher χ² | cipher p | critical (α = 0.05) |\n|---|---|---|---|---|---|---|\n"
        for h in p.histogram {
            md += "| \(h.component) | \(h.bins) | \(f(h.plainChiSquared, 2)) | \(f(h.plainPValue, 4)) | \(f(h.cipherChiSquared, 2)) | \(f(h.cipherPValue, 4)) | \(f(h.criticalValue05, 2)) |\n"
        }
        md += "\n![histogram](\(p.figures.first { $0.hasSuffix("-histogram.png") } ?? ""))\n"
        md += "\n#### MSE and PSNR (plain vs cipher)\n\nMSE \(f(p.mse, 2)), PSNR \(f(p.psnr, 2)) dB.\n"
        let d = p.differential
        md += "\n#### Differential attack (NPCR / UACI, one value changed by one step at index \(d.changedIndex))\n\n"
        md += "| keys | NPCR % | UACI % |\n|---|---|---|\n"
        md += "| same key | \(f(d.sameKey.npcr, 4)) | \(f(d.sameKey.uaci, 4)) |\n"
        md += "| fresh keys | \(f(d.freshKeys.npcr, 4)) | \(f(d.freshKeys.uaci, 4)) |\n"
        md += "| ideal (random) | \(f(d.expectedNPCR, 4)) | \(f(d.expectedUACI, 4)) |\n\n"
        md += "| α | NPCR critical | UACI interval | same key NPCR | same key UACI | fresh keys NPCR | fresh keys UACI |\n|---|---|---|---|---|---|---|\n"
        func verdict(_ ok: Bool) -> String { ok ? "pass" : "FAIL" }
        for c in d.critical {
            md += "| \(c.alpha) | \(f(c.npcrCritical, 4)) | \(f(c.uaciLower, 4)) – \(f(c.uaciUpper, 4)) | \(verdict(c.sameKeyNPCRPasses)) | \(verdict(c.sameKeyUACIPasses)) | \(verdict(c.freshKeysNPCRPasses)) | \(verdict(c.freshKeysUACIPasses)) |\n"
        }
        let k = p.keySensitivity
        md += "\n#### Key sensitivity (key bit \(k.flippedBit) flipped)\n\n"
        if let refused = k.refused {
            md += "The cipher refused the changed key: \(refused)\n"
        } else {
            md += "Cipher values changed: \(o(k.cipherValuesChanged, 4)) % (UACI \(o(k.cipherUACI, 4)) %). "
            md += "Decryption with the wrong key: NPCR vs plain \(o(k.wrongKeyDecryptionNPCR, 4)) %.\n"
        }
        md += "\n#### Robustness (attacked cipher image, decrypted without integrity check)\n\n| attack | PSNR dB | SSIM |\n|---|---|---|\n"
        for r in p.robustness { md += "| \(r.attack) | \(f(r.psnr, 2)) | \(f(r.ssim, 4)) |\n" }
        md += "\n![robustness](\(p.figures.first { $0.hasSuffix("-robustness.png") } ?? ""))\n"
        let l = p.leakage
        md += "\n#### Bit planes left readable (MSB-only mode leakage)\n\n"
        md += "Share of equal bits, plain vs cipher, per plane (MSB first): " + l.equalBitFraction.reversed().map { f($0, 4) }.joined(separator: ", ") + ".\n\n"
        if let lower = l.lowerPlanes {
            md += "Untouched planes: \(l.untouchedPlanes.map(String.init).joined(separator: ", ")) (0 = LSB). On these planes alone: "
            md += "entropy plain \(f(lower.entropyPlain, 4)) / cipher \(f(lower.entropyCipher, 4)) bits; NPCR vs plain \(f(lower.npcrVersusPlain, 4)) %; "
            md += "correlation with the full plain image \(o(lower.correlationWithPlain, 4)); adjacent correlation in the cipher's untouched planes: "
            md += lower.correlationCipher.map { "\($0.direction.rawValue) \(o($0.cipher, 4))" }.joined(separator: ", ") + ".\n"
            if let figure = p.figures.first(where: { $0.hasSuffix("-leakage.png") }) { md += "\n![leakage](\(figure))\n" }
        } else {
            md += "Every bit plane is encrypted; nothing is left readable.\n"
        }
        if let nist = p.nist {
            md += "\n#### NIST SP 800-22 (\(nist.configuration.sequenceCount) × \(nist.configuration.sequenceLength) bits, α = \(nist.configuration.alpha))\n\n"
            md += "Passed \(nist.passedCount) / \(nist.tests.count).\n\n| test | subtests | failed (allowed) | min. proportion | bound | min. uniformity P | result |\n|---|---|---|---|---|---|---|\n"
            for t in nist.tests {
                let bound = t.subtests.map(\.proportionLowerBound).min() ?? 0
                let uniformity = t.subtests.map(\.uniformityPValue).min() ?? 0
                md += "| \(t.name) | \(t.subtests.count) | \(t.failedSubtests) (\(t.allowedFailures)) | \(f(t.minimumProportion, 4)) | \(f(bound, 4)) | \(f(uniformity, 6)) | \(t.passed ? "pass" : "FAIL") |\n"
            }
        }
        md += "\nTimings (s): " + p.seconds.sorted { $0.key < $1.key }.map { "\($0.key) \(f($0.value, 3))" }.joined(separator: ", ") + ".\n"
        return md
    }
}

extension AnalysisRun {
    /// Expands the command line's FILE|DIR arguments: files as given, directories searched recursively for
    /// DICOM Part 10 files ("DICM" at offset 128) or *.dcm files, in sorted path order.
    public static func inputFiles(_ paths: [URL]) throws(AnalysisError) -> [URL] {
        var files: [URL] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
                throw .unsuitableInput("\(path.path) does not exist")
            }
            guard isDirectory.boolValue else { files.append(path); continue }
            let found = (FileManager.default.enumerator(at: path, includingPropertiesForKeys: [.isRegularFileKey])?
                .compactMap { $0 as? URL } ?? [])
                .filter { url in
                    (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true
                        && (url.pathExtension.lowercased() == "dcm" || hasPart10Preamble(url))
                }
                .sorted { $0.path < $1.path }
            files += found
        }
        guard !files.isEmpty else { throw .unsuitableInput("no DICOM files found in the given paths") }
        return files
    }

    static func hasPart10Preamble(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 132), head.count == 132 else { return false }
        return head.suffix(4) == Data("DICM".utf8)
    }
}
