import Foundation
import PowderDiffraction

/// GSAS-II instrument parameter files (`.instprm`): lines of `key:value` pairs separated by `;`, `#` comments.
public enum InstrumentFile {
    public static func read(_ url: URL, geometry: Geometry = .debyeScherrer) throws(RietveldIOError) -> Instrument {
        try parse(try TextFile.read(url), file: url.path, geometry: geometry)
    }

    public static func parse(_ text: String, file: String, geometry: Geometry = .debyeScherrer) throws(RietveldIOError) -> Instrument {
        var values: [String: (Double, Int)] = [:]
        var type: String?
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            for item in line.split(separator: ";") {
                let parts = item.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2 else { throw .malformed(file: file, line: n + 1, "expected key:value, found '\(item)'") }
                let key = parts[0]
                if key == "Type" { type = parts[1]; continue }
                if ["Bank", "Source", "Azimuth"].contains(key) { if let v = Double(parts[1]) { values[key] = (v, n + 1) }; continue }
                guard let v = Double(parts[1]), v.isFinite else {
                    throw .malformed(file: file, line: n + 1, "\(key) = '\(parts[1])' is not a number")
                }
                values[key] = (v, n + 1)
            }
        }
        if let type, !type.hasPrefix("PXC") {
            throw .malformed(file: file, line: 1, "instrument type \(type) is not supported (expected PXC: constant-wavelength X-ray)")
        }
        let radiation: Radiation
        if let l = values["Lam"] {
            radiation = Radiation(wavelength: l.0)
        } else if let l1 = values["Lam1"] {
            radiation = Radiation(wavelength: l1.0, secondWavelength: values["Lam2"]?.0, secondLineRatio: values["I(L2)/I(L1)"]?.0 ?? 0.5)
        } else {
            throw .missing(file: file, "no wavelength (Lam, or Lam1 and Lam2)")
        }
        guard radiation.wavelength > 0 else { throw .malformed(file: file, line: values["Lam"]?.1 ?? values["Lam1"]!.1, "wavelength must be positive") }
        func v(_ key: String, _ fallback: Double) -> Double { values[key]?.0 ?? fallback }
        return Instrument(radiation: radiation, geometry: geometry, zero: v("Zero", 0), polarization: v("Polariz.", 0.5),
                          u: v("U", 0), v: v("V", 0), w: v("W", 1), x: v("X", 0), y: v("Y", 0), z: v("Z", 0),
                          shl: v("SH/L", 0.002))
    }

    /// The `.instprm` text of an instrument (GSAS-II reads it back).
    public static func text(_ i: Instrument, comment: String? = nil) -> String {
        var out = "#GSAS-II instrument parameter file" + (comment.map { "; " + $0 } ?? "") + "\n"
        out += "Type:PXC;Bank:1\n"
        let r = i.radiation
        if let l2 = r.secondWavelength {
            out += "Lam1:\(r.wavelength);Lam2:\(l2);I(L2)/I(L1):\(r.secondLineRatio);"
        } else {
            out += "Lam:\(r.wavelength);"
        }
        out += "Zero:\(i.zero);Polariz.:\(i.polarization);Azimuth:0.0\n"
        out += "U:\(i.u);V:\(i.v);W:\(i.w);X:\(i.x);Y:\(i.y);Z:\(i.z);SH/L:\(i.shl)\n"
        return out
    }
}
