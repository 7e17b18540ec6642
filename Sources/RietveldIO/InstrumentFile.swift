import FileSupport
import Foundation
import PowderDiffraction
import Refinement

/// Instrument parameter files: GSAS-II `.instprm` (lines of `key:value` pairs separated by `;`, `#`
/// comments; `#rietveld profile: start|calibrated` says whether the profile may be refined, see
/// `ProfileStatus`; the sample items GSAS-II keeps there — `Gonio. radius` in mm, `Diff-type`, `InstrName` — are read) and legacy GSAS `.prm` files (`INS` records, constant-wavelength X-ray banks), told apart by
/// content.
public enum InstrumentFile {
    public static func read(_ url: URL, geometry: Geometry = .debyeScherrer) throws(FileError) -> Instrument {
        let text = try TextFile.read(url)
        if text.split(whereSeparator: \.isNewline).contains(where: { $0.hasPrefix("INS ") }) {
            return try parseGSAS(text, file: url.path, geometry: geometry)
        }
        return try parse(text, file: url.path, geometry: geometry)
    }

    /// A GSAS `.prm` bank 1: `ICONS` λ1, λ2, zero (centidegrees), polarization, I(Kα2)/I(Kα1) in fixed columns;
    /// profile type 3 with `PRCF11` = GU, GV, GW (GP, a Gaussian size term, is not carried) and `PRCF12` =
    /// LX, LY, S/L, H/L, giving SH/L = S/L + H/L — GSAS-II's reading of these files — and S/L apart when the
    /// two differ.
    public static func parseGSAS(_ text: String, file: String, geometry: Geometry = .debyeScherrer) throws(FileError) -> Instrument {
        var records: [String: (String, Int)] = [:]
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() where raw.hasPrefix("INS") {
            let line = String(raw)
            guard line.count >= 12 else { continue }
            let key = String(line.prefix(12))
            records[key] = (String(line.dropFirst(12)), n + 1)
        }
        func field(_ s: String, _ range: Range<Int>) -> Double? {
            let chars = Array(s)
            guard range.lowerBound < chars.count else { return nil }
            return Double(String(chars[range.lowerBound..<min(range.upperBound, chars.count)]).trimmingCharacters(in: .whitespaces))
        }
        guard let (icons, iconsLine) = records["INS  1 ICONS"] else { throw .missing(file: file, "no 'INS  1 ICONS' record (wavelengths)") }
        guard let lam1 = field(icons, 0..<10), lam1 > 0 else { throw .malformed(file: file, line: iconsLine, "ICONS: the first wavelength is not a positive number") }
        let lam2 = field(icons, 10..<20) ?? 0
        let zero = (field(icons, 20..<30) ?? 0) / 100
        let polarization = field(icons, 40..<50) ?? 0.5
        let ratio = field(icons, 55..<65) ?? 0.5
        guard let (prcf1, prcf1Line) = records["INS  1PRCF1 "] else { throw .missing(file: file, "no 'INS  1PRCF1' record (profile function)") }
        guard prcf1.split(separator: " ").first == "3" else {
            throw .malformed(file: file, line: prcf1Line, "profile function type \(prcf1.split(separator: " ").first ?? "?") is not supported (expected type 3, pseudo-Voigt)")
        }
        func numbers(_ key: String) throws(FileError) -> [Double] {
            guard let (s, line) = records[key] else { throw .missing(file: file, "no '\(key)' record") }
            var out: [Double] = []
            for t in s.split(separator: " ") {
                guard let v = Double(t) else { throw .malformed(file: file, line: line, "\(key.trimmingCharacters(in: .whitespaces)): '\(t)' is not a number") }
                out.append(v)
            }
            return out
        }
        let p1 = try numbers("INS  1PRCF11"), p2 = try numbers("INS  1PRCF12")
        guard p1.count >= 3, p2.count >= 4 else {
            throw .malformed(file: file, line: records["INS  1PRCF11"]!.1, "PRCF11 needs GU, GV, GW and PRCF12 LX, LY, S/L, H/L")
        }
        let radiation = lam2 > 0 ? Radiation(wavelength: lam1, secondWavelength: lam2, secondLineRatio: ratio) : Radiation(wavelength: lam1)
        var instrument = Instrument(radiation: radiation, geometry: geometry, zero: zero, polarization: polarization,
                                    u: p1[0], v: p1[1], w: p1[2], x: p2[0], y: p2[1], z: 0, shl: p2[2] + p2[3])
        // Two different lengths are kept apart (GSAS-II would average them).
        if p2[2] != p2[3], p2[2] > 0, p2[3] > 0 { instrument.sOverL = p2[2] }
        return instrument
    }

    public static func parse(_ text: String, file: String, geometry: Geometry = .debyeScherrer) throws(FileError) -> Instrument {
        var values: [String: (Double, Int)] = [:]
        var type: String?
        var emission: (name: String, lines: [FundamentalParameters.Line])?
        var dispersion: FundamentalParameters.Dispersion?
        var status = ProfileStatus.calibrated
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix(statusPrefix) {
                let word = line.dropFirst(statusPrefix.count).trimmingCharacters(in: .whitespaces).prefix { $0.isLetter }
                guard let s = ProfileStatus(rawValue: String(word)) else {
                    throw .malformed(file: file, line: n + 1, "'\(line)': expected '\(statusPrefix) start' or '\(statusPrefix) calibrated'")
                }
                status = s
                continue
            }
            if line.isEmpty || line.hasPrefix("#") { continue }
            for item in line.split(separator: ";") {
                let parts = item.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2 else { throw .malformed(file: file, line: n + 1, "expected key:value, found '\(item)'") }
                // GSAS-II drops every space of a line before splitting it ("Gonio. radius" = "Gonio.radius").
                let key = parts[0].replacingOccurrences(of: " ", with: "")
                if key == "Type" { type = parts[1]; continue }
                if key == "InstrName" { continue }
                if key == "Diff-type" {
                    guard let stated = Geometry(gsas2Name: parts[1]) else {
                        throw .malformed(file: file, line: n + 1, "Diff-type '\(parts[1])' is not known (expected Debye-Scherrer or Bragg-Brentano)")
                    }
                    guard stated == geometry else {
                        throw .malformed(file: file, line: n + 1, "the file is for \(stated.rawValue) (Diff-type) but the refinement is \(geometry.rawValue); give --geometry \(stated.rawValue)")
                    }
                    continue
                }
                if ["Bank", "Source", "Azimuth"].contains(key) { if let v = Double(parts[1]) { values[key] = (v, n + 1) }; continue }
                if let earlier = values[key] {
                    throw .malformed(file: file, line: n + 1, "\(key) is given twice (lines \(earlier.1) and \(n + 1)); which one is meant?")
                }
                if key == "FP.emission" {
                    guard let lines = FundamentalParameters.namedEmission[parts[1]] else {
                        let known = FundamentalParameters.namedEmission.keys.sorted().joined(separator: " or ")
                        throw .malformed(file: file, line: n + 1, "FP.emission '\(parts[1])' is not known (expected \(known))")
                    }
                    emission = (parts[1], lines)
                    values[key] = (1, n + 1)
                    continue
                }
                if key == "FP.dispersion" {
                    guard let d = FundamentalParameters.Dispersion(rawValue: parts[1]) else {
                        throw .malformed(file: file, line: n + 1, "FP.dispersion '\(parts[1])' is not known (expected exact or linear)")
                    }
                    dispersion = d
                    values[key] = (0, n + 1)
                    continue
                }
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
        var instrument = Instrument(radiation: radiation, geometry: geometry, zero: v("Zero", 0), polarization: v("Polariz.", 0.5),
                          u: v("U", 0), v: v("V", 0), w: v("W", 1), x: v("X", 0), y: v("Y", 0), z: v("Z", 0),
                          shl: v("SH/L", 0.002), goniometerRadius: v("Gonio.radius", Instrument.gsas2GoniometerRadius))
        instrument.profileStatus = status
        instrument.fullAxial = try fullAxialGeometry(values, radius: instrument.goniometerRadius, file: file)
        if let sl = values["S/L"] {
            guard sl.0 > 0, sl.0 < instrument.shl else { throw .malformed(file: file, line: sl.1, "S/L must lie between 0 and SH/L (H/L = SH/L − S/L)") }
            instrument.sOverL = sl.0
        }
        if let r = values["Gonio.radius"], !(r.0 > 0) {
            throw .malformed(file: file, line: r.1, "Gonio. radius must be a positive length in mm")
        }
        // Fundamental-parameters profile (this project's keys): FP.emission (CuKa5, CuKa-Mendenhall2017);
        // FP.dispersion (exact, the default, or linear: where the emission lines fall, see `Dispersion`);
        // FP.passbandWidth and FP.passbandOffset (an analyser's Gaussian passband, FWHM and centre in Δλ/λ);
        // FP.radius (mm), FP.receivingSlit (mm), FP.divergence (°), FP.axialS and FP.axialH (axial half-lengths
        // of specimen and source/detector window, mm; S/L and H/L are these over the radius; with Axial.* keys
        // the full axial model replaces them); FP.tailMain, FP.tailLeft, FP.tailRight (mm), FP.tailHeight (TOPAS's
        // Tube_Tails: main focus width, the tails' reach left (≤ 0) and right, their height relative to the focus).
        if emission == nil {
            // An FP key without the profile it belongs to would be read and never used.
            let stray = values.filter { $0.key.hasPrefix("FP.") }.map { ($0.key, $0.value.1) }
            if let (key, line) = stray.min(by: { ($0.1, $0.0) < ($1.1, $1.0) }) {
                throw .malformed(file: file, line: line, "\(key) belongs to a fundamental-parameters profile, and the file has no FP.emission")
            }
        }
        if let (_, lines) = emission {
            // One goniometer: FP.radius is its radius for the displacement too, unless `Gonio. radius` says otherwise.
            let radius = v("FP.radius", values["Gonio.radius"]?.0 ?? 217.5)
            if values["Gonio.radius"] == nil { instrument.goniometerRadius = radius }
            var fp = FundamentalParameters(
                emission: lines, radius: radius, receivingSlit: v("FP.receivingSlit", 0.2),
                equatorialDivergence: v("FP.divergence", 1), sOverL: v("FP.axialS", 5) / radius, hOverL: v("FP.axialH", 5) / radius)
            let tailKeys = ["FP.tailMain", "FP.tailLeft", "FP.tailRight", "FP.tailHeight"]
            if let given = tailKeys.compactMap({ values[$0] }).first {
                let t = tailKeys.compactMap { values[$0]?.0 }
                guard t.count == 4, t[0] > 0, t[1] <= 0, t[2] >= 0, t[3] >= 0 else {
                    throw .malformed(file: file, line: given.1, "tube tails need FP.tailMain > 0, FP.tailLeft ≤ 0, FP.tailRight ≥ 0 (mm) and FP.tailHeight ≥ 0")
                }
                fp.tubeTails = .init(mainWidth: t[0], left: t[1], right: t[2], height: t[3])
            }
            if let width = values["FP.passbandWidth"] {
                // Within the bounds a refinement keeps them in, so that a file's value is one it could refine from.
                let widths = RefinementSettings.defaultBounds(.pattern(.profile(.passbandWidth)))
                let offsets = RefinementSettings.defaultBounds(.pattern(.profile(.passbandOffset)))
                guard widths.contains(width.0) else {
                    throw .malformed(file: file, line: width.1, "FP.passbandWidth must be a relative width (Δλ/λ) from \(widths.lowerBound) to \(widths.upperBound)")
                }
                let offset = values["FP.passbandOffset"]
                if let offset, !offsets.contains(offset.0) {
                    throw .malformed(file: file, line: offset.1, "FP.passbandOffset must be a relative offset (Δλ/λ) from \(offsets.lowerBound) to \(offsets.upperBound)")
                }
                fp.passband = .init(width: width.0, offset: offset?.0 ?? 0)
            } else if let offset = values["FP.passbandOffset"] {
                throw .malformed(file: file, line: offset.1, "FP.passbandOffset needs FP.passbandWidth (the passband's FWHM, Δλ/λ)")
            }
            fp.dispersion = dispersion ?? .exact
            instrument.fundamentalParameters = fp
            instrument.radiation = Radiation(wavelength: fp.primary.wavelength)
        }
        return instrument
    }

    /// The full axial model's geometry (this project's keys): Axial.source, Axial.sample, Axial.receiver (axial
    /// lengths, mm), Axial.primarySoller and Axial.secondarySoller (degrees; absent: no Soller slit); nil when
    /// the file gives none.
    static func fullAxialGeometry(_ values: [String: (Double, Int)], radius: Double, file: String) throws(FileError) -> AxialGeometry? {
        let keys = ["Axial.source", "Axial.sample", "Axial.receiver"]
        guard let given = keys.compactMap({ values[$0] }).first else { return nil }
        let lengths = keys.compactMap { values[$0]?.0 }
        guard lengths.count == 3, lengths.allSatisfy({ $0 > 0 }) else {
            throw .malformed(file: file, line: given.1, "the full axial model needs Axial.source, Axial.sample and Axial.receiver, each a positive length in mm")
        }
        let sollers = ["Axial.primarySoller", "Axial.secondarySoller"].map { values[$0] }
        for s in sollers.compactMap({ $0 }) where !(s.0 > 0) {
            throw .malformed(file: file, line: s.1, "a Soller angle must be positive (degrees; leave it out for none)")
        }
        return AxialGeometry(radius: radius, sourceLength: lengths[0], sampleLength: lengths[1], receiverLength: lengths[2],
                             primarySoller: sollers[0]?.0 ?? .infinity, secondarySoller: sollers[1]?.0 ?? .infinity)
    }

    /// The comment line that says what the profile is worth (`ProfileStatus`): `#rietveld profile: start` or
    /// `#rietveld profile: calibrated …`. Without it a file is taken as calibrated (GSAS-II users' files are).
    /// It must stand before the first parameter line: GSAS-II stops reading a bank at a comment after one.
    public static let statusPrefix = "#rietveld profile:"

    /// The `.instprm` text of an instrument (GSAS-II reads it back); `provenance` follows the profile status.
    public static func text(_ i: Instrument, comment: String? = nil, provenance: String? = nil) -> String {
        var out = "#GSAS-II instrument parameter file" + (comment.map { "; " + $0 } ?? "") + "\n"
        out += "\(statusPrefix) \(i.profileStatus.rawValue)" + (provenance.map { " " + $0 } ?? "") + "\n"
        out += "Type:PXC;Bank:1\n"
        let r = i.radiation
        if let l2 = r.secondWavelength {
            out += "Lam1:\(r.wavelength);Lam2:\(l2);I(L2)/I(L1):\(r.secondLineRatio);"
        } else {
            out += "Lam:\(r.wavelength);"
        }
        out += "Zero:\(i.zero);Polariz.:\(i.polarization);Azimuth:0.0\n"
        out += "U:\(i.u);V:\(i.v);W:\(i.w);X:\(i.x);Y:\(i.y);Z:\(i.z);SH/L:\(i.shl)\n"
        // This project's key (GSAS-II keeps it as an unknown item): S/L apart from H/L = SH/L − S/L.
        if let sl = i.sOverL { out += "S/L:\(sl)\n" }
        if let a = i.fullAxial {
            out += "Axial.source:\(a.sourceLength);Axial.sample:\(a.sampleLength);Axial.receiver:\(a.receiverLength)"
            if a.primarySoller.isFinite { out += ";Axial.primarySoller:\(a.primarySoller)" }
            if a.secondarySoller.isFinite { out += ";Axial.secondarySoller:\(a.secondarySoller)" }
            out += "\n"
        }
        out += "Gonio. radius:\(i.goniometerRadius)\n"
        if let fp = i.fundamentalParameters {
            let name = FundamentalParameters.namedEmission.first { $0.value == fp.emission }?.key ?? "CuKa5"
            out += "FP.emission:\(name);FP.radius:\(fp.radius);FP.receivingSlit:\(fp.receivingSlit);FP.divergence:\(fp.equatorialDivergence);"
            out += "FP.axialS:\(fp.sOverL * fp.radius);FP.axialH:\(fp.hOverL * fp.radius)"
            out += fp.dispersion == .exact ? "\n" : ";FP.dispersion:\(fp.dispersion.rawValue)\n"
            if let t = fp.tubeTails {
                out += "FP.tailMain:\(t.mainWidth);FP.tailLeft:\(t.left);FP.tailRight:\(t.right);FP.tailHeight:\(t.height)\n"
            }
            if let p = fp.passband { out += "FP.passbandWidth:\(p.width);FP.passbandOffset:\(p.offset)\n" }
        }
        return out
    }
}
