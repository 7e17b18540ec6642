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
        /// Comment lines' text after `#`, trimmed, with their line numbers.
        var comments: [(line: Int, text: String)] = []
        /// The header as written (`header` is lower-cased for matching).
        var rawHeader: [String] = []

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
        var header: [String]?, rawHeader: [String] = []
        var rows: [(Int, [String])] = []
        var comments: [(line: Int, text: String)] = []
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") { comments.append((n + 1, line.dropFirst().trimmingCharacters(in: .whitespaces))); continue }
            if line.isEmpty { continue }
            let f = CSV.fields(Substring(line))
            if header == nil {
                rawHeader = f.map { $0.trimmingCharacters(in: .whitespaces) }
                header = rawHeader.map { $0.lowercased() }
                continue
            }
            guard f.count == header!.count else {
                throw .malformed(file: url.path, line: n + 1, "expected \(header!.count) columns like the header, found \(f.count)")
            }
            rows.append((n + 1, f))
        }
        guard let header else { throw .malformed(file: url.path, line: 1, "empty file; expected a header line") }
        return Table(file: url.path, header: header, rows: rows.map { (line: $0.0, fields: $0.1) }, comments: comments, rawHeader: rawHeader)
    }

    /// The comment that declares a multi-phase reference: its `phase` column names branches.
    public static let branchesComment = "branches:"
    public static let twoPhaseComment = "two-phase region:"
    /// The comment that carries a region's boundary compositions (lever-rule fit of the build).
    public static let boundariesComment = "phase boundaries:"

    /// A reference file: its points, whether the `phase` column names branches (several phases) rather than
    /// regions of one curve, and the line each point came from.
    public struct ReferenceFile: Sendable {
        public var points: [ReferencePoint]
        public var branched: Bool
        public var lines: [Int]
        /// Boundary compositions of two-phase regions (`# phase boundaries:` comments).
        public var boundaries: [PhaseBoundaries] = []
    }

    /// A reference CSV (`x_li,a,a_esd,c,c_esd,volume,volume_esd,phase`; esd, a, c and phase columns optional).
    /// Checked: x_li within 0–1, esds not negative, one point per x (per branch when the phases are branches).
    /// The `phase` column names branches when the file says `# branches: …` (as `build` writes it) or when
    /// two labels' x ranges interleave (a point of each lies strictly inside the other's range).
    public static func readReferenceFile(_ url: URL) throws(FileError) -> ReferenceFile {
        let t = try table(url)
        guard let xc = t.column(["x_li", "x"]) else { throw .missing(file: url.path, "no x_li column (header \(referenceHeader))") }
        let vc = t.column(["volume", "v"]), ac = t.column(["a"]), cc = t.column(["c"])
        let ae = t.column(["a_esd"]), ce = t.column(["c_esd"]), ve = t.column(["volume_esd", "v_esd"]), pc = t.column(["phase"])
        var out: [ReferencePoint] = []
        for row in t.rows {
            let x = try t.number(row, xc, "x_li", required: true)!
            guard (0...1).contains(x) else {
                throw .malformed(file: url.path, line: row.line, "x_li \(x) is outside 0–1 (lithium per formula unit of the host)")
            }
            let a = try t.number(row, ac, "a", required: false), c = try t.number(row, cc, "c", required: false)
            var v = try t.number(row, vc, "volume", required: vc != nil && (a == nil || c == nil))
            if v == nil, let a, let c { v = UnitCell.hexagonalVolume(a: a, c: c) }
            guard let volume = v else { throw .malformed(file: url.path, line: row.line, "no volume, and no a and c to compute it") }
            var esds: [Double?] = []
            for (column, name) in [(ae, "a_esd"), (ce, "c_esd"), (ve, "volume_esd")] {
                let e = try t.number(row, column, name, required: false)
                if let e, e < 0 { throw .malformed(file: url.path, line: row.line, "\(name) \(e) is negative; an esd is ≥ 0") }
                esds.append(e)
            }
            let phase = pc.flatMap { $0 < row.fields.count ? row.fields[$0].trimmingCharacters(in: .whitespaces) : nil }
            out.append(ReferencePoint(x: x, a: a, aEsd: esds[0], c: c, cEsd: esds[1], volume: volume, volumeEsd: esds[2],
                                      phase: phase?.isEmpty == true ? nil : phase))
        }
        let lines = t.rows.map(\.line)
        let branched = t.comments.contains { $0.text.hasPrefix(branchesComment) } || labelsInterleave(out)
        var first: [String: Int] = [:]
        for (k, p) in out.enumerated() {
            let key = branched ? "\(p.phase ?? "")|\(p.x)" : "\(p.x)"
            if let earlier = first[key] {
                throw .malformed(file: url.path, line: lines[k],
                                 "x_li \(p.x) repeats line \(earlier)\(branched ? " in phase \(p.phase ?? "(none)")" : ""); a reference needs one point per x")
            }
            first[key] = lines[k]
        }
        var boundaries: [PhaseBoundaries] = []
        for c in t.comments where c.text.hasPrefix(boundariesComment) {
            boundaries.append(try parseBoundaries(String(c.text.dropFirst(boundariesComment.count)), file: url.path, line: c.line))
        }
        return ReferenceFile(points: out, branched: branched, lines: lines, boundaries: boundaries)
    }

    /// `NAME=X(ESD) NAME=X(ESD) correlation=R patterns=N chi2_dof=C`, as `boundariesText` writes it.
    static func parseBoundaries(_ text: String, file: String, line: Int) throws(FileError) -> PhaseBoundaries {
        let expected = "expected 'phase boundaries: NAME=X(ESD) NAME=X(ESD) correlation=R patterns=N chi2_dof=C'"
        var names: [String] = [], xs: [Double] = [], esds: [Double] = []
        var fields: [String: Double] = [:]
        for token in text.split(separator: " ") {
            let kv = token.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw .malformed(file: file, line: line, expected) }
            if ["correlation", "patterns", "chi2_dof"].contains(kv[0]) {
                guard let v = Double(kv[1]) else { throw .malformed(file: file, line: line, "\(kv[0]) '\(kv[1])' is not a number") }
                fields[kv[0]] = v
                continue
            }
            let parts = kv[1].split(separator: "(").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ")")) }
            guard parts.count == 2, let x = Double(parts[0]), let e = Double(parts[1]), x.isFinite, e.isFinite, e >= 0 else {
                throw .malformed(file: file, line: line, "boundary '\(token)': \(expected)")
            }
            names.append(kv[0]); xs.append(x); esds.append(e)
        }
        guard names.count == 2, let r = fields["correlation"], abs(r) <= 1, let n = fields["patterns"] else {
            throw .malformed(file: file, line: line, expected)
        }
        let c = r * esds[0] * esds[1]
        return PhaseBoundaries(phases: names, x: xs, covariance: [[esds[0] * esds[0], c], [c, esds[1] * esds[1]]],
                               patterns: Int(n), reducedChiSquare: fields["chi2_dof"] ?? .nan)
    }

    /// The comment text of one region's boundaries.
    static func boundariesText(_ b: PhaseBoundaries) -> String {
        let each = b.phases.indices.map { String(format: "%@=%.6f(%.6f)", b.phases[$0], b.x[$0], b.esd($0)) }.joined(separator: " ")
        return boundariesComment + " " + each + String(format: " correlation=%.4f patterns=%d chi2_dof=%.3f", b.correlation, b.patterns, b.reducedChiSquare)
    }

    /// The points of a reference CSV (see `readReferenceFile`).
    public static func readReference(_ url: URL) throws(FileError) -> [ReferencePoint] { try readReferenceFile(url).points }

    /// Do two phase labels' x ranges interleave (each has a point strictly inside the other's range)?
    static func labelsInterleave(_ points: [ReferencePoint]) -> Bool {
        var xs: [String: [Double]] = [:]
        for p in points { if let n = p.phase { xs[n, default: []].append(p.x) } }
        let groups = Array(xs.values)
        for i in groups.indices {
            for j in groups.indices where j != i {
                let lo = groups[j].min()!, hi = groups[j].max()!
                guard groups[i].contains(where: { $0 > lo && $0 < hi }) else { continue }
                let lo2 = groups[i].min()!, hi2 = groups[i].max()!
                if groups[j].contains(where: { $0 > lo2 && $0 < hi2 }) { return true }
            }
        }
        return false
    }

    /// The text of a reference CSV. A multi-phase reference declares its branches and two-phase regions in
    /// comments, which the reader uses and older readers skip.
    public static func referenceText(_ points: [ReferencePoint], comments: [String] = [], branches: [String] = [],
                                     twoPhaseRegions: [TwoPhaseRegion] = [], boundaries: [PhaseBoundaries] = []) -> String {
        func n(_ v: Double?) -> String { v.map { "\($0)" } ?? "" }
        var notes = comments
        if !branches.isEmpty { notes.append(branchesComment + " " + branches.joined(separator: ",") + " (the phase column names the branch)") }
        for r in twoPhaseRegions {
            notes.append(twoPhaseComment + String(format: " %@ x_li %.4f–%.4f", r.name, r.range.lowerBound, r.range.upperBound))
        }
        notes += boundaries.map(boundariesText)
        var out = notes.map { "# " + $0 + "\n" }.joined() + referenceHeader + "\n"
        for p in points.sorted(by: { $0.x != $1.x ? $0.x > $1.x : ($0.phase ?? "") < ($1.phase ?? "") }) {
            out += [n(p.x), n(p.a), n(p.aEsd), n(p.c), n(p.cEsd), n(p.volume), n(p.volumeEsd), CSV.quote(p.phase ?? "")].joined(separator: ",") + "\n"
        }
        return out
    }

    /// An operando table with specific charge per row: whitespace- or comma-separated columns q (mAh/g),
    /// σq, a, b, c[, α, β, γ] (the layout of Märker et al.'s NMC811 data); `#` comments.
    public static func readOperandoTable(_ url: URL) throws(FileError) -> [OperandoRow] {
        let text = try TextFile.read(url)
        var out: [OperandoRow] = []
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
            out.append(OperandoRow(q: v[0], a: v[2], c: v[4], volume: cell.volume))
        }
        guard !out.isEmpty else { throw .malformed(file: url.path, line: 1, "no data rows") }
        return out
    }

    /// A cycler record: a time column (`time_s`, `time/s`, `time`, or `time_h` in hours) and either a charge
    /// column (`capacity_mah`, `capacity`, `q_mah`) or a current column (`current_ma`, `current`) to integrate.
    /// Times must increase strictly.
    public static func readCycler(_ url: URL) throws(FileError) -> CyclerRecord {
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
        return CyclerRecord(times: times, charge: qc != nil ? values : LithiumContent.charge(times: times, current: values))
    }

    /// The patterns of a `rietveld sequential` CSV in index order: the first phase's block, or with several
    /// phases each `NAME:a … NAME:present` block (absent phases have empty cells), `flagged`, and a `time_s`
    /// column when present. Flagged rows are kept (marked) so that pattern positions stay those of the run.
    public static func readSequential(_ url: URL) throws(FileError) -> [SequentialPattern] {
        let t = try table(url)
        guard let ic = t.column(["index"]), let fc = t.column(["file"]) else { throw .missing(file: url.path, "not a sequential CSV (no index and file columns)") }
        let flaggedColumn = t.column(["flagged"]), timeColumn = t.column(["time_s", "time"])
        // Phase names in the order of their blocks (lower-cased header: names as written are taken from the file).
        let names = t.header.filter { $0.hasSuffix(":present") }.map { String($0.dropLast(":present".count)) }
        var out: [SequentialPattern] = []
        for row in t.rows {
            let flagged = flaggedColumn.map { row.fields[$0].trimmingCharacters(in: .whitespaces).lowercased() == "true" } ?? false
            func measured(_ value: String, _ esd: String) throws(FileError) -> Measured? {
                guard let v = try t.number(row, t.column([value]), value, required: false) else { return nil }
                let e = try t.number(row, t.column([esd]), esd, required: false) ?? 0
                guard e >= 0 else { throw .malformed(file: url.path, line: row.line, "\(esd) \(e) is negative; an esd is ≥ 0") }
                return Measured(v, esd: e)
            }
            var phases: [PhaseObservation] = []
            if names.isEmpty {
                let v = try measured("volume", "volume_esd")
                if v == nil && !flagged { throw .malformed(file: url.path, line: row.line, "volume is empty in a row that is not flagged") }
                phases.append(PhaseObservation(name: "", a: try measured("a", "a_esd"), c: try measured("c", "c_esd"), volume: v, present: v != nil))
            } else {
                for n in names {
                    let present = t.column(["\(n):present"]).map { row.fields[$0].trimmingCharacters(in: .whitespaces).lowercased() == "true" } ?? false
                    let v = try measured("\(n):volume", "\(n):volume_esd")
                    if present && v == nil && !flagged { throw .malformed(file: url.path, line: row.line, "\(n):volume is empty while \(n) is present") }
                    phases.append(PhaseObservation(name: originalName(n, in: t), a: try measured("\(n):a", "\(n):a_esd"), c: try measured("\(n):c", "\(n):c_esd"),
                                                   volume: v, weightFraction: try measured("\(n):weight_fraction", "\(n):weight_fraction_esd"), present: present))
                }
            }
            out.append(SequentialPattern(index: Int(try t.number(row, ic, "index", required: true)!), file: row.fields[fc],
                                         time: try t.number(row, timeColumn, "time", required: false), flagged: flagged, phases: phases))
        }
        return out.sorted { $0.index < $1.index }
    }

    /// A phase name as the file spells it (the header is lower-cased for matching).
    static func originalName(_ lowered: String, in t: Table) -> String {
        for f in t.rawHeader where f.lowercased() == lowered + ":present" { return String(f.dropLast(":present".count)) }
        return lowered
    }

    /// Each pattern's file modification time in seconds after `origin` (paths relative to `base`).
    public static func modificationTimes(of files: [String], base: URL, origin: Date) throws(FileError) -> [Double] {
        var out: [Double] = []
        for f in files {
            let path = f.hasPrefix("/") ? f : base.appendingPathComponent(f).path
            guard let date = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date else {
                throw .cannotRead(file: path, reason: "no modification time (needed by --file-times)")
            }
            out.append(date.timeIntervalSince(origin))
        }
        return out
    }
}
