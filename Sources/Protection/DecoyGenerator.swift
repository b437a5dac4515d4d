import Ciphers
import DCGAN

/// The dcgan-vpd cipher for encryption: the bundled trained generator is loaded once per process.
enum DecoyGenerator {
    /// Loading the weights costs milliseconds; every object then only runs inference.
    static let bundledSource: Result<DCGANDecoySource, DCGANError> = Result { () throws(DCGANError) -> DCGANDecoySource in
        try DCGANDecoySource.bundled()
    }

    static func dcganCipher(rule: Int?) throws(ProtectionError) -> DCGANVPDCipher {
        let source: DCGANDecoySource
        switch bundledSource {
        case .success(let s): source = s
        case .failure(let error): throw .unsupported("dcgan-vpd needs the bundled generator: \(error.description)")
        }
        do {
            let vpdRule = try VPDRule(number: rule ?? VPDRule.defaultNumber)
            return DCGANVPDCipher(decoySource: source, rule: vpdRule)
        } catch {
            throw .unsupported(error.description)
        }
    }
}
