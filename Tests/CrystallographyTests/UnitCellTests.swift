import Crystallography
import Foundation
import Testing

@Suite struct UnitCellTests {
    @Test func hexagonalVolumeIsRootThreeOverTwoASquaredC() throws {
        let cell = try UnitCell.hexagonal(a: 2.878, c: 14.19)
        #expect(abs(cell.volume - 3.0.squareRoot() / 2 * 2.878 * 2.878 * 14.19) < 1e-10)
        // The GSAS-II truth JSON of the simulated LiNiO2 pattern gives V = 101.78753716090927 Å³.
        #expect(abs(cell.volume - 101.78753716090927) < 1e-9)
    }

    @Test func hexagonalDSpacingsFollowTheTextbookFormula() throws {
        let (a, c) = (2.878, 14.19)
        let cell = try UnitCell.hexagonal(a: a, c: c)
        for (h, k, l) in [(0, 0, 3), (1, 0, 4), (1, 1, 0), (1, 1, 3), (0, 1, 8)] {
            let inv = 4.0 / 3.0 * Double(h * h + h * k + k * k) / (a * a) + Double(l * l) / (c * c)
            #expect(abs(cell.dSpacing(h, k, l) - 1 / inv.squareRoot()) < 1e-12)
        }
    }

    @Test func triclinicVolumeAgreesWithTripleProduct() throws {
        let cell = try UnitCell(a: 5.1, b: 6.3, c: 7.7, alpha: 81, beta: 97, gamma: 103)
        // Cartesian basis: a along x, b in the xy plane.
        let r = Double.pi / 180
        let av = SIMD3(5.1, 0, 0)
        let bv = SIMD3(6.3 * cos(103 * r), 6.3 * sin(103 * r), 0)
        let cx = 7.7 * cos(97 * r)
        let cy = 7.7 * (cos(81 * r) - cos(97 * r) * cos(103 * r)) / sin(103 * r)
        let cz = (7.7 * 7.7 - cx * cx - cy * cy).squareRoot()
        let cross = SIMD3(bv.y * cz - bv.z * cy, bv.z * cx - bv.x * cz, bv.x * cy - bv.y * cx)
        #expect(abs(cell.volume - (av * cross).sum()) < 1e-9)
        // G* is the inverse of G.
        for i in 0..<3 {
            for j in 0..<3 {
                let p = (0..<3).reduce(0.0) { $0 + cell.metric[3 * i + $1] * cell.reciprocalMetric[3 * $1 + j] }
                #expect(abs(p - (i == j ? 1 : 0)) < 1e-12)
            }
        }
    }

    @Test func volumeGradientMatchesFiniteDifferences() throws {
        let p = [5.1, 6.3, 7.7, 81.0, 97.0, 103.0]
        let cell = try UnitCell(a: p[0], b: p[1], c: p[2], alpha: p[3], beta: p[4], gamma: p[5])
        for i in 0..<6 {
            let h = 1e-6 * p[i]
            var up = p, down = p
            up[i] += h; down[i] -= h
            let vu = try UnitCell(a: up[0], b: up[1], c: up[2], alpha: up[3], beta: up[4], gamma: up[5]).volume
            let vd = try UnitCell(a: down[0], b: down[1], c: down[2], alpha: down[3], beta: down[4], gamma: down[5]).volume
            let fd = (vu - vd) / (2 * h)
            #expect(abs(cell.volumeGradient[i] - fd) <= 1e-6 * max(1, abs(fd)))
        }
    }

    @Test func volumeEsdFromCovarianceMatchesFiniteDifferencePropagation() throws {
        // A hexagonal cell refined with a and c correlated: a = b exactly, so the covariance of (a, b, c)
        // carries σ(a)² in the a–b block. V's esd must use the correlations, not add esds.
        let (a, c) = (2.878, 14.19)
        let (sa, sc, rho) = (2.6e-5, 1.1e-4, -0.4)
        var cov = [Double](repeating: 0, count: 36)
        for i in 0..<2 { for j in 0..<2 { cov[6 * i + j] = sa * sa } }
        cov[6 * 2 + 2] = sc * sc
        for i in 0..<2 { cov[6 * i + 2] = rho * sa * sc; cov[6 * 2 + i] = rho * sa * sc }
        let cell = try UnitCell.hexagonal(a: a, c: c)
        let esd = cell.volumeStandardUncertainty(covariance: cov)
        // Finite-difference propagation in the two free parameters (a, c).
        let h = 1e-7
        let dVda = (try UnitCell.hexagonal(a: a + h, c: c).volume - UnitCell.hexagonal(a: a - h, c: c).volume) / (2 * h)
        let dVdc = (try UnitCell.hexagonal(a: a, c: c + h).volume - UnitCell.hexagonal(a: a, c: c - h).volume) / (2 * h)
        let variance = dVda * dVda * sa * sa + dVdc * dVdc * sc * sc + 2 * dVda * dVdc * rho * sa * sc
        #expect(abs(esd - variance.squareRoot()) < 1e-6 * esd)
    }

    @Test func impossibleCellsAreRejected() {
        #expect(throws: CrystallographyError.self) { _ = try UnitCell(a: -1, b: 1, c: 1, alpha: 90, beta: 90, gamma: 90) }
        #expect(throws: CrystallographyError.self) { _ = try UnitCell(a: 1, b: 1, c: 1, alpha: 120, beta: 120, gamma: 120) }
    }

    /// V and c/a of a hexagonal cell from the covariance of its independent a and c: the same esd as a
    /// finite-difference propagation; a cubic cell has V but no c/a (it is 1 by symmetry).
    @Test func parametrizationPropagatesThroughTiedParameters() throws {
        let cell = try UnitCell.hexagonal(a: 2.878, c: 14.19)
        let hexagonal = CellParametrization(system: .trigonal, cell: cell)
        #expect(hexagonal.independent == [.a, .c])
        #expect(hexagonal.dependents(of: .a) == [.a, .b])
        let (sa, sc, rho) = (2.6e-5, 1.1e-4, -0.4)
        let cov: [[Double]] = [[sa * sa, rho * sa * sc], [rho * sa * sc, sc * sc]]
        let e = hexagonal.estimates(of: cell) { cov[$0][$1] }
        let h = 1e-7
        let dVda = (try UnitCell.hexagonal(a: 2.878 + h, c: 14.19).volume - UnitCell.hexagonal(a: 2.878 - h, c: 14.19).volume) / (2 * h)
        let dVdc = (try UnitCell.hexagonal(a: 2.878, c: 14.19 + h).volume - UnitCell.hexagonal(a: 2.878, c: 14.19 - h).volume) / (2 * h)
        let sigmaV = (dVda * dVda * sa * sa + dVdc * dVdc * sc * sc + 2 * dVda * dVdc * rho * sa * sc).squareRoot()
        #expect(abs(e.volume.esd! - sigmaV) < 1e-6 * sigmaV)
        #expect(e[.b].esd == sa && e[.gamma].esd == nil)
        // c/a: ∂/∂a = −c/a², ∂/∂c = 1/a.
        let (ga, gc) = (-14.19 / (2.878 * 2.878), 1 / 2.878)
        let sigmaRatio = (ga * ga * sa * sa + gc * gc * sc * sc + 2 * ga * gc * rho * sa * sc).squareRoot()
        #expect(abs(e.axialRatio!.esd! - sigmaRatio) < 1e-9 * sigmaRatio)
        let cubic = try UnitCell.cubic(a: 4.15678)
        let c = CellParametrization(system: .cubic, cell: cubic).estimates(of: cubic) { _, _ in 4e-12 }
        #expect(c.axialRatio == nil, "a cubic cell has no c/a")
        #expect(c[.c].esd == 2e-6 && abs(c.volume.esd! - 3 * 4.15678 * 4.15678 * 2e-6) < 1e-12)
    }

    /// ∂(1/d²)/∂p of every cell parameter against a central difference, for a triclinic cell.
    @Test func inverseDSquaredDerivativesMatchFiniteDifferences() throws {
        let p = [5.1, 6.3, 7.7, 81.0, 97.0, 103.0]
        let cell = try UnitCell(a: p[0], b: p[1], c: p[2], alpha: p[3], beta: p[4], gamma: p[5])
        for l in CellParameter.allCases {
            var up = p, down = p
            let h = 1e-6 * p[l.rawValue]
            up[l.rawValue] += h; down[l.rawValue] -= h
            let qu = try UnitCell(a: up[0], b: up[1], c: up[2], alpha: up[3], beta: up[4], gamma: up[5]).inverseDSquared(2, -1, 3)
            let qd = try UnitCell(a: down[0], b: down[1], c: down[2], alpha: down[3], beta: down[4], gamma: down[5]).inverseDSquared(2, -1, 3)
            let fd = (qu - qd) / (2 * h)
            #expect(abs(cell.inverseDSquaredDerivative(2, -1, 3, l) - fd) < 1e-7 * max(1, abs(fd)), "\(l.name)")
        }
    }
}
