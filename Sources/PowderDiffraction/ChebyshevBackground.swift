import Foundation

/// Background as Σ cₙ Tₙ(t) with Chebyshev polynomials of the first kind and t = −1 + 2(2θ − 2θ₀)/(2θ_N − 2θ₀)
/// mapping the pattern's 2θ range onto [−1, 1] (GSAS-II's `chebyschev-1`).
public struct ChebyshevBackground: Sendable, Equatable {
    public var coefficients: [Double]
    /// The 2θ range (degrees) mapped onto [−1, 1].
    public let low: Double, high: Double

    public init(coefficients: [Double], low: Double, high: Double) {
        precondition(high > low, "background range must not be empty")
        self.coefficients = coefficients
        self.low = low
        self.high = high
    }

    /// T₀(t) … T_{n−1}(t) at 2θ (degrees), by the recurrence T_{k+1} = 2t T_k − T_{k−1}.
    public func basis(at twoTheta: Double, into out: inout [Double]) {
        let t = -1 + 2 * (twoTheta - low) / (high - low)
        let n = coefficients.count
        if n > 0 { out[0] = 1 }
        if n > 1 { out[1] = t }
        if n > 2 { for k in 2..<n { out[k] = 2 * t * out[k - 1] - out[k - 2] } }
    }

    /// T_k at every point, term-major (T_k of point i at k × points + i), for a grid.
    public func basisTable(for twoTheta: [Double], terms: Int) -> [Double] {
        let probe = ChebyshevBackground(coefficients: Array(repeating: 0, count: terms), low: low, high: high)
        var row = [Double](repeating: 0, count: terms)
        let n = twoTheta.count
        var out = [Double](repeating: 0, count: n * terms)
        for (i, x) in twoTheta.enumerated() {
            probe.basis(at: x, into: &row)
            for k in 0..<terms { out[k * n + i] = row[k] }
        }
        return out
    }

    public func value(at twoTheta: Double) -> Double {
        var b = [Double](repeating: 0, count: coefficients.count)
        basis(at: twoTheta, into: &b)
        return zip(b, coefficients).reduce(0) { $0 + $1.0 * $1.1 }
    }
}
