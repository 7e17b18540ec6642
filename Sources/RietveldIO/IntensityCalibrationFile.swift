import FileSupport
import Foundation
import PowderDiffraction
import Refinement

/// A phase's intensity calibration read from the JSON report of a refinement of its pure-phase scan
/// (`rietveld refine PURE --phase NAME=… --json FILE`), with what the mixture's instrument must share.
public struct IntensityCalibrationFile: Sendable {
    public let phase: String
    public let calibration: IntensityCalibration
    public let geometry: String
    public let wavelength: Double
    public let secondLineRatio: Double
    public let polarization: Double

    /// Reads the report: `instrument{geometry, wavelength, second_line_ratio, polarization}` and one phase with
    /// an `intensity_constant` (a Rietveld phase refined alone on a flat specimen).
    public static func read(_ path: String) throws(FileError) -> IntensityCalibrationFile {
        let url = URL(fileURLWithPath: path)
        let data = try TextFile.data(url)
        guard let object = try? JSONSerialization.jsonObject(with: data), let root = object as? [String: Any] else {
            throw .unknownFormat(file: path, "not JSON with an object at the top (expected a rietveld refine --json report)")
        }
        guard let instrument = root["instrument"] as? [String: Any], let geometry = instrument["geometry"] as? String,
              let wavelength = (instrument["wavelength"] as? NSNumber)?.doubleValue,
              let ratio = (instrument["second_line_ratio"] as? NSNumber)?.doubleValue,
              let polarization = (instrument["polarization"] as? NSNumber)?.doubleValue else {
            throw .missing(file: path, "no instrument{geometry, wavelength, second_line_ratio, polarization} (a report of this version's rietveld refine --json is needed)")
        }
        guard let phases = root["phases"] as? [[String: Any]] else { throw .missing(file: path, "no phases[] (expected a rietveld refine --json report)") }
        let rietveld = phases.filter { ($0["mode"] as? String) == "rietveld" }
        guard rietveld.count == 1, let entry = rietveld.first, let name = entry["name"] as? String else {
            throw .missing(file: path, "an intensity calibration is the refinement of one phase alone; this report has \(rietveld.count) phases with a structure")
        }
        guard let k = entry["intensity_constant"] as? [String: Any], let value = (k["value"] as? NSNumber)?.doubleValue, value.isFinite, value > 0 else {
            throw .missing(file: path, "phase \(name) has no positive intensity_constant (refined on a flat specimen, --geometry bragg-brentano?)")
        }
        let esd = (k["esd"] as? NSNumber)?.doubleValue
        if let esd, !(esd.isFinite && esd >= 0) { throw .missing(file: path, "phase \(name): intensity_constant.esd is not a non-negative number") }
        return IntensityCalibrationFile(phase: name, calibration: IntensityCalibration(constant: value, esd: esd, source: path),
                                        geometry: geometry, wavelength: wavelength, secondLineRatio: ratio, polarization: polarization)
    }

    /// Why this calibration cannot serve a mixture measured with `instrument`, or nil when it can: the same
    /// geometry, wavelength, Kα2 ratio and polarization (the scale's meaning depends on each).
    public func mismatch(with instrument: Instrument) -> String? {
        if geometry != instrument.geometry.rawValue { return "measured in \(geometry), the mixture in \(instrument.geometry.rawValue)" }
        if abs(wavelength - instrument.radiation.wavelength) > 1e-6 { return "wavelength \(wavelength) Å, the mixture's \(instrument.radiation.wavelength) Å" }
        if abs(secondLineRatio - instrument.radiation.secondLineRatio) > 1e-6 { return "Kα2/Kα1 \(secondLineRatio), the mixture's \(instrument.radiation.secondLineRatio)" }
        if abs(polarization - instrument.polarization) > 1e-6 { return "polarization \(polarization), the mixture's \(instrument.polarization)" }
        return nil
    }
}
