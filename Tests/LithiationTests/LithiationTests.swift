import Foundation
import Lithiation
import FileSupport
import LithiationIO
import Testing
import _TestSupport

@Suite struct ReferenceCurveTests {
    static func nmc811() throws -> [(x: Double, a: Double, c: Double, volume: Double)] {
        let rows = try LithiationFiles.readOperandoTable(repositoryRoot.appendingPathComponent("patterns/nmc811-operando/NMC811_Marker2019_a_c_vs_charge.tsv"))
        // x = 1 − q/275 is an assumption (q_th of NMC811 ≈ 275 mAh/g), as the data's README says.
        return rows.map { (1 - $0.q / 275, $0.a, $0.c, $0.volume) }
    }

    /// Real operando data (Märker et al. 2019): build from every other row, look up the rows left out.
    @Test func nmc811LeaveEveryOtherRowOut() throws {
        let rows = try Self.nmc811()
        let train = rows.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        let test = rows.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        var seen = Set<Double>()
        let points = train.filter { seen.insert($0.x).inserted }.map { ReferencePoint(x: $0.x, a: $0.a, c: $0.c, volume: $0.volume) }
        let curve = try ReferenceCurve(points: points)
        var direct = 0
        for row in test where curve.xRange.contains(row.x) {
            let r = try curve.lookup(volume: row.volume, esd: 0.01)
            let slope = abs(curve.slope(curve.volume, at: row.x))
            if slope > 1 {
                // V(x) monotone and not flat here: within 0.02 of the held-out x.
                #expect(abs(r.best.x - row.x) <= 0.02, "x \(row.x): got \(r.best.x) ± \(r.best.esd)")
                direct += 1
            } else {
                // Flat: several candidates, or one wide interval that contains the truth.
                let covered = r.candidates.contains { $0.interval.lowerBound - 0.02 <= row.x && row.x <= $0.interval.upperBound + 0.02 }
                #expect(r.candidates.count > 1 || covered, "flat region at x \(row.x): \(r.candidates)")
            }
        }
        #expect(direct >= 25)
    }

    /// c(x) rises then collapses: a c-only reading has two branches; the joint (a, c) lookup picks the right one.
    @Test func jointLookupPicksTheBranch() throws {
        let rows = try Self.nmc811()
        var seen = Set<Double>()
        let points = rows.enumerated().filter { $0.offset % 2 == 0 }.map(\.element).filter { seen.insert($0.x).inserted }
            .map { ReferencePoint(x: $0.x, a: $0.a, aEsd: 0.0002, c: $0.c, cEsd: 0.001, volume: $0.volume) }
        let curve = try ReferenceCurve(points: points)
        let c = try #require(curve.c)
        var ambiguous = 0
        for (k, row) in rows.enumerated() where k % 2 == 1 && curve.xRange.contains(row.x) {
            // Is this c value met at two separate places on the curve?
            let crossings = zip(c, c.dropFirst()).filter { ($0 - row.c) * ($1 - row.c) <= 0 }.count
            guard crossings >= 2 else { continue }
            ambiguous += 1
            let r = try curve.lookup(a: row.a, aEsd: 0.0002, c: row.c, cEsd: 0.001)
            #expect(abs(r.best.x - row.x) <= 0.02, "x \(row.x): joint lookup gave \(r.best.x)")
        }
        #expect(ambiguous >= 5, "the test needs rows where c alone is ambiguous")
    }

    /// The seeds' numbers on an illustrative LiNiO2-like reference made from known functions
    /// (scripts/make_linio2_like_reference.py): ΔV/V = −8.3 % and −2.5 % map to distinct x(Li) with
    /// uncertainties, in H3 and H2, within the uncertainty of the functions' exact inverse.
    @Test func seedVolumeChangesOnALiNiO2LikeReference() throws {
        func a(_ x: Double) -> Double { x >= 0.25 ? 2.815 + 0.063 * pow((x - 0.25) / 0.75, 1.3) : 2.815 + 0.025 * (0.25 - x) }
        func c(_ x: Double) -> Double {
            let rise = 14.19 + 0.28 * exp(-pow((x - 0.30) / 0.45, 2)) * (1 - exp(-((1 - x) / 0.15)))
            return 13.40 + (rise - 13.40) / (1 + exp(-(x - 0.18) / 0.025))
        }
        func v(_ x: Double) -> Double { 3.0.squareRoot() / 2 * a(x) * a(x) * c(x) }
        func inverse(_ target: Double) -> Double {  // V is monotone on [0.05, 1]: bisection
            var lo = 0.05, hi = 1.0
            for _ in 0..<60 { let mid = (lo + hi) / 2; if v(mid) < target { lo = mid } else { hi = mid } }
            return (lo + hi) / 2
        }
        let points = try LithiationFiles.readReference(repositoryRoot.appendingPathComponent("patterns/lithiation/LiNiO2-like_reference.csv"))
        let curve = try ReferenceCurve(points: points)
        let pristine = v(1)
        var results: [LookupResult] = []
        for (dv, phase) in [(-0.083, "H3"), (-0.025, "H2")] {
            let r = try curve.lookup(volume: pristine * (1 + dv), esd: 0.03)
            let truth = inverse(pristine * (1 + dv))
            #expect(r.candidates.count == 1)
            #expect(r.best.phase == phase)
            #expect(r.best.esd > 0 && r.best.esd < 0.03)
            #expect(abs(r.best.x - truth) <= 3 * r.best.esd + 0.003, "ΔV/V \(dv): \(r.best.x) ± \(r.best.esd) vs \(truth)")
            #expect(abs(r.deltaVOverV! - dv) < 0.002)
            results.append(r)
        }
        #expect(abs(results[0].best.x - results[1].best.x) > 5 * (results[0].best.esd + results[1].best.esd))
        #expect(results[0].soc > results[1].soc)
    }

    @Test func outsideTheCurveIsSaidNotExtrapolated() throws {
        let points = try LithiationFiles.readReference(repositoryRoot.appendingPathComponent("patterns/lithiation/LiNiO2-like_reference.csv"))
        let curve = try ReferenceCurve(points: points)
        #expect(throws: LithiationError.self) { _ = try curve.lookup(volume: 90, esd: 0.02) }
        #expect(throws: LithiationError.self) { _ = try curve.lookup(volume: 103, esd: 0.02) }
    }

    @Test func theoreticalCapacityFromTheFormula() throws {
        // F / (3.6 M): LiNiO2 M = 97.63 g/mol → 274.5 mAh/g (the papers' 275).
        #expect(abs(try LithiumContent.theoreticalCapacity(formula: "LiNiO2") - 274.5) < 0.2)
        #expect(abs(try LithiumContent.molarMass("LiNi0.85Co0.1Mn0.05O2") - 97.467) < 0.005)
        #expect(throws: LithiationError.self) { _ = try LithiumContent.molarMass("LiXx2") }
    }

    /// A sinusoidal current I = I0 cos(2πt/P): the charge is Q = I0 P/(2π·3600) sin(2πt/P) mAh, which rises to
    /// t = P/4, falls to 3P/4 and rises again. Sampled every P/48 (the current is zero exactly at the turning
    /// samples 12 and 36), the trapezoid rule must follow Q within its error bound and the segments must turn at
    /// those samples.
    @Test func chargeFromCurrentAndSegmentsOfAnAnalyticCycle() throws {
        let period = 48 * 600.0, i0 = 2.0, n = 48
        let omega = 2 * Double.pi / period, h = period / Double(n)
        let t = (0...n).map { Double($0) * h }
        let q = LithiumContent.charge(times: t, current: t.map { i0 * cos(omega * $0) })
        let amplitude = i0 / omega / 3600
        // Trapezoid rule on cos: |error| ≤ (ωh)²/12 of the amplitude (to second order).
        let trapezoidTolerance = pow(omega * h, 2) / 12 * amplitude * 1.01
        for k in t.indices { #expect(abs(q[k] - amplitude * sin(omega * t[k])) <= trapezoidTolerance, "sample \(k)") }
        let segments = LithiumContent.segments(q)
        #expect(segments.map(\.kind) == [.charge, .discharge, .charge])
        #expect(segments.map(\.range) == [0...12, 12...36, 36...48])
        #expect(try LithiumContent.range(of: LithiumContent.SegmentChoice("discharge:1")!, in: q) == 12...36)
        #expect(try LithiumContent.range(of: LithiumContent.SegmentChoice("charge:2")!, in: q) == 36...48)
        #expect(throws: LithiationError.segmentMissing(kind: "charge", requested: 3, available: 2)) {
            _ = try LithiumContent.range(of: LithiumContent.SegmentChoice(.charge, 3), in: q)
        }
        // Charge, discharge, charge again given as capacities: three segments, kept apart.
        let cycle = [0.0, 1, 2, 3, 2.5, 1.5, 0.5, 1, 2, 2.9]
        #expect(LithiumContent.segments(cycle).map(\.range) == [0...3, 3...6, 6...9])
    }
}
