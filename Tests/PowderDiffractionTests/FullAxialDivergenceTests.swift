import Foundation
@testable import PowderDiffraction
import Testing

/// The full axial model against its defining integral computed directly: source, specimen and receiver
/// heights on a dense midpoint grid, the ray's axial angles from them, the receiver angle 2φ from the
/// diffracted direction on the Debye cone (k_i · k_d = cos 2θ₀), each ray weighted by its two Soller
/// transmissions. Both are convolved with the same narrow Gaussian and compared point by point.
@Suite struct FullAxialDivergenceTests {
    /// NIST's divergent-beam diffractometer as its certificate data state it (R 217.5 mm, 12 mm source, 15 mm
    /// beam on the specimen), a 15 mm receiver and 3.4° Soller slits.
    static let geometry = AxialGeometry(radius: 217.5, sourceLength: 12, sampleLength: 15, receiverLength: 15,
                                        primarySoller: 3.388, secondarySoller: 3.388)

    /// The aberration's distribution by brute force: (offset, weight) of every ray of an n³ grid.
    static func direct(_ g: AxialGeometry, twoTheta: Double, n: Int) -> [(Double, Double)] {
        var out: [(Double, Double)] = []
        out.reserveCapacity(n * n * n)
        let soller = (g.primarySoller * Double.pi / 180, g.secondarySoller * Double.pi / 180)
        func mid(_ i: Int, _ length: Double) -> Double { (Double(i) + 0.5) / Double(n) * length - length / 2 }
        for i in 0..<n {
            let zs = mid(i, g.sourceLength)
            for j in 0..<n {
                let zx = mid(j, g.sampleLength)
                // Incident direction, source → specimen, as a unit vector (x along the beam, z along the axis).
                let (ix, iz) = (g.radius, zx - zs)
                let norm = (ix * ix + iz * iz).squareRoot()
                let incident = (ix / norm, iz / norm)
                let t1 = 1 - abs(atan2(iz, ix)) / soller.0
                guard t1 > 0 else { continue }
                for k in 0..<n {
                    let zr = mid(k, g.receiverLength)
                    let elevation = atan2(zr - zx, g.radius)
                    let t2 = 1 - abs(elevation) / soller.1
                    guard t2 > 0 else { continue }
                    // k_d = (cos e cos 2φ, cos e sin 2φ, sin e) with k_i · k_d = cos 2θ₀.
                    let c = (cos(twoTheta) - incident.1 * sin(elevation)) / (incident.0 * cos(elevation))
                    out.append((acos(max(-1, min(1, c))) - twoTheta, t1 * t2))
                }
            }
        }
        return out
    }

    @Test(arguments: [21.36, 60.0, 148.9])
    func matchesTheDefiningIntegral(twoThetaDegrees: Double) {
        let rad = Double.pi / 180
        let p = twoThetaDegrees * rad
        let sigma = 0.04 * rad / 2.3548  // a Gaussian of 0.04° FWHM, LaB6's narrowest line on NIST's instrument
        let rays = Self.direct(Self.geometry, twoTheta: p, n: 72)
        let total = rays.reduce(0) { $0 + $1.1 }
        // The rays binned 10⁻⁵ rad wide (a 140th of the Gaussian's FWHM) before the convolution.
        var bins: [Int: (Double, Double)] = [:]
        for (e, w) in rays {
            let b = Int((e / 1e-5).rounded(.down))
            let old = bins[b] ?? (0, 0)
            bins[b] = (old.0 + w * e, old.1 + w)
        }
        let reference = bins.values.map { ($0.0 / $0.1, $0.1) }
        let model = FullAxialDivergence(Self.geometry)
        let (offsets, _) = model.offsets(twoTheta: p)
        // As the pattern model uses them: gathered on a grid of a tenth of the peak's FWHM.
        var nodes = AxialDivergence.Nodes()
        nodes.gather(model, twoTheta: p, step: 0.004 * rad)
        func gauss(_ x: Double) -> Double { exp(-x * x / (2 * sigma * sigma)) }
        var worst = (quadrature: 0.0, gathered: 0.0), peak = 0.0
        for i in -400...100 {
            let x = Double(i) * 0.001 * rad * (twoThetaDegrees > 90 ? -1 : 1)
            var a = 0.0, b = 0.0, c = 0.0
            for (e, w) in reference { a += w * gauss(x - e) }
            a /= total
            for k in offsets.indices { b += model.weights[k] * gauss(x - offsets[k]) }
            for k in nodes.offsets.indices { c += nodes.weights[k].value * gauss(x - nodes.offsets[k].value) }
            worst = (max(worst.quadrature, abs(a - b)), max(worst.gathered, abs(a - c)))
            peak = max(peak, a)
        }
        #expect(worst.quadrature < 0.01 * peak, "2θ \(twoThetaDegrees)°: quadrature off by \(worst.quadrature) of \(peak)")
        #expect(worst.gathered < 0.015 * peak, "2θ \(twoThetaDegrees)°: gathered sub-peaks off by \(worst.gathered) of \(peak)")
        // The centroid (the peak shift) to 2·10⁻⁴ of itself (the dense grid's own accuracy): ~10⁻⁷ rad at 21°.
        var mean = 0.0
        for (e, w) in rays { mean += w * e }
        mean /= total
        #expect(abs(model.moments(twoTheta: p).mean - mean) < 2e-4 * abs(mean) + 1e-9, "mean \(model.moments(twoTheta: p).mean) vs \(mean), cells \(model.weights.count)")
    }

    /// A powder CIF states no receiver length: the geometry taken from its items (`StatedAxialGeometry`) gives
    /// the receiver the length the secondary Soller slit lets rays reach from the specimen's ends, so that the
    /// stated slits alone limit the rays. The defining integral (brute force) then gives the same aberration
    /// with a receiver twice as long, and another one with a receiver half as long (20 mm, still longer than the specimen: it cuts rays off).
    @Test(arguments: [21.36, 148.9]) func statedGeometryLetsTheSlitsLimitTheRays(twoThetaDegrees: Double) {
        let stated = StatedAxialGeometry(sourceLength: 12, sampleLength: 15, incidentDivergence: 6.776, diffractedDivergence: 6.776)
        let g = stated.geometry(radius: 217.5)
        #expect(g.primarySoller == 3.388 && g.secondarySoller == 3.388 && g.sourceLength == 12 && g.sampleLength == 15)
        func mean(receiver factor: Double) -> Double {
            var h = g
            h.receiverLength *= factor
            let rays = Self.direct(h, twoTheta: twoThetaDegrees * .pi / 180, n: 60)
            return rays.reduce(0) { $0 + $1.0 * $1.1 } / rays.reduce(0) { $0 + $1.1 }
        }
        let m = mean(receiver: 1), longer = mean(receiver: 2), shorter = mean(receiver: 0.5)
        // The longer receiver's grid is coarser over the rays that pass: equal to the grid's accuracy.
        #expect(abs(longer - m) < 3e-3 * abs(m), "\(twoThetaDegrees)°: mean shift \(m) vs \(longer) with a longer receiver")
        #expect(abs(shorter - m) > 0.01 * abs(m), "\(twoThetaDegrees)°: mean shift \(m) vs \(shorter) with a shorter receiver")
    }

    /// ∂ε/∂2θ₀ of every node against a central difference.
    @Test func offsetSlopes() {
        let model = FullAxialDivergence(Self.geometry)
        let p = 0.7, h = 1e-6
        let (_, d) = model.offsets(twoTheta: p)
        let up = model.offsets(twoTheta: p + h).offsets, down = model.offsets(twoTheta: p - h).offsets
        for k in d.indices { #expect(abs((up[k] - down[k]) / (2 * h) - d[k]) < 1e-6) }
    }
    /// ∂/∂(Soller angle) of the gathered sub-peaks (as the pattern model uses them) against a central
    /// difference of the peak shift — the mean offset, which gathering keeps — of quadratures laid out afresh
    /// at S ± 0.1 %, with equal slits, with a primary slit half as wide as the secondary, and with slits whose
    /// reach from the source's edges ends exactly at the specimen's edges (R tan S = 6 + 7.5 mm: a step either
    /// way moves cuts across them, which the derivative's sides must not follow — they keep the centre's cuts;
    /// without that the derivative was lost there); the weights' sum stays 1.
    @Test(arguments: [21.36, 60.0, 148.9]) func sollerDerivative(twoThetaDegrees: Double) {
        let rad = Double.pi / 180, p = twoThetaDegrees * rad
        let edge = atan(13.5 / 217.5) / rad
        for g in [Self.geometry, AxialGeometry(radius: 217.5, sourceLength: 12, sampleLength: 15, receiverLength: 15,
                                               primarySoller: 2, secondarySoller: 4),
                  AxialGeometry(radius: 217.5, sourceLength: 12, sampleLength: 15, receiverLength: 15, primarySoller: edge, secondarySoller: edge)] {
            var nodes = AxialDivergence.Nodes()
            nodes.gather(FullAxialDivergence(g, sollerDerivative: true), twoTheta: p, step: 0.004 * rad)
            var slope = 0.0, weightSlope = 0.0
            for k in nodes.offsets.indices {
                slope += nodes.weights[k].d.y * nodes.offsets[k].value
                weightSlope += nodes.weights[k].d.y
            }
            let h = 1e-3 * g.sollerAngle
            var up = g, down = g
            up.sollerAngle += h
            down.sollerAngle -= h
            let fd = (FullAxialDivergence(up).moments(twoTheta: p).mean - FullAxialDivergence(down).moments(twoTheta: p).mean) / (2 * h)
            #expect(abs(slope - fd) < 1e-4 * abs(fd), "2θ \(twoThetaDegrees)°, slits \(g.primarySoller)/\(g.secondarySoller)°: ∂shift/∂S \(slope) vs \(fd)")
            #expect(abs(weightSlope) < 1e-9)
        }
    }
}
