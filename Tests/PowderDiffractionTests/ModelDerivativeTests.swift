import Crystallography
import Foundation
import NumericCore
import PowderDiffraction
import RietveldIO
import Testing
import _TestSupport


/// Every analytic column of ∂yc/∂p against a central finite difference of yc itself.
@Suite struct ModelDerivativeTests {
    static func linio2Model(texture: Double = 1) throws -> PatternModel {
        let structure = try StructureCIF.read(repositoryRoot.appendingPathComponent("structures/LiNiO2.cif"))
        let inst = Instrument(radiation: Radiation(wavelength: 0.70926, secondWavelength: 0.713543, secondLineRatio: 0.5),
                              geometry: .debyeScherrer, zero: -0.012, u: 2, v: -1, w: 4, x: 0.3, y: 1, z: 0.1, shl: 0.02)
        let x = stride(from: 7.0, through: 24.0, by: 0.01).map { $0 }
        var model = try Simulation.makeModel(structure: structure, instrument: inst, twoTheta: x, scale: 60,
                                             background: [700, -250, 230, -90, 5], size: 0.12, microstrain: 1500, muR: 0.4)
        model.displacementPerpendicular = 30
        model.displacementParallel = -20
        model.phases[0].sizeMix = 0.7
        model.phases[0].strainMix = 0.6
        model.phases[0].marchDollase = texture
        model.phases[0].setCationMixing(0.04)
        return model
    }

    static func pbso4Model() throws -> PatternModel {
        let structure = try StructureCIF.read(repositoryRoot.appendingPathComponent("patterns/pbso4/PbSO4-Wyckoff.cif"))
        let inst = Instrument(radiation: Radiation(wavelength: 1.5405929, secondWavelength: 1.5444274, secondLineRatio: 0.5),
                              geometry: .braggBrentano, zero: 0.02, polarization: 0.7, u: 3, v: -2, w: 6, x: 1, y: 3, z: 0, shl: 0.03)
        let x = stride(from: 20.0, through: 34.0, by: 0.02).map { $0 }
        var model = try Simulation.makeModel(structure: structure, instrument: inst, twoTheta: x, scale: 2,
                                             background: [100, 10], size: 0.5, microstrain: 800)
        model.specimenDisplacement = 40
        model.transparency = 0.01
        return model
    }

    /// Compares the analytic column with (yc(p+h) − yc(p−h)) / 2h.
    func check(_ unfrozen: PatternModel, _ parameters: [ModelParameter], tolerance: Double = 1e-5,
               step: (ModelParameter, Double) -> Double) throws {
        var model = unfrozen
        model.freezePeakLayout()
        let analytic = model.evaluate(derivativesFor: parameters).jacobian!
        for (c, p) in parameters.enumerated() {
            let v = model.value(of: p)
            let h = step(p, v)
            var up = model, down = model
            try up.setValue(v + h, for: p)
            try down.setValue(v - h, for: p)
            let yu = up.evaluate().calculated, yd = down.evaluate().calculated
            var worst = 0.0, scale = 0.0, at = 0.0
            for i in 0..<model.twoTheta.count {
                let fd = (yu[i] - yd[i]) / (2 * h)
                scale = max(scale, abs(fd))
                if abs(analytic[i, c] - fd) > worst { worst = abs(analytic[i, c] - fd); at = model.twoTheta[i] }
            }
            #expect(scale > 0, "\(p): derivative is identically zero")
            #expect(worst <= tolerance * scale, "\(p): max |analytic − FD| = \(worst), max |FD| = \(scale) at 2θ = \(at)")
        }
    }

    static func relativeStep(_ p: ModelParameter, _ v: Double) -> Double {
        switch p {
        case .phase(_, .position), .phase(_, .uIso), .phase(_, .cationMixing), .phase(_, .occupancy): return 1e-6
        case .phase(_, .lattice): return 1e-7 * v
        case .pattern(.zero): return 1e-6
        // Steps that move peaks by ~1e-6°: smaller moves drown in the rounding of the FCJ node geometry.
        case .pattern(.displacementParallel), .pattern(.displacementPerpendicular), .pattern(.specimenDisplacement): return 0.05
        case .pattern(.transparency): return 2e-4
        default: return max(abs(v), 1) * 1e-6
        }
    }

    @Test func layeredOxideEveryParameterKind() throws {
        let model = try Self.linio2Model()
        let o = 2  // oxygen site
        #expect(model.phases[0].siteSymmetries[o].coordinates.freeComponents == [2])
        let params: [ModelParameter] = [
            .scale(phase: 0), .background(term: 0), .background(term: 3), .zero, .displacementPerpendicular, .displacementParallel,
            .muR, .lattice(phase: 0, .a), .lattice(phase: 0, .c), .position(phase: 0, site: o, axis: 2),
            .uIso(phase: 0, site: 0), .uIso(phase: 0, site: 1), .uIso(phase: 0, site: 2), .cationMixing(phase: 0),
            .occupancy(phase: 0, atom: 0), .profile(.u), .profile(.v), .profile(.w), .profile(.x), .profile(.y), .profile(.z),
            .profile(.shl), .size(phase: 0), .microstrain(phase: 0), .secondLineRatio,
        ]
        try check(model, params, step: Self.relativeStep)
    }

    @Test func gsas2AsymmetryRule() throws {
        var model = try Self.linio2Model()
        model.instrument.asymmetryQuadrature = .gsas2
        try check(model, [.zero, .profile(.shl), .lattice(phase: 0, .c), .size(phase: 0), .profile(.y)], step: Self.relativeStep)
    }

    /// S/L told apart from H/L (H/L = SH/L − S/L): SH/L at fixed S/L and S/L at fixed SH/L, together with the
    /// position terms they share peaks with, on a capillary and on a flat plate (below and above 90°).
    @Test func separateAxialRatios() throws {
        var capillary = try Self.linio2Model()
        capillary.instrument.sOverL = 0.006
        try check(capillary, [.profile(.shl), .profile(.sl), .zero, .lattice(phase: 0, .c), .profile(.w)], step: Self.relativeStep)
        var plate = try Self.pbso4Model()
        plate.instrument.sOverL = 0.021
        plate.twoTheta = stride(from: 20.0, through: 150, by: 0.02).map { $0 }
        plate.releasePeakLayout()
        try check(plate, [.profile(.shl), .profile(.sl), .specimenDisplacement, .lattice(phase: 0, .a)], step: Self.relativeStep)
    }

    /// The full axial model: the sub-peaks' weights carry ∂/∂2θ, so everything that moves peaks (zero,
    /// displacement, cell) and the widths against finite differences.
    @Test func fullAxialModel() throws {
        var plate = try Self.pbso4Model()
        plate.instrument.fullAxial = AxialGeometry(radius: 217.5, sourceLength: 12, sampleLength: 15, receiverLength: 15,
                                                   primarySoller: 3.4, secondarySoller: 3.4)
        plate.releasePeakLayout()
        try check(plate, [.zero, .specimenDisplacement, .lattice(phase: 0, .a), .lattice(phase: 0, .c), .profile(.w), .profile(.x),
                          .scale(phase: 0)], step: Self.relativeStep)
    }

    /// The full axial model's Soller angle (a primary slit as wide as the secondary, and half as wide) against
    /// finite differences of yc. yc lays the quadrature out afresh at each angle, and its cells (a grid over
    /// the nodes' extent) move with the angle: nodes crossing cell edges add steps of ~10⁻⁵ of a peak to yc,
    /// which a difference over 10⁻⁴ of the angle magnifies to 12 % of the derivative, over 10⁻² to 2 %. Hence
    /// the step of 1 % and a tolerance of 4 % here; the quadrature's own derivative is held to 10⁻⁴ in
    /// `FullAxialDivergenceTests.sollerDerivative`.
    @Test(arguments: [(3.4, 3.4), (2.0, 4.0)]) func fullAxialSollerAngle(primary: Double, secondary: Double) throws {
        var plate = try Self.pbso4Model()
        plate.instrument.fullAxial = AxialGeometry(radius: 217.5, sourceLength: 12, sampleLength: 15, receiverLength: 15,
                                                   primarySoller: primary, secondarySoller: secondary)
        plate.releasePeakLayout()
        try check(plate, [.profile(.soller)], tolerance: 0.04, step: { _, v in 1e-2 * v })
    }

    /// Uniaxial size and microstrain (axis c): the equatorial and axial terms of both against finite
    /// differences, with the cell (which tilts the reflection normals against c).
    @Test func uniaxialBroadening() throws {
        var model = try Self.linio2Model()
        model.phases[0].axialSize = 0.05
        model.phases[0].axialMicrostrain = 2500
        try check(model, [.size(phase: 0), .microstrain(phase: 0), .phase(0, .axialSize), .phase(0, .axialMicrostrain),
                          .lattice(phase: 0, .a), .lattice(phase: 0, .c)], step: Self.relativeStep)
    }

    /// Stephens' generalized microstrain (R-3m: S400, S004, S202), anisotropic, with the cell (μ = d²√Σ moves
    /// with 1/d²) against finite differences.
    @Test func stephensMicrostrain() throws {
        var model = try Self.linio2Model()
        let terms = try #require(StephensMicrostrain.terms(for: model.phases[0].structure.spaceGroup))
        #expect(terms == [.s400, .s004, .s202])
        model.phases[0].stephensTerms = terms
        model.phases[0].stephens = StephensMicrostrain.isotropic(1500, a: 2.878, c: 14.19, terms: terms).enumerated().map { $0.element * [1.3, 0.6, 0.8][$0.offset] }
        try check(model, [.phase(0, .stephens(0)), .phase(0, .stephens(1)), .phase(0, .stephens(2)), .lattice(phase: 0, .a), .lattice(phase: 0, .c),
                          .size(phase: 0)], step: { p, v in
            if case .phase(_, .stephens) = p { return 1e-4 * abs(v) }
            return Self.relativeStep(p, v)
        })
    }

    /// A spherical-harmonic fibre texture: each coefficient's column against finite differences.
    @Test func harmonicTexture() throws {
        var model = try Self.linio2Model()
        model.phases[0].textureHarmonics = [0.4, -0.2, 0.1]
        try check(model, [.phase(0, .harmonic(0)), .phase(0, .harmonic(1)), .phase(0, .harmonic(2)), .scale(phase: 0)], step: Self.relativeStep)
    }

    /// The harmonic series against an independent expansion of March–Dollase's pole density
    /// P(x) = (r²x² + (1 − x²)/r)^(−3/2), x = cos φ: with C_l = (2l + 1) ∫₀¹ P(x) P_l(x) dx (Gauss–Legendre here,
    /// P_l from its closed forms) up to l = 8, the pattern of LiNiO2 with r = 0.85 along 001 is the March–Dollase
    /// one within the truncation (0.3 % of the strongest point).
    @Test func harmonicSeriesReproducesMarchDollase() throws {
        let r = 0.85
        func md(_ x: Double) -> Double { pow(r * r * x * x + (1 - x * x) / r, -1.5) }
        let legendre: [(Double) -> Double] = [
            { x in (3 * x * x - 1) / 2 },
            { x in (35 * pow(x, 4) - 30 * x * x + 3) / 8 },
            { x in (231 * pow(x, 6) - 315 * pow(x, 4) + 105 * x * x - 5) / 16 },
            { x in (6435 * pow(x, 8) - 12012 * pow(x, 6) + 6930 * pow(x, 4) - 1260 * x * x + 35) / 128 },
        ]
        let (u, w) = GaussLegendre.rule(40)
        var c: [Double] = []
        for (k, p) in legendre.enumerated() {
            var integral = 0.0
            for i in u.indices { integral += w[i] * md(u[i]) * p(u[i]) }
            c.append(Double(4 * k + 5) * integral)
        }
        var marchDollase = try Self.linio2Model(texture: r)
        var harmonic = try Self.linio2Model()
        harmonic.phases[0].textureHarmonics = c
        marchDollase.freezePeakLayout(); harmonic.freezePeakLayout()
        let a = marchDollase.evaluate().calculated, b = harmonic.evaluate().calculated
        let top = a.max()!
        let worst = zip(a, b).map { abs($0 - $1) }.max()!
        #expect(worst < 0.003 * top, "worst \(worst) of \(top); C = \(c)")
    }

    /// Sharing the points out among threads (each writes its own rows; a peak across a part boundary is
    /// computed on both sides) gives the one-thread numbers to the last bit: yc, every Jacobian column, each
    /// phase's pattern, the placed lines in the same order and the same layouts — two phases with overlapping
    /// peaks, Kα1 + Kα2 and FCJ asymmetry, with the layout chosen afresh and frozen, on 2 and 3 threads.
    @Test func threadedEvaluationEqualsSerial() throws {
        let lno = try StructureCIF.read(repositoryRoot.appendingPathComponent("patterns/gsas2-sim-multiphase/composite-lno-lpscl/LNO_true.cif"))
        let lpscl = try StructureCIF.read(repositoryRoot.appendingPathComponent("patterns/gsas2-sim-multiphase/composite-lno-lpscl/LPSCl_true.cif"))
        let inst = Instrument(radiation: Radiation(wavelength: 0.70926, secondWavelength: 0.713543, secondLineRatio: 0.5), geometry: .debyeScherrer,
                              zero: -0.005, u: 3, v: -1.5, w: 2.5, x: 0.3, y: 1.5, shl: 0.02)
        let x = stride(from: 6.0, through: 24.0, by: 0.005).map { $0 }
        var model = try Simulation.makeModel(phases: [SimulatedPhase(structure: lno, name: "LNO", scale: 110, size: 0.15, microstrain: 800),
                                                      SimulatedPhase(structure: lpscl, name: "LPSCl", scale: 8, size: 0.06, microstrain: 1200)],
                                             instrument: inst, twoTheta: x, background: [570, -220, 65], muR: 0.6)
        model.pointsPerThread = 1000
        let params: [ModelParameter] = [.scale(phase: 0), .lattice(phase: 0, .a), .lattice(phase: 0, .c), .scale(phase: 1), .lattice(phase: 1, .a),
                                        .zero, .profile(.u), .profile(.shl), .size(phase: 1), .background(term: 0), .background(term: 1)]
        for frozen in [false, true] {
            if frozen { model.freezePeakLayout() } else { model.releasePeakLayout() }
            model.threads = 1
            let serial = model.evaluate(derivativesFor: params, separatingPhases: true)
            for threads in [2, 3] {
                model.threads = threads
                let threaded = model.evaluate(derivativesFor: params, separatingPhases: true)
                #expect(serial.calculated == threaded.calculated, "yc, \(threads) threads, frozen \(frozen)")
                #expect(serial.background == threaded.background)
                #expect(serial.jacobian!.storage == threaded.jacobian!.storage, "Jacobian, \(threads) threads, frozen \(frozen)")
                #expect(serial.phaseCalculated == threaded.phaseCalculated)
                #expect(serial.reflections.map(\.twoTheta) == threaded.reflections.map(\.twoTheta))
                #expect(serial.reflections.map(\.intensity) == threaded.reflections.map(\.intensity))
                #expect(serial.reflections.map(\.phase) == threaded.reflections.map(\.phase))
                #expect(serial.peakLayout == threaded.peakLayout)
            }
        }
        #expect(x.count / model.pointsPerThread >= 3, "the pattern must be long enough for three parts")
    }

    /// With a fundamental-parameters profile: intensity parameters, the zero (a rigid shift), the size, and the
    /// profile's own receiving slit, divergence and axial divergence (their columns are central differences of
    /// the convolved profile over 10⁻³ of the value; here yc over 10⁻⁴). The FCJ part of the FP profile has
    /// kinks in (S + H)/L that its 10⁻³ difference smooths: differences of yc over 10⁻⁵ to 3·10⁻⁴ of it agree
    /// with that column to 0.5 % (and move by 0.1 % among themselves), hence its looser tolerance.
    @Test func fundamentalParametersProfile() throws {
        let structure = try StructureCIF.read(repositoryRoot.appendingPathComponent("structures/LaB6.cif"))
        var inst = Instrument(radiation: Radiation(wavelength: 1.540596), geometry: .braggBrentano, zero: 0.01)
        inst.fundamentalParameters = FundamentalParameters(emission: FundamentalParameters.copperKAlpha5, radius: 217.5, receivingSlit: 0.2,
                                                           equatorialDivergence: 1.05, sOverL: 7.5 / 217.5, hOverL: 6 / 217.5)
        let x = stride(from: 20.5, through: 31.5, by: 0.01).map { $0 }
        let model = try Simulation.makeModel(structure: structure, instrument: inst, twoTheta: x, scale: 5, background: [20, 3],
                                             size: 0.8, microstrain: 0)
        let step = { (p: ModelParameter, v: Double) -> Double in
            if case .phase(_, .size) = p { return 1e-3 * v }
            if case .pattern(.profile) = p { return 1e-4 * v }
            return Self.relativeStep(p, v)
        }
        try check(model, [.scale(phase: 0), .zero, .size(phase: 0), .background(term: 1), .uIso(phase: 0, site: 0),
                          .profile(.receivingSlit), .profile(.divergence)], step: step)
        try check(model, [.profile(.axialDivergence)], tolerance: 0.01, step: step)
    }

    /// An FP profile with the full axial model (Soller slits), tube tails, an analyser's passband and a flat
    /// specimen's transparency drawn inside its convolution: those columns (central differences of the convolved profile) against
    /// finite differences of yc, with the specimen displacement, zero and cell (rigid shifts) beside them. The
    /// Soller angle's quadrature is laid out afresh on either side (cells move: ~1 % noise, as on the TCH
    /// path), and a tail's edge is shared between grid cells linearly (kinks at cell edges), hence 3 %.
    @Test func fundamentalParametersFullAxialTailsTransparency() throws {
        let structure = try StructureCIF.read(repositoryRoot.appendingPathComponent("structures/LaB6.cif"))
        var inst = Instrument(radiation: Radiation(wavelength: 1.5405925), geometry: .braggBrentano, zero: 0.01, goniometerRadius: 217.5)
        var fp = FundamentalParameters(emission: FundamentalParameters.copperKAlphaMendenhall, radius: 217.5, receivingSlit: 0.2,
                                       equatorialDivergence: 1.05, sOverL: 7.5 / 217.5, hOverL: 6 / 217.5)
        fp.tubeTails = .init(mainWidth: 0.04, left: -1.1, right: 1.2, height: 0.002)
        fp.passband = .init(width: 0.006, offset: 0.001)
        inst.fundamentalParameters = fp
        inst.fullAxial = AxialGeometry(radius: 217.5, sourceLength: 12, sampleLength: 15, receiverLength: 20, primarySoller: 2.6, secondarySoller: 2.6)
        let x = stride(from: 20.5, through: 31.5, by: 0.01).map { $0 }
        var model = try Simulation.makeModel(structure: structure, instrument: inst, twoTheta: x, scale: 5, background: [20, 3],
                                             size: 0.8, microstrain: 0)
        model.transparency = 0.4
        model.specimenDisplacement = -50
        let step = { (p: ModelParameter, v: Double) -> Double in
            if case .pattern(.profile) = p { return 1e-3 * v }
            if case .pattern(.transparency) = p { return 1e-3 * v }
            return Self.relativeStep(p, v)
        }
        try check(model, [.zero, .scale(phase: 0), .transparency, .specimenDisplacement], tolerance: 1e-3, step: step)
        // The cell moves the profile rigidly in its column; its slow change of shape with θ (here the full
        // axial model's, fast at 21°) is left out: 2·10⁻³ of the column.
        try check(model, [.lattice(phase: 0, .a)], tolerance: 5e-3, step: step)
        try check(model, [.profile(.soller), .profile(.tailLeft), .profile(.tailRight), .profile(.tailHeight)], tolerance: 0.03, step: step)
        try check(model, [.profile(.passbandWidth), .profile(.passbandOffset)], tolerance: 0.01, step: step)
    }

    @Test func textureRatio() throws {
        let model = try Self.linio2Model(texture: 0.8)
        try check(model, [.texture(phase: 0), .scale(phase: 0)], step: Self.relativeStep)
    }

    @Test func lowSymmetryStructureInBraggBrentano() throws {
        let model = try Self.pbso4Model()
        let phase = model.phases[0]
        var params: [ModelParameter] = [.specimenDisplacement, .transparency, .zero, .profile(.shl),
                                        .lattice(phase: 0, .a), .lattice(phase: 0, .b), .lattice(phase: 0, .c)]
        for s in phase.sites.indices {
            for axis in phase.siteSymmetries[s].coordinates.freeComponents { params.append(.position(phase: 0, site: s, axis: axis)) }
            params.append(.uIso(phase: 0, site: s))
        }
        // Pnma: the O on the general position refines x, y, z; Pb, S on 4c refine x and z only.
        #expect(phase.siteSymmetries.map(\.coordinates.freeComponents.count).sorted() == [2, 2, 2, 2, 3])
        try check(model, params, step: Self.relativeStep)
    }

    /// Two phases whose peaks overlap (the composite cathode: LiNiO2 and the argyrodite Li6PS5Cl, Mo Kα1):
    /// every per-phase parameter of both, and the shared ones, against finite differences.
    @Test func twoPhasesWithOverlappingPeaks() throws {
        let lno = try StructureCIF.read(repositoryRoot.appendingPathComponent("patterns/gsas2-sim-multiphase/composite-lno-lpscl/LNO_true.cif"))
        let lpscl = try StructureCIF.read(repositoryRoot.appendingPathComponent("patterns/gsas2-sim-multiphase/composite-lno-lpscl/LPSCl_true.cif"))
        let inst = Instrument(radiation: Radiation(wavelength: 0.70926), geometry: .debyeScherrer, zero: -0.005, u: 3, v: -1.5, w: 2.5, x: 0.3, y: 1.5, shl: 0.003)
        let x = stride(from: 8.0, through: 22.0, by: 0.012).map { $0 }
        var model = try Simulation.makeModel(phases: [SimulatedPhase(structure: lno, name: "LNO", scale: 110, size: 0.15, microstrain: 800),
                                                      SimulatedPhase(structure: lpscl, name: "LPSCl", scale: 8, size: 0.06, microstrain: 1200)],
                                             instrument: inst, twoTheta: x, background: [570, -220, 65], muR: 0.6)
        model.phases[1].marchDollase = 0.9
        // At a = 9.99 Å the argyrodite's 531/442 pair falls on LiNiO2's 107 line near 20.03°.
        try model.phases[1].setLattice(.a, 9.99)
        model.releasePeakLayout()
        let e = model.evaluate()
        let lines = (0..<2).map { p in e.reflections.filter { $0.phase == p }.map(\.twoTheta) }
        #expect(lines[1].contains { t in lines[0].contains { abs($0 - t) < 0.02 } }, "no overlapping peaks in this range")
        var params: [ModelParameter] = [.zero, .muR, .background(term: 1), .profile(.w)]
        for (p, phase) in model.phases.enumerated() {
            params += [.scale(phase: p), .size(phase: p), .microstrain(phase: p), .texture(phase: p)]
            params += phase.independentLattice.map { .lattice(phase: p, $0) }
            for site in phase.sites.indices {
                params += phase.siteSymmetries[site].coordinates.freeComponents.map { .position(phase: p, site: site, axis: $0) }
                params.append(.uIso(phase: p, site: site))
            }
            if phase.cationMixing != nil { params.append(.cationMixing(phase: p)) }
        }
        params.append(.occupancy(phase: 1, atom: 2))
        try check(model, params, step: Self.relativeStep)
    }

    /// A Le Bail phase: its cell and broadening act on the pattern exactly as a Rietveld phase's do.
    @Test func leBailPhaseCellAndBroadening() throws {
        let lpscl = try StructureCIF.read(repositoryRoot.appendingPathComponent("patterns/gsas2-sim-multiphase/composite-lno-lpscl/LPSCl_true.cif"))
        let inst = Instrument(radiation: Radiation(wavelength: 0.70926), geometry: .debyeScherrer, u: 3, v: -1.5, w: 2.5, x: 0.3, y: 1.5, shl: 0.003)
        let x = stride(from: 8.0, through: 20.0, by: 0.012).map { $0 }
        let phase = try Phase(structure: lpscl, wavelength: 0.70926, dMin: 1.9, scale: 3, size: 0.06, microstrain: 1200, name: "LPSCl", mode: .leBail)
        var model = PatternModel(twoTheta: x, instrument: inst, background: ChebyshevBackground(coefficients: [50], low: 8, high: 20), phases: [phase])
        var intensities: [MillerIndex: Double] = [:]
        for (k, r) in model.phases[0].reflections.enumerated() { intensities[r.index] = 100 + 10 * Double(k % 7) }
        model.phases[0].setExtractedIntensities(intensities)
        try check(model, [.lattice(phase: 0, .a), .size(phase: 0), .microstrain(phase: 0), .zero, .background(term: 0)], step: Self.relativeStep)
    }
}
