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
            x(Li) = x0 − Q / (q_th · m). Only the first charge is kept unless --segment all.
            """)

    @Option(help: "Table with q (mAh/g), σq, a, b, c[, α, β, γ] per row.")
    var table: String?

    @Option(help: "Sequential-refinement CSV (rietveld sequential).")
    var sequential: String?

    @Option(help: "Cycler record: time_s (or time_h) and capacity_mAh or current_mA.")
    var cycler: String?

    @Option(help: "Seconds between patterns (pattern i at start + i × interval).")
    var interval: Double?

    @Option(help: "Time of the first pattern on the cycler's clock, s.")
    var start: Double = 0

    @Option(name: .customLong("cycler-start"), help: "With --file-times: the wall-clock time (ISO 8601, e.g. 2024-05-01T10:00:00Z) of the cycler's t = 0.")
    var cyclerStart: String?

    @Flag(name: .customLong("file-times"), help: "Take each pattern's time from its file's modification time (relative to --cycler-start).")
    var fileTimes = false

    @Option(help: "Active mass in mg (cycler mode).")
    var mass: Double?

    @Option(name: .customLong("q-th"), help: "Theoretical capacity in mAh/g (default 275, LiNiO2).")
    var qTh: Double?

    @Option(help: "Formula to compute q_th = F/(3.6 M), e.g. LiNi0.85Co0.1Mn0.05O2.")
    var formula: String?

    @Option(help: "Lithium content at zero charge.")
    var x0 = 1.0

    @Option(help: "Which segment becomes the reference: charge:N or discharge:N (1-based; first-charge = charge:1, first-discharge = discharge:1). Charge and discharge are kept apart (hysteresis).")
    var segment = "first-charge"

    @Option(help: "Phase regions NAME:LOW:HIGH,… in x(Li) (default: H3 below the c collapse).")
    var regions: String?

    @Option(name: .shortAndLong, help: "Output reference CSV (x_li,a,a_esd,c,c_esd,volume,volume_esd,phase).")
    var output: String

    @Option(help: "Write an SVG plot of the reference.")
    var plot: String?

    func validate() throws {
        guard (table != nil) != (sequential != nil) else { throw ValidationError("give either --table or --sequential (with --cycler)") }
        if sequential != nil { guard cycler != nil, mass != nil else { throw ValidationError("--sequential needs --cycler and --mass (mg)") } }
        if let mass { guard mass > 0 else { throw ValidationError("--mass must be positive (mg)") } }
        guard Self.parseSegment(segment) != nil else { throw ValidationError("--segment must be first-charge, first-discharge, charge:N or discharge:N") }
        if let interval { guard interval > 0 else { throw ValidationError("--interval must be positive (s)") } }
        if fileTimes {
            guard let cyclerStart, ISO8601DateFormatter().date(from: cyclerStart) != nil else {
                throw ValidationError("--file-times needs --cycler-start in ISO 8601, e.g. 2024-05-01T10:00:00Z")
            }
        }
    }

    static func parseSegment(_ text: String) -> (LithiumContent.Segment.Kind, Int)? {
        switch text {
        case "first-charge": return (.charge, 1)
        case "first-discharge": return (.discharge, 1)
        default:
            let f = text.split(separator: ":")
            guard f.count == 2, let kind = LithiumContent.Segment.Kind(rawValue: String(f[0])), let n = Int(f[1]), n >= 1 else { return nil }
            return (kind, n)
        }
    }

    /// The index range of the requested segment of a cumulative-charge record.
    func selectedRange(_ charge: [Double], file: String) throws -> ClosedRange<Int> {
        let (kind, n) = Self.parseSegment(segment)!
        let matching = LithiumContent.segments(charge).filter { $0.kind == kind }
        guard n <= matching.count else {
            throw Failure("\(file): the record has \(matching.count) \(kind.rawValue) segment(s); --segment \(segment) asks for number \(n)")
        }
        return matching[n - 1].range
    }

    func run() throws {
        try fail {
            let capacity: Double
            if let qTh { capacity = qTh } else if let formula { capacity = try LithiumContent.theoreticalCapacity(formula: formula) } else { capacity = 275 }
            var points: [ReferencePoint] = []
            if let table {
                var rows = try LithiationFiles.readOperandoTable(URL(fileURLWithPath: table))
                rows = Array(rows[try selectedRange(rows.map(\.q), file: table)])
                if let top = rows.map(\.q).max(), top > capacity {
                    warn("q reaches \(top) mAh/g, more than the theoretical \(capacity) mAh/g: is the column in mAh/g?")
                }
                points = rows.map { ReferencePoint(x: x0 - $0.q / capacity, a: $0.a, c: $0.c, volume: $0.volume) }
                if points.count != Set(points.map(\.x)).count {
                    // Repeated charge values (rest periods) would give two points at one x: keep the first.
                    var seen = Set<Double>()
                    points = points.filter { seen.insert($0.x).inserted }
                    warn("repeated charge values: kept the first pattern at each")
                }
            } else if let sequential, let cycler, let mass {
                let rows = try LithiationFiles.readSequential(URL(fileURLWithPath: sequential))
                let record = try LithiationFiles.readCycler(URL(fileURLWithPath: cycler))
                let range = try selectedRange(record.charge, file: cycler)
                let charge = Array(record.charge[range]), times = Array(record.times[range])
                let full = capacity * mass / 1000  // mAh for one Li per formula unit
                let origin = cyclerStart.flatMap { ISO8601DateFormatter().date(from: $0) }
                let base = URL(fileURLWithPath: sequential).deletingLastPathComponent()
                var previous = -Double.infinity
                for (i, r) in rows.enumerated() {
                    var fileTime: Double?
                    if fileTimes, let origin {
                        let path = r.file.hasPrefix("/") ? r.file : base.appendingPathComponent(r.file).path
                        guard let date = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date else {
                            throw Failure("\(path): cannot read the file's modification time (needed by --file-times)")
                        }
                        fileTime = date.timeIntervalSince(origin)
                    }
                    guard let t = fileTime ?? r.time ?? interval.map({ start + Double(i) * $0 }) else {
                        throw Failure("\(sequential): no time_s column; give --interval (s) between patterns or --file-times")
                    }
                    guard t > previous else { throw Failure("\(sequential): pattern \(i) (\(r.file)) is not later than the one before (t = \(t) s)") }
                    previous = t
                    guard t >= times.first!, t <= times.last! else { continue }  // outside the selected segment
                    let q = LithiumContent.interpolate(times, charge, at: t)
                    points.append(ReferencePoint(x: x0 - q / full, a: r.a, aEsd: r.aEsd, c: r.c, cEsd: r.cEsd, volume: r.volume, volumeEsd: r.volumeEsd))
                }
                if let top = charge.max(), top / (mass / 1000) > capacity {
                    warn("charge reaches \(top / (mass / 1000)) mAh/g, more than the theoretical \(capacity) mAh/g: check --mass (mg) and the capacity unit (mAh)")
                }
            }
            let curve = try ReferenceCurve(points: points, regions: try parseRegions(regions))
            for k in points.indices { points[k].phase = curve.region(at: points[k].x) }
            let note = "built by lithium-map: q_th = \(String(format: "%.2f", capacity)) mAh/g, x0 = \(x0), \(segment); x = x0 − Q/(q_th·m)"
            try TextFile.writeAtomically(LithiationFiles.referenceText(points, comments: [note]), to: URL(fileURLWithPath: output))
            if let plot { try TextFile.writeAtomically(ReferencePlot.svg(curve, queries: []), to: URL(fileURLWithPath: plot)) }
            let xs = points.map(\.x)
            print("\(points.count) points, x(Li) \(String(format: "%.3f", xs.min()!))–\(String(format: "%.3f", xs.max()!)), V \(String(format: "%.3f", curve.volume.min()!))–\(String(format: "%.3f", curve.volume.max()!)) Å³; regions: \(curve.regions.map { "\($0.name) \(String(format: "%.3f–%.3f", $0.range.lowerBound, $0.range.upperBound))" }.joined(separator: ", "))")
        }
    }
}
