import Foundation
import Lithiation
import Testing

@Suite struct JointLookupTests {
    /// Held-out rows must have a candidate this close to their x (x = 1 − q/275, an assumption).
    static let leaveOutTolerance = 0.02
    /// Measurement esds used for NMC811 (the table gives none): typical sequential-refinement esds.
    static let aEsd = 0.0002, cEsd = 0.001

    static func nmc811Training() throws -> (ReferenceCurve, [(x: Double, a: Double, c: Double, volume: Double)]) {
        let rows = try ReferenceCurveTests.nmc811()
        var seen = Set<Double>()
        let points = rows.enumerated().filter { $0.offset % 2 == 0 }.map(\.element).filter { seen.insert($0.x).inserted }
            .map { ReferencePoint(x: $0.x, a: $0.a, aEsd: aEsd, c: $0.c, cEsd: cEsd, volume: $0.volume) }
        return (try ReferenceCurve(points: points), rows.enumerated().filter { $0.offset % 2 == 1 }.map(\.element))
    }

    /// Real operando data (Märker et al. 2019): built from every other row, every held-out row inside the
    /// curve's x range gets a joint (a, c) candidate within 0.02 of its x; none is refused.
    @Test func nmc811EveryHeldOutRowHasACloseCandidate() throws {
        let (curve, test) = try Self.nmc811Training()
        var checked = 0, worst = 0.0
        for row in test where curve.xRange.contains(row.x) {
            let r = try curve.lookup(a: row.a, aEsd: Self.aEsd, c: row.c, cEsd: Self.cEsd)
            let nearest = r.candidates.map { abs($0.x - row.x) }.min()!
            worst = max(worst, nearest)
            #expect(nearest <= Self.leaveOutTolerance, "x \(row.x): candidates \(r.candidates.map(\.x))")
            checked += 1
        }
        #expect(checked >= 38)
        #expect(worst <= Self.leaveOutTolerance)
    }

    /// Off the path but within the a and c the curve spans: the nearest candidates with their distance and a
    /// warning. Beyond the range: an error naming a and c in Å.
    @Test func offPathIsAnsweredAndOutsideIsNamedInAngstrom() throws {
        let (curve, _) = try Self.nmc811Training()
        // The row at q = 121.20 (x = 0.5593) with c raised by 0.03 Å (30σ): still inside both ranges.
        let r = try curve.lookup(a: 2.8367, aEsd: Self.aEsd, c: 14.3971 + 0.03, cEsd: Self.cEsd)
        #expect(!r.candidates.isEmpty)
        #expect(r.best.misfit > ReferenceCurve.offPathSigmas)
        #expect(r.warnings.contains { if case .farFromPath = $0 { return true } else { return false } })
        // The nearest path point balances a (which pins x to ±0.005) against the raised c: it lies between the
        // row's x and where c alone would put it, toward lower x (c falls with x here).
        #expect(r.best.x < 1 - 121.20 / 275 && r.best.x > 1 - 121.20 / 275 - 0.15, "\(r.best.x)")
        do {
            _ = try curve.lookup(a: 2.9, aEsd: Self.aEsd, c: 14.19, cEsd: Self.cEsd)
            Issue.record("a = 2.9 Å is beyond the curve's a range and must be refused")
        } catch {
            #expect("\(error)".contains("a = 2.90000 Å is above"), "\(error)")
            #expect("\(error)".contains("c = 14.1900 Å is within"), "\(error)")
            #expect(!"\(error)".contains("χ"))
        }
    }
}
