import Foundation
import PowderDiffraction
import Refinement

/// The CSV of a sequential refinement: fixed leading columns (DESIGN.md), then every refined parameter and
/// its esd. Numbers are written with full precision so that a resumed run continues from exactly the values
/// an uninterrupted run would have used.
public enum SequentialCSV {
    public static let leading = ["index", "file", "a", "a_esd", "c", "c_esd", "volume", "volume_esd", "cation_mixing",
                                 "cation_mixing_esd", "Rwp", "GOF", "converged", "flagged", "retries", "cycles"]

    public static func header(parameterNames: [String]) -> String {
        (leading + parameterNames.flatMap { [$0, $0 + "_esd"] }).map(quote).joined(separator: ",") + "\n"
    }

    public static func row(_ r: SequentialRow, parameters: [ModelParameter]) -> String {
        let res = r.result
        let cell = res.cell(phase: 0)
        func num(_ v: Double?) -> String { v.map { "\($0)" } ?? "" }
        var fields = ["\(r.index)", r.file, num(cell["a"]?.value), num(cell["a"]?.esd), num(cell["c"]?.value), num(cell["c"]?.esd),
                      num(cell["volume"]?.value), num(cell["volume"]?.esd)]
        let mix = res.cationMixing(phase: 0)
        fields += [num(mix?.value), num(mix?.esd), num(res.statistics.rwp), num(res.statistics.gof), res.converged ? "true" : "false",
                   r.flagged ? "true" : "false", "\(r.retries)", "\(res.iterations)"]
        for p in parameters {
            fields.append(num(res.model.value(of: p)))
            fields.append(num(res.esd(of: p)))
        }
        return fields.map(quote).joined(separator: ",") + "\n"
    }

    static func quote(_ s: String) -> String {
        s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// Splits one CSV line (double-quoted fields allowed).
    public static func fields(_ line: Substring) -> [String] {
        var out: [String] = [], current = "", quoted = false
        var chars = line.makeIterator()
        var pendingQuote = false
        while let c = chars.next() {
            if quoted {
                if c == "\"" { pendingQuote = true; quoted = false; continue }
                current.append(c)
            } else if c == "\"" {
                if pendingQuote { current.append("\"") }
                quoted = true
            } else if c == "," {
                out.append(current); current = ""
            } else {
                current.append(c)
            }
            pendingQuote = false
        }
        out.append(current)
        return out
    }

    /// A CSV written by an earlier run: the files it holds and the parameter values of its last good row.
    public struct Existing: Sendable {
        public var header: [String]
        public var files: Set<String>
        public var rows: Int
        public var lastGood: [String: Double]
        /// The good row before the last (chained runs extrapolate from the last two).
        public var previousGood: [String: Double]
    }

    public static func read(_ url: URL) throws(RietveldIOError) -> Existing {
        let text = try TextFile.read(url)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard let first = lines.first else { throw .malformed(file: url.path, line: 1, "empty CSV; expected the header of a sequential run") }
        let header = fields(first)
        guard Array(header.prefix(leading.count)) == leading else {
            throw .malformed(file: url.path, line: 1, "not a sequential-refinement CSV (header should start \(leading.prefix(4).joined(separator: ",")),…)")
        }
        var files = Set<String>()
        var lastGood: [String: Double] = [:], previousGood: [String: Double] = [:]
        var lastIndex = -1
        for (n, line) in lines.dropFirst().enumerated() {
            let f = fields(line)
            guard f.count == header.count else {
                // An interrupted write leaves at most a partial last line: ignore it, the pattern is redone.
                if n == lines.count - 2 { continue }
                throw .malformed(file: url.path, line: n + 2, "expected \(header.count) columns, found \(f.count)")
            }
            files.insert(f[1])
            if f[13] == "false", let index = Int(f[0]), index > lastIndex {
                lastIndex = index
                previousGood = lastGood
                lastGood = [:]
                for (i, name) in header.enumerated() where i >= leading.count && !name.hasSuffix("_esd") {
                    if let v = Double(f[i]) { lastGood[name] = v }
                }
            }
        }
        return Existing(header: header, files: files, rows: files.count, lastGood: lastGood, previousGood: previousGood)
    }
}
