import ArgumentParser
import FileSupport
import Foundation
import PowderDiffraction
import Refinement
import Workflow

extension Geometry: ExpressibleByArgument {}
extension ModelConvention: ExpressibleByArgument {}
extension ProfileStatus: ExpressibleByArgument {}

/// Options shared by every command that models a pattern.
struct ModelArguments: ParsableArguments {
    @Option(help: "Sample geometry: \(Geometry.allCases.map(\.rawValue).joined(separator: ", ")).")
    var geometry: Geometry = .debyeScherrer

    @Option(name: .customLong("mu-r"), parsing: .unconditional, help: "Cylinder absorption μR (Debye–Scherrer), held fixed unless a recipe refines it.")
    var muR: Double = 0

    @Option(help: "Numerical conventions: exact, or gsas2 to reproduce GSAS-II (its FCJ quadrature, 50/75-FWHM windows, reflections only inside the data range).")
    var convention: ModelConvention = .exact

    @Option(help: "Threads for one model evaluation (1–64; the points are shared out in contiguous parts of at least 10,000). Default: the machine's cores — a pattern under 20,000 points is still evaluated on one, where waking a second thread costs more than it saves.")
    var threads: Int?

    @Option(name: .customLong("peak-window"), help: "Half-width of each peak's window in FWHMs (3–200; GSAS-II: 50 below, 75 above). A fundamental-parameters profile is drawn over its whole reach.")
    var peakWindow: Double?

    /// The model options these arguments set (the others at their defaults).
    var options: Workflow.ModelOptions {
        var o = Workflow.ModelOptions()
        o.geometry = geometry
        o.muR = muR
        o.convention = convention
        o.peakWindow = peakWindow
        if let threads { o.threads = threads }
        return o
    }

    func validate() throws {
        guard muR.isFinite, muR >= 0, muR <= 50 else { throw ValidationError("--mu-r must lie between 0 and 50") }
        if let threads, !(1...64).contains(threads) { throw ValidationError("--threads must lie between 1 and 64") }
        if let w = peakWindow { guard w >= 3, w <= 200 else { throw ValidationError("--peak-window must lie between 3 and 200 FWHMs") } }
    }
}

/// Whether the model takes the axial geometry a pattern states (refine, sequential, bench, calibrate).
struct StatedGeometryArguments: ParsableArguments {
    @Flag(name: .customLong("ignore-stated-geometry"), help: "Keep the instrument file's SH/L (FCJ asymmetry) even when the pattern states its axial geometry (a powder CIF's _pd_instr_* lengths and divergences), which otherwise draws the asymmetry of a start profile, or of one being calibrated, by the full axial model.")
    var ignore = false
}

/// The phases, instrument and background every refinement command needs.
struct PhaseArguments: ParsableArguments {
    @Option(name: .customLong("phase"), help: ArgumentHelp("A phase: [NAME=]FILE.cif; repeat for several, in the order reports use. NAME (a plain word) defaults to the CIF data block.", valueName: "[NAME=]FILE"))
    var phases: [String] = []

    @Option(name: .customLong("le-bail"), help: ArgumentHelp("Refine this phase by Le Bail extraction (cell and profile, free intensities, no weight fraction); repeatable. A CIF without atoms is Le Bail anyway.", valueName: "NAME"))
    var leBail: [String] = []

    @Option(help: "Instrument parameter file (GSAS-II .instprm or GSAS .prm).")
    var instrument: String

    @Option(name: .customLong("background-terms"), help: "Number of Chebyshev background terms (1–40).")
    var backgroundTerms = 13

    @Option(name: .customLong("uniaxial"), help: ArgumentHelp("Size and microstrain of this phase uniaxial along c (GSAS-II's uniaxial model: 'axial size', 'axial microstrain' beside the equatorial 'size' and 'microstrain'); repeatable.", valueName: "NAME"))
    var uniaxial: [String] = []

    @Option(name: .customLong("stephens"), help: ArgumentHelp("Stephens' generalized microstrain for this phase (hexagonal axes: S400, S004, S202, and S301 for −3 and −31m, as GSAS-II names them) instead of the isotropic one; repeatable.", valueName: "NAME"))
    var stephens: [String] = []

    @Option(name: .customLong("texture-harmonics"), help: ArgumentHelp("A fibre texture of this phase about c as a spherical-harmonic series 1 + Σ C_l P_l(cos φ) up to ORDER (2, 4, 6 or 8; default 6) instead of March–Dollase, for strong textures; repeatable.", valueName: "NAME[:ORDER]"))
    var textureHarmonics: [String] = []

    @Option(name: .customLong("instrument-profile"), help: ArgumentHelp("What the instrument file's profile is: calibrated (held; the sample's size and strain are refined) or start (U V W X Y and SH/L refined with the sample, size and strain held). Default: what the file says ('#rietveld profile: start'), else calibrated.", valueName: "calibrated|start"))
    var profileStatus: ProfileStatus?

    @OptionGroup var statedGeometry: StatedGeometryArguments

    func validate() throws {
        guard !phases.isEmpty else { throw ValidationError("give at least one --phase [NAME=]FILE.cif") }
        guard (1...40).contains(backgroundTerms) else { throw ValidationError("--background-terms must be between 1 and 40") }
        for p in phases { _ = try PhaseInput(argument: p) }
        _ = try harmonicOrders()
    }

    /// `--texture-harmonics NAME[:ORDER]` as a table (order 6 when not given).
    func harmonicOrders() throws -> [String: Int] {
        var out: [String: Int] = [:]
        for item in textureHarmonics {
            let parts = item.split(separator: ":", maxSplits: 1).map(String.init)
            guard let name = parts.first, !name.isEmpty else { throw ValidationError("--texture-harmonics expects NAME[:ORDER], got '\(item)'") }
            guard let order = parts.count == 2 ? Int(parts[1]) : 6 else { throw ValidationError("--texture-harmonics \(item): ORDER must be 2, 4, 6 or 8") }
            out[name] = order
        }
        return out
    }

    /// Sets what these arguments say of the model: background terms, Le Bail phases, the instrument profile's
    /// status, the stated geometry, uniaxial, Stephens and harmonic phases.
    func apply(to o: inout Workflow.ModelOptions) throws {
        o.backgroundTerms = backgroundTerms
        o.leBail = leBail
        o.profileStatus = profileStatus
        o.useStatedGeometry = !statedGeometry.ignore
        o.uniaxial = uniaxial
        o.stephens = stephens
        o.textureHarmonics = try harmonicOrders()
    }

    /// The phases as parsed (Le Bail phases are named in `leBail`, checked once the CIFs give the names).
    func inputs() throws -> [PhaseInput] { try phases.map { try PhaseInput(argument: $0) } }
}

/// A 2θ range START:END:STEP in degrees.
struct TwoThetaRange: ExpressibleByArgument {
    let start: Double, end: Double, step: Double

    init?(argument: String) {
        let f = argument.split(separator: ":").map { Double($0) }
        guard f.count == 3, let s = f[0], let e = f[1], let st = f[2], st > 0, e > s, s > 0, e < 180 else { return nil }
        start = s; end = e; step = st
    }

    /// Points a simulation will make (refused above `maximumPoints`).
    var count: Int { Int(((end - start) / step + 1e-9).rounded(.down)) + 1 }
    static let maximumPoints = 5_000_000

    var points: [Double] { (0..<count).map { start + Double($0) * step } }
}

/// The fitted 2θ range of `refine` and `sequential` (negative values accepted without `=`).
struct FittedRangeArguments: ParsableArguments {
    @Option(name: .customLong("two-theta-min"), parsing: .unconditional, help: "Lowest 2θ fitted (degrees).")
    var twoThetaMin: Double?

    @Option(name: .customLong("two-theta-max"), parsing: .unconditional, help: "Highest 2θ fitted (degrees).")
    var twoThetaMax: Double?

    func validate() throws {
        if let twoThetaMin, let twoThetaMax, twoThetaMin >= twoThetaMax {
            throw ValidationError("--two-theta-min (\(twoThetaMin)) must be below --two-theta-max (\(twoThetaMax))")
        }
    }
}

/// Prints refinement progress on stderr, one line per stage, and one per cycle once a stage has run for
/// `cycleLinesAfter` seconds (a synchrotron-size pattern, a slow machine).
struct ProgressLines {
    let quiet: Bool
    var cycleLinesAfter = 1.0

    /// When the current stage started.
    final class Clock: @unchecked Sendable { var stageStarted = Date() }

    func callback(names: @escaping @Sendable (Int) -> String) -> ((RefinementEvent) -> Void)? {
        guard !quiet else { return nil }
        let clock = Clock()
        return { event in
            switch event {
            case .stageStarted: clock.stageStarted = Date()
            case let .cycleFinished(stage, cycle, rwp):
                let elapsed = Date().timeIntervalSince(clock.stageStarted)
                if elapsed >= cycleLinesAfter {
                    Self.write("  stage \(stage + 1): cycle \(cycle), Rwp \(String(format: "%.3f", rwp)) %, \(String(format: "%.1f", elapsed)) s")
                }
            case let .structureHeld(stage, phases, shares):
                let list = zip(phases, shares).map { "\(names($0.0)) (\(String(format: "%.1f", 100 * $0.1)) % of the Bragg intensity)" }
                Self.write("  stage \(stage + 1): structure held for \(list.joined(separator: ", ")): too little signal or too few resolved peaks to refine it")
            case let .textureFound(stage, findings):
                for f in findings {
                    let other = f.passedOver.map { ", \($0.h)\($0.k)\($0.l) fitted about as well: the first of the crystal system's axes is kept" } ?? ""
                    Self.write("  stage \(stage + 1): preferred orientation of \(names(f.phase)) along \(f.axis.h)\(f.axis.k)\(f.axis.l), March–Dollase r \(String(format: "%.3f", f.ratio)) (χ² lower by \(String(format: "%.0f", f.significance)) χ²red\(other)): refined from here on")
                }
            case let .cellSearched(stage, f):
                let moved = f.factors.sorted { $0.key.rawValue < $1.key.rawValue }
                    .map { "\($0.key.name) \(String(format: "%+.2f", 100 * ($0.value - 1))) %" }.joined(separator: ", ")
                Self.write("  stage \(stage + 1): cell of \(names(f.phase)) searched (\(f.evaluations) evaluations): \(moved) from the start, χ² of the broadened fit \(String(format: "%.2f", f.chiSquaredRatio))× the start's")
            case let .strainHeld(stage, phases):
                Self.write("  stage \(stage + 1): microstrain of \(phases.map(names).joined(separator: ", ")) held: too few resolved peaks to tell it from the size")
            case let .cellHeld(stage, phases, shares):
                let list = zip(phases, shares).map { "\(names($0.0)) (\(String(format: "%.1f", 100 * $0.1)) %)" }
                Self.write("  stage \(stage + 1): cell of \(list.joined(separator: ", ")) held while peaks are broadened (a minor phase; refined in the next stage)")
            case let .stageFinished(index, count, s):
                Self.write("  stage \(index + 1)/\(count) \(s.name): \(s.parameters) parameters, \(s.iterations) cycles, Rwp \(String(format: "%.3f", s.rwp)) % over \(s.points) points, \(s.termination), \(String(format: "%.1f", s.seconds * 1000)) ms")
            }
        }
    }

    static func write(_ line: String) { StandardStreams.err((line + "\n")) }
}

/// The corrections of the weight fractions every command that reports them takes: Brindley's microabsorption
/// and each phase's intensity calibration on its pure-phase scan.
struct QuantityArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Brindley microabsorption correction: particle radius in µm per phase, e.g. corundum:5,zincite:5.", valueName: "NAME:µm,…"))
    var brindley: String?

    @Option(name: .customLong("intensity-calibration"), help: ArgumentHelp("JSON report of a refinement of one phase's pure-phase scan on the same instrument (flat specimen): its intensity per unit mass calibrates that phase's weight fraction (external standard per phase); repeat for every phase. The pure-phase scans must be measured alike (tube power, slits, counting time).", valueName: "FILE.json"))
    var intensityCalibration: [String] = []

    func validate() throws {
        if let b = brindley {
            for (_, r) in try namedValues(b, option: "--brindley", what: "µm") where !(r >= 0 && r < 1000) {
                throw ValidationError("--brindley: particle radii must lie between 0 and 1000 µm")
            }
        }
    }

    /// The request by phase name (resolved against the phases by `RefinementSetup.quantitativeAnalysis`).
    func request() throws -> QuantitativeRequest {
        var r = QuantitativeRequest()
        if let b = brindley { r.particleRadii = try namedValues(b, option: "--brindley", what: "µm").map { ($0.0, $0.1) } }
        r.calibrationReports = intensityCalibration
        return r
    }
}

/// Reads `NAME:VALUE,…` pairs (internal standard, Brindley radii).
func namedValues(_ text: String, option: String, what: String) throws -> [(String, Double)] {
    var out: [(String, Double)] = []
    for item in text.split(separator: ",") {
        let f = item.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
        guard f.count == 2, !f[0].isEmpty, let v = Double(f[1]), v.isFinite else {
            throw ValidationError("\(option): expected NAME:\(what)[,…], found '\(item)'")
        }
        out.append((f[0], v))
    }
    return out
}
