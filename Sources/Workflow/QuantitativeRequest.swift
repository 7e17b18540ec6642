import Foundation
import PowderDiffraction
import Refinement
import RietveldIO

/// What a command asks of the quantitative phase analysis, by phase name: an internal standard, Brindley
/// radii, and the pure-phase refinements' reports that calibrate each phase's intensity.
public struct QuantitativeRequest: Sendable {
    public var internalStandard: (name: String, fraction: Double)?
    public var particleRadii: [(name: String, radius: Double)] = []
    public var calibrationReports: [String] = []

    public init() {}

    /// What identifies the request in a sequential run's fingerprint: the names and numbers, and each
    /// calibration report's content.
    public var fingerprintText: String {
        var text = ""
        if let s = internalStandard { text += " standard:\(s.name):\(s.fraction)" }
        if !particleRadii.isEmpty { text += " brindley:" + particleRadii.map { "\($0.name):\($0.radius)" }.joined(separator: ",") }
        for path in calibrationReports { text += "\ncalibration:" + ((try? String(contentsOfFile: path, encoding: .utf8)) ?? path) }
        return text
    }
}

extension RefinementSetup {
    /// The request resolved against this setup's phases: names checked, each calibration report read and checked
    /// against its phase and the instrument, and every phase with a structure calibrated once calibrations are
    /// given.
    public func quantitativeAnalysis(_ request: QuantitativeRequest) throws -> QuantitativeAnalysis {
        var qpa = QuantitativeAnalysis()
        if let (name, fraction) = request.internalStandard {
            let p = try phaseIndex(name, option: "--internal-standard")
            guard model.phases[p].mode == .rietveld else {
                throw WorkflowError.invalid("--internal-standard: \(name) is a Le Bail phase, which has no weight fraction")
            }
            qpa.internalStandard = (p, fraction)
        }
        for (name, radius) in request.particleRadii {
            qpa.particleRadii[try phaseIndex(name, option: "--brindley")] = radius
        }
        for path in request.calibrationReports {
            let file = try IntensityCalibrationFile.read(path)
            let p = try phaseIndex(file.phase, option: "--intensity-calibration \(path)")
            guard model.phases[p].mode == .rietveld else {
                throw WorkflowError.invalid("--intensity-calibration \(path): \(file.phase) is a Le Bail phase, which has no weight fraction")
            }
            guard qpa.intensityCalibrations[p] == nil else { throw WorkflowError.invalid("--intensity-calibration: two calibrations for \(file.phase)") }
            if let why = file.mismatch(with: model.phases[p], instrument: model.instrument) {
                throw WorkflowError.invalid("--intensity-calibration \(path): not this phase or not the mixture's instrument (\(why))")
            }
            qpa.intensityCalibrations[p] = file.calibration
        }
        if !qpa.intensityCalibrations.isEmpty {
            guard model.instrument.geometry == .braggBrentano else {
                throw WorkflowError.invalid("--intensity-calibration: needs a flat specimen in reflection (--geometry bragg-brentano)")
            }
            for (p, phase) in model.phases.enumerated() where phase.mode == .rietveld && qpa.intensityCalibrations[p] == nil {
                throw WorkflowError.invalid("--intensity-calibration: phase \(phase.name) has none; every phase with a structure needs its own (the refinement of its pure-phase scan)")
            }
        }
        return qpa
    }
}
