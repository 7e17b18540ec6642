import Crystallography
import Foundation
import NumericCore

/// One parameter's effect on one reflection line: on its intensity, position (rad), Gaussian variance
/// (rad²), Lorentzian FWHM (rad) and axial divergence.
struct LineSensitivity {
    var column: Int
    var dIntensity = 0.0, dPosition = 0.0, dVariance = 0.0, dGamma = 0.0, dAsymmetry = 0.0
    /// Along S/L at fixed SH/L (when S/L is refined apart).
    var dAsymmetry2 = 0.0
}

/// A derivative of a per-reflection quantity (|F|², 1/d²) with respect to the parameter in `column`.
struct ColumnDerivative {
    var column: Int
    var value: Double
}

/// An emission line a phase's peaks are drawn with: wavelength, intensity relative to Kα1, and whether it
/// is the Kα2 copy.
struct EmissionLine {
    var wavelength: Double
    var ratio: Double
    var isSecond: Bool
}

/// The per-evaluation work of `PatternModel.evaluate`, in named steps:
///
/// 1. `addBackground`: the Chebyshev background and its basis columns.
/// 2. per phase, `PhaseContext` looks up once which Jacobian columns its reflections respond to;
/// 3. per reflection, `reflectionTerms`: |F|² (or the Le Bail intensity), ∂|F|²/∂(structure), ∂(1/d²)/∂(cell)
///    and the March–Dollase factor;
/// 4. per emission line, `placeLine`: position with zero and geometric shifts, and for the Kα1 line the
///    widths (instrument + sample) that both lines share; `layOut`: FCJ quadrature and the point window;
/// 5. `lineIntensity`: scale · m · |F|² · Lp · A · P / V and its dependence on the position;
/// 6. `collectSensitivities`: how every requested parameter moves that line's intensity, position, widths
///    and asymmetry;
/// 7. `spread`: the profile over the window, into yc and the Jacobian.
struct EvaluationWork {
    let model: PatternModel
    let parameters: [ModelParameter]
    let column: [ModelParameter: Int]
    /// Points of the whole pattern (the column stride of the Jacobian).
    let points: Int
    /// The points this work computes: the whole pattern, or one thread's contiguous part of it.
    let rows: Range<Int>
    /// Where yc, the background, the Jacobian and the per-phase patterns are written (only `rows` of them).
    let out: EvaluationBuffers
    var placed: [PlacedReflection] = []
    /// Per placed line, (phase, reflection, line) as one sortable key: the parts' lists are merged by it.
    var placedKeys: [Int] = []
    var layouts: [[PeakLayout]] = []
    var recordProfiles = false
    var kernel = PeakKernel()
    /// Per-reflection scratch, reused: FCJ sub-peaks, |F|² with its derivatives, ∂|F|²/∂p, ∂q/∂p, the
    /// line sensitivities, the FP size slopes.
    var asymmetryNodes = AxialDivergence.Nodes()
    /// The full axial model's quadrature, when the instrument has one (it does not depend on 2θ).
    let fullAxial: FullAxialDivergence?
    /// Sub-peaks per FWHM of the full axial model's grid.
    static let axialNodesPerFWHM = 5.0
    /// Whether the line being spread has FCJ sub-peaks in `asymmetryNodes`.
    var lineIsAsymmetric = false
    var structureFactor = PowderStructureFactor()
    var structureDerivatives: [ColumnDerivative] = []
    var latticeDerivatives: [ColumnDerivative] = []
    var sensitivities: [LineSensitivity] = []
    var fpSizeSlopes: [Double] = []
    /// The FP instrument terms' columns of the current reflection: ∂(profile per centidegree)/∂term, each a
    /// central difference of the convolved profile (see `fillFundamentalParameters`).
    var fundamentalSlopes: [(column: Int, slope: [Double])] = []
    /// FFT plans for fundamental-parameters profiles (borrowed from the model's cache on first use, given back
    /// at the end of `run`).
    var fpProfiler: FundamentalParametersProfiler?
    var profiles: [[(index: Int, value: Double)]] = []

    static let rad = AngleUnit.radiansPerDegree
    /// Radians per centidegree (σ² in centideg², γ in centideg).
    static let k = AngleUnit.radiansPerCentidegree

    /// Work for `rows` of the pattern: those rows of `out` are initialised here — yc and the background to
    /// zero, the Jacobian to the background's basis in its columns (∂yc/∂c_k = T_k, the whole derivative) and
    /// zero in the others, which the peaks add to.
    init(model: PatternModel, parameters: [ModelParameter], rows: Range<Int>, out: EvaluationBuffers) {
        self.model = model
        self.parameters = parameters
        self.rows = rows
        self.out = out
        // (An FP profile draws the full axial model itself: see `FundamentalParameters`.)
        fullAxial = model.instrument.fundamentalParameters != nil ? nil
            : model.instrument.fullAxial.map { model.fullAxialCache.quadrature(for: $0, sollerDerivative: parameters.contains(.profile(.soller))) }
        var map: [ModelParameter: Int] = [:]
        for (i, p) in parameters.enumerated() { map[p] = i }
        column = map
        let n = model.twoTheta.count
        points = n
        (out.yc + rows.lowerBound).initialize(repeating: 0, count: rows.count)
        (out.background + rows.lowerBound).initialize(repeating: 0, count: rows.count)
        guard let jacobian = out.jacobian else { return }
        let terms = model.background.coefficients.count
        let basis = parameters.contains { if case .pattern(.background(let k)) = $0 { k < terms } else { false } }
            ? model.backgroundBasisCache.table(for: model) : []
        for (c, p) in parameters.enumerated() {
            let start = jacobian + c * n + rows.lowerBound
            if case .pattern(.background(let k)) = p, k < terms, !basis.isEmpty {
                basis.withUnsafeBufferPointer { b in start.initialize(from: b.baseAddress! + k * n + rows.lowerBound, count: rows.count) }
            } else {
                start.initialize(repeating: 0, count: rows.count)
            }
        }
    }

    /// What this work found besides the arrays it wrote.
    func result() -> EvaluationPart {
        EvaluationPart(placed: placed, keys: placedKeys, layouts: layouts, profiles: profiles)
    }

    mutating func run() {
        addBackground()
        for p in model.phases.indices { addPhase(p) }
        if let profiler = fpProfiler {
            model.fundamentalParametersCache.giveBack(profiler)
            fpProfiler = nil
        }
    }

    mutating func addBackground() {
        let bg = model.background
        let terms = bg.coefficients.count
        guard terms > 0 else { return }
        let basis = model.backgroundBasisCache.table(for: model)
        let n = points
        basis.withUnsafeBufferPointer { b in
            for (k, s) in bg.coefficients.enumerated() {
                let column = b.baseAddress! + k * n
                for i in rows { out.background[i] += s * column[i] }
            }
            for i in rows { out.yc[i] += out.background[i] }
            // ∂yc/∂(term k) is the basis function itself: already in the Jacobian (see `init`).
        }
    }

    /// Index of the first point with 2θ ≥ x.
    func lowerBound(_ x: Double) -> Int {
        model.twoTheta.withUnsafeBufferPointer { PeakKernel.firstIndex($0, in: 0..<points, atLeast: x) }
    }

    mutating func addPhase(_ pi: Int) {
        let context = PhaseContext(model: model, phase: pi, column: column)
        var used = [PeakLayout](repeating: PeakLayout(asymmetryNodes: 3), count: context.phase.reflections.count)
        defer { layouts.append(used) }
        sensitivities.reserveCapacity(parameters.count)
        placed.reserveCapacity(placed.count + context.lines.count * context.phase.reflections.count)
        guard context.phase.isActive else { return }
        for ri in context.phase.reflections.indices { addReflection(ri, context, layout: &used[ri]) }
    }

    /// One reflection: its shared terms, then each emission line placed, weighed and spread.
    mutating func addReflection(_ ri: Int, _ c: PhaseContext, layout: inout PeakLayout) {
        let q = c.cell.inverseDSquared(c.phase.reflections[ri].index.h, c.phase.reflections[ri].index.k, c.phase.reflections[ri].index.l)
        // Skip reflections whose peak cannot reach the pattern (checked again per line below).
        guard model.instrument.radiation.wavelength * q.squareRoot() / 2 < 1 else { return }
        // A frozen layout whose every line lies outside this work's rows: the layout as it was, and nothing to
        // place, weigh or spread (a part of a shared evaluation meets most reflections only here).
        if let frozen = c.frozen?[ri], frozen.lines == c.lines.count,
           (0..<frozen.lines).allSatisfy({ frozen.range(line: $0).map { !$0.overlaps(rows) } ?? false }) {
            layout = frozen
            return
        }
        // |F|² and its derivatives only once a line reaches this work's rows.
        var reflectionTerms: ReflectionTerms?
        var widths = LineWidths()
        for li in c.lines.indices {
            guard let line = placeLine(li, c, inverseDSquared: q) else { continue }
            if li == 0 {
                let index = c.phase.reflections[ri].index
                widths = LineWidths(position: line, instrument: model.instrument, phase: c.phase, wavelength: model.instrument.radiation.wavelength,
                                    cosSquaredToAxis: c.phase.isUniaxial ? Self.cosSquaredToC(index, c.cell, inverseDSquared: q) : 0,
                                    stephens: c.phase.hasStephensStrain
                                        ? StephensMicrostrain.microstrain(index, q: q, terms: c.phase.stephensTerms, coefficients: c.phase.stephens) : nil)
                widths.axialIndexSquared = Double(index.l * index.l)
            }
            let window = layOut(li, ri, line, widths, c, layout: &layout)
            let range = window.clamped(to: rows)
            guard !range.isEmpty else { continue }
            let terms = reflectionTerms ?? self.reflectionTerms(ri, c, inverseDSquared: q)
            reflectionTerms = terms
            let weight = lineIntensity(line, terms, c, ratio: c.lines[li].ratio)
            // Listed by the part where its window begins (each line once over the parts).
            if rows.contains(window.lowerBound) {
                placed.append(PlacedReflection(phase: c.index, index: c.phase.reflections[ri].index, multiplicity: c.phase.reflections[ri].multiplicity,
                                               twoTheta: line.position, intensity: weight.intensity, isSecondLine: c.lines[li].isSecond))
                placedKeys.append((c.index << 40) | (ri << 1) | li)
            }
            collectSensitivities(line, widths, terms, weight, c, isSecondLine: c.lines[li].isSecond)
            spread(weight.intensity, line: line, widths: widths, range: range, d: 1 / q.squareRoot(), c)
        }
    }

    /// |F|² (or the Le Bail intensity) of reflection `ri`, its texture factor, and — when derivatives are
    /// wanted — ∂|F|²/∂p for the structural columns and ∂(1/d²)/∂p for the cell columns (in scratch).
    mutating func reflectionTerms(_ ri: Int, _ c: PhaseContext, inverseDSquared q: Double) -> ReflectionTerms {
        let reflection = c.phase.reflections[ri]
        let m = reflection.index
        let s = q.squareRoot() / 2
        var terms = ReflectionTerms(multiplicity: Double(reflection.multiplicity), s: s)
        structureDerivatives.removeAll(keepingCapacity: true)
        latticeDerivatives.removeAll(keepingCapacity: true)
        if c.phase.mode == .leBail {
            terms.f2 = c.phase.leBailIntensities[ri]
        } else {
            c.phase.calculator.powderStructureFactor(s: s, atoms: c.phase.structure.atoms, phaseSums: c.phase.phaseSums(reflection: ri),
                                                     derivatives: c.wantDerivatives, into: &structureFactor)
            terms.f2 = structureFactor.squaredModulus
            terms.dF2DS = structureFactor.dS
            if c.wantDerivatives { collectStructureDerivatives(c) }
        }
        if c.wantDerivatives {
            for l in c.columns.lattice {
                latticeDerivatives.append(ColumnDerivative(column: l.column, value: c.phase.cellParametrization.inverseDSquaredDerivative(c.cell, m.h, m.k, m.l, l.parameter)))
            }
        }
        if c.useTexture {
            if c.phase.textureHarmonics.isEmpty {
                terms.texture = c.textureFactor(ri)
            } else {
                terms.harmonics = c.harmonicTerms(ri)
                var value = 1.0
                for (k, p) in terms.harmonics.enumerated() { value += c.phase.textureHarmonics[k] * p }
                terms.texture = (value, 0)
            }
        }
        return terms
    }

    /// ∂|F|²/∂p for occupancies, cation mixing, U_iso and free coordinates from the structure factor's
    /// per-atom partials (a site's atoms move and vibrate together).
    mutating func collectStructureDerivatives(_ c: PhaseContext) {
        let sf = structureFactor
        for o in c.columns.occupancy { structureDerivatives.append(ColumnDerivative(column: o.column, value: sf.dOccupancy[o.site])) }
        if let col = c.columns.mixing, let mix = c.phase.cationMixing {
            structureDerivatives.append(ColumnDerivative(column: col, value: mix.chainRule(sf.dOccupancy)))
        }
        for u in c.columns.uIso {
            var g = 0.0
            for atom in c.phase.sites[u.site] { g += sf.dUIso[atom] }
            structureDerivatives.append(ColumnDerivative(column: u.column, value: g))
        }
        for p in c.columns.position {
            var g = 0.0
            for atom in c.phase.sites[p.site] { g += (p.basis * sf.dPosition[atom]).sum() }
            structureDerivatives.append(ColumnDerivative(column: p.column, value: g))
        }
    }

    /// Where line `li` of a reflection lies: Bragg angle plus zero and geometric shift, with their
    /// derivatives; nil when the line cannot diffract at this wavelength.
    func placeLine(_ li: Int, _ c: PhaseContext, inverseDSquared q: Double) -> PlacedLine? {
        let line = c.lines[li]
        let sq = q.squareRoot()
        let sinTheta = line.wavelength * sq / 2
        guard sinTheta < 1 else { return nil }
        let cosTheta = (1 - sinTheta * sinTheta).squareRoot()
        let braggDegrees = 2 * asin(sinTheta) / Self.rad
        let dBraggDQ = line.wavelength / (2 * sq * cosTheta) / Self.rad
        let shift = model.geometricShift(braggDegrees)
        return PlacedLine(position: braggDegrees + model.instrument.zero + shift.shift, dPositionDQ: dBraggDQ * (1 + shift.dTwoTheta),
                          dPositionDShift: (shift.dFirst, shift.dSecond))
    }

    /// cos² of the angle between the normal of reflection h and c* (the unique axis of a hexagonal, trigonal or
    /// tetragonal cell): (G h)₃² / (G₃₃ · h·G·h), G the reciprocal metric.
    static func cosSquaredToC(_ h: MillerIndex, _ cell: UnitCell, inverseDSquared q: Double) -> Double {
        let g = cell.reciprocalMetric
        let x = g[6] * Double(h.h) + g[7] * Double(h.k) + g[8] * Double(h.l)
        return q > 0 && g[8] > 0 ? min(1, x * x / (g[8] * q)) : 0
    }

    /// The FCJ quadrature (fixed with the layout) and the point window of a line; fills `asymmetryNodes`.
    mutating func layOut(_ li: Int, _ ri: Int, _ line: PlacedLine, _ w: LineWidths, _ c: PhaseContext, layout: inout PeakLayout) -> Range<Int> {
        // A frozen window outside this work's rows: the layout as it was, nothing to compute.
        if let frozen = c.frozen?[ri], let window = frozen.range(line: li), !window.overlaps(rows) {
            if li == 0 { (layout.asymmetryNodes, layout.axialStep) = (frozen.asymmetryNodes, frozen.axialStep) }
            layout.setRange(window, line: li)
            return window
        }
        let inst = model.instrument
        let fwhm = w.shape.fwhm
        if let axial = fullAxial, c.fundamentalParameters == nil {
            // The full axial model: its sub-peaks on a grid a few times finer than the peak (fixed with the layout).
            if li == 0 { layout.axialStep = c.frozen?[ri].axialStep ?? fwhm / Self.axialNodesPerFWHM }
            asymmetryNodes.gather(axial, twoTheta: line.position * Self.rad, step: layout.axialStep)
            lineIsAsymmetric = true
        } else {
            let (sOverL, hOverL) = inst.axialRatios
            if li == 0 {
                layout.asymmetryNodes = c.frozen?[ri].asymmetryNodes
                    ?? AxialDivergence.adaptiveNodeCount(twoTheta: line.position * Self.rad, sOverL: sOverL, hOverL: hOverL, fwhm: fwhm,
                                                         quadrature: inst.asymmetryQuadrature, gamma: w.gamma * Self.k)
            }
            lineIsAsymmetric = inst.shl > 0 && c.fundamentalParameters == nil
                && asymmetryNodes.compute(twoTheta: line.position * Self.rad, sOverL: sOverL, hOverL: hOverL, fwhm: fwhm,
                                          nodes: layout.asymmetryNodes, quadrature: inst.asymmetryQuadrature, partials: c.wantDerivatives)
        }
        var asymmetryExtent = 0.0
        if lineIsAsymmetric { for o in asymmetryNodes.offsets { asymmetryExtent = max(asymmetryExtent, abs(o.value) / Self.rad) } }
        var below = model.windowLowFWHMs * fwhm / Self.rad + asymmetryExtent
        var above = model.windowHighFWHMs * fwhm / Self.rad
        if line.position > 90 { swap(&below, &above) }
        if let f = c.fundamentalParameters {
            if fpProfiler == nil { fpProfiler = model.fundamentalParametersCache.borrowProfiler() }
            let reach = fpProfiler!.reach(f, d: 1 / c.cell.inverseDSquared(c.phase.reflections[ri].index.h, c.phase.reflections[ri].index.k, c.phase.reflections[ri].index.l).squareRoot())
            (below, above) = (reach, reach)
        }
        let range: Range<Int>
        if let f = c.frozen?[ri].range(line: li) {
            range = f
        } else {
            let (low, high) = (model.twoTheta.first ?? 0, model.twoTheta.last ?? 0)
            let pos = line.position
            range = (pos + above >= low && pos - below <= high) ? lowerBound(pos - below)..<lowerBound(pos + above) : 0..<0
        }
        layout.setRange(range, line: li)
        return range
    }

    /// The line's integrated intensity scale · m · |F|² · Lp · A · P · ratio / V (1/V as in GSAS-II, so that
    /// scale factors carry across), and its derivatives with respect to position and |F|².
    func lineIntensity(_ line: PlacedLine, _ t: ReflectionTerms, _ c: PhaseContext, ratio: Double) -> LineIntensity {
        let pos = line.position * Self.rad
        let lpValue = c.lorentzPolarization.value(twoTheta: pos)
        let dLpDPos = c.lorentzPolarization.derivative(twoTheta: pos) * Self.rad
        var absorption = (value: 1.0, dMuR: 0.0, dTwoTheta: 0.0)
        if model.instrument.geometry == .debyeScherrer && (model.muR != 0 || c.columns.muR != nil) {
            absorption = CylinderAbsorption.factor(muR: model.muR, twoTheta: pos)
        }
        let perLine = t.multiplicity * t.texture.value / c.cell.volume
        let common = perLine * ratio
        let scale = c.phase.scale
        return LineIntensity(intensity: scale * t.f2 * common * lpValue * absorption.value,
                             dPosition: scale * t.f2 * common * (dLpDPos * absorption.value + lpValue * absorption.dTwoTheta * Self.rad),
                             perF2: scale * common * lpValue * absorption.value,
                             perScale: t.f2 * common * lpValue * absorption.value,
                             dMuR: scale * t.f2 * common * lpValue * absorption.dMuR,
                             perRatio: scale * t.f2 * perLine * lpValue * absorption.value)
    }

    /// How each requested parameter moves this line's intensity, position, widths and asymmetry.
    mutating func collectSensitivities(_ line: PlacedLine, _ w: LineWidths, _ t: ReflectionTerms, _ weight: LineIntensity,
                                       _ c: PhaseContext, isSecondLine: Bool) {
        sensitivities.removeAll(keepingCapacity: true)
        guard c.wantDerivatives else { return }
        let cols = c.columns
        let k = Self.k
        if let col = cols.scale { sensitivities.append(LineSensitivity(column: col, dIntensity: weight.perScale)) }
        for d in structureDerivatives { sensitivities.append(LineSensitivity(column: d.column, dIntensity: weight.perF2 * d.value)) }
        for (l, d) in zip(cols.lattice, latticeDerivatives) {
            // The line moves with 1/d², the widths with the Kα1 position; |F|² changes with s and 1/V with V.
            let dPos = line.dPositionDQ * d.value, dPos1 = w.dPositionDQ * d.value
            var e = LineSensitivity(column: d.column, dIntensity: weight.perF2 * t.dF2DS / (8 * t.s) * d.value + weight.dPosition * dPos - weight.intensity / c.cell.volume * l.dVolume,
                                    dPosition: dPos * Self.rad, dVariance: w.dVarianceDPosition * dPos1 * k * k, dGamma: w.dGammaDPosition * dPos1 * k)
            if c.phase.hasStephensStrain {
                // Stephens' μ = d² √Σ moves with 1/d².
                e.dVariance += w.sample.dVarianceDStrain * w.stephensDQ * d.value * k * k
                e.dGamma += w.sample.dGammaDStrain * w.stephensDQ * d.value * k
            }
            if c.phase.isUniaxial {
                // Uniaxial widths follow the normal's angle to c*: cos²φ = l² G₃₃ / q (c* ⟂ a*, b*), so
                // ∂cos²φ/∂p = (l² ∂G₃₃/∂p − cos²φ ∂q/∂p) / q, ∂G₃₃/∂p being ∂q/∂p of the 001 reflection.
                let q = 4 * t.s * t.s, l2 = w.axialIndexSquared
                let dG33 = c.phase.cellParametrization.inverseDSquaredDerivative(c.cell, 0, 0, 1, l.parameter)
                let dCos2 = (l2 * dG33 - w.cosSquaredToAxis * d.value) / q
                e.dVariance += w.sample.dVarianceDCosSquared * dCos2 * k * k
                e.dGamma += w.sample.dGammaDCosSquared * dCos2 * k
            }
            sensitivities.append(e)
        }
        if let col = cols.zero {
            sensitivities.append(LineSensitivity(column: col, dIntensity: weight.dPosition, dPosition: Self.rad, dVariance: w.dVarianceDPosition * k * k, dGamma: w.dGammaDPosition * k))
        }
        for (col, first) in cols.shift {
            let dPos = first ? line.dPositionDShift.first : line.dPositionDShift.second
            let dPos1 = first ? w.dPositionDShift.first : w.dPositionDShift.second
            sensitivities.append(LineSensitivity(column: col, dIntensity: weight.dPosition * dPos, dPosition: dPos * Self.rad,
                                                 dVariance: w.dVarianceDPosition * dPos1 * k * k, dGamma: w.dGammaDPosition * dPos1 * k))
        }
        appendProfileSensitivities(w, c)
        if let col = cols.muR { sensitivities.append(LineSensitivity(column: col, dIntensity: weight.dMuR)) }
        if let col = cols.texture, t.texture.value != 0 {
            sensitivities.append(LineSensitivity(column: col, dIntensity: weight.intensity / t.texture.value * t.texture.dRatio))
        }
        for (k, col) in cols.harmonics where k < t.harmonics.count && t.texture.value != 0 {
            sensitivities.append(LineSensitivity(column: col, dIntensity: weight.intensity / t.texture.value * t.harmonics[k]))
        }
        if let col = cols.ratio, isSecondLine { sensitivities.append(LineSensitivity(column: col, dIntensity: weight.perRatio)) }
    }

    /// The instrument's U V W X Y Z and SH/L, and the phase's size and microstrain: they act on the widths
    /// (at the Kα1 position) and the asymmetry only.
    mutating func appendProfileSensitivities(_ w: LineWidths, _ c: PhaseContext) {
        let k = Self.k
        let th = w.position * Self.rad / 2
        let (t, cth) = (tan(th), cos(th))
        for p in c.columns.profile where !c.columns.fundamental.contains(where: { $0.column == p.column }) {
            var e = LineSensitivity(column: p.column)
            switch p.term {
            case .u: e.dVariance = t * t * k * k
            case .v: e.dVariance = t * k * k
            case .w: e.dVariance = k * k
            case .x: e.dGamma = k / cth
            case .y: e.dGamma = t * k
            case .z: e.dGamma = k
            case .shl: e.dAsymmetry = 1
            case .sl: e.dAsymmetry2 = 1
            case .soller: e.dAsymmetry = 1
            case .receivingSlit, .divergence, .axialDivergence, .tailLeft, .tailRight, .tailHeight, .passbandWidth, .passbandOffset:
                break  // see `fillFundamentalParameters`
            }
            sensitivities.append(e)
        }
        if let col = c.columns.size {
            sensitivities.append(LineSensitivity(column: col, dVariance: w.sample.dVarianceDSize * k * k, dGamma: w.sample.dGammaDSize * k))
        }
        if let col = c.columns.strain {
            sensitivities.append(LineSensitivity(column: col, dVariance: w.sample.dVarianceDStrain * k * k, dGamma: w.sample.dGammaDStrain * k))
        }
        for (i, col) in c.columns.stephens where i < w.stephensSlopes.count {
            let slope = w.stephensSlopes[i]
            sensitivities.append(LineSensitivity(column: col, dVariance: w.sample.dVarianceDStrain * slope * k * k, dGamma: w.sample.dGammaDStrain * slope * k))
        }
        if let col = c.columns.axialSize {
            sensitivities.append(LineSensitivity(column: col, dVariance: w.sample.dVarianceDAxialSize * k * k, dGamma: w.sample.dGammaDAxialSize * k))
        }
        if let col = c.columns.axialStrain {
            sensitivities.append(LineSensitivity(column: col, dVariance: w.sample.dVarianceDAxialStrain * k * k, dGamma: w.sample.dGammaDAxialStrain * k))
        }
    }

    /// Spreads the line over its window: the profile (and its partials) at every point, then yc and one
    /// contiguous update per Jacobian column.
    mutating func spread(_ intensity: Double, line: PlacedLine, widths: LineWidths, range: Range<Int>, d: Double, _ c: PhaseContext) {
        let count = range.count
        if let f = c.fundamentalParameters {
            fillFundamentalParameters(f, d: d, center: line.position, range: range, c)
        } else {
            kernel.evaluate(twoTheta: model.twoTheta, range: range, position: line.position, shape: widths.shape,
                            nodes: lineIsAsymmetric ? asymmetryNodes : nil, directions: c.asymmetryDirections, wantPartials: !sensitivities.isEmpty)
        }
        kernel.value.withUnsafeBufferPointer { v in
            let (y, profile) = (out.yc + range.lowerBound, v.baseAddress!)
            for j in 0..<count { y[j] += intensity * profile[j] }
            if recordProfiles { profiles.append((0..<count).map { (range.lowerBound + $0, intensity * v[$0]) }) }
            if let phases = out.phaseYc {
                let y = phases + c.index * points + range.lowerBound
                for j in 0..<count { y[j] += intensity * profile[j] }
            }
        }
        if !sensitivities.isEmpty, let jacobian = out.jacobian {
            kernel.accumulate(into: jacobian, points: points, range: range, intensity: intensity, sensitivities: sensitivities)
        }
        if c.fundamentalParameters != nil, let jacobian = out.jacobian {
            for (col, slope) in fundamentalSlopes {
                let column = jacobian + (col * points + range.lowerBound)
                for j in 0..<count { column[j] += intensity * slope[j] }
            }
        }
    }

    /// The FP profile of one reflection into the kernel's buffers (per centidegree, as the TCH path): value,
    /// ∂/∂position (rigid shift; the profile's slow change of shape with θ is not differentiated) and, in the
    /// γ slot, ∂/∂size. The FP's own instrument terms, when refined (slit, divergence, axial divergence, Soller
    /// angle, tube tails, passband, transparency), go to `fundamentalSlopes`, each a central difference of the convolved
    /// profile (`fundamentalStep` of the value apart). The instrument's U V W X Y Z and SH/L and the
    /// microstrain do not act on an FP profile: their sensitivities are dropped, the width terms of the
    /// others cleared.
    mutating func fillFundamentalParameters(_ fp: FundamentalParameters, d: Double, center: Double, range: Range<Int>, _ c: PhaseContext) {
        let count = range.count
        let sizeColumn = c.columns.size
        kernel.grow(count)
        let wantSize = sizeColumn.map { c in sensitivities.contains { $0.column == c } } == true
        var sizeSlopes: [Double]?
        if wantSize {
            // Moved out of the scratch (and back below), so that the profiler writes it in place.
            if fpSizeSlopes.count < count { fpSizeSlopes = [Double](repeating: 0, count: kernel.value.count) }
            sizeSlopes = fpSizeSlopes
            fpSizeSlopes = []
        }
        fpProfiler!.profile(fp, d: d, center: center, twoTheta: model.twoTheta, range: range, values: &kernel.value, slopes: &kernel.dPosition,
                            sizeSlopes: &sizeSlopes, cache: model.fundamentalParametersCache)
        let perCentidegree = 0.01, perRadian = 180 / Double.pi
        for j in 0..<count {
            kernel.value[j] *= perCentidegree
            kernel.dPosition[j] *= perRadian * perCentidegree
            kernel.dVariance[j] = 0
            kernel.dGamma[j] = (sizeSlopes?[j] ?? 0) * perCentidegree
            kernel.dAsymmetry[j] = 0
            kernel.dAsymmetry2[j] = 0
        }
        if let slopes = sizeSlopes { fpSizeSlopes = slopes }
        fundamentalSlopes.removeAll(keepingCapacity: true)
        if c.wantDerivatives {
            for (term, col) in c.columns.fundamental {
                fundamentalSlopes.append((col, fundamentalSlope(fp, term, d: d, center: center, range: range).map { $0 * perCentidegree }))
            }
        }
        var kept = 0
        for e in sensitivities where !isInstrumentOnlyWidth(e.column) {
            var e = e
            e.dVariance = 0
            e.dAsymmetry = 0
            e.dAsymmetry2 = 0
            e.dGamma = e.column == sizeColumn ? 1 : 0
            sensitivities[kept] = e
            kept += 1
        }
        sensitivities.removeLast(sensitivities.count - kept)
    }

    /// Relative step of the FP instrument terms' central differences (the Soller angle's, see `fundamentalSlope`).
    static let fundamentalStep = 1e-3, sollerStep = 1e-2

    /// ∂(FP profile)/∂term (per degree per unit of the term) at the points of `range`, by a central difference
    /// (one-sided where the lower side would leave the term's physical range, as a transparency at 0).
    mutating func fundamentalSlope(_ fp: FundamentalParameters, _ term: FundamentalTerm, d: Double, center: Double, range: Range<Int>) -> [Double] {
        let value = term.value(in: fp)
        // The Soller angle's quadrature is laid out afresh on either side, its cells moving with it: a wider
        // difference averages over their steps.
        let h = (term == .profile(.soller) ? Self.sollerStep : Self.fundamentalStep) * max(abs(value), 1e-3)
        let lower = max(value - h, term.lowestValue)
        var sides: [[Double]] = []
        for side in [value + h, lower] {
            var shifted = fp
            term.set(side, in: &shifted)
            var values = [Double](repeating: 0, count: range.count), slopes = values
            var none: [Double]?
            fpProfiler!.profile(shifted, d: d, center: center, twoTheta: model.twoTheta, range: range,
                                values: &values, slopes: &slopes, sizeSlopes: &none, cache: model.fundamentalParametersCache)
            sides.append(values)
        }
        return zip(sides[0], sides[1]).map { ($0 - $1) / (value + h - lower) }
    }

    /// Columns of terms an FP profile does not have: the instrument's analytic widths and the microstrain.
    func isInstrumentOnlyWidth(_ col: Int) -> Bool {
        switch parameters[col] {
        case .pattern(.profile(let t)): return !model.instrument.acts(t)
        case .phase(_, let p): return !model.instrument.acts(p)
        default: return false
        }
    }
}

/// What one reflection contributes whatever line it is drawn with.
struct ReflectionTerms {
    var multiplicity: Double
    /// sinθ/λ (Å⁻¹).
    var s: Double
    /// |F|² (electrons², per cell) or the Le Bail intensity, and ∂|F|²/∂s.
    var f2 = 0.0, dF2DS = 0.0
    var texture = (value: 1.0, dRatio: 0.0)
    /// With a harmonic texture: P_l averaged over the orbit, l = 2, 4, … (∂ texture / ∂C_l).
    var harmonics: [Double] = []
}

/// A line's position (degrees) and how it moves with 1/d² and the two geometric shift terms.
struct PlacedLine {
    var position: Double
    var dPositionDQ: Double
    var dPositionDShift: (first: Double, second: Double)
}

/// A line's integrated intensity and its partial derivatives.
struct LineIntensity {
    var intensity: Double
    /// ∂I/∂(position, degrees) through Lp and absorption.
    var dPosition: Double
    /// ∂I/∂|F|², ∂I/∂scale, ∂I/∂μR, ∂I/∂(line ratio).
    var perF2: Double, perScale: Double, dMuR: Double, perRatio: Double
}

/// The widths both lines of a reflection share, computed at the Kα1 position: σ² (centideg²) and γ
/// (centideg) of the instrument plus sample, and their derivatives with respect to that position.
struct LineWidths {
    var position = 0.0
    var variance = 0.0, gamma = 0.0
    var dVarianceDPosition = 0.0, dGammaDPosition = 0.0
    var dPositionDQ = 0.0
    var dPositionDShift = (first: 0.0, second: 0.0)
    var sample = SampleBroadening.Widths()
    /// cos²φ of the reflection normal to c*, and l² (uniaxial broadening only).
    var cosSquaredToAxis = 0.0, axialIndexSquared = 0.0
    /// With Stephens' microstrain: ∂μ/∂Sᵢ and ∂μ/∂(1/d²) of this reflection's μ.
    var stephensSlopes: [Double] = [], stephensDQ = 0.0
    var shape = PseudoVoigt(variance: 1e-12, gamma: 0)

    init() {}

    /// Caglioti σ² = U tan²θ + V tanθ + W and γ = X/cosθ + Y tanθ + Z, plus size and microstrain (uniaxial ones
    /// seen along a reflection normal making cos²φ with c*).
    init(position line: PlacedLine, instrument inst: Instrument, phase: Phase, wavelength: Double, cosSquaredToAxis: Double = 0,
         stephens: (value: Double, dCoefficients: [Double], dQ: Double)? = nil) {
        let rad = AngleUnit.radiansPerDegree, k = AngleUnit.radiansPerCentidegree
        let pos = line.position
        position = pos
        dPositionDQ = line.dPositionDQ
        dPositionDShift = line.dPositionDShift
        let th = pos * rad / 2
        let (t, c) = (tan(th), cos(th))
        let dtDPos = rad / 2 / (c * c)
        variance = inst.u * t * t + inst.v * t + inst.w
        dVarianceDPosition = (2 * inst.u * t + inst.v) * dtDPos
        gamma = inst.x / c + inst.y * t + inst.z
        dGammaDPosition = inst.x * sin(th) / (c * c) * rad / 2 + inst.y * dtDPos
        self.cosSquaredToAxis = cosSquaredToAxis
        if let s = stephens {
            // Stephens: this reflection's own microstrain, with the (isotropic) size.
            sample = SampleBroadening.widths(twoThetaDegrees: pos, wavelength: wavelength, size: phase.size, microstrain: s.value,
                                             sizeMix: phase.sizeMix, strainMix: phase.strainMix)
            (stephensSlopes, stephensDQ) = (s.dCoefficients, s.dQ)
        } else {
            sample = SampleBroadening.widths(twoThetaDegrees: pos, wavelength: wavelength, phase: phase, cosSquared: cosSquaredToAxis)
        }
        variance += sample.variance
        gamma += sample.gamma
        dVarianceDPosition += sample.dVarianceDTwoTheta
        dGammaDPosition += sample.dGammaDTwoTheta
        shape = PseudoVoigt(variance: variance * k * k, gamma: gamma * k)
    }
}

/// What one phase's reflections share in an evaluation: the lines they are drawn with, Lp, and the
/// Jacobian columns they respond to (looked up once, not per reflection).
struct PhaseContext {
    let index: Int
    let phase: Phase
    let cell: UnitCell
    let lines: [EmissionLine]
    let fundamentalParameters: FundamentalParameters?
    let lorentzPolarization: LorentzPolarization
    let columns: PhaseColumns
    let useTexture: Bool
    let wantDerivatives: Bool
    /// The frozen peak layout of this phase, if the model has one that fits its reflection list.
    let frozen: [PeakLayout]?
    /// The directions the FCJ partials are taken along (SH/L's, and S/L's when it is refined apart).
    let asymmetryDirections: AsymmetryDirections

    init(model: PatternModel, phase pi: Int, column: [ModelParameter: Int]) {
        index = pi
        phase = model.phases[pi]
        cell = phase.structure.cell
        let inst = model.instrument
        asymmetryDirections = inst.fullAxial != nil ? .fullAxial
            : inst.sOverL == nil && column[.profile(.sl)] == nil ? .gsas2 : .separate(wantSecond: column[.profile(.sl)] != nil)
        var fp = inst.fundamentalParameters
        fp?.size = phase.size
        // The geometry's full axial model and the specimen's transparency are drawn by the FP profile itself.
        fp?.fullAxial = inst.fullAxial
        fp?.transparency = inst.geometry == .braggBrentano ? model.transparency : 0
        fundamentalParameters = fp
        if let f = fp {
            // The FP profile holds every emission line itself: one line, at the strongest wavelength.
            lines = [EmissionLine(wavelength: f.primary.wavelength, ratio: 1, isSecond: false)]
        } else if let l2 = inst.radiation.secondWavelength, inst.radiation.secondLineRatio > 0 || column[.secondLineRatio] != nil {
            lines = [EmissionLine(wavelength: inst.radiation.wavelength, ratio: 1, isSecond: false),
                     EmissionLine(wavelength: l2, ratio: inst.radiation.secondLineRatio, isSecond: true)]
        } else {
            lines = [EmissionLine(wavelength: inst.radiation.wavelength, ratio: 1, isSecond: false)]
        }
        lorentzPolarization = LorentzPolarization(polarization: inst.polarization)
        columns = PhaseColumns(model: model, phase: pi, column: column)
        useTexture = phase.marchDollase != 1 || columns.texture != nil || !phase.textureHarmonics.isEmpty
        wantDerivatives = !column.isEmpty
        frozen = pi < model.peakLayout.count && model.peakLayout[pi].count == phase.reflections.count ? model.peakLayout[pi] : nil
    }

    /// cos² of the angle between the texture axis and each member of a reflection's Laue orbit.
    func textureCosSquared(_ ri: Int) -> [Double] {
        let axis = phase.textureAxis
        let gs = cell.reciprocalMetric
        let tv = SIMD3(Double(axis.h), Double(axis.k), Double(axis.l))
        func dot(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double {
            var s = 0.0
            for i in 0..<3 { for j in 0..<3 { s += a[i] * gs[3 * i + j] * b[j] } }
            return s
        }
        let tt = dot(tv, tv)
        return phase.orbits[ri].map { h -> Double in
            let hv = SIMD3(Double(h.h), Double(h.k), Double(h.l))
            let ht = dot(hv, tv)
            return ht * ht / (dot(hv, hv) * tt)
        }
    }

    /// P_l(cos φ) for l = 2, 4, … up to the phase's harmonic order, averaged over the reflection's orbit (even l:
    /// functions of cos²φ alone).
    func harmonicTerms(_ ri: Int) -> [Double] {
        let cos2 = textureCosSquared(ri)
        var out = [Double](repeating: 0, count: phase.textureHarmonics.count)
        for c2 in cos2 {
            for (k, p) in Phase.evenLegendre(c2.squareRoot(), count: out.count).enumerated() { out[k] += p }
        }
        return out.map { $0 / Double(max(1, cos2.count)) }
    }

    /// The March–Dollase factor of reflection `ri` over its Laue orbit, and ∂/∂r.
    func textureFactor(_ ri: Int) -> (value: Double, dRatio: Double) {
        MarchDollase.factor(ratio: phase.marchDollase, cosSquared: textureCosSquared(ri))
    }
}

/// The Jacobian columns a phase's reflections respond to (nil or empty: not refined).
struct PhaseColumns {
    var scale: Int?
    var lattice: [LatticeColumn] = []
    var position: [PositionColumn] = []
    var uIso: [SiteColumn] = []
    var occupancy: [SiteColumn] = []
    var mixing: Int?
    var profile: [ProfileColumn] = []
    var size: Int?, strain: Int?, axialSize: Int?, axialStrain: Int?, texture: Int?
    /// Stephens coefficients refined: (term index, column).
    var stephens: [(Int, Int)] = []
    /// Texture harmonics refined: (index, column).
    var harmonics: [(Int, Int)] = []
    var zero: Int?
    /// (column, true for the first geometry term: ⟂ displacement or specimen displacement).
    var shift: [(Int, Bool)] = []
    /// With a fundamental-parameters profile: the refined terms its convolution is differentiated for.
    var fundamental: [(term: FundamentalTerm, column: Int)] = []
    var muR: Int?, ratio: Int?

    init(model: PatternModel, phase pi: Int, column: [ModelParameter: Int]) {
        let phase = model.phases[pi]
        scale = column[.scale(phase: pi)]
        lattice = phase.independentLattice.compactMap { l in
            column[.lattice(phase: pi, l)].map { LatticeColumn(parameter: l, column: $0, dVolume: phase.cellParametrization.volumeDerivative(phase.structure.cell, l)) }
        }
        // Coordinates: ∂|F|²/∂(free component) = Σ_atoms of the site Σ_xyz basis[xyz, component] ∂|F|²/∂x_xyz.
        for s in phase.sites.indices {
            let constraint = phase.siteSymmetries[s].coordinates
            let nf = constraint.freeComponents.count
            for (f, axis) in constraint.freeComponents.enumerated() {
                if let c = column[.position(phase: pi, site: s, axis: axis)] {
                    position.append(PositionColumn(site: s, basis: SIMD3(constraint.basis[f], constraint.basis[nf + f], constraint.basis[2 * nf + f]), column: c))
                }
            }
            if let c = column[.uIso(phase: pi, site: s)] { uIso.append(SiteColumn(site: s, column: c)) }
        }
        if phase.mode == .rietveld {
            occupancy = phase.structure.atoms.indices.compactMap { a in column[.occupancy(phase: pi, atom: a)].map { SiteColumn(site: a, column: $0) } }
        }
        mixing = phase.cationMixing == nil ? nil : column[.cationMixing(phase: pi)]
        profile = ProfileTerm.allCases.compactMap { t in column[.profile(t)].map { ProfileColumn(term: t, column: $0) } }
        size = column[.size(phase: pi)]
        strain = column[.microstrain(phase: pi)]
        axialSize = column[.phase(pi, .axialSize)]
        axialStrain = column[.phase(pi, .axialMicrostrain)]
        stephens = phase.stephensTerms.indices.compactMap { i in column[.phase(pi, .stephens(i))].map { (i, $0) } }
        harmonics = phase.textureHarmonics.indices.compactMap { i in column[.phase(pi, .harmonic(i))].map { (i, $0) } }
        texture = column[.texture(phase: pi)]
        zero = column[.zero]
        switch model.instrument.geometry {
        case .debyeScherrer:
            shift = [column[.displacementPerpendicular].map { ($0, true) }, column[.displacementParallel].map { ($0, false) }].compactMap { $0 }
            muR = column[.muR]
        case .braggBrentano:
            // An FP profile draws the transparency as its convolution, not as a shift.
            let transparencyShifts = model.instrument.fundamentalParameters == nil
            shift = [column[.specimenDisplacement].map { ($0, true) }, transparencyShifts ? column[.transparency].map { ($0, false) } : nil].compactMap { $0 }
        }
        if model.instrument.fundamentalParameters != nil {
            fundamental = model.instrument.profileTerms.compactMap { t in column[.profile(t)].map { (.profile(t), $0) } }
            if model.instrument.geometry == .braggBrentano, let col = column[.transparency] { fundamental.append((.transparency, col)) }
        }
        ratio = column[.secondLineRatio]
    }
}

/// A lattice parameter the model refines: its column and ∂V/∂parameter.
struct LatticeColumn {
    var parameter: CellParameter
    var column: Int
    var dVolume: Double
}

/// A free coordinate of a site: the column and the direction it moves the atoms in (a column of the site's
/// constraint basis).
struct PositionColumn {
    var site: Int
    var basis: SIMD3<Double>
    var column: Int
}

/// A per-site (or per-atom) parameter's column.
struct SiteColumn {
    var site: Int
    var column: Int
}

/// A profile term's column.
struct ProfileColumn {
    var term: ProfileTerm
    var column: Int
}
