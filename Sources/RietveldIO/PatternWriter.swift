import Foundation
import PowderDiffraction

public enum PatternWriter {
    /// Three columns 2θ, intensity, esd with `#` header lines.
    public static func xye(_ p: Pattern, header: [String] = []) -> String {
        var out = header.map { "# " + $0 + "\n" }.joined()
        out.reserveCapacity(p.count * 32)
        for i in 0..<p.count {
            out += String(format: "%.5f %.4f %.4f\n", p.twoTheta[i], p.intensity[i], p.sigma[i])
        }
        return out
    }
}
