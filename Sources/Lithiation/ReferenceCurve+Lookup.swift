import Crystallography
import Foundation

/// One place on the reference curve consistent with a measurement.
public struct LookupCandidate: Sendable, Equatable {
    public var x: Double
    public var esd: Double
    /// The x interval over which the curve agrees with the measurement within 2σ.
    public var interval: ClosedRange<Double>
    public var phase: String?
    /// |V(x) − V| / σ at x (or √χ² for a joint lookup).
    public var misfit: Double
}

/// The answer to "what lithium content has this electrode?".
public struct LookupResult: Sendable {
    /// Most consistent candidate first.
    public var candidates: [LookupCandidate]
    public var best: LookupCandidate { candidates[0] }
    /// State of charge as a fraction of the reference's range: (x_pristine − x) / (x_pristine − x_min).
    public var soc: Double
    /// V / V(pristine) − 1.
    public var deltaVOverV: Double?
}

extension ReferenceCurve {
    /// x(Li) for a cell volume V ± σ. The uncertainty combines σ(V), the curve's band and the local slope:
    /// σx = √(σV² + band²) / |dV/dx|; where V(x) is flat the 2σ interval is reported instead (σx = width/4),
    /// and where the curve is not one-to-one every consistent interval is a candidate.
    public func lookup(volume v: Double, esd: Double = 0) throws(LithiationError) -> LookupResult {
        let lo = volume.min()!, hi = volume.max()!
        let slack = 2 * ((esd * esd) + (volumeBand.max() ?? 0) * (volumeBand.max() ?? 0)).squareRoot()
        guard v >= lo - slack, v <= hi + slack else { throw .outsideRange(quantity: "volume", value: v, range: lo...hi) }
        let sigma = grid.indices.map { ((esd * esd) + volumeBand[$0] * volumeBand[$0]).squareRoot() }
        let z = grid.indices.map { (volume[$0] - v) / max(sigma[$0], 1e-12) }
        var candidates = Self.candidates(grid: grid, consistent: z.map { abs($0) <= 2 }, misfit: z.map(abs)) { i0, i1 in
            // Crossing inside the run, else its best point.
            var xStar = grid[(i0...i1).min { abs(z[$0]) < abs(z[$1]) }!]
            for i in i0..<max(i0, i1) where z[i] * z[i + 1] <= 0 && z[i] != z[i + 1] {
                xStar = grid[i] + (grid[i + 1] - grid[i]) * z[i] / (z[i] - z[i + 1])
                break
            }
            let slope = self.slope(self.volume, at: xStar)
            let s = (esd * esd + self.interpolate(self.volumeBand, at: xStar) * self.interpolate(self.volumeBand, at: xStar)).squareRoot()
            return (xStar, abs(slope) > 0 ? s / abs(slope) : .infinity)
        }
        guard !candidates.isEmpty else { throw .outsideRange(quantity: "volume", value: v, range: lo...hi) }
        for k in candidates.indices { candidates[k].phase = region(at: candidates[k].x) }
        candidates.sort { $0.misfit < $1.misfit }
        let best = candidates[0]
        return LookupResult(candidates: candidates, soc: soc(best.x), deltaVOverV: v / pristineVolume - 1)
    }

    /// x(Li) from a and c together: the minima of χ²(x) = Σ ((p(x) − p)/σ)² over the (a(x), c(x)) path,
    /// σ² = esd² + band². Separates branches that V alone cannot (c rises, then collapses).
    public func lookup(a: Double, aEsd: Double, c: Double, cEsd: Double) throws(LithiationError) -> LookupResult {
        guard let ac = self.a, let ab = aBand else { throw .missingColumn("a") }
        guard let cc = self.c, let cb = cBand else { throw .missingColumn("c") }
        let chi2 = grid.indices.map { i -> Double in
            let sa = (aEsd * aEsd + ab[i] * ab[i]).squareRoot(), sc = (cEsd * cEsd + cb[i] * cb[i]).squareRoot()
            let da = (ac[i] - a) / max(sa, 1e-12), dc = (cc[i] - c) / max(sc, 1e-12)
            return da * da + dc * dc
        }
        let minimum = chi2.min()!
        // A measurement far from the whole path (no point within 3σ in both) is outside the curve.
        guard minimum <= 2 * 9 else {
            throw .outsideRange(quantity: "(a, c)", value: minimum.squareRoot(), range: 0...(2 * 9.0).squareRoot())
        }
        var candidates: [LookupCandidate] = []
        var i = 0
        while i < grid.count {
            // Local minima below the acceptance level.
            let isMin = (i == 0 || chi2[i] <= chi2[i - 1]) && (i == grid.count - 1 || chi2[i] < chi2[i + 1])
            if isMin && chi2[i] <= max(minimum + 9, 4) {
                var l = i, r = i
                while l > 0 && chi2[l - 1] <= chi2[i] + 1 { l -= 1 }
                while r < grid.count - 1 && chi2[r + 1] <= chi2[i] + 1 { r += 1 }
                let esd = max((grid[r] - grid[l]) / 2, (grid[1] - grid[0]))
                candidates.append(LookupCandidate(x: grid[i], esd: esd, interval: grid[l]...grid[r], phase: region(at: grid[i]),
                                                  misfit: chi2[i].squareRoot()))
            }
            i += 1
        }
        candidates.sort { $0.misfit < $1.misfit }
        let best = candidates[0]
        let vMeasured = UnitCell.hexagonalVolume(a: a, c: c)
        return LookupResult(candidates: candidates, soc: soc(best.x), deltaVOverV: vMeasured / pristineVolume - 1)
    }

    func soc(_ x: Double) -> Double { (pristineX - x) / max(pristineX - grid.first!, 1e-12) }

    public func slope(_ values: [Double], at x: Double) -> Double {
        let h = max(bandwidth / 4, grid[1] - grid[0])
        let x0 = max(grid.first!, x - h), x1 = min(grid.last!, x + h)
        return (interpolate(values, at: x1) - interpolate(values, at: x0)) / (x1 - x0)
    }

    /// Connected runs of consistent grid points, each turned into a candidate by `estimate` (x, σx).
    static func candidates(grid: [Double], consistent: [Bool], misfit: [Double],
                           estimate: (Int, Int) -> (Double, Double)) -> [LookupCandidate] {
        var out: [LookupCandidate] = []
        var i = 0
        while i < grid.count {
            guard consistent[i] else { i += 1; continue }
            var j = i
            while j + 1 < grid.count && consistent[j + 1] { j += 1 }
            let (x, slopeEsd) = estimate(i, j)
            let width = grid[j] - grid[i]
            let esd = max(slopeEsd.isFinite ? slopeEsd : width / 4, width / 4, grid[1] - grid[0])
            out.append(LookupCandidate(x: x, esd: esd, interval: grid[i]...grid[j], phase: nil, misfit: (i...j).map { misfit[$0] }.min()!))
            i = j + 1
        }
        return out
    }
}
