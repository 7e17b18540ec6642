import FileSupport
import Foundation
import Lithiation

/// Inputs of `lithium-map lookup` for many electrodes: a batch CSV and `rietveld refine --json` reports.
extension LithiationFiles {
    /// A batch CSV: `name,volume,volume_esd[,a,a_esd,c,c_esd]` (a volume, or a and c, per row; `#` comments).
    public static func readBatch(_ url: URL) throws(FileError) -> [ElectrodeMeasurement] {
        let t = try table(url)
        let vc = t.column(["volume"]), ac = t.column(["a"]), cc = t.column(["c"]), nc = t.column(["name"])
        guard vc != nil || (ac != nil && cc != nil) else {
            throw .missing(file: url.path, "expected columns name,volume,volume_esd[,a,a_esd,c,c_esd]")
        }
        guard !t.rows.isEmpty else { throw .malformed(file: url.path, line: 1, "no electrodes below the header") }
        var out: [ElectrodeMeasurement] = []
        for (k, row) in t.rows.enumerated() {
            func measured(_ name: String) throws(FileError) -> Measured? {
                guard let v = try t.number(row, t.column([name]), name, required: false) else { return nil }
                let e = try t.number(row, t.column([name + "_esd"]), name + "_esd", required: false) ?? 0
                guard e >= 0 else { throw .malformed(file: url.path, line: row.line, "\(name)_esd \(e) is negative; an esd is ≥ 0") }
                return Measured(v, esd: e)
            }
            let name = nc.map { row.fields[$0].trimmingCharacters(in: .whitespaces) } ?? "row \(k + 1)"
            let e = ElectrodeMeasurement(name: name, volume: try measured("volume"), a: try measured("a"), c: try measured("c"))
            guard e.volume != nil || (e.a != nil && e.c != nil) else {
                throw .malformed(file: url.path, line: row.line, "neither a volume nor both a and c")
            }
            if (e.a == nil) != (e.c == nil) { throw .malformed(file: url.path, line: row.line, "a and c go together") }
            out.append(e)
        }
        return out
    }

    /// A `rietveld refine --json` report: the first phase's `cell.volume`, and every entry of `phases[]` with
    /// its `cell.volume` and `weight_fraction` (null for a Le Bail phase), each `{value, esd}`.
    public static func readRefined(_ url: URL) throws(FileError) -> ElectrodeMeasurement {
        let data = try TextFile.data(url)
        guard let object = try? JSONSerialization.jsonObject(with: data), let root = object as? [String: Any] else {
            throw .unknownFormat(file: url.path, "not JSON with an object at the top")
        }
        func estimate(_ any: Any?, _ what: String) throws(FileError) -> Measured? {
            guard let any, !(any is NSNull) else { return nil }
            guard let e = any as? [String: Any], let v = (e["value"] as? NSNumber)?.doubleValue, v.isFinite else {
                throw .missing(file: url.path, "\(what) is not {value, esd}")
            }
            let esd = (e["esd"] as? NSNumber)?.doubleValue ?? 0
            guard esd.isFinite, esd >= 0 else { throw .missing(file: url.path, "\(what).esd \(esd) is not a non-negative number") }
            return Measured(v, esd: esd)
        }
        guard let cell = root["cell"] as? [String: Any], let volume = try estimate(cell["volume"], "cell.volume") else {
            throw .missing(file: url.path, "not a rietveld refine JSON (no cell.volume)")
        }
        var phases: [PhaseMeasurement] = []
        if let list = root["phases"] {
            guard let list = list as? [[String: Any]] else { throw .missing(file: url.path, "phases is not a list of objects") }
            for (k, p) in list.enumerated() {
                guard let name = p["name"] as? String, !name.isEmpty else { throw .missing(file: url.path, "phases[\(k)] has no name") }
                guard let c = p["cell"] as? [String: Any], let v = try estimate(c["volume"], "phases[\(k)].cell.volume") else {
                    throw .missing(file: url.path, "phases[\(k)] (\(name)) has no cell.volume")
                }
                phases.append(PhaseMeasurement(name: name, volume: v, weightFraction: try estimate(p["weight_fraction"], "phases[\(k)].weight_fraction")))
            }
        }
        return ElectrodeMeasurement(name: url.lastPathComponent, volume: volume, phases: phases)
    }
}
