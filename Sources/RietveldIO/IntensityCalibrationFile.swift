import FileSupport
import Foundation
import PowderDiffraction
import Refinement

/// A phase's intensity calibration read from the JSON report of a refinement of its pure-phase scan
/// (`rietveld refine PURE --phase NAME=… --json FILE`), with what the mixture's instrument must share.
public struct IntensityCalibrationFile: Sendable {
    public let phase: String
    public let calibration: IntensityCalibration
    /// What the phase is: its space group and atoms per cell by element.
    public let spaceGroup: String
    public let cellContents: [String: Double]
    public let geometry: String
    public let wavelength: Double
    public let polarization: Double

    /// Reads the report: `converged`, `instrument{geometry, wavelength, polarization}` and one phase with its
    /// `space_group`, `cell_contents` and an `intensity_constant` {value, esd} (a Rietveld phase refined alone on
    /// a flat specimen).
    public static func read(_ path: String) throws(FileError) -> IntensityCalibrationFile {
        let url = URL(fileURLWithPath: path)
        let data = try TextFile.data(url)
        guard let object = try? JSONSerialization.jsonObject(with: data), let root = object as? [String: Any] else {
            throw .unknownFormat(file: path, "not JSON with an object at the top (expected a rietveld refine --json report)")
        }
        guard let instrument = root["instrument"] as? [String: Any], let geometry = instrument["geometry"] as? String,
              let wavelength = (instrument["wavelength"] as? NSNumber)?.doubleValue,
              let polarization = (instrument["polarization"] as? NSNumber)?.doubleValue else {
            throw .missing(file: path, "no instrument{geometry, wavelength, polarization} (a report of this version's rietveld refine --json is needed)")
        }
        guard let phases = root["phases"] as? [[String: Any]] else { throw .missing(file: path, "no phases[] (expected a rietveld refine --json report)") }
        guard phases.count == 1, let entry = phases.first, let name = entry["name"] as? String else {
            throw .missing(file: path, "an intensity calibration is the refinement of one phase alone; this report has \(phases.count) phases")
        }
        guard root["converged"] as? Bool == true else {
            throw .missing(file: path, "the refinement of \(name) did not converge: its scale is no calibration")
        }
        guard let k = entry["intensity_constant"] as? [String: Any], let value = (k["value"] as? NSNumber)?.doubleValue, value.isFinite, value > 0 else {
            let why = entry["intensity_constant_unavailable"] as? String ?? "refined as a Le Bail phase, or not on a flat specimen (--geometry bragg-brentano)"
            throw .missing(file: path, "phase \(name) has no intensity_constant: \(why)")
        }
        guard let esd = (k["esd"] as? NSNumber)?.doubleValue, esd.isFinite, esd >= 0 else {
            throw .missing(file: path, "phase \(name): intensity_constant.esd is not a non-negative number (was its scale refined?)")
        }
        guard let spaceGroup = entry["space_group"] as? String, let contents = entry["cell_contents"] as? [String: Any],
              let cellContents = contents.mapValues({ ($0 as? NSNumber)?.doubleValue }) as? [String: Double] else {
            throw .missing(file: path, "phase \(name) has no space_group and cell_contents (a report of this version's rietveld refine --json is needed)")
        }
        return IntensityCalibrationFile(phase: name, calibration: IntensityCalibration(constant: value, esd: esd, source: path),
                                        spaceGroup: spaceGroup, cellContents: cellContents, geometry: geometry, wavelength: wavelength,
                                        polarization: polarization)
    }

    /// Why this calibration cannot serve `phase` of a mixture measured with `instrument`, or nil when it can: the
    /// same phase (space group, and each element's atoms per cell within 5 %) and the same geometry, wavelength
    /// and polarization (the scale's meaning depends on each).
    public func mismatch(with phase: Phase, instrument: Instrument) -> String? {
        if spaceGroup != phase.structure.spaceGroup.symbol { return "\(self.phase) there is in \(spaceGroup), here in \(phase.structure.spaceGroup.symbol)" }
        let here = phase.structure.cellContents
        let differs = Set(here.keys) != Set(cellContents.keys) || here.contains { element, count in
            cellContents[element].map { abs(count - $0) > 0.05 * max(count, $0) } ?? true
        }
        if differs {
            func formula(_ c: [String: Double]) -> String { c.keys.sorted().map { "\($0)\(EsdFormat.plain(c[$0]!))" }.joined(separator: " ") }
            return "\(self.phase) there has \(formula(cellContents)) per cell, here \(formula(here))"
        }
        if geometry != instrument.geometry.rawValue { return "measured in \(geometry), the mixture in \(instrument.geometry.rawValue)" }
        if abs(wavelength - instrument.radiation.wavelength) > 1e-6 { return "wavelength \(wavelength) Å, the mixture's \(instrument.radiation.wavelength) Å" }
        if abs(polarization - instrument.polarization) > 1e-6 { return "polarization \(polarization), the mixture's \(instrument.polarization)" }
        return nil
    }
}
