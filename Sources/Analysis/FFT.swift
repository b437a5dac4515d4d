import Foundation

/// Discrete Fourier transform of real sequences of any length: radix-2 FFT for powers of two, Bluestein's
/// chirp-z algorithm (three power-of-two FFTs) otherwise. Only what the spectral test needs.
enum FFT {
    /// |X_j| for j = 0 ..< count of the DFT X_j = Σ x_k e^(−2πi jk/n).
    static func magnitudes(_ signal: [Double], count: Int) -> [Double] {
        let n = signal.count
        guard n > 0 else { return [] }
        var re: [Double]
        var im: [Double]
        if n & (n - 1) == 0 {
            re = signal
            im = [Double](repeating: 0, count: n)
            transform(&re, &im, inverse: false)
        } else {
            (re, im) = bluestein(signal)
        }
        return (0..<min(count, n)).map { (re[$0] * re[$0] + im[$0] * im[$0]).squareRoot() }
    }

    /// In-place iterative radix-2 transform; `re.count` must be a power of two.
    static func transform(_ re: inout [Double], _ im: inout [Double], inverse: Bool) {
        let n = re.count
        var j = 0
        for i in 1..<n {
            var bit = n >> 1
            while j & bit != 0 { j ^= bit; bit >>= 1 }
            j |= bit
            if i < j { re.swapAt(i, j); im.swapAt(i, j) }
        }
        var length = 2
        let sign: Double = inverse ? 1 : -1
        re.withUnsafeMutableBufferPointer { r in
            im.withUnsafeMutableBufferPointer { m in
                while length <= n {
                    let half = length / 2
                    // Twiddles computed once per stage from exact angles (no accumulated rotation error).
                    let twiddleRe = (0..<half).map { cos(sign * 2 * Double.pi * Double($0) / Double(length)) }
                    let twiddleIm = (0..<half).map { sin(sign * 2 * Double.pi * Double($0) / Double(length)) }
                    var start = 0
                    while start < n {
                        for k in 0..<half {
                            let a = start + k
                            let b = a + half
                            let tr = r[b] * twiddleRe[k] - m[b] * twiddleIm[k]
                            let ti = r[b] * twiddleIm[k] + m[b] * twiddleRe[k]
                            r[b] = r[a] - tr
                            m[b] = m[a] - ti
                            r[a] += tr
                            m[a] += ti
                        }
                        start += length
                    }
                    length <<= 1
                }
            }
        }
    }

    /// Bluestein: X_j = conj(w_j) Σ (x_k conj(w_k)) w_(j−k), w_k = e^(iπk²/n), as one circular convolution.
    static func bluestein(_ signal: [Double]) -> ([Double], [Double]) {
        let n = signal.count
        var size = 1
        while size < 2 * n - 1 { size <<= 1 }
        // k² mod 2n keeps the chirp angle exact for large k.
        let chirpRe = (0..<n).map { k -> Double in
            let index = (k * k) % (2 * n)
            return cos(Double.pi * Double(index) / Double(n))
        }
        let chirpIm = (0..<n).map { k -> Double in
            let index = (k * k) % (2 * n)
            return sin(Double.pi * Double(index) / Double(n))
        }
        var aRe = [Double](repeating: 0, count: size)
        var aIm = [Double](repeating: 0, count: size)
        for k in 0..<n {
            aRe[k] = signal[k] * chirpRe[k]
            aIm[k] = -signal[k] * chirpIm[k]
        }
        var bRe = [Double](repeating: 0, count: size)
        var bIm = [Double](repeating: 0, count: size)
        bRe[0] = chirpRe[0]
        bIm[0] = chirpIm[0]
        for k in 1..<n {
            bRe[k] = chirpRe[k]; bIm[k] = chirpIm[k]
            bRe[size - k] = chirpRe[k]; bIm[size - k] = chirpIm[k]
        }
        transform(&aRe, &aIm, inverse: false)
        transform(&bRe, &bIm, inverse: false)
        for i in 0..<size {
            let r = aRe[i] * bRe[i] - aIm[i] * bIm[i]
            let m = aRe[i] * bIm[i] + aIm[i] * bRe[i]
            aRe[i] = r
            aIm[i] = m
        }
        transform(&aRe, &aIm, inverse: true)
        var outRe = [Double](repeating: 0, count: n)
        var outIm = [Double](repeating: 0, count: n)
        let scale = 1 / Double(size)
        for j in 0..<n {
            let r = aRe[j] * scale
            let m = aIm[j] * scale
            outRe[j] = r * chirpRe[j] + m * chirpIm[j]
            outIm[j] = m * chirpRe[j] - r * chirpIm[j]
        }
        return (outRe, outIm)
    }
}
