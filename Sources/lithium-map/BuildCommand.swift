import ArgumentParser
import Foundation
import Lithiation
import FileSupport
import LithiationIO

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a reference curve x(Li) → a, c, V from operando data.",
        discussion: """
            Either --table (a table with the specific charge q in mAh/g per pattern and a, b, c), or \
            --sequential (a rietveld sequential CSV) with --cycler (time and capacity or current) and the \
            pattern times (--interval/--start, or a time_s column in the sequential CSV) and --mass. \
            x(Li) = x0 − Q / (q_th · m). Only the first charge is kept unless --segment says otherwise. \
            A sequential CSV with several phases gives one branch per phase (the patterns where it is present \
            and not flagged), written with the phase column naming the branch; where two branches coexist is \
            the two-phase region, declared in the file's comments for lookup and plot, with the boundary \
            compositions of each region fitted by the lever rule to the patterns' weight fractions (--host).
            """)

    @Option(help: "Table with q (mAh/g), σq, a, b, c[, α, β, γ] per row.")
    var table: String?

    @Option(help: "Sequential-refinement CSV (rietveld sequential).")
    var sequential: String?

    @Option(help: "Cycler record: time_s (or time_h) and capacity_mAh or current_mA.")
    var cycler: String?

    @Option(parsing: .unconditional, help: "Seconds between patterns (pattern i at start + i × interval).")
    var interval: Double?

    @Option(parsing: .unconditional, help: "Time of the first pattern on the cycler's clock, s.")
    var start: Double = 0

    @Option(name: .customLong("cycler-start"), help: "With --file-times: the wall-clock time (ISO 8601, e.g. 2024-05-01T10:00:00Z) of the cycler's t = 0.")
    var cyclerStart: String?

    @Flag(name: .customLong("file-times"), help: "Take each pattern's time from its file's modification time (relative to --cycler-start).")
    var fileTimes = false

    @Option(parsing: .unconditional, help: "Active mass in mg (cycler mode).")
    var mass: Double?

    @Option(name: .customLong("q-th"), parsing: .unconditional, help: "Theoretical capacity in mAh/g, positive (default 275, LiNiO2).")
    var qTh: Double?

    @Option(help: "Formula to compute q_th = F/(3.6 M), e.g. LiNi0.85Co0.1Mn0.05O2.")
    var formula: String?

    @Option(help: "Delithiated host formula for the lever rule's masses in two-phase regions: Li_x(host), M = M(host) + x·M(Li).")
    var host = "NiO2"

    @Option(parsing: .unconditional, help: "Lithium content at zero charge, 0–1.")
    var x0 = 1.0

    @Option(help: "Which segment becomes the reference: charge:N or discharge:N (1-based; first-charge = charge:1, first-discharge = discharge:1). Charge and discharge are kept apart (hysteresis).")
    var segment = "first-charge"

    @Option(help: "Phase regions NAME:LOW:HIGH,… in x(Li) (single-phase reference; default: H3 below the c collapse).")
    var regions: String?

    @Option(help: "With a multi-phase sequential CSV: the phases that become branches, NAME,NAME (default: every phase present in at least 4 usable patterns).")
    var phases: String?

    @Option(name: .shortAndLong, help: "Output reference CSV (x_li,a,a_esd,c,c_esd,volume,volume_esd,phase).")
    var output: String

    @Option(help: "Write an SVG plot of the reference.")
    var plot: String?

    func validate() throws {
        guard (table != nil) != (sequential != nil) else { throw ValidationError("give either --table or --sequential (with --cycler)") }
        do { _ = try HostFormula(host) } catch { throw ValidationError("--host: \(error)") }
        if sequential != nil { guard cycler != nil, mass != nil else { throw ValidationError("--sequential needs --cycler and --mass (mg)") } }
        if let mass { guard mass.isFinite, mass > 0 else { throw ValidationError("--mass must be positive (mg), not \(mass)") } }
        if let qTh { guard qTh.isFinite, qTh > 0 else { throw ValidationError("--q-th must be a positive capacity in mAh/g, not \(qTh)") } }
        guard x0.isFinite, (0...1).contains(x0) else { throw ValidationError("--x0 must lie in 0–1 (lithium per formula unit), not \(x0)") }
        guard LithiumContent.SegmentChoice(segment) != nil else { throw ValidationError("--segment must be first-charge, first-discharge, charge:N or discharge:N") }
        if let interval { guard interval.isFinite, interval > 0 else { throw ValidationError("--interval must be positive (s)") } }
        if fileTimes {
            guard let cyclerStart, ISO8601DateFormatter().date(from: cyclerStart) != nil else {
                throw ValidationError("--file-times needs --cycler-start in ISO 8601, e.g. 2024-05-01T10:00:00Z")
            }
        }
    }

    func run() throws {
        try fail {
            let capacity: Double
            if let qTh { capacity = qTh } else if let formula { capacity = try LithiumContent.theoreticalCapacity(formula: formula) } else { capacity = 275 }
            let conversion = try ChargeConversion(capacity: capacity, x0: x0)
            let choice = LithiumContent.SegmentChoice(segment)!
            let build: ReferenceBuild
            if let table {
                do { build = try ReferenceBuilder.fromTable(try LithiationFiles.readOperandoTable(URL(fileURLWithPath: table)), conversion: conversion, segment: choice) }
                catch let e as LithiationError { throw Failure("\(table): \(e)") }
            } else {
                let sequential = sequential!, cycler = cycler!
                let url = URL(fileURLWithPath: sequential)
                let patterns = try LithiationFiles.readSequential(url)
                let record = try LithiationFiles.readCycler(URL(fileURLWithPath: cycler))
                let clock: PatternClock
                if fileTimes, let origin = cyclerStart.flatMap({ ISO8601DateFormatter().date(from: $0) }) {
                    clock = .given(try LithiationFiles.modificationTimes(of: patterns.map(\.file), base: url.deletingLastPathComponent(), origin: origin))
                } else if let interval {
                    clock = .interval(start: start, every: interval)
                } else {
                    clock = .recorded
                }
                let wanted = phases.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                do {
                    build = try ReferenceBuilder.fromSequential(patterns, record: record, clock: clock, conversion: conversion,
                                                                massMilligrams: mass!, segment: choice, phases: wanted,
                                                                host: try HostFormula(host))  // checked in validate()
                } catch let e as LithiationError {
                    switch e {
                    case .segmentMissing: throw Failure("\(cycler): \(e)")
                    case .patternTimeMissing where interval == nil && !fileTimes:
                        throw Failure("\(sequential): no time_s column; give --interval (s) between patterns or --file-times")
                    default: throw Failure("\(sequential): \(e)")
                    }
                }
            }
            for w in build.warnings { warn(w.description) }
            let reference = try LithiumReference(points: build.points, branched: !build.branches.isEmpty, regions: try parseRegions(regions),
                                                 boundaries: build.boundaries)
            let points = reference.isBranched ? build.points : reference.labelledPoints
            let note = "built by lithium-map: q_th = \(String(format: "%.2f", capacity)) mAh/g, x0 = \(x0), \(choice); x = x0 − Q/(q_th·m)"
            try TextFile.writeAtomically(LithiationFiles.referenceText(points, comments: [note], branches: build.branches, twoPhaseRegions: reference.twoPhaseRegions,
                                                                       boundaries: build.boundaries),
                                         to: URL(fileURLWithPath: output))
            if let plot { try TextFile.writeAtomically(ReferencePlot.svg(reference), to: URL(fileURLWithPath: plot)) }
            print(Self.summary(reference))
        }
    }

    static func summary(_ r: LithiumReference) -> String {
        func f(_ v: Double, _ d: Int = 3) -> String { String(format: "%.\(d)f", v) }
        var lines: [String] = []
        for b in r.branches {
            let c = b.curve
            var s = "\(b.name.map { "\($0): " } ?? "")\(c.points.count) points, x(Li) \(f(c.xRange.lowerBound))–\(f(c.xRange.upperBound)), "
            s += "V \(f(c.volume.min()!))–\(f(c.volume.max()!)) Å³"
            if b.name == nil { s += "; regions: " + c.regions.map { "\($0.name) \(f($0.range.lowerBound))–\(f($0.range.upperBound))" }.joined(separator: ", ") }
            lines.append(s)
        }
        for t in r.twoPhaseRegions {
            var s = "two-phase region \(t.name): x(Li) \(f(t.range.lowerBound))–\(f(t.range.upperBound))"
            if let b = r.boundaries.first(where: { Set($0.phases) == Set(t.phases) }) {
                s += "; boundaries by the lever rule over \(b.patterns) patterns: "
                s += b.phases.indices.map { "\(b.phases[$0]) \(f(b.x[$0], 4)) ± \(f(b.esd($0), 4))" }.joined(separator: ", ")
                if b.reducedChiSquare.isFinite { s += String(format: " (χ²/dof %.2f)", b.reducedChiSquare) }
            }
            lines.append(s)
        }
        return lines.joined(separator: "\n")
    }
}
