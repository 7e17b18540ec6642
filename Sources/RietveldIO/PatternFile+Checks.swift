import FileSupport
import PowderDiffraction

extension PatternFile {
    /// `p` if it is a usable pattern: at least two points; 2θ, intensity and esd arrays of one length; every
    /// value finite; 2θ strictly increasing; esds positive. Otherwise one line naming the first bad point. Every
    /// reader checks its own input with precise messages; this is the net under all of them.
    static func checked(_ p: Pattern, file: String) throws(FileError) -> Pattern {
        guard p.twoTheta.count == p.intensity.count, p.sigma.count == p.twoTheta.count else {
            throw .malformed(file: file, line: 1, "\(p.twoTheta.count) angles, \(p.intensity.count) intensities and \(p.sigma.count) esds; expected as many of each")
        }
        guard p.count >= 2 else { throw .malformed(file: file, line: 1, "\(p.count) data points; expected at least two") }
        for i in 0..<p.count {
            guard p.twoTheta[i].isFinite, p.intensity[i].isFinite, p.sigma[i].isFinite else {
                throw .malformed(file: file, line: 1, "point \(i + 1) (2θ = \(p.twoTheta[i])) has a value that is not a finite number")
            }
            guard p.sigma[i] > 0 else {
                throw .malformed(file: file, line: 1, "point \(i + 1) (2θ = \(p.twoTheta[i])) has esd \(p.sigma[i]); expected a positive esd")
            }
            if i > 0 && !(p.twoTheta[i] > p.twoTheta[i - 1]) {
                throw .malformed(file: file, line: 1, "point \(i + 1): 2θ = \(p.twoTheta[i]) does not increase (previous \(p.twoTheta[i - 1]))")
            }
        }
        return p
    }
}
