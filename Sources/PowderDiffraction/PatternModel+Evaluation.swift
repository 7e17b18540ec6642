import Crystallography
import Foundation
import NumericCore

/// One parameter's effect on one reflection line: on its intensity, position (rad), Gaussian variance
/// (rad²), Lorentzian FWHM (rad) and axial divergence.
struct LineSensitivity {
    var column: Int
    var dIntensity = 0.0, dPosition = 0.0, dVariance = 0.0, dGamma = 0.0, dAsymmetry = 0.0
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

/// The per-evaluation work of `PatternModel.evaluate`: shared quantities are computed once per reflection,
/// then each peak is spread over the points of its window.
struct EvaluationWork {
    let model: PatternModel
    let parameters: [ModelParameter]
    let column: [ModelParameter: Int]
    let points: Int
    var yc: [Double]
    var background: [Double]
    var jacobian: [Double]
    var placed: [PlacedReflection] = []
    var layouts: [[PeakLayout]] = []
    var recordProfiles = false
    var kernel = PeakKernel()
    /// Per-reflection scratch, reused: FCJ sub-peaks, |F|² with its derivatives, ∂|F|²/∂p, ∂q/∂p, the
    /// line sensitivities.
    var asymmetryNodes = AxialDivergence.Nodes()
    var structureFactor = PowderStructureFactor()
    var structureDerivatives: [ColumnDerivative] = []
    var latticeDerivatives: [ColumnDerivative] = []
    var sensitivities: [LineSensitivity] = []
    /// This work covers the reflections with index ≡ `share` (mod `shares`) — one thread's part.
    var share = 0, shares = 1
    var includeBackground = true
    /// FFT plans for fundamental-parameters profiles (borrowed from the model's cache on first use, given back
    /// at the end of `run`).
    var fpProfiler: FundamentalParametersProfiler?
    var profiles: [[(index: Int, value: Double)]] = []

    static let radiansPerDegree = Double.pi / 180
    /// Radians per centidegree.
    static let radiansPerCentidegree = Double.pi / 18000
    /// Profile normalization per centidegree, so that scale factors compare with GSAS-II's.
    static let profilePerCentidegree = Double.pi / 18000

    init(model: PatternModel, parameters: [ModelParameter]) {
        self.model = model
        self.parameters = parameters
        var map: [ModelParameter: Int] = [:]
        for (i, p) in parameters.enumerated() { map[p] = i }
        column = map
        points = model.twoTheta.count
        yc = Array(repeating: 0, count: points)
        background = Array(repeating: 0, count: points)
        jacobian = parameters.isEmpty ? [] : Array(repeating: 0, count: points * parameters.count)
    }

    func result() -> ModelEvaluation {
        let j: Matrix? = parameters.isEmpty ? nil : Matrix(rows: points, columns: parameters.count, storage: jacobian)
        return ModelEvaluation(calculated: yc, background: background, jacobian: j, reflections: placed, peakLayout: layouts, reflectionProfiles: profiles)
    }

    mutating func run() {
        if includeBackground { addBackground() }
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
        let columns = bg.coefficients.indices.map { column[.background(term: $0)] }
        let n = points
        basis.withUnsafeBufferPointer { b in
            background.withUnsafeMutableBufferPointer { out in
                LinearAlgebra.accumulateProduct(b, rows: n, columns: terms, bg.coefficients, into: out)
            }
            yc.withUnsafeMutableBufferPointer { y in
                background.withUnsafeBufferPointer { bg in for i in 0..<n { y[i] += bg[i] } }
            }
            // ∂yc/∂(term k) is the basis function itself: one block copy per column.
            jacobian.withUnsafeMutableBufferPointer { jac in
                for k in 0..<terms {
                    guard let c = columns[k] else { continue }
                    (jac.baseAddress! + c * n).update(from: b.baseAddress! + k * n, count: n)
                }
            }
        }
    }

    /// Index of the first point with 2θ ≥ x.
    func lowerBound(_ x: Double) -> Int {
        var lo = 0, hi = points
        let tt = model.twoTheta
        while lo < hi {
            let mid = (lo + hi) / 2
            if tt[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    mutating func addPhase(_ pi: Int) {
        let phase = model.phases[pi]
        let inst = model.instrument
        let atoms = phase.structure.atoms
        let cell = phase.structure.cell
        let lambda1 = inst.radiation.wavelength
        var lines = [EmissionLine(wavelength: lambda1, ratio: 1, isSecond: false)]
        var fp = inst.fundamentalParameters
        fp?.size = phase.size
        if let f = fp {
            // The FP profile holds every emission line itself: one line, at the strongest wavelength.
            lines = [EmissionLine(wavelength: f.primary.wavelength, ratio: 1, isSecond: false)]
        } else if let l2 = inst.radiation.secondWavelength, inst.radiation.secondLineRatio > 0 || column[.secondLineRatio] != nil {
            lines.append(EmissionLine(wavelength: l2, ratio: inst.radiation.secondLineRatio, isSecond: true))
        }
        let lowLimit = model.twoTheta.first ?? 0, highLimit = model.twoTheta.last ?? 0
        let lp = LorentzPolarization(polarization: inst.polarization)
        let k = Self.radiansPerCentidegree
        let rad = Self.radiansPerDegree

        // Columns this phase's reflections respond to.
        let scaleColumn = column[.scale(phase: pi)]
        let latticeColumns = phase.independentLattice.compactMap { l in
            column[.lattice(phase: pi, l)].map { LatticeColumn(parameter: l, column: $0, dVolume: phase.volumeDerivative(l)) }
        }
        // Coordinates: ∂|F|²/∂(free component) = Σ_atoms of the site Σ_xyz basis[xyz, component] ∂|F|²/∂x_xyz.
        var positionColumns: [PositionColumn] = []
        var uIsoColumns: [SiteColumn] = []
        for s in phase.sites.indices {
            let constraint = phase.siteSymmetries[s].coordinates
            let nf = constraint.freeComponents.count
            for (f, axis) in constraint.freeComponents.enumerated() {
                if let c = column[.position(phase: pi, site: s, axis: axis)] {
                    let basis = SIMD3(constraint.basis[f], constraint.basis[nf + f], constraint.basis[2 * nf + f])
                    positionColumns.append(PositionColumn(site: s, basis: basis, column: c))
                }
            }
            if let c = column[.uIso(phase: pi, site: s)] { uIsoColumns.append(SiteColumn(site: s, column: c)) }
        }
        let occupancyColumns = atoms.indices.compactMap { a in column[.occupancy(phase: pi, atom: a)].map { SiteColumn(site: a, column: $0) } }
        let mixingColumn = phase.cationMixing == nil ? nil : column[.cationMixing(phase: pi)]
        let profileColumns = ProfileTerm.allCases.compactMap { t in column[.profile(t)].map { ProfileColumn(term: t, column: $0) } }
        let sizeColumn = column[.size(phase: pi)], strainColumn = column[.microstrain(phase: pi)]
        let textureColumn = column[.texture(phase: pi)]
        let zeroColumn = column[.zero]
        // (column, true for the first geometry term: ⟂ displacement or specimen displacement).
        let shiftColumns: [(Int, Bool)] = {
            switch inst.geometry {
            case .debyeScherrer:
                return [column[.displacementPerpendicular].map { ($0, true) }, column[.displacementParallel].map { ($0, false) }].compactMap { $0 }
            case .braggBrentano:
                return [column[.specimenDisplacement].map { ($0, true) }, column[.transparency].map { ($0, false) }].compactMap { $0 }
            }
        }()
        let muRColumn = inst.geometry == .debyeScherrer ? column[.muR] : nil
        let ratioColumn = column[.secondLineRatio]
        let useTexture = phase.marchDollase != 1 || textureColumn != nil
        let frozen = pi < model.peakLayout.count && model.peakLayout[pi].count == phase.reflections.count ? model.peakLayout[pi] : nil
        var used = [PeakLayout](repeating: PeakLayout(asymmetryNodes: 3), count: phase.reflections.count)
        defer { layouts.append(used) }
        sensitivities.reserveCapacity(parameters.count)
        placed.reserveCapacity(placed.count + lines.count * phase.reflections.count / shares + 1)
        let wantDerivatives = !parameters.isEmpty

        for (ri, reflection) in phase.reflections.enumerated() where ri % shares == share {
            let m = reflection.index
            let q = cell.inverseDSquared(m.h, m.k, m.l)
            let sq = q.squareRoot()
            // Skip reflections whose peak cannot reach the pattern (checked again per line below).
            guard lambda1 * sq / 2 < 1 else { continue }
            let s = sq / 2
            phase.calculator.powderStructureFactor(s: s, atoms: atoms, phaseSums: phase.phaseSums(reflection: ri),
                                                   derivatives: wantDerivatives, into: &structureFactor)
            let f2 = structureFactor.squaredModulus
            let dS = structureFactor.dS
            let multiplicity = Double(reflection.multiplicity)

            // ∂|F|²/∂p for the structural parameters, and ∂q/∂p for the cell.
            structureDerivatives.removeAll(keepingCapacity: true)
            latticeDerivatives.removeAll(keepingCapacity: true)
            if wantDerivatives {
                let sf = structureFactor
                for o in occupancyColumns { structureDerivatives.append(ColumnDerivative(column: o.column, value: sf.dOccupancy[o.site])) }
                if let c = mixingColumn, let mix = phase.cationMixing {
                    var g = 0.0
                    for d in mix.occupancyDerivatives { g += d.derivative * sf.dOccupancy[d.atom] }
                    structureDerivatives.append(ColumnDerivative(column: c, value: g))
                }
                for u in uIsoColumns {
                    var g = 0.0
                    for atom in phase.sites[u.site] { g += sf.dUIso[atom] }
                    structureDerivatives.append(ColumnDerivative(column: u.column, value: g))
                }
                for p in positionColumns {
                    var g = 0.0
                    for atom in phase.sites[p.site] { g += (p.basis * sf.dPosition[atom]).sum() }
                    structureDerivatives.append(ColumnDerivative(column: p.column, value: g))
                }
                for l in latticeColumns {
                    latticeDerivatives.append(ColumnDerivative(column: l.column, value: phase.inverseDSquaredDerivative(m, l.parameter)))
                }
            }

            // Widths are those of the Kα1 peak (the Kα2 copy keeps them), computed at its position.
            var widthPosition = 0.0
            var variance = 0.0, gamma = 0.0, dVarDPos = 0.0, dGamDPos = 0.0
            var dPos1DQ = 0.0, dPos1DShift = (first: 0.0, second: 0.0)
            var sample = SampleBroadening.Widths()
            var texture = (value: 1.0, dRatio: 0.0)
            if useTexture {
                let axis = phase.textureAxis
                let gs = cell.reciprocalMetric
                let cos2 = phase.orbits[ri].map { h -> Double in
                    let hv = SIMD3(Double(h.h), Double(h.k), Double(h.l)), tv = SIMD3(Double(axis.h), Double(axis.k), Double(axis.l))
                    var hh = 0.0, tt = 0.0, ht = 0.0
                    for i in 0..<3 { for j in 0..<3 { hh += hv[i] * gs[3 * i + j] * hv[j]; tt += tv[i] * gs[3 * i + j] * tv[j]; ht += hv[i] * gs[3 * i + j] * tv[j] } }
                    return ht * ht / (hh * tt)
                }
                texture = MarchDollase.factor(ratio: phase.marchDollase, cosSquared: cos2)
            }

            for li in lines.indices {
                let line = lines[li]
                let sinTheta = line.wavelength * sq / 2
                guard sinTheta < 1 else { continue }
                let cosTheta = (1 - sinTheta * sinTheta).squareRoot()
                let braggDegrees = 2 * asin(sinTheta) / rad
                let dBraggDQ = line.wavelength / (2 * sq * cosTheta) / rad
                let shift = model.geometricShift(braggDegrees)
                let pos = braggDegrees + inst.zero + shift.shift
                let dPosDQ = dBraggDQ * (1 + shift.dTwoTheta)

                if li == 0 {
                    widthPosition = pos
                    dPos1DQ = dPosDQ
                    dPos1DShift = (shift.dFirst, shift.dSecond)
                    let th = pos * rad / 2
                    let (t, c) = (tan(th), cos(th))
                    let dtDPos = rad / 2 / (c * c)
                    variance = inst.u * t * t + inst.v * t + inst.w
                    dVarDPos = (2 * inst.u * t + inst.v) * dtDPos
                    gamma = inst.x / c + inst.y * t + inst.z
                    dGamDPos = inst.x * sin(th) / (c * c) * rad / 2 + inst.y * dtDPos
                    sample = SampleBroadening.widths(twoThetaDegrees: pos, wavelength: lambda1, size: phase.size, microstrain: phase.microstrain,
                                                     sizeMix: phase.sizeMix, strainMix: phase.strainMix)
                    variance += sample.variance
                    gamma += sample.gamma
                    dVarDPos += sample.dVarianceDTwoTheta
                    dGamDPos += sample.dGammaDTwoTheta
                }
                let shape = PseudoVoigt(variance: variance * k * k, gamma: gamma * k)
                let fwhmDegrees = shape.fwhm / rad
                if li == 0 {
                    used[ri].asymmetryNodes = frozen?[ri].asymmetryNodes
                        ?? AxialDivergence.adaptiveNodeCount(twoTheta: pos * rad, sOverL: inst.shl / 2, hOverL: inst.shl / 2, fwhm: shape.fwhm,
                                                             quadrature: inst.asymmetryQuadrature, gamma: gamma * k)
                }
                let asymmetric = inst.shl > 0
                    && asymmetryNodes.compute(twoTheta: pos * rad, sOverL: inst.shl / 2, hOverL: inst.shl / 2, fwhm: shape.fwhm,
                                              nodes: used[ri].asymmetryNodes, quadrature: inst.asymmetryQuadrature,
                                              partials: wantDerivatives)
                var asymmetryExtent = 0.0
                if asymmetric { for o in asymmetryNodes.offsets { asymmetryExtent = max(asymmetryExtent, abs(o.value) / rad) } }
                var below = model.windowLowFWHMs * fwhmDegrees + asymmetryExtent
                var above = model.windowHighFWHMs * fwhmDegrees
                if pos > 90 { swap(&below, &above) }
                if let f = fp {
                    if fpProfiler == nil { fpProfiler = model.fundamentalParametersCache.borrowProfiler() }
                    let reach = fpProfiler!.reach(f, d: 1 / sq)
                    (below, above) = (reach, reach)
                }
                let range: Range<Int>
                if let f = frozen?[ri].range(line: li) {
                    range = f
                } else {
                    range = (pos + above >= lowLimit && pos - below <= highLimit) ? lowerBound(pos - below)..<lowerBound(pos + above) : 0..<0
                }
                used[ri].setRange(range, line: li)
                guard !range.isEmpty else { continue }

                // Intensity and its dependence on the line position.
                let lpValue = lp.value(twoTheta: pos * rad)
                let dLpDPos = lp.derivative(twoTheta: pos * rad) * rad
                var absorption = (value: 1.0, dMuR: 0.0, dTwoTheta: 0.0)
                if inst.geometry == .debyeScherrer && (model.muR != 0 || muRColumn != nil) {
                    absorption = CylinderAbsorption.factor(muR: model.muR, twoTheta: pos * rad)
                }
                // Everything but scale, |F|², Lp and A; 1/V as in GSAS-II, so that scale factors carry across.
                let common = multiplicity * texture.value * line.ratio / cell.volume
                let intensity = phase.scale * f2 * common * lpValue * absorption.value
                let dIDPos = phase.scale * f2 * common * (dLpDPos * absorption.value + lpValue * absorption.dTwoTheta * rad)
                let perF2 = phase.scale * common * lpValue * absorption.value
                placed.append(PlacedReflection(phase: pi, index: m, multiplicity: reflection.multiplicity, twoTheta: pos,
                                               intensity: intensity,
                                               isSecondLine: line.isSecond))

                // Sensitivities of this line to every requested parameter.
                sensitivities.removeAll(keepingCapacity: true)
                if !parameters.isEmpty {
                    if let c = scaleColumn { sensitivities.append(LineSensitivity(column: c, dIntensity: f2 * common * lpValue * absorption.value)) }
                    for d in structureDerivatives { sensitivities.append(LineSensitivity(column: d.column, dIntensity: perF2 * d.value)) }
                    for (l, d) in zip(latticeColumns, latticeDerivatives) {
                        let dq = d.value
                        let dPos = dPosDQ * dq
                        let dPos1 = dPos1DQ * dq
                        sensitivities.append(LineSensitivity(column: d.column, dIntensity: perF2 * dS / (8 * s) * dq + dIDPos * dPos - intensity / cell.volume * l.dVolume,
                                                             dPosition: dPos * rad, dVariance: dVarDPos * dPos1 * k * k, dGamma: dGamDPos * dPos1 * k))
                    }
                    if let c = zeroColumn {
                        sensitivities.append(LineSensitivity(column: c, dIntensity: dIDPos, dPosition: rad, dVariance: dVarDPos * k * k, dGamma: dGamDPos * k))
                    }
                    for (c, first) in shiftColumns {
                        let dPos = first ? shift.dFirst : shift.dSecond
                        let dPos1 = first ? dPos1DShift.first : dPos1DShift.second
                        sensitivities.append(LineSensitivity(column: c, dIntensity: dIDPos * dPos, dPosition: dPos * rad,
                                                             dVariance: dVarDPos * dPos1 * k * k, dGamma: dGamDPos * dPos1 * k))
                    }
                    let th = widthPosition * rad / 2
                    let (t, cth) = (tan(th), cos(th))
                    for p in profileColumns {
                        var e = LineSensitivity(column: p.column)
                        switch p.term {
                        case .u: e.dVariance = t * t * k * k
                        case .v: e.dVariance = t * k * k
                        case .w: e.dVariance = k * k
                        case .x: e.dGamma = k / cth
                        case .y: e.dGamma = t * k
                        case .z: e.dGamma = k
                        case .shl: e.dAsymmetry = 1
                        }
                        sensitivities.append(e)
                    }
                    if let c = sizeColumn {
                        sensitivities.append(LineSensitivity(column: c, dVariance: sample.dVarianceDSize * k * k, dGamma: sample.dGammaDSize * k))
                    }
                    if let c = strainColumn {
                        sensitivities.append(LineSensitivity(column: c, dVariance: sample.dVarianceDStrain * k * k, dGamma: sample.dGammaDStrain * k))
                    }
                    if let c = muRColumn {
                        sensitivities.append(LineSensitivity(column: c, dIntensity: phase.scale * f2 * common * lpValue * absorption.dMuR))
                    }
                    if let c = textureColumn, texture.value != 0 {
                        sensitivities.append(LineSensitivity(column: c, dIntensity: intensity / texture.value * texture.dRatio))
                    }
                    if let c = ratioColumn, line.isSecond {
                        sensitivities.append(LineSensitivity(column: c, dIntensity: phase.scale * f2 * multiplicity * texture.value / cell.volume * lpValue * absorption.value))
                    }
                }

                // Spread the peak over its window: the profile and its partials at every point, then
                // yc and one contiguous update per Jacobian column.
                let count = range.count
                if let f = fp {
                    fillFundamentalParameters(f, d: 1 / sq, center: pos, range: range, sizeColumn: sizeColumn)
                } else {
                    kernel.evaluate(twoTheta: model.twoTheta, range: range, position: pos, shape: shape,
                                    nodes: asymmetric ? asymmetryNodes : nil, wantPartials: !sensitivities.isEmpty)
                }
                kernel.value.withUnsafeBufferPointer { v in
                    yc.withUnsafeMutableBufferPointer { y in
                        let (out, profile) = (y.baseAddress! + range.lowerBound, v.baseAddress!)
                        for j in 0..<count { out[j] += intensity * profile[j] }
                    }
                    if recordProfiles { profiles.append((0..<count).map { (range.lowerBound + $0, intensity * v[$0]) }) }
                }
                if !sensitivities.isEmpty {
                    kernel.accumulate(into: &jacobian, points: points, range: range, intensity: intensity, sensitivities: sensitivities)
                }
            }
        }
    }

    /// The FP profile of one reflection into the kernel's buffers (per centidegree, as the TCH path): value,
    /// ∂/∂position (rigid shift; the profile's slow change of shape with θ is not differentiated) and, in the
    /// γ slot, ∂/∂size. The instrument's U V W X Y Z and SH/L and the microstrain do
    /// not act on an FP profile: their `sensitivities` are dropped, the width terms of the others cleared.
    mutating func fillFundamentalParameters(_ fp: FundamentalParameters, d: Double, center: Double, range: Range<Int>,
                                            sizeColumn: Int?) {
        let count = range.count
        kernel.grow(count)
        var values = [Double](repeating: 0, count: count), slopes = values
        // ∂/∂size in Fourier space (see `FundamentalParametersProfiler.grid(_:instrument:sizeDerivative:)`).
        var sizeSlopes: [Double]? = sizeColumn.map { c in sensitivities.contains { $0.column == c } } == true ? values : nil
        fpProfiler!.profile(fp, d: d, center: center, twoTheta: model.twoTheta, range: range, values: &values, slopes: &slopes,
                            sizeSlopes: &sizeSlopes, cache: model.fundamentalParametersCache)
        let perCentidegree = 0.01, perRadian = 180 / Double.pi
        let dSize = sizeSlopes ?? [Double](repeating: 0, count: count)
        for j in 0..<count {
            kernel.value[j] = values[j] * perCentidegree
            kernel.dPosition[j] = slopes[j] * perRadian * perCentidegree
            kernel.dVariance[j] = 0
            kernel.dGamma[j] = dSize[j] * perCentidegree
            kernel.dAsymmetry[j] = 0
        }
        let dropped = Set([ModelParameter.profile(.u), .profile(.v), .profile(.w), .profile(.x), .profile(.y), .profile(.z), .profile(.shl)]
            .compactMap { column[$0] } + model.phases.indices.compactMap { column[.microstrain(phase: $0)] })
        sensitivities = sensitivities.filter { !dropped.contains($0.column) }.map { e in
            var e = e
            e.dVariance = 0
            e.dAsymmetry = 0
            e.dGamma = e.column == sizeColumn ? 1 : 0
            return e
        }
    }
}

/// A lattice parameter the model refines: its column and ∂V/∂parameter.
struct LatticeColumn {
    var parameter: LatticeParameter
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
