import Crystallography
import Foundation
import PowderDiffraction

/// The default strategy, for one phase or several (layered oxides and others alike):
///
/// 1. scale + background;
/// 2. scales + zero (capillary) or specimen displacement (flat plate) + every phase's cell, with broadened
///    peaks over 2θ ≤ 60° (or the user's range), against the pattern smoothed by the same broadening
///    (`Pattern.smoothed`), background held;
/// 3. cells, size and strain of every phase over the whole pattern (with a start instrument profile, see
///    `ProfileStatus`: the cells alone, then U V W X Y and SH/L with them instead of size and strain);
/// 4. strong preferred orientation looked for (`TextureDetection`), then free coordinates, U_iso per site and
///    cation mixing of each phase whose peaks support it (`StructureSupport`);
/// 5. all together.
///
/// All but the last stage stop early (see `RefinementStage.isPreliminary`). A Le Bail phase has no structure:
/// its intensities are extracted in every stage that refines its cell (see `LeBail`).
///
/// Why the smoothing: a model broadened to ~0.3° against sharp measured peaks fits badly (Rwp ~50 %), and its
/// χ² surface is so flat and uneven that the cell zig-zagged for the whole stage (8 cycles at the limit from a
/// start 0.5 % off). Broadening the data alike makes the stage a good fit (Rwp ~5 %) that converges in 4–6
/// cycles to within ~0.1 % of the cell, so the next stage needs fewer cycles too.
public enum DefaultStrategy {
    /// Size (µm) that broadens the peaks to a Lorentzian FWHM of about 0.3° (λ/D = 0.005 rad) while the cell
    /// first moves: wider than the peak shifts of a 0.5 % cell error up to 2θ ≈ 60° (2 tanθ × 0.005 rad).
    public static func broadeningSize(wavelength: Double) -> Double { wavelength / (0.005 * 1e4) }

    /// The broadened stage fits 2θ ≤ 60°, where a 0.5 % cell error moves peaks by less than the broadened
    /// width; the next stage takes the whole pattern.
    public static let broadenedTwoThetaMax = 60.0

    /// Window of the broadened stage in FWHMs: ±8 FWHM of a 0.3° Lorentzian still spans the peak shifts of a
    /// 0.5 % cell error and keeps ~96 % of its area; the model's 30 FWHM would make each peak ~1200 points wide.
    public static let broadenedPeakWindow = 8.0

    /// Sizes start the first sharp stage at most here: peaks 7× narrower than in the broadened stage (λ/D =
    /// 0.0007 rad; 0.1 µm at Mo Kα, 0.22 µm at Cu Kα), still wider than most shifts a held minor cell has left.
    public static func firstSharpSize(wavelength: Double) -> Double { 7 * broadeningSize(wavelength: wavelength) }

    /// Cycle limit of the broadened stage.
    public static let broadenedCycles = 8

    /// Cycle limit of the final stage when it refines a start profile: U V W, X Y, SH/L and the offset are
    /// correlated beyond 0.9 and the solver follows their curved valley in steps of a fraction of an esd
    /// (P2-NaCoO2 from a generic file: 49 cycles from Rwp 4.4 to 2.24 %; at the solver's usual 30 it stopped
    /// at 3.5 %). A calibrated profile's final stage takes a few.
    public static let startProfileFinalCycles = 100

    /// The widths a refined instrument profile includes: U V W X Y for the pseudo-Voigt path; for a
    /// fundamental-parameters profile its receiving slit, divergence and axial divergence — (S + H)/L, or the
    /// Soller angle when the full axial model draws the axial divergence — and its tube tails, those it has
    /// (a zero width, as a capillary's divergence, has no slope; tails of zero height or extent are left alone).
    /// An analyser's passband is held unless a recipe names it: a window much wider than the Kα doublet barely
    /// acts on the peaks, and its width and offset are then undetermined.
    public static func profileWidths(of instrument: Instrument) -> [ModelParameter] {
        guard let fp = instrument.fundamentalParameters else { return [ProfileTerm.u, .v, .w, .x, .y].map { .profile($0) } }
        var terms: [ProfileTerm] = [.receivingSlit, .divergence]
        if let axial = instrument.fullAxial {
            if axial.hasSoller { terms.append(.soller) }
        } else {
            terms.append(.axialDivergence)
        }
        if let t = fp.tubeTails, t.height > 0, t.right > t.left { terms += [.tailLeft, .tailRight, .tailHeight] }
        return terms.filter { instrument.value(of: $0) != 0 }.map { .profile($0) }
    }

    /// The asymmetry a refined instrument profile includes: FCJ's SH/L, or with the full axial model (whose
    /// asymmetry is the geometry's; SH/L is not used) the Soller angle — the one length of it rarely known
    /// well — when the geometry has a Soller slit; none for a fundamental-parameters profile (its axial
    /// divergence is one of its widths).
    public static func asymmetryParameters(of instrument: Instrument) -> [ModelParameter] {
        guard instrument.fundamentalParameters == nil else { return [] }
        guard let axial = instrument.fullAxial else { return [.profile(.shl)] }
        return axial.hasSoller ? [.profile(.soller)] : []
    }

    /// Whether the default strategy refines this instrument's profile with the sample: a start profile (see
    /// `ProfileStatus`) of the pseudo-Voigt path. It then holds the sample's size and microstrain at none,
    /// since with GSAS-II's Lorentzian mixing they broaden exactly as X/cosθ and Y tanθ do.
    public static func holdsSampleBroadening(_ instrument: Instrument) -> Bool {
        instrument.profileStatus == .start && instrument.fundamentalParameters == nil
    }

    public static func stages(for model: PatternModel, backgroundTerms: Int, refineStructure: Bool = true,
                              refineProfile: Bool = true, detectTexture: Bool = true, searchCell: Bool = false) -> [RefinementStage] {
        let background = (0..<backgroundTerms).map { ModelParameter.background(term: $0) }
        var scales: [ModelParameter] = []
        // One peak-offset term by default: the zero for a capillary (Debye–Scherrer, usually centred), the
        // specimen displacement for a flat plate (Bragg–Brentano), whose zero comes from the calibrated
        // instrument. Refined together they are nearly degenerate with the cell over a limited 2θ range;
        // a recipe can still ask for both.
        let offset: ModelParameter = model.instrument.geometry == .braggBrentano ? .specimenDisplacement : .zero
        var cells: [ModelParameter] = []
        var profile: [ModelParameter] = []
        var axialSizes: [ModelParameter] = []
        var harmonics: [ModelParameter] = []
        var structure: [ModelParameter] = []
        for (p, phase) in model.phases.enumerated() where phase.isActive {
            // A Le Bail phase's scale sets its level until its intensities are extracted (see `LeBail`).
            scales.append(.scale(phase: p))
            cells += phase.independentLattice.map { .lattice(phase: p, $0) }
            // What acts on the peaks: a fundamental-parameters profile has no microstrain term (yet), size only.
            profile += ([.size] + phase.strainParameters).filter(model.instrument.acts).map { .phase(p, $0) }
            if phase.isUniaxial && model.instrument.acts(.axialSize) {
                if holdsSampleBroadening(model.instrument) {
                    // The isotropic part is in X and Y; what the axis adds to the size is the sample's own.
                    axialSizes.append(.phase(p, .axialSize))
                } else {
                    profile += [.phase(p, .axialSize), .phase(p, .axialMicrostrain)]
                }
            }
            structure += structuralParameters(of: phase, index: p)
            harmonics += phase.textureHarmonics.indices.map { .phase(p, .harmonic($0)) }
        }
        // A start profile: U V W X Y and SH/L together, in a stage of their own after the sharp cell stage;
        // the sample's Lorentzian terms are held (see `holdsSampleBroadening`). The zero stays the file's: with
        // a flat plate it is 0.99 correlated with the displacement and the cell. (On NIST's LaB6 scan, U V W X Y
        // refined with the cell before SH/L went to V −7.7, W 8.2 — a negative variance near 94° — and SH/L
        // 0.042, Rwp 10.7 %; refined together after the cell, V 0.6, W 2.2, SH/L 0.062 as the geometry's
        // (7.5 + 6)/217.5 mm, Rwp 8.9 %.)
        var instrumentTerms: [ModelParameter] = []
        if holdsSampleBroadening(model.instrument) {
            instrumentTerms = profileWidths(of: model.instrument) + asymmetryParameters(of: model.instrument) + axialSizes
            profile = []
        } else if model.instrument.fundamentalParameters != nil && model.instrument.profileStatus == .start {
            // A fundamental-parameters start: its widths with the cell (the size, a separate convolution, stays
            // the sample's).
            instrumentTerms = profileWidths(of: model.instrument)
        }
        let basic = background + scales
        var stages = [RefinementStage(name: "scale and background", parameters: basic, isPreliminary: true)]
        // The background stays at the whole-pattern fit of the first stage: smoothing keeps a smooth
        // background as it is, and terms fitted on 2θ ≤ 60° alone would be free to run away above it.
        var broadened = RefinementStage.broadened(name: "cell (broadened peaks)", parameters: scales + [offset] + cells,
                                                  wavelength: model.instrument.radiation.wavelength, twoThetaMax: broadenedTwoThetaMax,
                                                  maximumIterations: broadenedCycles)
        broadened.searchesCell = searchCell
        stages.append(broadened)
        var all = basic + [offset] + cells
        if refineProfile { all += profile }
        var sharp = RefinementStage(name: refineProfile && instrumentTerms.isEmpty ? "cell, size and strain" : "cell", parameters: all, isPreliminary: true)
        sharp.requiresStructureSupport = true
        sharp.startSize = firstSharpSize(wavelength: model.instrument.radiation.wavelength)
        stages.append(sharp)
        if !instrumentTerms.isEmpty {
            all += instrumentTerms
            var instrument = RefinementStage(name: "cell and instrument profile", parameters: all, isPreliminary: true)
            instrument.requiresStructureSupport = true
            stages.append(instrument)
        }
        // A harmonic texture is refined with the structure (which its intensities would otherwise bend).
        structure += harmonics
        if refineStructure && !structure.isEmpty {
            var s = RefinementStage(name: "structure", parameters: basic + structure, isPreliminary: true)
            s.requiresStructureSupport = true
            s.detectsTexture = detectTexture
            stages.append(s)
            all += structure
        }
        var last = RefinementStage(name: "all together", parameters: all)
        last.requiresStructureSupport = refineStructure
        if !instrumentTerms.isEmpty { last.maximumIterations = startProfileFinalCycles }
        stages.append(last)
        return stages
    }

    /// A site's coordinates are refined when it carries at least this share of its phase's scattering power
    /// Σ occupancy × multiplicity × Z² (X-rays see light atoms such as Li barely: Li in an argyrodite holds
    /// ~3 %), its U_iso at least `uIsoShare`.
    public static let positionShare = 0.05, uIsoShare = 0.02

    /// Free coordinates and U_iso of the sites that scatter enough to determine them (see `positionShare`),
    /// and the cation mixing where the phase has it.
    public static func structuralParameters(of phase: Phase, index p: Int) -> [ModelParameter] {
        guard phase.mode == .rietveld else { return [] }
        let shares = scatteringShares(phase)
        // The sites of a cation-mixing pair are refined whatever their share at the start (Ni on the Li site
        // makes it scatter).
        let mixed = Set((phase.cationMixing?.occupancyDerivatives.map(\.atom) ?? []).compactMap { a in phase.sites.firstIndex { $0.contains(a) } })
        // In a polar group the origin floats along the polar axis: the heaviest site that could move along it
        // holds it there.
        let anchors = originAnchors(phase, shares: shares)
        var out: [ModelParameter] = []
        for s in phase.sites.indices {
            if shares[s] >= positionShare || mixed.contains(s) {
                for axis in phase.siteSymmetries[s].coordinates.freeComponents where anchors[axis] != s {
                    out.append(.position(phase: p, site: s, axis: axis))
                }
            }
            if shares[s] >= uIsoShare || mixed.contains(s) { out.append(.uIso(phase: p, site: s)) }
        }
        if phase.cationMixing != nil { out.append(.cationMixing(phase: p)) }
        return out
    }

    /// For each floating-origin axis, the site whose coordinate along it is held: the strongest scatterer free to
    /// move along it.
    static func originAnchors(_ phase: Phase, shares: [Double]) -> [Int: Int] {
        var out: [Int: Int] = [:]
        for axis in phase.structure.spaceGroup.floatingOriginAxes {
            let movable = phase.sites.indices.filter { phase.siteSymmetries[$0].coordinates.freeComponents.contains(axis) }
            if let s = movable.max(by: { shares[$0] < shares[$1] }) { out[axis] = s }
        }
        return out
    }

    /// Each site's share of the phase's X-ray scattering power at s = 0, Σ occupancy × multiplicity × Z².
    public static func scatteringShares(_ phase: Phase) -> [Double] {
        let atoms = phase.structure.atoms
        let power = phase.sites.indices.map { s in
            phase.sites[s].reduce(0.0) { sum, a in
                let z = Double(ScatteringFactors.atomicNumber(atoms[a].element) ?? 0)
                return sum + atoms[a].occupancy * Double(phase.siteSymmetries[s].multiplicity) * z * z
            }
        }
        let total = power.reduce(0, +)
        return power.map { total > 0 ? $0 / total : 1 }
    }

    /// Whether a parameter belongs to a phase's structure (held when the phase's peaks do not support it).
    public static func isStructural(_ p: ModelParameter) -> Bool {
        switch p {
        case .phase(_, .position), .phase(_, .uIso), .phase(_, .occupancy), .phase(_, .cationMixing): return true
        default: return false
        }
    }
}
