import Foundation
import PowderDiffraction

public enum PatternWriter {
    /// Three columns 2θ, intensity, esd with `#` header lines. 2θ gets 5 decimals, more for steps below
    /// 0.01° (three significant digits of the step), so that a fine grid stays even when read back.
    public static func xye(_ p: Pattern, header: [String] = []) -> String {
        var out = header.map { "# " + $0 + "\n" }.joined()
        out.reserveCapacity(p.count * 32)
        let format = "%.\(twoThetaDecimals(step: p.typicalStep))f %.4f %.4f\n"
        for i in 0..<p.count {
            out += String(format: format, p.twoTheta[i], p.intensity[i], p.sigma[i])
        }
        return out
    }

    /// Decimals of 2θ for a grid of this step: 5, or enough for three significant digits of the step.
    static func twoThetaDecimals(step: Double?) -> Int {
        guard let step, step > 0 else { return 5 }
        return min(10, max(5, Int((-log10(step)).rounded(.up)) + 2))
    }
}
