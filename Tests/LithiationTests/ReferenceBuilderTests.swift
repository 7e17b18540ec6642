import Foundation
import Lithiation
import Testing

@Suite struct ReferenceBuilderTests {
    /// Patterns every hour on a constant current: x = x0 − I t / (3600 q_th m/1000) exactly (the trapezoid rule
    /// is exact for a constant current); flagged patterns keep their place in time but give no point; each phase
    /// gives its branch from the patterns where it is present; the two-phase region is where both are.
    @Test func multiPhaseSequentialRunGivesBranches() throws {
        let current = 0.0275, mass = 10.0, capacity = 275.0  // 0.01 Li per hour
        let xs = (0..<96).map { 1 - 0.01 * Double($0) }
        var patterns: [SequentialPattern] = []
        for (i, x) in xs.enumerated() {
            let phases = ["H2", "H3"].map { name -> PhaseObservation in
                let range = name == "H2" ? TwoPhaseModel.h2Range : TwoPhaseModel.h3Range
                let present = range.contains(x) || abs(x - range.lowerBound) < 1e-9 || abs(x - range.upperBound) < 1e-9
                return PhaseObservation(name: name, a: present ? Measured(TwoPhaseModel.a(name, x), esd: 0.0002) : nil,
                                        c: present ? Measured(TwoPhaseModel.c(name, x), esd: 0.001) : nil,
                                        volume: present ? Measured(TwoPhaseModel.volume(name, x), esd: 0.01) : nil,
                                        weightFraction: Measured(present ? 0.5 : 0, esd: 0.01), present: present)
            }
            patterns.append(SequentialPattern(index: i, file: "p\(i).xye", time: nil, flagged: i == 10, phases: phases))
        }
        let times = (0...100).map { Double($0) * 3600 }
        let record = CyclerRecord(times: times, charge: LithiumContent.charge(times: times, current: times.map { _ in current }))
        let build = try ReferenceBuilder.fromSequential(patterns, record: record, clock: .interval(start: 0, every: 3600),
                                                        conversion: try ChargeConversion(capacity: capacity), massMilligrams: mass)
        #expect(build.branches == ["H2", "H3"])
        let h2 = build.points.filter { $0.phase == "H2" }, h3 = build.points.filter { $0.phase == "H3" }
        #expect(h2.count == 75 && h3.count == 31)  // H2: x 1.00…0.25 less the flagged pattern 10 (x = 0.90); H3: 0.35…0.05
        #expect(!h2.contains { abs($0.x - 0.90) < 1e-9 })
        for p in build.points {
            let i = try #require(xs.firstIndex { abs($0 - p.x) < 1e-9 })
            #expect(abs(p.x - (1 - current * Double(i) / (capacity * mass / 1000))) < 1e-12)
        }
        #expect(build.twoPhaseRegions.count == 1)
        let region = try #require(build.twoPhaseRegions.first)
        #expect(region.phases == ["H2", "H3"] && abs(region.range.lowerBound - 0.25) < 1e-9 && abs(region.range.upperBound - 0.35) < 1e-9)
        // Equal weight fractions in every coexisting pattern: the lever rule cannot place the region's ends.
        #expect(build.boundaries.isEmpty && build.warnings.contains(.noPhaseBoundaries(region: "H2+H3", reason: .fractionsDoNotVary)))
    }

    @Test func patternTimesMustIncreaseAndSegmentMustExist() throws {
        let patterns = (0..<4).map { SequentialPattern(index: $0, file: "p\($0)", time: [0, 10, 5, 20][$0], flagged: false, phases: []) }
        let record = CyclerRecord(times: [0, 100], charge: [0, 1])
        #expect(throws: LithiationError.patternTimesNotIncreasing(index: 2, file: "p2", time: 5)) {
            _ = try ReferenceBuilder.align(patterns, to: record, clock: .recorded)
        }
        #expect(throws: LithiationError.segmentMissing(kind: "discharge", requested: 1, available: 0)) {
            _ = try ReferenceBuilder.align(patterns, to: record, clock: .recorded, segment: .init(.discharge, 1))
        }
        #expect(throws: LithiationError.invalidCapacity(-275)) { _ = try ChargeConversion(capacity: -275) }
        #expect(throws: LithiationError.invalidBandwidth(0)) { _ = try ReferenceCurve(points: TwoPhaseModel.points().filter { $0.phase == "H2" }, bandwidth: 0) }
    }
}
