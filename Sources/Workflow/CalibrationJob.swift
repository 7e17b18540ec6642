import Crystallography
import FileSupport
import Foundation
import PowderDiffraction
import Refinement
import RietveldIO

/// A calibration as a command asks for it: a pattern of a standard (a certified SRM by name, or a CIF), and
/// optionally impurity phases, a starting instrument or just a wavelength.
public struct CalibrationJob: Sendable {
    public var pattern: String
    /// `LaB6`, `LaB6:660b`, `Si:640f`, `CeO2`, `Al2O3` … or a CIF file of the standard.
    public var standard: String
    public var impurities: [PhaseInput] = []
    public var instrument: String?
    public var wavelength: Double?
    public var options = ModelOptions()

    public init(pattern: String, standard: String) {
        self.pattern = pattern
        self.standard = standard
    }

    /// The standard's structure (certified cell), its name and where it came from.
    func standardStructure() throws -> (CrystalStructure, String) {
        if let srm = StandardReferenceMaterial.named(standard) { return (try srm.structure(), "SRM \(srm.srm)") }
        if standard.lowercased().hasSuffix(".cif") { return (try StructureCIF.read(URL(fileURLWithPath: standard)), standard) }
        throw WorkflowError.invalid("--standard \(standard): expected LaB6, Si, CeO2 or Al2O3 (optionally :SRM number, e.g. LaB6:660b, Si:640f) or a CIF file")
    }

    /// Refines the instrument on the standard; the result says whether its instrument may be written.
    public func run(events: ((RefinementEvent) -> Void)? = nil) throws -> CalibrationOutcome {
        let (standardStructure, source) = try standardStructure()
        let patternValue = try PatternFile.read(URL(fileURLWithPath: pattern), block: options.block)
        let instrument: Instrument
        if let path = self.instrument {
            instrument = try InstrumentFile.read(URL(fileURLWithPath: path), geometry: options.geometry)
        } else if let wavelength {
            // No file: the goniometer radius the pattern states, if any (displacements in real µm, the stated
            // axial geometry at its true scale), else GSAS-II's.
            instrument = Instrument(radiation: Radiation(wavelength: wavelength), geometry: options.geometry, u: 2, v: -1, w: 4, y: 1,
                                    goniometerRadius: patternValue.stated.radius ?? Instrument.gsas2GoniometerRadius)
        } else {
            throw WorkflowError.invalid("give a starting instrument file or a wavelength")
        }
        var options = self.options
        options.calibration = true
        var phases: [(PhaseInput, CrystalStructure)] = [(PhaseInput(name: PhaseInput.name(fromBlock: standardStructure.name), file: source), standardStructure)]
        for p in impurities { phases.append((p, try StructureCIF.read(URL(fileURLWithPath: p.file)))) }
        var setup = try RefinementSetup.make(pattern: patternValue, source: pattern, phases: phases, instrument: instrument, options: options)
        Calibration.prepare(&setup.model)
        let stages = Calibration.stages(for: setup.model, backgroundTerms: options.backgroundTerms)
        try setup.checkDetermined(by: stages)
        let result = Refiner.refine(setup.model, against: setup.pattern, stages: stages, settings: setup.settings, events: events)
        return CalibrationOutcome(result: result, setup: setup, rejection: Calibration.rejection(result))
    }
}

/// A calibration's refinement and whether its instrument may be used.
public struct CalibrationOutcome: Sendable {
    public let result: RefinementResult
    public let setup: RefinementSetup
    /// Why the instrument must not be written (nil: it may).
    public let rejection: String?

    /// The `.instprm` text of the calibrated instrument, marked as calibrated.
    public var instrumentText: String {
        let s = result.statistics
        let standard = result.model.phases[0]
        let comment = "calibrated by rietveld on \(setup.pattern.name) with \(standard.name) (a fixed at \(standard.lattice(.a)) Å), Rwp \(String(format: "%.2f", s.rwp)) %"
        var instrument = result.model.instrument
        instrument.profileStatus = .calibrated
        return InstrumentFile.text(instrument, comment: comment, provenance: "on \(setup.pattern.name) with \(standard.name)")
    }
}
