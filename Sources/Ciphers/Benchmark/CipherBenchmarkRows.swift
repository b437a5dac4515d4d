public import Pixels

/// What a module that depends on Ciphers needs to add its own rows to a `CipherBenchmark.Report` measured in the
/// same run: the benchmark images and public row initialisers. (dcgan-vpd's rows come from module DCGAN, because
/// its key generation runs the generator, and DCGAN depends on Ciphers, not the other way round.)
extension CipherBenchmark {
    /// The throughput images of `run()`, named as in its rows.
    public static func throughputImages(side: Int) -> [(name: String, image: PixelBuffer)] {
        [("\(side)x\(side) 16-bit CT-like", ctLike(side: side)), ("\(side)x\(side) 8-bit RGB", rgb(side: side))]
    }

    /// The 16-bit grey image of the cost-per-pixel table.
    public static func scalingImage(side: Int) -> PixelBuffer {
        ctLike(side: side)
    }

    /// Pixel bytes as the throughput table counts them: rows · columns · samples · frames · bytes per sample.
    public static func countedBytes(_ descriptor: PixelDescriptor) -> Int {
        pixelBytes(descriptor)
    }
}

extension CipherBenchmark {
    /// A throughput row for a cipher measured outside `run()` (the memberwise initialiser is internal).
    public static func throughputRow(image: String, cipher: String, pixelBytes: Int, encryptMBps: Double,
                                     decryptMBps: Double, encryptRatioToGCM: Double, decryptRatioToGCM: Double)
        -> ThroughputRow
    {
        ThroughputRow(image: image, cipher: cipher, pixelBytes: pixelBytes, encryptMBps: encryptMBps,
                      decryptMBps: decryptMBps, encryptRatioToGCM: encryptRatioToGCM, decryptRatioToGCM: decryptRatioToGCM)
    }

    /// A cost-per-pixel row for a cipher measured outside `run()`.
    public static func scalingRow(side: Int, cipher: String, encryptNanosecondsPerPixel: Double,
                                  decryptNanosecondsPerPixel: Double) -> ScalingRow {
        ScalingRow(side: side, cipher: cipher, encryptNanosecondsPerPixel: encryptNanosecondsPerPixel,
                   decryptNanosecondsPerPixel: decryptNanosecondsPerPixel)
    }
}
