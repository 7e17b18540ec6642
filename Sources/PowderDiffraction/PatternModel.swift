import Crystallography
import Foundation
import NumericCore

/// One reflection line as placed in the calculated pattern (for tick marks, R_Bragg and reports).
public struct PlacedReflection: Sendable {
    public let phase: Int
    public let index: MillerIndex
    public let multiplicity: Int
    /// Peak position in degrees (zero and displacement included).
    public let twoTheta: Double
    /// Integrated intensity of the line (scale, m, |F|², Lp, absorption, texture, line ratio).
    public let intensity: Double
    /// True for the Kα2 copy.
    public let isSecondLine: Bool
}

/// The calculated pattern and, when asked, its derivatives.
public struct ModelEvaluation: Sendable {
    public var calculated: [Double]
    public var background: [Double]
    /// points × parameters, column-major, in the order the parameters were requested.
    public var jacobian: Matrix?
    public var reflections: [PlacedReflection]
    /// The window and quadrature used for each phase and reflection.
    public var peakLayout: [[PeakLayout]]
    /// Per placed reflection, its intensity at each point it covers (only when recorded).
    public var reflectionProfiles: [[(index: Int, value: Double)]]
    /// Per phase, its Bragg intensity at each point (only when phases were separated; empty otherwise).
    public var phaseCalculated: [[Double]] = []
}

/// Where one reflection's lines are evaluated and how finely its asymmetry is integrated.
public struct PeakLayout: Sendable, Equatable {
    /// FCJ quadrature nodes per interval.
    public var asymmetryNodes: Int
    /// Grid step (rad) of the full axial model's sub-peaks (0: not laid out).
    public var axialStep = 0.0
    /// How many lines (Kα1, then Kα2) have a range.
    public private(set) var lines = 0
    private var first = 0..<0, second = 0..<0

    public init(asymmetryNodes: Int) { self.asymmetryNodes = asymmetryNodes }

    /// Point index range of line 0 (Kα1) or 1 (Kα2); nil when not laid out.
    public func range(line: Int) -> Range<Int>? { line < lines ? (line == 0 ? first : second) : nil }

    /// Sets a line's range (setting the Kα2 line lays out an empty Kα1 range if it had none).
    public mutating func setRange(_ range: Range<Int>, line: Int) {
        precondition(line == 0 || line == 1, "a peak has a Kα1 and a Kα2 line")
        if line == 0 { first = range } else { second = range }
        lines = max(lines, line + 1)
    }
}

/// yc(2θ) = background + Σ_phases Σ_reflections I_h · Φ(2θ − 2θ_h) with analytic derivatives.
///
/// For each reflection: 2θ_h from Bragg's law at the current cell plus zero and geometry shifts; σ² and γ
/// from the instrument (Caglioti U, V, W; X, Y, Z) plus size and strain; Φ the TCH pseudo-Voigt with FCJ
/// asymmetry; I_h = scale · m · |F|² · Lp · A · P_MD (× I(Kα2)/I(Kα1) for the Kα2 copy, which GSAS-II-like
/// keeps the widths of the Kα1 peak). Each peak is evaluated only inside its window (see
/// `windowLowFWHMs`, `windowHighFWHMs`). The work per point is independent of the pattern length.
public struct PatternModel: Sendable {
    public var twoTheta: [Double]
    public var instrument: Instrument
    public var background: ChebyshevBackground
    public var phases: [Phase]
    /// Debye–Scherrer displacements (µm) or Bragg–Brentano displacement and transparency.
    public var displacementPerpendicular = 0.0, displacementParallel = 0.0
    public var specimenDisplacement = 0.0, transparency = 0.0
    /// Cylinder μR (Debye–Scherrer only).
    public var muR = 0.0

    /// Peak window, low-angle side, in FWHMs. GSAS-II uses 50 below and 75 above (reversed past 90°); 30
    /// changes refined values by < 0.05 esd on the GSAS-II LiNiO2 simulation (pure-Lorentzian size tails are
    /// the longest) and takes half the time.
    public var windowLowFWHMs = 30.0
    /// Peak window, high-angle side, in FWHMs.
    public var windowHighFWHMs = 30.0

    /// Both peak windows `fwhms` FWHMs wide (`--peak-window`, a recipe's `peak_window`); a fundamental-parameters
    /// profile is drawn over its whole reach whatever they are.
    public mutating func setPeakWindow(_ fwhms: Double) { (windowLowFWHMs, windowHighFWHMs) = (fwhms, fwhms) }
    /// A convention's peak windows (unless `peakWindow` FWHMs are asked for both) and reflection margin.
    public mutating func apply(_ convention: ModelConvention, peakWindow: Double?) {
        (windowLowFWHMs, windowHighFWHMs) = convention.window
        if let peakWindow { setPeakWindow(peakWindow) }
        reflectionMargin = convention.reflectionMargin
    }
    /// Threads an evaluation may use (its points shared out in parts of at least `pointsPerThread`; 1 = this thread only).
    public var threads = 1
    /// Fewest points worth a thread of their own in one evaluation. Measured (release, this project's 2-core
    /// VM, LiNiO2 3–60°, yc and a 24-column Jacobian): 11,401 points 1.08 ms on one thread, 1.20 ms on two;
    /// 28,501 points 3.35 ms on one, 2.18 ms on two — waking the second thread costs a few tenths of a ms.
    public var pointsPerThread = 10_000
    /// Reflections are taken up to this many degrees past the last point (see `ModelConvention`).
    public var reflectionMargin = 2.0
    /// Per phase and reflection: the FCJ quadrature and the point range of each line, fixed by
    /// `freezePeakLayout()`; empty = chosen afresh at every evaluation.
    public var peakLayout: [[PeakLayout]] = []

    /// The Chebyshev basis on the grid, computed once and shared by copies of the model (re-made when the
    /// grid, range or number of terms changes).
    let backgroundBasisCache = BasisCache()
    /// Convolved fundamental-parameters shapes, reused across evaluations.
    let fundamentalParametersCache = FundamentalParametersCache()
    /// The full axial model's quadrature (see `FullAxialCache`).
    let fullAxialCache = FullAxialCache()

    public init(twoTheta: [Double], instrument: Instrument, background: ChebyshevBackground, phases: [Phase]) {
        self.twoTheta = twoTheta
        self.instrument = instrument
        self.background = background
        self.phases = phases
    }

    // MARK: parameter values

    /// The current value of a parameter, in its user units.
    public func value(of p: ModelParameter) -> Double {
        switch p {
        case .pattern(let q): return value(of: q)
        case let .phase(i, q): return phases[i].value(of: q)
        }
    }

    /// Sets a parameter; throws when the value makes the cell impossible.
    public mutating func setValue(_ v: Double, for p: ModelParameter) throws(CrystallographyError) {
        switch p {
        case .pattern(let q): setValue(v, for: q)
        case let .phase(i, q): try phases[i].setValue(v, for: q)
        }
    }

    func value(of p: PatternParameter) -> Double {
        switch p {
        case .background(let k): return k < background.coefficients.count ? background.coefficients[k] : 0
        case .zero: return instrument.zero
        case .displacementPerpendicular: return displacementPerpendicular
        case .displacementParallel: return displacementParallel
        case .specimenDisplacement: return specimenDisplacement
        case .transparency: return transparency
        case .muR: return muR
        case .profile(let t): return instrument.value(of: t)
        case .secondLineRatio: return instrument.radiation.secondLineRatio
        }
    }

    mutating func setValue(_ v: Double, for p: PatternParameter) {
        switch p {
        case .background(let k):
            while background.coefficients.count <= k { background.coefficients.append(0) }
            background.coefficients[k] = v
        case .zero: instrument.zero = v
        case .displacementPerpendicular: displacementPerpendicular = v
        case .displacementParallel: displacementParallel = v
        case .specimenDisplacement: specimenDisplacement = v
        case .transparency: transparency = v
        case .muR: muR = v
        case .profile(let t): instrument.setValue(v, for: t)
        case .secondLineRatio: instrument.radiation.secondLineRatio = v
        }
    }

    // MARK: geometry

    /// Geometric peak shift in degrees at Bragg angle 2θ (degrees) and its derivative per degree, following
    /// GSAS-II: Debye–Scherrer −c(Dx cos2θ + Dy sin2θ), Bragg–Brentano −c(4 s cosθ + 100 T sin2θ), with
    /// c = 0.09/(π R), R the goniometer radius in mm and displacements in µm.
    func geometricShift(_ tt: Double) -> (shift: Double, dTwoTheta: Double, dFirst: Double, dSecond: Double) {
        let c = 0.09 / (Double.pi * instrument.goniometerRadius)
        let r = Double.pi / 180
        switch instrument.geometry {
        case .debyeScherrer:
            let (c2, s2) = (cos(tt * r), sin(tt * r))
            let shift = -c * (displacementPerpendicular * c2 + displacementParallel * s2)
            let d = -c * (-displacementPerpendicular * s2 + displacementParallel * c2) * r
            return (shift, d, -c * c2, -c * s2)
        case .braggBrentano:
            let (ct, st, s2, c2) = (cos(tt * r / 2), sin(tt * r / 2), sin(tt * r), cos(tt * r))
            // An FP profile draws the transparency as a convolution (`FundamentalParameters`), not as this shift.
            let t = instrument.fundamentalParameters == nil ? transparency : 0
            let shift = -c * (4 * specimenDisplacement * ct + 100 * t * s2)
            let d = -c * (-2 * specimenDisplacement * st + 100 * t * c2) * r
            return (shift, d, -c * 4 * ct, -c * 100 * s2)
        }
    }

    // MARK: evaluation

    /// The smallest d whose reflection lies within `margin` degrees past the last point (a hair below, so a
    /// reflection exactly at the limit is kept).
    public static func dMin(wavelength: Double, lastTwoTheta: Double, margin: Double) -> Double {
        wavelength / (2 * sin(min(lastTwoTheta + margin, 179.9) * Double.pi / 360)) * (1 - 1e-9)
    }

    /// Fixes each peak's window (the points it is evaluated on) and its FCJ quadrature at what they are now.
    /// Both are chosen from the current widths and positions, so they jump when parameters cross a
    /// threshold; frozen, yc is a smooth function of every parameter and the analytic derivatives are exact.
    /// A refinement freezes the layout at the start of each stage.
    public mutating func freezePeakLayout() {
        releasePeakLayout()
        peakLayout = evaluate().peakLayout
    }

    /// Brings the reflection lists up to the current cell and empties the peak layout, so that the next
    /// evaluation chooses it afresh; a caller that keeps that evaluation's layout (as a refinement does) has
    /// frozen it without an extra evaluation.
    public mutating func releasePeakLayout() {
        peakLayout = []
        // The reflections in range follow the cell: regenerate them so that a peak that moved past the upper
        // limit (or into it) is dropped (or taken) as the convention says.
        if let last = twoTheta.last {
            let dMin = Self.dMin(wavelength: instrument.radiation.wavelength, lastTwoTheta: last, margin: reflectionMargin)
            for p in phases.indices { phases[p].regenerateReflections(dMin: dMin) }
        }
    }

    /// The calculated pattern, with ∂yc/∂p for each parameter of `parameters` (columns in that order).
    /// With `recordingProfiles`, each placed reflection's contribution to every point is kept (for R_Bragg);
    /// with `separatingPhases`, each phase's Bragg intensity at every point (cheaper, when that is all one needs).
    /// With `threads` > 1 the points are shared out in contiguous parts, one per thread, each writing only its
    /// own rows of yc and the Jacobian (a peak across a boundary is computed on both sides, each side's
    /// points once): the numbers are the same to the last bit as with one thread. The parts carry equal shares
    /// of the peaks' work, not equal numbers of points (`balancedParts`): reflections crowd at high angles, and
    /// on LiNiO2 3–60° (28,501 points, 41 columns) equal halves took 1.73 ms on two threads against 2.38 on one,
    /// balanced ones 1.18 against 2.19 (release, minima of 10 × 10 evaluations).
    public func evaluate(derivativesFor parameters: [ModelParameter] = [], recordingProfiles: Bool = false,
                         separatingPhases: Bool = false) -> ModelEvaluation {
        let n = twoTheta.count, columns = parameters.count
        let parts = recordingProfiles ? 1 : max(1, min(threads, n / max(1, pointsPerThread)))
        // Parts need the peaks' windows before they start: without a frozen layout each would place every
        // reflection to find the few that reach its rows, so the peaks are laid out once here.
        let model = parts > 1 && !hasFrozenLayout ? withLayout(laidOut()) : self
        let bounds = parts > 1 ? model.balancedParts(parts) : [0, n]
        let results = PartResults(count: parts)
        var phaseFlat = [Double](repeating: 0, count: separatingPhases ? phases.count * n : 0)
        var background: [Double] = [], jacobian: [Double] = []
        // (Capacity at least 1, so that every buffer has an address even for an empty pattern.)
        let calculated = [Double](unsafeUninitializedCapacity: max(n, 1)) { yc, ycCount in
            background = [Double](unsafeUninitializedCapacity: max(n, 1)) { bg, bgCount in
                jacobian = [Double](unsafeUninitializedCapacity: max(n * columns, 1)) { jac, jacCount in
                    phaseFlat.withUnsafeMutableBufferPointer { phaseYc in
                        let out = EvaluationBuffers(yc: yc.baseAddress!, background: bg.baseAddress!,
                                                    jacobian: columns > 0 ? jac.baseAddress! : nil,
                                                    phaseYc: separatingPhases ? phaseYc.baseAddress : nil)
                        let run = { @Sendable (k: Int) in
                            var work = EvaluationWork(model: model, parameters: parameters, rows: bounds[k]..<bounds[k + 1], out: out)
                            work.recordProfiles = recordingProfiles
                            work.run()
                            results.set(k, work.result())
                        }
                        if parts == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: run) }
                    }
                    jacCount = n * columns
                }
                bgCount = n
            }
            ycCount = n
        }
        let all = results.all
        // Each line was listed by one part; in the one-thread order (phase, reflection, line).
        let placed = all.flatMap { zip($0.keys, $0.placed) }.sorted { $0.0 < $1.0 }.map(\.1)
        return ModelEvaluation(calculated: calculated, background: background,
                               jacobian: columns > 0 ? Matrix(rows: n, columns: columns, storage: jacobian) : nil,
                               reflections: placed, peakLayout: all.first?.layouts ?? [], reflectionProfiles: all.first?.profiles ?? [],
                               phaseCalculated: separatingPhases ? phases.indices.map { Array(phaseFlat[($0 * n)..<(($0 + 1) * n)]) } : [])
    }
}

extension PatternModel {
    /// Whether the model holds a frozen layout for every phase's reflections.
    var hasFrozenLayout: Bool {
        peakLayout.count == phases.count && phases.indices.allSatisfy { peakLayout[$0].count == phases[$0].reflections.count }
    }

    func withLayout(_ layout: [[PeakLayout]]) -> PatternModel {
        var m = self
        m.peakLayout = layout
        return m
    }

    /// Boundaries of `parts` contiguous row ranges (0 = first, last = points) that share the peaks' work
    /// evenly: each point weighs as many as the lines whose frozen windows cover it, plus one.
    func balancedParts(_ parts: Int) -> [Int] {
        let n = twoTheta.count
        var change = [Int](repeating: 0, count: n + 1)
        for layouts in peakLayout {
            for l in layouts {
                for line in 0..<l.lines {
                    guard let r = l.range(line: line), !r.isEmpty else { continue }
                    change[max(0, min(n, r.lowerBound))] += 1
                    change[max(0, min(n, r.upperBound))] -= 1
                }
            }
        }
        var cumulative = [Int](repeating: 0, count: n + 1)
        var covering = 0
        for i in 0..<n {
            covering += change[i]
            cumulative[i + 1] = cumulative[i] + covering + 1
        }
        var bounds = [0]
        var i = 0
        for k in 1..<parts {
            let target = cumulative[n] * k / parts
            while i < n && cumulative[i] < target { i += 1 }
            bounds.append(max(bounds.last!, i))
        }
        bounds.append(n)
        return bounds
    }

    /// The layout an evaluation would choose (windows and asymmetry quadrature), without computing a point.
    func laidOut() -> [[PeakLayout]] {
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 2)
        defer { scratch.deallocate() }
        var work = EvaluationWork(model: self, parameters: [], rows: 0..<0,
                                  out: EvaluationBuffers(yc: scratch, background: scratch + 1, jacobian: nil, phaseYc: nil))
        work.run()
        return work.result().layouts
    }
}

/// Where an evaluation writes: yc, the background, the Jacobian (column-major, points × parameters) and the
/// per-phase patterns (phase-major), all over the whole pattern; each part writes only its own rows.
struct EvaluationBuffers: @unchecked Sendable {
    let yc: UnsafeMutablePointer<Double>
    let background: UnsafeMutablePointer<Double>
    let jacobian: UnsafeMutablePointer<Double>?
    let phaseYc: UnsafeMutablePointer<Double>?
}

/// One part's findings besides the arrays: its placed lines with their keys, the peak layouts (every part
/// lays out every reflection, identically) and, with one part, the recorded profiles.
struct EvaluationPart {
    var placed: [PlacedReflection]
    var keys: [Int]
    var layouts: [[PeakLayout]]
    var profiles: [[(index: Int, value: Double)]]
}

/// Memo of the background basis table: immutable once made for a key, guarded for concurrent readers.
final class BasisCache: @unchecked Sendable {
    private typealias Key = (count: Int, first: Double, last: Double, low: Double, high: Double, terms: Int)
    /// The most recent grids first: a staged refinement alternates between the full grid and a decimated one.
    private var entries: [(key: Key, table: [Double])] = []
    private static let capacity = 4
    private let lock = NSLock()

    func table(for model: PatternModel) -> [Double] {
        let terms = model.background.coefficients.count
        let k: Key = (model.twoTheta.count, model.twoTheta.first ?? 0, model.twoTheta.last ?? 0, model.background.low, model.background.high, terms)
        lock.lock(); defer { lock.unlock() }
        if let i = entries.firstIndex(where: { $0.key == k }) {
            let hit = entries.remove(at: i)
            entries.insert(hit, at: 0)
            return hit.table
        }
        let table = model.background.basisTable(for: model.twoTheta, terms: terms)
        entries.insert((k, table), at: 0)
        if entries.count > Self.capacity { entries.removeLast() }
        return table
    }
}

/// Results of the parts of one evaluation.
final class PartResults: @unchecked Sendable {
    private var parts: [EvaluationPart?]
    private let lock = NSLock()
    init(count: Int) { parts = Array(repeating: nil, count: count) }
    func set(_ k: Int, _ e: EvaluationPart) { lock.lock(); parts[k] = e; lock.unlock() }
    var all: [EvaluationPart] { lock.lock(); defer { lock.unlock() }; return parts.compactMap { $0 } }
}

extension PatternModel {
    /// FWHM (degrees) of a phase's peak at 2θ (degrees): instrument plus the phase's size and strain (TCH).
    public func fwhm(phase p: Int, twoTheta: Double) -> Double {
        let line = PlacedLine(position: twoTheta, dPositionDQ: 0, dPositionDShift: (0, 0))
        let w = LineWidths(position: line, instrument: instrument, phase: phases[p], wavelength: instrument.radiation.wavelength)
        return w.shape.fwhm / AngleUnit.radiansPerDegree
    }

    /// How many of a phase's peaks the pattern resolves: Kα1 lines inside the data, counted once per group
    /// closer than a FWHM. What the data can say about a phase's structure and broadening depends on this,
    /// not on how many reflections it has.
    public func resolvedPeaks(phase p: Int) -> Int {
        guard let low = twoTheta.first, let high = twoTheta.last else { return 0 }
        let lambda = instrument.radiation.wavelength
        let positions = phases[p].reflections.compactMap { $0.twoTheta(wavelength: lambda) }.filter { $0 >= low && $0 <= high }.sorted()
        var count = 0
        var last = -Double.infinity
        for t in positions where t - last > fwhm(phase: p, twoTheta: t) {
            count += 1
            last = t
        }
        return count
    }
}
