import Crystallography
import Foundation
import FileSupport
import Lithiation

/// Files of the lithium-content workflow: reference CSVs, operando tables, cycler records, sequential CSVs.
public enum LithiationFiles {
    public static let referenceHeader = "x_li,a,a_esd,c,c_esd,volume,volume_esd,phase"

    /// Columns of a CSV by lower-cased header name, with the line numbers of the rows.
    struct Table {
        let file: String
        let header: [String]
        let rows: [(line: Int, fields: [String])]

        func column(_ names: [String]) -> Int? {
            for n in names { if let i = header.firstIndex(of: n) { return i } }
            return nil
        }

        func number(_ row: (line: Int, fields: [String]), _ column: Int?, _ what: String, required: Bool) throws(FileError) -> Double? {
            guard let column else {
                if required { throw .missing(file: file, "no \(what) column") }
                return nil
            }
            let text = column < row.fields.count ? row.fields[column].trimmingCharacters(in: .whitespaces) : ""
            if text.isEmpty {
                if required { throw .malformed(file: file, line: row.line, "\(what) is empty") }
                return nil
            }
            guard let v = Double(text), v.isFinite else { throw .malformed(file: file, line: row.line, "\(what) '\(text)' is not a finite number") }
            return v
        }
    }

    static func table(_ url: URL) throws(FileError) -> Table {
        let text = try TextFile.read(url)
        var header: [String]?
        var rows: [(Int, [String])] = []
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let f = CSV.fields(Substring(line))
            if header == nil {
                header = f.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                continue
            }
            guard f.count == header!.count else {
                throw .malformed(file: url.path, line: n + 1, "expected \(header!.count) columns like the header, found \(f.count)")
            }
            rows.append((n + 1, f))
        }
        guard let header else { throw .malformed(file: url.path, line: 1, "empty file; expected a header line") }
        return Table(file: url.path, header: header, rows: rows.map { (line: $0.0, fields: $0.1) })
    }

    /// A reference CSV (`x_li,a,a_esd,c,c_esd,volume,volume_esd,phase`; esd, a, c and phase columns optional).
    public static func readReference(_ url: URL) throws(FileError) -> [ReferencePoint] {
        let t = try table(url)
        guard let xc = t.column(["x_li", "x"]) else { throw .missing(file: url.path, "no x_li column (header \(referenceHeader))") }
        let vc = t.column(["volume", "v"]), ac = t.column(["a"]), cc = t.column(["c"])
        let ae = t.column(["a_esd"]), ce = t.column(["c_esd"]), ve = t.column(["volume_esd", "v_esd"]), pc = t.column(["phase"])
        var out: [ReferencePoint] = []
        for row in t.rows {
            let x = try t.number(row, xc, "x_li", required: true)!
            let a = try t.number(row, ac, "a", required: false), c = try t.number(row, cc, "c", required: false)
            var v = try t.number(row, vc, "volume", required: vc != nil && (a == nil || c == nil))
            if v == nil, let a, let c { v = UnitCell.hexagonalVolume(a: a, c: c) }
            guard let volume = v else { throw .malformed(file: url.path, line: row.line, "no volume, and no a and c to compute it") }
            let phase = pc.flatMap { $0 < row.fields.count ? row.fields[$0].trimmingCharacters(in: .whitespaces) : nil }
            out.append(ReferencePoint(x: x, a: a, aEsd: try t.number(row, ae, "a_esd", required: false), c: c,
                                      cEsd: try t.number(row, ce, "c_esd", required: false), volume: volume,
                                      volumeEsd: try t.number(row, ve, "volume_esd", required: false), phase: phase?.isEmpty == true ? nil : phase))
        }
        let xs = out.map(\.x)
        if Set(xs).count != xs.count { throw .malformed(file: url.path, line: 2, "x_li values repeat; a reference needs one point per x") }
        return out
    }

    public static func referenceText(_ points: [ReferencePoint], comments: [String] = []) -> String {
        func n(_ v: Double?) -> String { v.map { "\($0)" } ?? "" }
        var out = comments.map { "# " + $0 + "\n" }.joined() + referenceHeader + "\n"
        for p in points.sorted(by: { $0.x > $1.x }) {
            out += [n(p.x), n(p.a), n(p.aEsd), n(p.c), n(p.cEsd), n(p.volume), n(p.volumeEsd), p.phase ?? ""].joined(separator: ",") + "\n"
        }
        return out
    }

    /// An operando table with specific charge per row: whitespace- or comma-separated columns q (mAh/g),
    /// σq, a, b, c[, α, β, γ] (the layout of Märker et al.'s NMC811 data); `#` comments.
    public static func readOperandoTable(_ url: URL) throws(FileError) -> [(q: Double, a: Double, c: Double, volume: Double)] {
        let text = try TextFile.read(url)
        var out: [(Double, Double, Double, Double)] = []
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map { Double($0) }
            if out.isEmpty && f.contains(where: { $0 == nil }) { continue }  // a header line
            guard f.count == 5 || f.count == 8, f.allSatisfy({ $0 != nil && $0!.isFinite }) else {
                throw .malformed(file: url.path, line: n + 1, "expected 5 or 8 numbers (q, σq, a, b, c[, α, β, γ]), found '\(line)'")
            }
            let v = f.map { $0! }
            let (alpha, beta, gamma) = v.count == 8 ? (v[5], v[6], v[7]) : (90, 90, 120)
            let cell: UnitCell
            do { cell = try UnitCell(a: v[2], b: v[3], c: v[4], alpha: alpha, beta: beta, gamma: gamma) } catch {
                throw .malformed(file: url.path, line: n + 1, "\(error)")
            }
            out.append((v[0], v[2], v[4], cell.volume))
        }
        guard !out.isEmpty else { throw .malformed(file: url.path, line: 1, "no data rows") }
        return out
    }

    /// A cycler record: a time column (`time_s`, `time/s`, `time`, or `time_h` in hours) and either a charge
    /// column (`capacity_mah`, `capacity`, `q_mah`) or a current column (`current_ma`, `current`) to integrate.
    /// Times must increase strictly.
    public static func readCycler(_ url: URL) throws(FileError) -> (times: [Double], charge: [Double]) {
        let t = try table(url)
        var hours = false
        var tc = t.column(["time_s", "time/s", "time", "t_s", "t"])
        if tc == nil, let h = t.column(["time_h", "time/h", "t_h"]) { tc = h; hours = true }
        guard let timeColumn = tc else { throw .missing(file: url.path, "no time column (time_s or time_h)") }
        let qc = t.column(["capacity_mah", "capacity/mah", "capacity", "q_mah", "charge_mah"])
        let ic = t.column(["current_ma", "current/ma", "current", "i_ma"])
        guard qc != nil || ic != nil else { throw .missing(file: url.path, "no capacity_mAh or current_mA column") }
        var times: [Double] = [], values: [Double] = []
        for row in t.rows {
            let time = try t.number(row, timeColumn, "time", required: true)! * (hours ? 3600 : 1)
            if let last = times.last, time <= last {
                throw .malformed(file: url.path, line: row.line, time == last ? "time \(time) s is repeated" : "time \(time) s goes backwards (previous \(last) s)")
            }
            times.append(time)
            values.append(try t.number(row, qc ?? ic, qc != nil ? "capacity" : "current", required: true)!)
        }
        guard times.count >= 2 else { throw .malformed(file: url.path, line: 2, "fewer than two records") }
        return (times, qc != nil ? values : LithiumContent.charge(times: times, current: values))
    }

    /// a, c, V (with esds) and file of each row of a `rietveld sequential` CSV, in index order, with its
    /// `time_s` column when present.
    public static func readSequential(_ url: URL) throws(FileError) -> [(file: String, a: Double, aEsd: Double?, c: Double, cEsd: Double?, volume: Double, volumeEsd: Double?, time: Double?)] {
        let t = try table(url)
        guard let ic = t.column(["index"]), let fc = t.column(["file"]) else { throw .missing(file: url.path, "not a sequential CSV (no index and file columns)") }
        var out: [(Int, String, Double, Double?, Double, Double?, Double, Double?, Double?)] = []
        for row in t.rows {
            let flagged = t.column(["flagged"]).map { row.fields[$0] == "true" } ?? false
            if flagged { continue }
            out.append((Int(try t.number(row, ic, "index", required: true)!), row.fields[fc],
                        try t.number(row, t.column(["a"]), "a", required: true)!, try t.number(row, t.column(["a_esd"]), "a_esd", required: false),
                        try t.number(row, t.column(["c"]), "c", required: true)!, try t.number(row, t.column(["c_esd"]), "c_esd", required: false),
                        try t.number(row, t.column(["volume"]), "volume", required: true)!, try t.number(row, t.column(["volume_esd"]), "volume_esd", required: false),
                        try t.number(row, t.column(["time_s", "time"]), "time", required: false)))
        }
        return out.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2, $0.3, $0.4, $0.5, $0.6, $0.7, $0.8) }
    }
}
