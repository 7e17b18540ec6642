import FileSupport
import Foundation
import Lithiation
import LithiationIO
import Testing
import _TestSupport

/// The H2 → H3 series as GSAS-II itself refined it (its stated x is `H2H3Statement`'s).
enum H2H3Series {
    static let folder = repositoryRoot.appendingPathComponent(H2H3Statement.folder)

    struct Result: Decodable {
        struct Variant: Decodable { let rows: [Row] }
        struct Row: Decodable { let i: Int; let file: String; let phases: [String: [String: [Double?]]] }
        struct Variants: Decodable { let present: Variant }
        let variants: Variants
    }

    /// GSAS-II's refined patterns as a sequential run's (absent phases not present).
    static func gsas2Patterns() throws -> [SequentialPattern] {
        let result = try JSONDecoder().decode(Result.self, from: Data(contentsOf: folder.appendingPathComponent("gsas2_result.json")))
        return result.variants.present.rows.map { row in
            let phases = ["H2", "H3"].map { name -> PhaseObservation in
                guard let p = row.phases[name] else { return PhaseObservation(name: name, a: nil, c: nil, volume: nil, present: false) }
                func m(_ k: String) -> Measured { Measured(p[k]![0]!, esd: p[k]![1] ?? 0) }
                return PhaseObservation(name: name, a: m("a"), c: m("c"), volume: m("V"), weightFraction: m("weight_fraction"))
            }
            return SequentialPattern(index: row.i, file: row.file, time: nil, flagged: false, phases: phases)
        }
    }

    /// A cycler record that passes the charge of each stated x at pattern i's time (i hours), for mass 10 mg
    /// and q_th 275 mAh/g: Q = (1 − x) q_th m.
    static func cycler(_ xs: [Double]) -> CyclerRecord {
        CyclerRecord(times: xs.indices.map { Double($0) * 3600 }, charge: xs.map { (1 - $0) * 275 * 10 / 1000 })
    }
}

@Suite struct PhaseBoundariesTests {
    /// The analytic derivatives of the lever rule against central differences.
    @Test func leverRuleDerivativesAgreeWithFiniteDifferences() throws {
        let host = try HostFormula("NiO2")
        let X = [0.31, 0.12], w = [0.37, 0.63]
        let e = try #require(PhaseBoundaries.leverRule(boundaries: X, weightFractions: w, host: host))
        let h = 1e-6
        for p in 0..<2 {
            var up = X, down = X
            up[p] += h; down[p] -= h
            let dX = (PhaseBoundaries.leverRule(boundaries: up, weightFractions: w, host: host)!.x - PhaseBoundaries.leverRule(boundaries: down, weightFractions: w, host: host)!.x) / (2 * h)
            var wu = w, wd = w
            wu[p] += h; wd[p] -= h
            let dW = (PhaseBoundaries.leverRule(boundaries: X, weightFractions: wu, host: host)!.x - PhaseBoundaries.leverRule(boundaries: X, weightFractions: wd, host: host)!.x) / (2 * h)
            #expect(abs(dX - e.dxdBoundary[p]) <= 1e-7, "∂x/∂X\(p): \(dX) vs \(e.dxdBoundary[p])")
            #expect(abs(dW - e.dxdWeightFraction[p]) <= 1e-7, "∂x/∂w\(p): \(dW) vs \(e.dxdWeightFraction[p])")
        }
    }

    /// Exact observations made with the typed masses give back the boundaries; fractions that do not change
    /// cannot separate the two ends.
    @Test func fitRecoversExactBoundaries() throws {
        let host = try HostFormula("NiO2")
        let (X2, X3) = (0.33, 0.08)
        let obs = stride(from: 0.1, through: 0.9, by: 0.2).map { w3 -> PhaseBoundaries.Observation in
            let n2 = (1 - w3) / H2H3Statement.molarMass(X2), n3 = w3 / H2H3Statement.molarMass(X3)
            return .init(x: Measured((n2 * X2 + n3 * X3) / (n2 + n3), esd: 1e-4), weightFractions: [Measured(1 - w3, esd: 0.002), Measured(w3, esd: 0.002)])
        }
        let b = try PhaseBoundaries.fit(phases: ["H2", "H3"], observations: obs, host: host, start: [0.25, 0.15]).get()
        // The typed and IUPAC atomic weights differ in the 4th digit: x to a few 10⁻⁵.
        #expect(abs(b.x[0] - X2) < 5e-5 && abs(b.x[1] - X3) < 5e-5, "\(b.x)")
        #expect(b.esd(0) > 0 && b.esd(0) < 0.01 && b.correlation < 0)
        let flat = obs.map { PhaseBoundaries.Observation(x: $0.x, weightFractions: [Measured(0.5, esd: 0.01), Measured(0.5, esd: 0.01)]) }
        #expect(PhaseBoundaries.fit(phases: ["H2", "H3"], observations: flat, host: host, start: [0.25, 0.15]) == .failure(.fractionsDoNotVary))
        #expect(PhaseBoundaries.fit(phases: ["H2", "H3"], observations: [obs[0]], host: host, start: [0.25, 0.15]) == .failure(.tooFewPatterns(1)))
    }

    /// The round trip on GSAS-II's own refinement of the series (variant `present` of gsas2_result.json): a reference built from the even patterns finds
    /// the boundary compositions 0.30 and 0.10 within 3 esd, and each odd two-phase pattern, looked up from its
    /// two phases, returns its stated x within 2 esd; H3's volume alone says the electrode is in a two-phase
    /// region.
    @Test func roundTripThroughTheTwoPhaseRegionOnGSASIIsRefinement() throws {
        let xs = try H2H3Statement.statedX()
        let patterns = try H2H3Series.gsas2Patterns()
        let build = try ReferenceBuilder.fromSequential(patterns.filter { $0.index % 2 == 0 }, record: H2H3Series.cycler(xs),
                                                        clock: .interval(start: 0, every: 3600),
                                                        conversion: try ChargeConversion(capacity: 275), massMilligrams: 10)
        let b = try #require(build.boundaries.first)
        #expect(b.phases == ["H2", "H3"] && b.patterns == 4)
        #expect(abs(b.x[0] - H2H3Statement.boundaries.h2) <= 3 * b.esd(0) && abs(b.x[1] - H2H3Statement.boundaries.h3) <= 3 * b.esd(1), "\(b)")
        let ref = try LithiumReference(points: build.points, branched: true, boundaries: build.boundaries)
        let host = try HostFormula("NiO2")
        for p in patterns where p.index % 2 == 1 && (10...17).contains(p.index) {
            let measured = p.phases.map { PhaseMeasurement(name: $0.name, volume: $0.volume!, weightFraction: $0.weightFraction!) }
            let r = try ref.leverRule(measured, host: host)
            #expect(r.boundaries != nil && r.region?.name == "H2+H3")
            #expect(abs(r.x.value - xs[p.index]) <= 2 * r.x.esd, "pattern \(p.index): x \(r.x.value) ± \(r.x.esd) vs stated \(xs[p.index])")
            #expect(r.x.esd < 0.005)
            let one = try ref.lookup(volume: p.phases[1].volume!, phase: "H3")
            #expect(one.twoPhaseRegion?.name == "H2+H3" && one.warnings.contains { "\($0)".contains("two-phase region") })
        }
    }

    /// The boundaries survive the reference file (to the digits written), and a malformed line is named.
    @Test func boundariesAreWrittenAndReadBack() throws {
        let b = PhaseBoundaries(phases: ["H2", "H3"], x: [0.3001234, 0.0998765], covariance: [[4e-8, -3e-8], [-3e-8, 9e-8]], patterns: 8, reducedChiSquare: 0.93)
        let points = TwoPhaseModel.points()
        let text = LithiationFiles.referenceText(points, branches: ["H2", "H3"], boundaries: [b])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("boundaries-\(ProcessInfo.processInfo.processIdentifier).csv")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(text.utf8).write(to: url)
        let read = try #require(try LithiationFiles.readReferenceFile(url).boundaries.first)
        #expect(read.phases == b.phases && read.patterns == 8)
        for k in 0..<2 { #expect(abs(read.x[k] - b.x[k]) < 1e-6 && abs(read.esd(k) - b.esd(k)) < 1e-6) }
        #expect(abs(read.correlation - b.correlation) < 1e-4 && abs(read.reducedChiSquare - 0.93) < 1e-3)
        try Data(text.replacingOccurrences(of: "H3=0.099877(0.000300)", with: "H3=0.0998").utf8).write(to: url)
        #expect(throws: FileError.self) { _ = try LithiationFiles.readReferenceFile(url) }
        do { _ = try LithiationFiles.readReferenceFile(url) } catch { #expect("\(error)".contains(".csv:2: ") && "\(error)".contains("boundary 'H3=0.0998'"), "\(error)") }
    }
}
