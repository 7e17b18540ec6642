import FileSupport
import Foundation
import PowderDiffraction

/// Bruker (Siemens) DIFFRAC `.uxd` text, as XCH writes it from a `.raw`: `_KEY=value` lines (values may be
/// quoted), `;` comments, and per range a data block after one of the markers
///
/// - `_COUNTS` or `_CPS`: counts (or counts per second) only, any number per line, 2θ from the range's `_START`
///   (else `_2THETA`) and `_STEPSIZE`; where `_STEPCOUNT` is given, exactly that many values;
/// - `_2THETACOUNTS` or `_2THETACPS`: one 2θ and its counts (or rate) per line.
///
/// Rates are turned back into counts with `_STEPTIME` (seconds). The radiation: `_WL1` (Kα1), `_WL2` (Kα2),
/// `_WLRATIO` (Kα2/Kα1); `_WL3` is Kβ and not kept. The first range is read; σ = √max(counts, 1).
enum BrukerUXD {
    static let dataMarkers: Set<String> = ["_COUNTS", "_CPS", "_2THETACOUNTS", "_2THETACPS"]

    /// A UXD file: a `_KEY=value` line and a data marker among the first lines, or the `_FILEVERSION` key.
    static func isUXD<S: StringProtocol>(_ lines: some Collection<S>) -> Bool {
        let trimmed = lines.map { $0.trimmingCharacters(in: .whitespaces) }
        if trimmed.contains(where: { $0.uppercased().hasPrefix("_FILEVERSION") }) { return true }
        return trimmed.contains(where: { key($0) != nil }) && trimmed.contains(where: { dataMarkers.contains($0.uppercased()) })
    }

    /// The key and value of a `_KEY=value` line (key upper-cased, value unquoted).
    static func key(_ line: String) -> (key: String, value: String)? {
        guard line.hasPrefix("_"), let eq = line.firstIndex(of: "=") else { return nil }
        let k = line[..<eq].trimmingCharacters(in: .whitespaces).uppercased()
        var v = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        if v.count >= 2, v.first == "'" || v.first == "\"", v.last == v.first { v = String(v.dropFirst().dropLast()) }
        guard k.count > 1 else { return nil }
        return (k, v)
    }

    static func read(_ text: String, file: String, name: String) throws(FileError) -> Pattern {
        var keys: [String: (value: String, line: Int)] = [:]
        var marker: String?
        var values: [Double] = [], angles: [Double] = []
        var n = 0
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            n += 1
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if marker != nil && (line.hasPrefix("_") || line.hasPrefix(";")) { break }  // the next range
            if line.hasPrefix(";") { continue }
            if let m = marker {
                let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if m.hasPrefix("_2THETA") {
                    guard f.count == 2 else {
                        throw .malformed(file: file, line: n, "\(m) lines hold 2θ and one value; found \(f.count) fields")
                    }
                    angles.append(try number(f[0], file: file, line: n))
                    values.append(try number(f[1], file: file, line: n))
                } else {
                    for v in f { values.append(try number(v, file: file, line: n)) }
                }
            } else if dataMarkers.contains(line.uppercased()) {
                marker = line.uppercased()
            } else if let (k, v) = key(line) {
                keys[k] = (v, n)
            } else {
                throw .malformed(file: file, line: n, "expected a _KEY=value line, a ; comment or a data marker (\(dataMarkers.sorted().joined(separator: ", "))), found '\(line.prefix(40))'")
            }
        }
        guard let marker else { throw .missing(file: file, "UXD: no data block (\(dataMarkers.sorted().joined(separator: ", ")))") }
        func keyNumber(_ k: String) throws(FileError) -> Double? {
            guard let (v, line) = keys[k] else { return nil }
            guard let d = Double(v), d.isFinite else { throw .malformed(file: file, line: line, "\(k) = '\(v)' is not a number") }
            return d
        }
        var x: [Double]
        if marker.hasPrefix("_2THETA") {
            x = angles
        } else {
            let start = try keyNumber("_START"), twoTheta = try keyNumber("_2THETA")
            guard let start = start ?? twoTheta, let step = try keyNumber("_STEPSIZE") else {
                throw .missing(file: file, "UXD: \(marker) needs _START (or _2THETA) and _STEPSIZE before it")
            }
            if let expected = try keyNumber("_STEPCOUNT"), Double(values.count) != expected {
                throw .malformed(file: file, line: n, "UXD: \(values.count) values after \(marker); _STEPCOUNT says \(Int(expected))")
            }
            try StepScan.check(start: start, step: step, count: values.count, file: file, what: "UXD \(marker) block")
            x = StepScan.angles(start: start, step: step, count: values.count)
        }
        var y = values
        if marker.hasSuffix("CPS") {
            guard let time = try keyNumber("_STEPTIME"), time > 0 else {
                throw .missing(file: file, "UXD: \(marker) gives counts per second; a positive _STEPTIME is needed to turn them into counts")
            }
            y = values.map { $0 * time }
        }
        let wl1 = try keyNumber("_WL1"), wl2 = try keyNumber("_WL2")
        let lines = wl1.map { [$0] + (wl2.map { [$0] } ?? []) } ?? []
        let radiation = StatedRadiation(wavelengths: lines, ratio: try keyNumber("_WLRATIO"))
        return radiation.applied(to: Pattern(name: name, twoTheta: x, intensity: y))
    }

    static func number(_ field: Substring, file: String, line: Int) throws(FileError) -> Double {
        guard let v = Double(field), v.isFinite else {
            if DecimalComma.isDecimalComma(field) {
                throw .malformed(file: file, line: line, "'\(field)' has a decimal comma; decimal commas are not supported")
            }
            throw .malformed(file: file, line: line, "'\(field)' is not a finite number")
        }
        return v
    }
}
