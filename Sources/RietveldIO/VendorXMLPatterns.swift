import FileSupport
import Foundation
import PowderDiffraction
import ZIPFoundation

/// PANalytical `.xrdml`: `xrdMeasurements/xrdMeasurement/scan/dataPoints` with `positions axis="2Theta"`
/// (`startPosition`/`endPosition`, points evenly spaced, or `listPositions`), the intensities in
/// `intensities` (XRDML ≤ 1.4) or `counts` (1.5 and later), optional `beamAttenuationFactors` and
/// `commonCountingTime`. Rates (counts/s) are turned back into counts with the counting time, then counts are
/// multiplied by their attenuation factor f; σ is Poisson on the counts actually registered, σ = f √n. The
/// first scan is read.
enum XRDML {
    static func isXRDML(_ data: Data) -> Bool {
        // XML starts with '<' (after a byte-order mark or white space): anything else is not looked through
        // (Data.range(of:) took 0.1 M instructions a file).
        let head = data.prefix(4096)
        guard let first = head.first(where: { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }), first == UInt8(ascii: "<") else { return false }
        return head.range(of: Data("<xrdMeasurements".utf8)) != nil || head.range(of: Data("www.xrdml.com".utf8)) != nil
    }

    static func read(_ data: Data, file: String, name: String) throws(FileError) -> Pattern {
        let root = try XMLTreeElement.parse(data, file: file)
        guard let points = root.descendants("scan").first?.child("dataPoints") else {
            throw .missing(file: file, "XRDML: no scan/dataPoints element")
        }
        let yElement = points.child("counts") ?? points.child("intensities")
        guard let yElement else { throw .missing(file: file, "XRDML: dataPoints has neither counts nor intensities") }
        let y = try numbers(yElement.text, file: file, what: yElement.name)
        guard y.count >= 2 else { throw .malformed(file: file, line: 1, "XRDML: \(y.count) intensities; expected at least two") }
        guard let positions = points.children("positions").first(where: { ($0.attributes["axis"] ?? "").lowercased() == "2theta" }) else {
            throw .missing(file: file, "XRDML: no positions element with axis=\"2Theta\"")
        }
        var x: [Double]
        if let list = positions.child("listPositions") {
            x = try numbers(list.text, file: file, what: "listPositions")
            guard x.count == y.count else {
                throw .malformed(file: file, line: 1, "XRDML: \(x.count) listPositions for \(y.count) intensities; expected as many")
            }
        } else if let s = positions.child("startPosition").flatMap({ Double($0.text.trimmingCharacters(in: .whitespacesAndNewlines)) }),
                  let e = positions.child("endPosition").flatMap({ Double($0.text.trimmingCharacters(in: .whitespacesAndNewlines)) }) {
            let step = (e - s) / Double(y.count - 1)
            x = (0..<y.count).map { s + Double($0) * step }
        } else {
            throw .missing(file: file, "XRDML: 2Theta positions have neither start/endPosition nor listPositions")
        }
        var factors = [Double](repeating: 1, count: y.count)
        if let f = points.child("beamAttenuationFactors") {
            factors = try numbers(f.text, file: file, what: "beamAttenuationFactors")
            guard factors.count == y.count else {
                throw .malformed(file: file, line: 1, "XRDML: \(factors.count) beamAttenuationFactors for \(y.count) intensities; expected as many")
            }
        }
        let unit = (yElement.attributes["unit"] ?? "counts").lowercased()
        let time = points.child("commonCountingTime").flatMap { Double($0.text.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let isRate = unit.contains("/s") || unit.contains("cps") || unit.contains("per second")
        let countsPerValue = isRate ? (time.map { $0 > 0 ? $0 : 1 } ?? 1) : 1
        var intensity: [Double] = [], sigma: [Double] = []
        for i in y.indices {
            let counts = y[i] * countsPerValue
            intensity.append(counts * factors[i])
            sigma.append(max(counts, 1).squareRoot() * factors[i])
        }
        if x.count > 1 && x[0] > x[x.count - 1] {
            x.reverse(); intensity.reverse(); sigma.reverse()
        }
        return radiation(root).applied(to: Pattern(name: name, twoTheta: x, intensity: intensity, sigma: sigma))
    }

    /// `usedWavelength`'s `kAlpha1`, `kAlpha2` and `ratioKAlpha2KAlpha1` (Å), where the file has them.
    static func radiation(_ root: XMLTreeElement) -> StatedRadiation {
        guard let used = root.descendants("usedWavelength").first else { return StatedRadiation(wavelengths: []) }
        func value(_ name: String) -> Double? { used.child(name).flatMap { Double($0.text.trimmingCharacters(in: .whitespacesAndNewlines)) } }
        let lines = value("kAlpha1").map { [$0] + (value("kAlpha2").map { [$0] } ?? []) } ?? []
        return StatedRadiation(wavelengths: lines, ratio: value("ratioKAlpha2KAlpha1"))
    }

    /// Whitespace-separated numbers; the first that is not one is named.
    static func numbers(_ text: String, file: String, what: String) throws(FileError) -> [Double] {
        var out: [Double] = []
        for (i, f) in text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).enumerated() {
            guard let v = Double(f), v.isFinite else {
                throw .malformed(file: file, line: 1, "XRDML \(what): value \(i + 1) '\(f)' is not a finite number")
            }
            out.append(v)
        }
        return out
    }
}

/// Bruker `.brml`: a ZIP archive whose `Experiment0/RawData0.xml` (the first `RawData*.xml`) holds
/// `DataRoutes/DataRoute/Datum` rows of comma-separated values. In the scans DIFFRAC.SUITE writes, a row is
/// (counting time, 1, 2θ, θ, counts) for coupled scans and (time, 1, 2θ, counts) for detector scans: 2θ is the
/// third value and the counts the last. Rows with fewer than four values take 2θ from the route's
/// `ScanAxisInfo AxisId="TwoTheta"` (`Start`, `Increment`). σ = √max(counts, 1). The first data route is read.
enum BRML {
    static func isZIP(_ data: Data) -> Bool { data.count >= 4 && data.prefix(4) == Data([0x50, 0x4B, 0x03, 0x04]) }

    static func read(_ data: Data, file: String, name: String) throws(FileError) -> Pattern {
        try ZIPLayout.check(data, file: file)
        let archive: Archive
        do { archive = try Archive(data: data, accessMode: .read) } catch {
            throw .malformed(file: file, line: 1, "BRML: not a readable ZIP archive")
        }
        let rawEntries = archive.filter { entry in
            let last = entry.path.split(separator: "/").last.map(String.init) ?? entry.path
            return last.hasPrefix("RawData") && last.hasSuffix(".xml")
        }.sorted { $0.path < $1.path }
        guard let entry = rawEntries.first else {
            throw .missing(file: file, "BRML: the archive holds no RawData*.xml (is it a Bruker .brml?)")
        }
        var xml = Data()
        do { _ = try archive.extract(entry, skipCRC32: false) { xml.append($0) } } catch {
            throw .malformed(file: file, line: 1, "BRML: \(entry.path) cannot be decompressed (damaged archive)")
        }
        let inner = "\(file)[\(entry.path)]"
        let root = try XMLTreeElement.parse(xml, file: inner)
        guard let route = root.descendants("DataRoute").first(where: { !$0.children("Datum").isEmpty }) else {
            throw .missing(file: inner, "BRML: no DataRoute with Datum rows")
        }
        var axisStart: Double?, axisIncrement: Double?
        if let axis = route.descendants("ScanAxisInfo").first(where: { ($0.attributes["AxisId"] ?? "").lowercased() == "twotheta" }) {
            axisStart = axis.attributes["Start"].flatMap(Double.init) ?? axis.child("Start").flatMap { Double($0.text) }
            axisIncrement = axis.attributes["Increment"].flatMap(Double.init) ?? axis.child("Increment").flatMap { Double($0.text) }
        }
        var x: [Double] = [], y: [Double] = []
        for (i, datum) in route.children("Datum").enumerated() {
            let fields = datum.text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            let values = fields.map { Double($0) }
            if let bad = values.firstIndex(where: { $0 == nil || !$0!.isFinite }) {
                throw .malformed(file: inner, line: 1, "BRML Datum \(i + 1): value \(bad + 1) '\(fields[bad])' is not a finite number")
            }
            let v = values.map { $0! }
            if v.count >= 4 {
                x.append(v[2])
            } else if let s = axisStart, let d = axisIncrement, v.count >= 1 {
                x.append(s + Double(i) * d)
            } else {
                throw .malformed(file: inner, line: 1, "BRML Datum \(i + 1): \(v.count) values and no TwoTheta scan axis; expected (time, 1, 2θ, [θ,] counts)")
            }
            y.append(v[v.count - 1])
        }
        guard x.count >= 2 else { throw .malformed(file: inner, line: 1, "BRML: \(x.count) data points; expected at least two") }
        if x[0] > x[x.count - 1] { x.reverse(); y.reverse() }
        return radiation(root).applied(to: Pattern(name: name, twoTheta: x, intensity: y))
    }

    /// The tube's `WaveLengthAlpha1`, `WaveLengthAlpha2` and `WaveLengthRatio` (a `Value` attribute, else the
    /// element's text; Å, or nm where `Unit` says so), where the file has them.
    static func radiation(_ root: XMLTreeElement) -> StatedRadiation {
        func value(_ name: String) -> Double? {
            guard let e = root.descendants(name).first else { return nil }
            guard let v = Double((e.attributes["Value"] ?? e.text).trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
            return (e.attributes["Unit"] ?? "").lowercased() == "nm" ? 10 * v : v
        }
        let lines = value("WaveLengthAlpha1").map { [$0] + (value("WaveLengthAlpha2").map { [$0] } ?? []) } ?? []
        return StatedRadiation(wavelengths: lines, ratio: value("WaveLengthRatio"))
    }
}
