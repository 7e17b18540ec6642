import Foundation

/// One point of an operando reference: lithium content and the refined cell (esds and phase optional).
public struct ReferencePoint: Sendable, Equatable {
    public var x: Double
    public var a: Double?, aEsd: Double?
    public var c: Double?, cEsd: Double?
    public var volume: Double, volumeEsd: Double?
    public var phase: String?

    public init(x: Double, a: Double? = nil, aEsd: Double? = nil, c: Double? = nil, cEsd: Double? = nil,
                volume: Double, volumeEsd: Double? = nil, phase: String? = nil) {
        self.x = x; self.a = a; self.aEsd = aEsd; self.c = c; self.cEsd = cEsd
        self.volume = volume; self.volumeEsd = volumeEsd; self.phase = phase
    }
}

/// A named range of lithium content (H1, M, H2, H3 …).
public struct PhaseRegion: Sendable, Equatable {
    public var name: String
    public var range: ClosedRange<Double>
    public init(name: String, range: ClosedRange<Double>) { self.name = name; self.range = range }
}

/// A smooth curve V(x) (and a(x), c(x)) through noisy operando points, with an uncertainty band.
///
/// Smoothing: local linear regression with a Gaussian kernel of width `bandwidth` in x (weights 1/σ² when
/// the points carry esds) — monotone where the data are, without forcing a shape; the bandwidth is chosen by
/// leave-one-out cross-validation of the volume among 0.5, 0.75, 1, 1.5, 2, 3 and 4 median point spacings
/// unless given (it must then be positive). The band at x is the
/// standard error of the local fit, √(s² Σw²/(Σw)²), s² the kernel-weighted mean squared residual. The curve
/// is tabulated on a fine grid over the points' x range and never extrapolated.
public struct ReferenceCurve: Sendable {
    public let points: [ReferencePoint]
    public let bandwidth: Double
    public let grid: [Double]
    public let volume: [Double], volumeBand: [Double]
    public let a: [Double]?, aBand: [Double]?
    public let c: [Double]?, cBand: [Double]?
    public let regions: [PhaseRegion]

    /// Grid points per unit of x.
    static let gridDensity = 2000.0

    public init(points unsorted: [ReferencePoint], bandwidth: Double? = nil, regions: [PhaseRegion]? = nil) throws(LithiationError) {
        if let bandwidth, !(bandwidth.isFinite && bandwidth > 0) { throw .invalidBandwidth(bandwidth) }
        let pts = unsorted.filter { $0.x.isFinite && $0.volume.isFinite }.sorted { $0.x < $1.x }
        guard pts.count >= 4 else { throw .tooFewPoints(pts.count) }
        for p in pts {
            for (name, e) in [("a", p.aEsd), ("c", p.cEsd), ("volume", p.volumeEsd)] {
                if let e, !(e >= 0) { throw .negativeEsd(quantity: "\(name) at x(Li) = \(p.x)", value: e) }
            }
        }
        points = pts
        let spacings = zip(pts, pts.dropFirst()).map { $1.x - $0.x }.filter { $0 > 0 }.sorted()
        let median = spacings.isEmpty ? 0.01 : spacings[spacings.count / 2]
        let h = bandwidth ?? Self.crossValidatedBandwidth(pts.map(\.x), pts.map(\.volume), pts.map(\.volumeEsd), spacing: max(median, 1e-4))
        self.bandwidth = h
        let lo = pts.first!.x, hi = pts.last!.x
        let n = max(200, Int((hi - lo) * Self.gridDensity))
        grid = (0...n).map { lo + (hi - lo) * Double($0) / Double(n) }
        let xs = pts.map(\.x)
        (volume, volumeBand) = Self.smooth(xs, pts.map(\.volume), pts.map(\.volumeEsd), grid, h)
        if pts.allSatisfy({ $0.a != nil }) {
            let s = Self.smooth(xs, pts.map { $0.a! }, pts.map(\.aEsd), grid, h)
            a = s.0; aBand = s.1
        } else { a = nil; aBand = nil }
        if pts.allSatisfy({ $0.c != nil }) {
            let s = Self.smooth(xs, pts.map { $0.c! }, pts.map(\.cEsd), grid, h)
            c = s.0; cBand = s.1
        } else { c = nil; cBand = nil }
        self.regions = regions ?? Self.regionsFromPoints(pts) ?? Self.cAxisRegions(grid: grid, c: c) ?? []
    }

    /// The bandwidth (from 0.5 to 4 point spacings) that predicts each point best from the others
    /// (leave-one-out cross-validation of the volume): wide where the data are noisy, narrow enough to follow
    /// a steep collapse.
    static func crossValidatedBandwidth(_ x: [Double], _ y: [Double], _ esd: [Double?], spacing: Double) -> Double {
        var best = (h: 2 * spacing, score: Double.infinity)
        for factor in [0.5, 0.75, 1, 1.5, 2, 3, 4] {
            let h = factor * spacing
            var score = 0.0
            for k in x.indices {
                var xs = x, ys = y, es = esd
                xs.remove(at: k); ys.remove(at: k); es.remove(at: k)
                let (v, _) = smooth(xs, ys, es, [x[k]], h)
                let r = (v[0] - y[k]) / (esd[k] ?? 1)
                score += r * r
            }
            if score < best.score { best = (h, score) }
        }
        return best.h
    }

    /// Kernel-weighted local linear fit at each grid x.
    static func smooth(_ x: [Double], _ y: [Double], _ esd: [Double?], _ grid: [Double], _ h: Double) -> ([Double], [Double]) {
        var values: [Double] = [], bands: [Double] = []
        for g in grid {
            var sw = 0.0, swx = 0.0, swy = 0.0, swxx = 0.0, swxy = 0.0
            var ws: [Double] = []
            for i in x.indices {
                let u = (x[i] - g) / h
                var w = exp(-0.5 * u * u)
                if let e = esd[i], e > 0 { w /= e * e }
                ws.append(w)
                sw += w; swx += w * x[i]; swy += w * y[i]; swxx += w * x[i] * x[i]; swxy += w * x[i] * y[i]
            }
            let det = sw * swxx - swx * swx
            var value: Double
            if abs(det) > 1e-300 * max(1, sw * swxx) && det > 0 {
                let slope = (sw * swxy - swx * swy) / det
                let intercept = (swy - slope * swx) / sw
                value = intercept + slope * g
                var s2 = 0.0
                for i in x.indices { let r = y[i] - (intercept + slope * x[i]); s2 += ws[i] * r * r }
                s2 /= sw
                let sumW2 = ws.reduce(0) { $0 + $1 * $1 }
                bands.append((s2 * sumW2 / (sw * sw)).squareRoot())
            } else {
                value = swy / max(sw, 1e-300)
                bands.append(0)
            }
            values.append(value)
        }
        return (values, bands)
    }

    /// Regions from the points' own phase labels (contiguous runs), if they have any.
    static func regionsFromPoints(_ pts: [ReferencePoint]) -> [PhaseRegion]? {
        guard pts.contains(where: { $0.phase != nil && !$0.phase!.isEmpty }) else { return nil }
        var out: [PhaseRegion] = []
        for p in pts {
            guard let name = p.phase, !name.isEmpty else { continue }
            if let last = out.last, last.name == name {
                out[out.count - 1].range = last.range.lowerBound...p.x
            } else {
                out.append(PhaseRegion(name: name, range: p.x...p.x))
            }
        }
        // Close the gaps halfway between neighbouring regions.
        for i in 0..<max(0, out.count - 1) {
            let mid = 0.5 * (out[i].range.upperBound + out[i + 1].range.lowerBound)
            out[i].range = out[i].range.lowerBound...mid
            out[i + 1].range = mid...out[i + 1].range.upperBound
        }
        return out
    }

    public var xRange: ClosedRange<Double> { grid.first!...grid.last! }
    /// The pristine end: the largest x of the reference.
    public var pristineX: Double { grid.last! }
    public var pristineVolume: Double { volume.last! }

    public func region(at x: Double) -> String? {
        regions.first { $0.range.contains(x) }?.name
    }

    /// Linear interpolation of a tabulated curve at x.
    func interpolate(_ values: [Double], at x: Double) -> Double {
        let t = (x - grid.first!) / (grid.last! - grid.first!) * Double(grid.count - 1)
        let i = min(max(Int(t.rounded(.down)), 0), grid.count - 2)
        let f = t - Double(i)
        return values[i] * (1 - f) + values[i + 1] * f
    }

    public func volume(at x: Double) -> Double { interpolate(volume, at: x) }
    public func volumeBand(at x: Double) -> Double { interpolate(volumeBand, at: x) }

    /// The derivative of the tabulated (piecewise linear) curve at x: the slope of the grid cell holding x.
    /// This is the exact derivative of what `interpolate` returns, so that gradients through a lookup match
    /// finite differences of it.
    public func derivative(_ values: [Double], at x: Double) -> Double {
        let t = (x - grid.first!) / (grid.last! - grid.first!) * Double(grid.count - 1)
        let i = min(max(Int(t.rounded(.down)), 0), grid.count - 2)
        return (values[i + 1] - values[i]) / (grid[i + 1] - grid[i])
    }
}
