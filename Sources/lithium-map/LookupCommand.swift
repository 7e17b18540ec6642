import ArgumentParser
import Foundation
import Lithiation
import FileSupport
import LithiationIO

struct LookupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookup",
        abstract: "x(Li), state of charge and ΔV/V of electrodes from their refined cell volume (or a and c).",
        discussion: """
            The uncertainty of x combines the volume esd, the curve's band and its local slope; where V(x) is \
            flat or not one-to-one all consistent intervals are listed. With --a and --c the lookup uses the \
            (a(x), c(x)) path, which separates branches V alone cannot. Many electrodes: --batch CSV \
            (name,volume,volume_esd[,a,a_esd,c,c_esd]) or --refined with rietveld refine JSON files.
            """)

    @Option(help: "Reference CSV (x_li,a,a_esd,c,c_esd,volume,volume_esd,phase).")
    var reference: String

    @Option(help: "Cell volume in Å³.")
    var volume: Double?

    @Option(name: .customLong("volume-esd"), help: "esd of the volume in Å³.")
    var volumeEsd: Double?

    @Option(help: "a in Å (with --c: joint lookup).")
    var a: Double?

    @Option(name: .customLong("a-esd"), help: "esd of a.")
    var aEsd: Double = 0

    @Option(help: "c in Å.")
    var c: Double?

    @Option(name: .customLong("c-esd"), help: "esd of c.")
    var cEsd: Double = 0

    @Option(help: "CSV of electrodes: name,volume,volume_esd[,a,a_esd,c,c_esd].")
    var batch: String?

    @Option(parsing: .upToNextOption, help: "rietveld refine --json files.")
    var refined: [String] = []

    @Option(help: "Smoothing bandwidth in x (default: twice the median point spacing).")
    var bandwidth: Double?

    @Option(help: "Phase regions NAME:LOW:HIGH,… (default: the reference's phase column, else the c collapse).")
    var regions: String?

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        let single = volume != nil || (a != nil && c != nil)
        guard single || batch != nil || !refined.isEmpty else { throw ValidationError("give --volume, or --a and --c, or --batch, or --refined") }
        if (a == nil) != (c == nil) { throw ValidationError("--a and --c go together") }
        if let volumeEsd { guard volumeEsd >= 0 else { throw ValidationError("--volume-esd must not be negative") } }
    }

    struct Query { var name: String; var volume: Double?; var volumeEsd: Double?; var a: Double?; var aEsd: Double; var c: Double?; var cEsd: Double }

    func run() throws {
        try fail {
            let points = try LithiationFiles.readReference(URL(fileURLWithPath: reference))
            if points.contains(where: { $0.volumeEsd == nil }) && volumeEsd == nil && batch == nil && refined.isEmpty {
                warn("no --volume-esd given: the uncertainty comes from the curve alone")
            }
            let curve = try ReferenceCurve(points: points, bandwidth: bandwidth, regions: try parseRegions(regions))
            var queries: [Query] = []
            if volume != nil || a != nil { queries.append(Query(name: "electrode", volume: volume, volumeEsd: volumeEsd, a: a, aEsd: aEsd, c: c, cEsd: cEsd)) }
            if let batch { queries += try Self.readBatch(batch) }
            for f in refined { queries.append(try Self.readRefined(f)) }
            var results: [[String: Any]] = []
            var text = ""
            for q in queries {
                let r: LookupResult
                do {
                    if let a = q.a, let c = q.c { r = try curve.lookup(a: a, aEsd: q.aEsd, c: c, cEsd: q.cEsd) } else { r = try curve.lookup(volume: q.volume!, esd: q.volumeEsd ?? 0) }
                } catch {
                    if queries.count == 1 { throw error }
                    results.append(["name": q.name, "error": "\(error)"])
                    text += "\(q.name): \(error)\n"
                    continue
                }
                results.append(Self.json(r, name: q.name))
                text += Self.text(r, name: q.name, query: q)
            }
            if json {
                let object: Any = queries.count == 1 && batch == nil && refined.isEmpty ? results[0] : results
                let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
                StandardStreams.out(data + Data("\n".utf8))
            } else {
                StandardStreams.out(text)
            }
        }
    }

    static func json(_ r: LookupResult, name: String) -> [String: Any] {
        ["name": name, "x_li": ["value": r.best.x, "esd": r.best.esd], "soc": r.soc,
         "delta_v_over_v": r.deltaVOverV.map { $0 as Any } ?? NSNull(), "phase": r.best.phase.map { $0 as Any } ?? NSNull(),
         "candidates": r.candidates.map { ["x_li": $0.x, "x_li_esd": $0.esd, "phase": $0.phase.map { $0 as Any } ?? NSNull(),
                                           "interval": [$0.interval.lowerBound, $0.interval.upperBound], "misfit": $0.misfit] as [String: Any] }]
    }

    static func text(_ r: LookupResult, name: String, query: Query) -> String {
        var s = "\(name): x(Li) = \(String(format: "%.3f ± %.3f", r.best.x, r.best.esd))"
        if let p = r.best.phase { s += " [\(p)]" }
        s += String(format: ", SOC %.2f", r.soc)
        if let d = r.deltaVOverV { s += String(format: ", ΔV/V %+.2f %%", 100 * d) }
        s += "\n"
        if r.candidates.count > 1 {
            s += "  not unique — \(r.candidates.count) candidates:\n"
            for c in r.candidates {
                s += String(format: "    x = %.3f ± %.3f (consistent over %.3f–%.3f)%@\n", c.x, c.esd, c.interval.lowerBound, c.interval.upperBound, c.phase.map { " [\($0)]" } ?? "")
            }
        }
        return s
    }

    static func readBatch(_ path: String) throws -> [Query] {
        let text = try TextFile.read(URL(fileURLWithPath: path))
        var lines = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        guard !lines.isEmpty else { throw Failure("\(path): empty batch file") }
        let header = CSV.fields(Substring(lines.removeFirst())).map { $0.lowercased().trimmingCharacters(in: .whitespaces) }
        func col(_ n: String) -> Int? { header.firstIndex(of: n) }
        guard col("volume") != nil || (col("a") != nil && col("c") != nil) else { throw Failure("\(path):1: expected columns name,volume,volume_esd[,a,a_esd,c,c_esd]") }
        return try lines.enumerated().map { (n, line) in
            let f = CSV.fields(Substring(line))
            guard f.count == header.count else { throw Failure("\(path):\(n + 2): expected \(header.count) columns, found \(f.count)") }
            func num(_ name: String) throws -> Double? {
                guard let i = col(name), !f[i].isEmpty else { return nil }
                guard let v = Double(f[i]), v.isFinite else { throw Failure("\(path):\(n + 2): \(name) '\(f[i])' is not a number") }
                return v
            }
            return Query(name: col("name").map { f[$0] } ?? "row \(n + 1)", volume: try num("volume"), volumeEsd: try num("volume_esd"),
                         a: try num("a"), aEsd: try num("a_esd") ?? 0, c: try num("c"), cEsd: try num("c_esd") ?? 0)
        }
    }

    static func readRefined(_ path: String) throws -> Query {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let cell = root["cell"] as? [String: [String: Any]],
              let v = cell["volume"]?["value"] as? Double else {
            throw Failure("\(path): not a rietveld refine JSON (no cell.volume)")
        }
        return Query(name: (path as NSString).lastPathComponent, volume: v, volumeEsd: cell["volume"]?["esd"] as? Double,
                     a: nil, aEsd: 0, c: nil, cEsd: 0)
    }
}
