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
    /// What the user should know about this answer (an off-path measurement, a two-phase region).
    public var warnings: [LookupWarning] = []

    public init(candidates: [LookupCandidate], soc: Double, deltaVOverV: Double?, warnings: [LookupWarning] = []) {
        self.candidates = candidates; self.soc = soc; self.deltaVOverV = deltaVOverV; self.warnings = warnings
    }

    /// The two-phase region this answer lies in, if any.
    public var twoPhaseRegion: TwoPhaseRegion? {
        for w in warnings { if case .twoPhaseRegion(let r, _) = w { return r } }
        return nil
    }
}

/// A caveat attached to a lookup.
public enum LookupWarning: Sendable, Equatable, CustomStringConvertible {
    /// The (a, c) measurement is this many σ from the reference path.
    case farFromPath(sigmas: Double)
    /// The looked-up phase coexists with others at this x: its V gives its own composition, not the
    /// electrode's.
    case twoPhaseRegion(TwoPhaseRegion, phase: String)

    public var description: String {
        switch self {
        case .farFromPath(let s):
            return String(format: "(a, c) lies %.1fσ from the reference path: the nearest points are given, but this electrode may not be the reference material (composition, strain, temperature) or its cell may be mis-refined", s)
        case let .twoPhaseRegion(r, phase):
            return String(format: "x(Li) lies in the %@ two-phase region (x(Li) %.3f–%.3f): the volume of %@ alone gives that phase's composition, not the electrode's; give every phase's volume and weight fraction (--phase-volume, or --refined with phases[]) for the lever rule",
                          r.name, r.range.lowerBound, r.range.upperBound, phase)
        }
    }
}

extension ReferenceCurve {
    /// x(Li) for a cell volume V ± σ. The uncertainty combines σ(V), the curve's band and the local slope:
    /// σx = √(σV² + band²) / |dV/dx|; where V(x) is flat the 2σ interval is reported instead (σx = width/4),
    /// and where the curve is not one-to-one every consistent interval is a candidate.
    public func lookup(volume v: Double, esd: Double = 0) throws(LithiationError) -> LookupResult {
        guard esd >= 0 else { throw .negativeEsd(quantity: "volume", value: esd) }
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

    /// Distance from the (a(x), c(x)) path, in σ, beyond which a joint lookup warns that the measurement does
    /// not sit on the reference (another material, strain, temperature, a mis-refined cell) and beyond which
    /// a measurement past an end of the path counts as outside the curve.
    public static let offPathSigmas = 3.0

    /// x(Li) from a and c together: the local minima of χ²(x) = Σ ((p(x) − p)/σ)² over the (a(x), c(x)) path,
    /// σ² = esd² + band², each a candidate at distance √χ² (in σ) from the path; its esd is half the x interval
    /// where χ² stays within 1 of that minimum. Separates branches that V alone cannot (c rises, then
    /// collapses). A measurement off the path is never refused while its nearest point of the path lies inside
    /// the curve's x range: the nearest candidates come back with their distance, and a warning past
    /// `offPathSigmas`. Only a measurement whose a or c lies beyond the range the path spans (by more than
    /// `offPathSigmas` of esd ⊕ band) is outside the curve; the error names a and c and their ranges in Å.
    public func lookup(a: Double, aEsd: Double, c: Double, cEsd: Double) throws(LithiationError) -> LookupResult {
        guard let ac = self.a, let ab = aBand else { throw .missingColumn("a") }
        guard let cc = self.c, let cb = cBand else { throw .missingColumn("c") }
        guard aEsd >= 0 else { throw .negativeEsd(quantity: "a", value: aEsd) }
        guard cEsd >= 0 else { throw .negativeEsd(quantity: "c", value: cEsd) }
        let chi2 = grid.indices.map { i -> Double in
            let sa = (aEsd * aEsd + ab[i] * ab[i]).squareRoot(), sc = (cEsd * cEsd + cb[i] * cb[i]).squareRoot()
            let da = (ac[i] - a) / max(sa, 1e-12), dc = (cc[i] - c) / max(sc, 1e-12)
            return da * da + dc * dc
        }
        // Outside: a or c beyond what the path spans by more than offPathSigmas of (esd ⊕ band) at that end.
        func beyond(_ value: Double, _ curve: [Double], _ band: [Double], _ esd: Double) -> Bool {
            let iLo = curve.indices.min { curve[$0] < curve[$1] }!, iHi = curve.indices.max { curve[$0] < curve[$1] }!
            let sLo = (esd * esd + band[iLo] * band[iLo]).squareRoot(), sHi = (esd * esd + band[iHi] * band[iHi]).squareRoot()
            return value < curve[iLo] - Self.offPathSigmas * sLo || value > curve[iHi] + Self.offPathSigmas * sHi
        }
        if beyond(a, ac, ab, aEsd) || beyond(c, cc, cb, cEsd) {
            throw .outsidePath(a: a, c: c, aRange: ac.min()!...ac.max()!, cRange: cc.min()!...cc.max()!)
        }
        let minimum = chi2.min()!
        let limit = Self.offPathSigmas * Self.offPathSigmas
        var candidates: [LookupCandidate] = []
        for i in grid.indices {
            // Local minima within 3σ (in χ²: 9) of the best one, or within 2σ of the path.
            let isMin = (i == 0 || chi2[i] <= chi2[i - 1]) && (i == grid.count - 1 || chi2[i] < chi2[i + 1])
            guard isMin && chi2[i] <= max(minimum + limit, 4) else { continue }
            var l = i, r = i
            while l > 0 && chi2[l - 1] <= chi2[i] + 1 { l -= 1 }
            while r < grid.count - 1 && chi2[r + 1] <= chi2[i] + 1 { r += 1 }
            let esd = max((grid[r] - grid[l]) / 2, (grid[1] - grid[0]))
            candidates.append(LookupCandidate(x: grid[i], esd: esd, interval: grid[l]...grid[r], phase: region(at: grid[i]),
                                              misfit: chi2[i].squareRoot()))
        }
        candidates.sort { $0.misfit < $1.misfit }
        let best = candidates[0]
        let vMeasured = UnitCell.hexagonalVolume(a: a, c: c)
        var result = LookupResult(candidates: candidates, soc: soc(best.x), deltaVOverV: vMeasured / pristineVolume - 1)
        if best.misfit > Self.offPathSigmas { result.warnings.append(.farFromPath(sigmas: best.misfit)) }
        return result
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
