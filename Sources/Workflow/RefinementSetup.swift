import Crystallography
import FileSupport
import Foundation
import PowderDiffraction
import Refinement
import RietveldIO

/// Problems with what a command asked for (as opposed to a file that cannot be read).
public enum WorkflowError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidPhaseName(String)
    case duplicatePhaseName(String)
    case unknownPhase(option: String, name: String, known: [String])
    case noReflectionsInRange(phase: String, file: String, range: ClosedRange<Double>)
    case rangeOutsideData(file: String, low: Double, high: Double, data: ClosedRange<Double>)
    case invalid(String)

    public var description: String {
        switch self {
        case .invalidPhaseName(let n): return "phase name '\(n)' is not a plain word (letters, digits, _ and -, starting with a letter)"
        case .duplicatePhaseName(let n): return "two phases are named '\(n)'; give each --phase a distinct NAME=FILE"
        case let .unknownPhase(option, name, known): return "\(option): no phase is named '\(name)' (phases: \(known.joined(separator: ", ")))"
        case let .noReflectionsInRange(phase, file, range):
            return "\(file): phase \(phase) has no reflection in the fitted range \(EsdFormat.plain(range.lowerBound))–\(EsdFormat.plain(range.upperBound))° (check its cell and the wavelength)"
        case let .rangeOutsideData(file, low, high, data):
            return "\(file): 2θ range \(EsdFormat.plain(low))–\(EsdFormat.plain(high))° does not overlap the data (\(EsdFormat.plain(data.lowerBound))–\(EsdFormat.plain(data.upperBound))°)"
        case .invalid(let why): return why
        }
    }
}

/// A phase as given on the command line: `[NAME=]FILE.cif`, refined by Rietveld or Le Bail.
public struct PhaseInput: Sendable, Equatable {
    public var name: String?
    public var file: String
    public var leBail = false

    public init(name: String? = nil, file: String, leBail: Bool = false) {
        self.name = name
        self.file = file
        self.leBail = leBail
    }

    /// Parses `NAME=FILE` or `FILE`.
    public init(argument: String) throws(WorkflowError) {
        if let eq = argument.firstIndex(of: "="), !argument[..<eq].contains("/") {
            let name = String(argument[..<eq])
            guard Self.isPlainWord(name) else { throw .invalidPhaseName(name) }
            self.init(name: name, file: String(argument[argument.index(after: eq)...]))
        } else {
            self.init(file: argument)
        }
    }

    /// Letters, digits, `_` and `-`, starting with a letter: safe in recipes (`NAME: a`), CSV columns and files.
    public static func isPlainWord(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, CharacterSet.letters.contains(first) else { return false }
        return s.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-" }
    }

    /// A plain-word name made from a CIF data block name (other characters become `_`).
    static func name(fromBlock block: String) -> String {
        var s = String(block.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-" ? Character($0) : "_" })
        if s.isEmpty || !(s.unicodeScalars.first.map(CharacterSet.letters.contains) ?? false) { s = "phase_" + s }
        return s
    }
}

/// How the model of a refinement is built, besides its files.
public struct ModelOptions: Sendable {
    public var geometry: Geometry = .debyeScherrer
    public var muR = 0.0
    public var convention: ModelConvention = .exact
    public var backgroundTerms = 13
    /// The fitted 2θ range (degrees); nil ends: the data's.
    public var range: (low: Double?, high: Double?) = (nil, nil)
    /// Pattern block of a powder CIF with several.
    public var block: String?
    public var peakWindow: Double?
    /// Threads for one evaluation (see `PatternModel.evaluate`): the machine's cores by default.
    public var threads = min(64, ProcessInfo.processInfo.activeProcessorCount)
    /// Phases (by name) refined by Le Bail extraction instead of their structure.
    public var leBail: [String] = []
    /// Phases (by name) whose size and microstrain are uniaxial along c (see `Phase.axialSize`).
    public var uniaxial: [String] = []
    /// Phases (by name) whose microstrain is Stephens' generalized one (see `StephensMicrostrain`).
    public var stephens: [String] = []
    /// Phases (by name) with a spherical-harmonic fibre texture, and its order (even, 2–8; see
    /// `Phase.textureHarmonics`).
    public var textureHarmonics: [String: Int] = [:]
    /// What the instrument file's profile is taken for, whatever it says of itself (nil: what it says).
    public var profileStatus: ProfileStatus?
    /// Whether a start instrument without an axial geometry takes the one the pattern file states (see
    /// `RefinementSetup.statedAxialGeometry`).
    public var useStatedGeometry = true
    /// Whether the model is built to calibrate its instrument: the profile is refined whatever the file says
    /// of itself (as for a start).
    public var calibration = false

    public init() {}
}

/// The pattern, model and settings of a refinement.
public struct RefinementSetup: Sendable {
    public var pattern: Pattern
    public var model: PatternModel
    public var settings: RefinementSettings
    /// Each phase's structure file, in phase order (for reports).
    public var phaseFiles: [String]
    /// How the model differs from what the instrument file alone would give, one sentence each (for the
    /// command to say).
    public var notes: [String] = []

    /// GSAS-II's defaults for a new phase: size 1 µm, microstrain 1000 × 10⁻⁶.
    public static let defaultSize = 1.0, defaultMicrostrain = 1000.0

    /// Reads the pattern, the phases' CIFs and the instrument file, and builds the model.
    public static func load(pattern patternPath: String, phases: [PhaseInput], instrument instrumentPath: String,
                            options: ModelOptions) throws -> RefinementSetup {
        let pattern = try PatternFile.read(URL(fileURLWithPath: patternPath), block: options.block)
        var instrument = try InstrumentFile.read(URL(fileURLWithPath: instrumentPath), geometry: options.geometry)
        if let s = options.profileStatus { instrument.profileStatus = s }
        var structures: [(PhaseInput, CrystalStructure)] = []
        for p in phases { structures.append((p, try StructureCIF.read(URL(fileURLWithPath: p.file)))) }
        return try make(pattern: pattern, source: patternPath, phases: structures, instrument: instrument, options: options)
    }

    /// Builds the model from values already read: phases named (and checked), reflections in range,
    /// starting scale and background the way users start.
    public static func make(pattern: Pattern, source: String, phases: [(PhaseInput, CrystalStructure)], instrument: Instrument,
                            options: ModelOptions) throws -> RefinementSetup {
        guard !phases.isEmpty else { throw WorkflowError.invalid("no phase given; add --phase FILE.cif") }
        guard let first = pattern.twoTheta.first, let last = pattern.twoTheta.last else {
            throw FileError.malformed(file: source, line: 1, "the pattern has no points")
        }
        guard first > 0, last < 180 else {
            throw WorkflowError.invalid("\(source): 2θ runs from \(EsdFormat.plain(first)) to \(EsdFormat.plain(last))°; expected values between 0 and 180°")
        }
        guard let top = pattern.intensity.max(), let bottom = pattern.intensity.min(), top > 0, top > bottom else {
            throw WorkflowError.invalid("\(source): the pattern has no signal (every intensity is \(EsdFormat.plain(pattern.intensity.first ?? 0)))")
        }
        let low = options.range.low ?? first, high = options.range.high ?? last
        guard low < high, low <= last, high >= first else {
            throw WorkflowError.rangeOutsideData(file: source, low: low, high: high, data: first...last)
        }
        let fitted = pattern.restricted(to: low, high)
        var inst = instrument
        inst.asymmetryQuadrature = options.convention.asymmetryQuadrature
        var notes: [String] = []
        if let stated = pattern.stated.wavelengths.first, abs(stated - inst.radiation.wavelength) > 1e-4 * stated {
            notes.append("\(source) states a wavelength of \(EsdFormat.plain(stated)) Å; the instrument file's \(EsdFormat.plain(inst.radiation.wavelength)) Å is used")
        }
        if options.useStatedGeometry,
           let axial = try statedAxialGeometry(for: inst, pattern: pattern, refinesProfile: inst.profileStatus == .start || options.calibration) {
            inst.fullAxial = axial
            notes.append(statedAxialNote(axial, source: source))
        }
        if inst.fundamentalParameters?.dispersion == .linear {
            notes.append("emission lines placed by the linear dispersion about the primary line (FP.dispersion:linear, NIST's FPA convention), not by Bragg's law per line")
        }
        let dMin = PatternModel.dMin(wavelength: inst.radiation.wavelength, lastTwoTheta: fitted.twoTheta.last ?? high,
                                     margin: options.convention.reflectionMargin)
        var models: [Phase] = []
        var names = Set<String>()
        for (input, structure) in phases {
            let name = input.name ?? PhaseInput.name(fromBlock: structure.name)
            guard names.insert(name).inserted else { throw WorkflowError.duplicatePhaseName(name) }
            let mode: PhaseMode = input.leBail || options.leBail.contains(name) || structure.atoms.isEmpty ? .leBail : .rietveld
            // With a start profile the default strategy refines X and Y, which carry the Lorentzian size and
            // strain broadening exactly (1/cosθ, tanθ): the sample's own terms start, and stay, at none.
            let held = DefaultStrategy.holdsSampleBroadening(inst)
            var phase = try Phase(structure: structure, wavelength: inst.radiation.wavelength, dMin: dMin,
                                  size: held ? Calibration.instrumentalSize : defaultSize,
                                  microstrain: held ? 0 : defaultMicrostrain, name: name, mode: mode)
            let range = (fitted.twoTheta.first ?? low)...(fitted.twoTheta.last ?? high)
            guard phase.reflections.contains(where: { $0.twoTheta(wavelength: inst.radiation.wavelength).map(range.contains) ?? false }) else {
                throw WorkflowError.noReflectionsInRange(phase: name, file: input.file, range: range)
            }
            try applyBroadeningAndTexture(to: &phase, name: name, options: options)
            models.append(phase)
        }
        // Options that name phases must name given ones.
        for (option, named) in [("--le-bail", options.leBail), ("--uniaxial", options.uniaxial), ("--stephens", options.stephens),
                                ("--texture-harmonics", options.textureHarmonics.keys.sorted())] {
            for name in named where !names.contains(name) {
                throw WorkflowError.unknownPhase(option: option, name: name, known: models.map(\.name))
            }
        }
        let background = ChebyshevBackground(coefficients: [], low: fitted.twoTheta.first ?? low,
                                             high: max(fitted.twoTheta.last ?? high, (fitted.twoTheta.first ?? low) + 1e-6))
        var model = PatternModel(twoTheta: fitted.twoTheta, instrument: inst, background: background, phases: models)
        model.muR = options.muR
        model.apply(options.convention, peakWindow: options.peakWindow)
        model.threads = options.threads
        StartingValues.apply(to: &model, pattern: fitted, backgroundTerms: options.backgroundTerms)
        return RefinementSetup(pattern: fitted, model: model, settings: RefinementSettings(), phaseFiles: phases.map(\.0.file), notes: notes)
    }

    /// The full axial model's geometry from what the pattern file states, for a Bragg–Brentano instrument
    /// whose profile is refined (a start, or a calibration) with no axial geometry of its own; a stated
    /// geometry that cannot be used is then an error. FCJ's SH/L alone (GSAS-II's model) does not
    /// follow a measured asymmetry over a wide range: NIST's SRM 660c scan by default gives a +19 ppm from
    /// NIST's value with it, +5 ppm with the full axial model of the geometry its CIF states. A calibrated
    /// file, a fundamental-parameters profile or a file with `Axial.*` keys is used as it is. Nil: nothing to
    /// take.
    static func statedAxialGeometry(for instrument: Instrument, pattern: Pattern, refinesProfile: Bool) throws(WorkflowError) -> AxialGeometry? {
        guard instrument.geometry == .braggBrentano, refinesProfile, instrument.fullAxial == nil, instrument.fundamentalParameters == nil else { return nil }
        if let problem = pattern.stated.axialProblem { throw .invalid("\(problem); or give --ignore-stated-geometry") }
        // The lengths and the distance come from the same statement: the stated radius, else the instrument's.
        return pattern.stated.axial.map { $0.geometry(radius: pattern.stated.radius ?? instrument.goniometerRadius) }
    }

    /// The note saying so, with the values used.
    static func statedAxialNote(_ a: AxialGeometry, source: String) -> String {
        let mm = { (v: Double) in String(format: "%.4g mm", v) }, deg = { (v: Double) in String(format: "±%.4g°", v) }
        return "axial divergence by the full axial model of the geometry \(source) states (radius \(mm(a.radius)), source \(mm(a.sourceLength)), specimen "
            + "\(mm(a.sampleLength)), Soller slits \(deg(a.primarySoller)) and \(deg(a.secondarySoller)); receiver not stated: "
            + "\(mm(a.receiverLength)), all the slit passes): the Soller angle is refined in place of SH/L (--ignore-stated-geometry keeps SH/L)"
    }

    /// The broadening and texture models the options ask for a phase (each starts where the plain model is:
    /// isotropic, untextured), or one line on why the phase cannot have them.
    static func applyBroadeningAndTexture(to phase: inout Phase, name: String, options: ModelOptions) throws(WorkflowError) {
        if options.uniaxial.contains(name) {
            // The unique axis is c*: the cell must have c ⟂ a, b (hexagonal, trigonal, tetragonal, orthorhombic).
            guard abs(phase.lattice(.alpha) - 90) < 1e-9, abs(phase.lattice(.beta) - 90) < 1e-9 else {
                throw WorkflowError.invalid("--uniaxial \(name): uniaxial broadening is along c and needs α = β = 90° (this cell has α \(EsdFormat.plain(phase.lattice(.alpha)))°, β \(EsdFormat.plain(phase.lattice(.beta)))°)")
            }
            // It starts isotropic: the axial terms at the equatorial ones.
            (phase.axialSize, phase.axialMicrostrain) = (phase.size, phase.microstrain)
        }
        if options.stephens.contains(name) {
            guard let terms = StephensMicrostrain.terms(for: phase.structure.spaceGroup) else {
                throw WorkflowError.invalid("--stephens \(name): the generalized microstrain is built for hexagonal axes (6/m, 6/mmm, −3m1, −3, −31m); this phase is \(phase.structure.spaceGroup.crystalSystem)")
            }
            guard !options.uniaxial.contains(name) else {
                throw WorkflowError.invalid("--stephens \(name): a phase has either uniaxial or generalized microstrain, not both")
            }
            // It starts isotropic, at the phase's microstrain (or 1000 × 10⁻⁶ when that is held at none).
            phase.stephensTerms = terms
            phase.stephens = StephensMicrostrain.isotropic(phase.microstrain > 0 ? phase.microstrain : defaultMicrostrain,
                                                           a: phase.lattice(.a), c: phase.lattice(.c), terms: terms)
        }
        if let order = options.textureHarmonics[name] {
            guard order >= 2, order <= 8, order % 2 == 0 else {
                throw WorkflowError.invalid("--texture-harmonics \(name):\(order): the order must be 2, 4, 6 or 8")
            }
            // No texture to start with; March–Dollase is replaced.
            phase.textureHarmonics = [Double](repeating: 0, count: order / 2)
            phase.marchDollase = 1
        }
    }

    /// Refuses stages that would fit more parameters than the points they see (a fit that "converges" on four
    /// points for 24 parameters proves nothing).
    public func checkDetermined(by stages: [RefinementStage]) throws(WorkflowError) {
        for s in stages {
            let points = settings.weights(pattern, twoThetaMax: s.window(fitted: settings.range, measured: pattern.range).twoThetaMax).filter { $0 > 0 }.count
            guard points > s.parameters.count else {
                throw .invalid("\(pattern.name): stage '\(s.name)' has \(points) point\(points == 1 ? "" : "s") to fit \(s.parameters.count) parameters (check the 2θ range and excluded regions)")
            }
        }
    }

    /// The index of a phase by name, for options that name one.
    public func phaseIndex(_ name: String, option: String) throws(WorkflowError) -> Int {
        guard let i = model.phases.firstIndex(where: { $0.name == name }) else {
            throw .unknownPhase(option: option, name: name, known: model.phases.map(\.name))
        }
        return i
    }
}
