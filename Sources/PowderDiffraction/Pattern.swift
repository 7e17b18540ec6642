import Foundation

/// A measured or calculated powder pattern: 2θ in degrees, intensities and their standard uncertainties.
public struct Pattern: Sendable, Equatable {
    public var name: String
    /// 2θ in degrees, increasing.
    public var twoTheta: [Double]
    public var intensity: [Double]
    /// σ of each intensity (from the file, else √max(y, 1)).
    public var sigma: [Double]
    /// The wavelengths (Å) the file states for its radiation, strongest line first: [Kα1] or [Kα1, Kα2]; empty
    /// when the file states none. Metadata only: the model takes its radiation from the instrument file.
    public var statedWavelengths: [Double] = []
    /// The intensity ratio I(Kα2)/I(Kα1) the file states, if any.
    public var statedSecondLineRatio: Double?

    public init(name: String, twoTheta: [Double], intensity: [Double], sigma: [Double]? = nil) {
        precondition(twoTheta.count == intensity.count, "2θ and intensity differ in length")
        self.name = name
        self.twoTheta = twoTheta
        self.intensity = intensity
        self.sigma = sigma ?? intensity.map { max($0, 1).squareRoot() }
    }

    public var count: Int { twoTheta.count }
    public var range: ClosedRange<Double> { (twoTheta.first ?? 0)...(twoTheta.last ?? 0) }

    /// The step of an even grid: every point within 10 % of a step of 2θ₀ + i·step (files print 2θ to a few
    /// decimals, so spacings differ in their last digit: a (1/600)° step printed to 4 decimals is off by up
    /// to 3 %); nil for an uneven grid or fewer than two points.
    public var evenStep: Double? {
        let n = twoTheta.count
        guard n > 1 else { return nil }
        let first = twoTheta[0], step = (twoTheta[n - 1] - first) / Double(n - 1)
        guard step > 0 else { return nil }
        for i in 1..<n where abs(twoTheta[i] - (first + Double(i) * step)) > 0.1 * step { return nil }
        return step
    }

    /// The median spacing of the points (degrees): the step of an even grid, a typical one of any other.
    public var typicalStep: Double? {
        guard count > 1 else { return nil }
        var d = (1..<count).map { twoTheta[$0] - twoTheta[$0 - 1] }
        let k = d.count / 2
        d.sort()
        return d[k] > 0 ? d[k] : nil
    }

    /// The points inside [low, high] (degrees).
    public func restricted(to low: Double, _ high: Double) -> Pattern {
        let keep = twoTheta.indices.filter { twoTheta[$0] >= low && twoTheta[$0] <= high }
        var part = Pattern(name: name, twoTheta: keep.map { twoTheta[$0] }, intensity: keep.map { intensity[$0] }, sigma: keep.map { sigma[$0] })
        part.statedWavelengths = statedWavelengths
        part.statedSecondLineRatio = statedSecondLineRatio
        return part
    }
}
