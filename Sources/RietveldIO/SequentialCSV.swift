import Crystallography
import FileSupport
import Foundation
import PowderDiffraction
import Refinement

/// The CSV of a sequential refinement (DESIGN.md): the first phase's block
/// `index,file,a,a_esd,c,c_esd,volume,volume_esd,cation_mixing,cation_mixing_esd,Rwp,GOF,converged`; with
/// several phases, per phase `NAME:a,NAME:a_esd,NAME:c,NAME:c_esd,NAME:volume,NAME:volume_esd,
/// NAME:weight_fraction,NAME:weight_fraction_esd,NAME:present`; then `flagged,retries,cycles,reason` and
/// every refined parameter with its esd. Numbers are written with full precision (Swift's shortest
/// round-tripping form), so that a resumed run continues from exactly the values it would have used.
public enum SequentialCSV {
    public static let leading = ["index", "file", "a", "a_esd", "c", "c_esd", "volume", "volume_esd", "cation_mixing",
                                 "cation_mixing_esd", "Rwp", "GOF", "converged"]
    static let phaseColumns = ["a", "a_esd", "c", "c_esd", "volume", "volume_esd", "weight_fraction", "weight_fraction_esd", "present"]
    public static let status = ["flagged", "retries", "cycles", "reason"]

    /// The header's fields for these phase names (one phase: no per-phase block) and parameter names.
    public static func columns(phaseNames: [String], parameterNames: [String]) -> [String] {
        var out = leading
        if phaseNames.count > 1 { for n in phaseNames { out += phaseColumns.map { "\(n):\($0)" } } }
        return out + status + parameterNames.flatMap { [$0, $0 + "_esd"] }
    }

    public static func header(phaseNames: [String], parameterNames: [String]) -> String {
        CSV.line(columns(phaseNames: phaseNames, parameterNames: parameterNames))
    }

    static func number(_ v: Double?) -> String { v.map { "\($0)" } ?? "" }

    /// One row. `present[p]` says whether phase p was refined in this pattern (absent phases keep their last
    /// values in the model but are written empty with weight fraction 0).
    public static func row(_ r: SequentialRow, parameters: [ModelParameter], quantities: PhaseQuantities?) -> String {
        let res = r.result
        let phases = res.model.phases
        let present = r.present
        func cellFields(_ p: Int) -> [String] {
            guard present[p] else { return ["", "", "", "", "", ""] }
            let cell = res.cell(phase: p)
            return [number(cell[.a].value), number(cell[.a].esd), number(cell[.c].value), number(cell[.c].esd),
                    number(cell.volume.value), number(cell.volume.esd)]
        }
        let mix = present[0] ? res.cationMixing(phase: 0) : nil
        var fields = ["\(r.index)", r.file] + cellFields(0)
        fields += [number(mix?.value), number(mix?.esd), number(res.statistics.rwp), number(res.statistics.gof), res.converged ? "true" : "false"]
        if phases.count > 1 {
            for p in phases.indices {
                let w = present[p] ? quantities?.weightFractions[p] : nil
                fields += cellFields(p) + [present[p] ? number(w?.value) : "0", number(w?.esd), present[p] ? "true" : "false"]
            }
        }
        fields += [r.flagged ? "true" : "false", "\(r.retries)", "\(res.iterations)", r.reasonText]
        for p in parameters {
            fields.append(number(res.model.value(of: p)))
            fields.append(number(res.esd(of: p)))
        }
        return CSV.line(fields)
    }

    /// The row of a pattern that could not be read: flagged, not converged, no numbers.
    public static func unreadableRow(index: Int, file: String, reason: String, columns: Int, phases: Int) -> String {
        var fields = [String](repeating: "", count: columns)
        fields[0] = "\(index)"
        fields[1] = file
        fields[12] = "false"
        let status = leading.count + (phases > 1 ? phases * phaseColumns.count : 0)
        if phases > 1 { for p in 0..<phases { fields[leading.count + p * phaseColumns.count + phaseColumns.count - 1] = "false" } }
        fields[status] = "true"
        fields[status + 1] = "0"
        fields[status + 2] = "0"
        fields[status + 3] = "unreadable: " + reason
        return CSV.line(fields)
    }

    /// A CSV written by an earlier run: its header, the files it holds, and per row the parameter values
    /// (by column name) and whether it was flagged.
    public struct Existing: Sendable {
        public struct Row: Sendable {
            public let index: Int
            public let file: String
            public let flagged: Bool
            public let values: [String: Double]
            /// Which phases were present (by name; all when the CSV has one phase).
            public let present: [String: Bool]
        }
        public var header: [String]
        public var rows: [Row]
        public var files: Set<String> { Set(rows.map(\.file)) }
    }

    public static func read(_ url: URL) throws(FileError) -> Existing {
        let text = try TextFile.read(url)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard let first = lines.first else { throw .malformed(file: url.path, line: 1, "empty CSV; expected the header of a sequential run") }
        let header = CSV.fields(first)
        guard Array(header.prefix(leading.count)) == leading, let flaggedColumn = header.firstIndex(of: "flagged") else {
            throw .malformed(file: url.path, line: 1, "not a sequential-refinement CSV (header should start \(leading.prefix(4).joined(separator: ",")),…)")
        }
        let presentColumns = header.enumerated().filter { $0.element.hasSuffix(":present") }.map { ($0.offset, String($0.element.dropLast(8))) }
        let firstParameter = (header.firstIndex(of: "reason") ?? flaggedColumn + 3) + 1
        var rows: [Existing.Row] = []
        for (n, line) in lines.dropFirst().enumerated() {
            let f = CSV.fields(line)
            guard f.count == header.count else {
                // An interrupted write leaves at most a partial last line: ignore it, the pattern is redone.
                if n == lines.count - 2 { continue }
                throw .malformed(file: url.path, line: n + 2, "expected \(header.count) columns, found \(f.count)")
            }
            guard let index = Int(f[0]) else { throw .malformed(file: url.path, line: n + 2, "index '\(f[0])' is not a whole number") }
            var values: [String: Double] = [:]
            for i in firstParameter..<header.count where !header[i].hasSuffix("_esd") {
                if let v = Double(f[i]) { values[header[i]] = v }
            }
            var present: [String: Bool] = [:]
            for (c, name) in presentColumns { present[name] = f[c] == "true" }
            rows.append(Existing.Row(index: index, file: f[1], flagged: f[flaggedColumn] == "true", values: values, present: present))
        }
        return Existing(header: header, rows: rows)
    }
}

extension SequentialRow {
    /// The failure as one line of text (empty when the row passed its checks).
    public var reasonText: String {
        guard let reason else { return "" }
        let model = result.model
        switch reason {
        case .singular: return "singular normal matrix"
        case .rwpNotFinite: return "Rwp is not finite"
        case let .rwpJump(rwp, factor, recent): return String(format: "Rwp %.2f %% is more than %.1f× the recent %.2f %%", rwp, factor, recent)
        case let .rwpDrift(rwp, factor, best): return String(format: "Rwp %.2f %% is more than %.1f× the best of the run, %.2f %%", rwp, factor, best)
        case .atBound(let list): return "at a bound: " + list.map { model.name(of: $0) }.joined(separator: ", ")
        case .stalled(let gof): return String(format: "stalled with GOF %.2f", gof)
        case .notConverged(let t): return "\(t)"
        case .undetected(let phases): return "not detected: " + phases.map { model.phases[$0].name }.joined(separator: ", ")
        }
    }
}
