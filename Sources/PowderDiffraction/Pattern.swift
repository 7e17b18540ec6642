import Foundation

/// A measured or calculated powder pattern: 2θ in degrees, intensities and their standard uncertainties.
public struct Pattern: Sendable, Equatable {
    public var name: String
    /// 2θ in degrees, increasing.
    public var twoTheta: [Double]
    public var intensity: [Double]
    /// σ of each intensity (from the file, else √max(y, 1)).
    public var sigma: [Double]
    /// What the file states about the instrument it was measured on.
    public var stated = StatedInstrument()

    public init(name: String, twoTheta: [Double], intensity: [Double], sigma: [Double]? = nil) {
        precondition(twoTheta.count == intensity.count, "2θ and intensity differ in length")
        self.name = name
        self.twoTheta = twoTheta
        self.intensity = intensity
        self.sigma = sigma ?? intensity.map { max($0, 1).squareRoot() }
    }

    public var count: Int { twoTheta.count }
    public var range: ClosedRange<Double> { (twoTheta.first ?? 0)...(twoTheta.last ?? 0) }

    /// The step of an even grid: every point within 10 % of a step of 2θ₀ + i·step (files print 2θ to a few
    /// decimals, so spacings differ in their last digit: a (1/600)° step printed to 4 decimals is off by up
    /// to 3 %); nil for an uneven grid or fewer than two points.
    public var evenStep: Double? {
        let n = twoTheta.count
        guard n > 1 else { return nil }
        let first = twoTheta[0], step = (twoTheta[n - 1] - first) / Double(n - 1)
        guard step > 0 else { return nil }
        for i in 1..<n where abs(twoTheta[i] - (first + Double(i) * step)) > 0.1 * step { return nil }
        return step
    }

    /// The median spacing of the points (degrees): the step of an even grid, a typical one of any other.
    public var typicalStep: Double? {
        guard count > 1 else { return nil }
        var d = (1..<count).map { twoTheta[$0] - twoTheta[$0 - 1] }
        let k = d.count / 2
        d.sort()
        return d[k] > 0 ? d[k] : nil
    }

    /// The points inside [low, high] (degrees).
    public func restricted(to low: Double, _ high: Double) -> Pattern {
        let keep = twoTheta.indices.filter { twoTheta[$0] >= low && twoTheta[$0] <= high }
        var part = Pattern(name: name, twoTheta: keep.map { twoTheta[$0] }, intensity: keep.map { intensity[$0] }, sigma: keep.map { sigma[$0] })
        part.stated = stated
        return part
    }
}

/// What a pattern file states about the instrument it was measured on. Metadata: the model takes its
/// instrument from the instrument file; where a stated item fills a gap in it, the setup says so.
public struct StatedInstrument: Sendable, Equatable {
    /// The wavelengths (Å) of the radiation, strongest line first: [Kα1] or [Kα1, Kα2]; empty when not stated.
    public var wavelengths: [Double] = []
    /// The intensity ratio I(Kα2)/I(Kα1), if stated.
    public var secondLineRatio: Double?
    /// The axial geometry of a Bragg–Brentano diffractometer, if stated (powder CIF `_pd_instr_*` items).
    public var axial: StatedAxialGeometry?
    /// Why a stated axial geometry cannot be used (one line naming the file, its line and the item), if so.
    public var axialProblem: String?
    /// The goniometer radius (specimen–detector distance, mm), if stated (powder CIF `_pd_instr_dist_spec/detc`).
    public var radius: Double?

    public init() {}
}

/// The axial geometry a powder CIF states (`_pd_instr_source_size_ax`, `_pd_instr_beam_size_ax`,
/// `_pd_instr_divg_ax_src/spec`, `_pd_instr_divg_ax_spec/detc`): the axial lengths of the source and of the
/// beam on the specimen (mm) and the beam's axial divergence before and after the specimen (degrees, the full
/// angle a Soller slit passes). The receiving slit's axial length is not among the CIF's items.
public struct StatedAxialGeometry: Sendable, Equatable {
    public var sourceLength: Double, sampleLength: Double
    public var incidentDivergence: Double, diffractedDivergence: Double

    public init(sourceLength: Double, sampleLength: Double, incidentDivergence: Double, diffractedDivergence: Double) {
        self.sourceLength = sourceLength; self.sampleLength = sampleLength
        self.incidentDivergence = incidentDivergence; self.diffractedDivergence = diffractedDivergence
    }

    /// The full axial model's geometry at goniometer radius R (mm): Soller slits passing ±half the stated
    /// divergence (transmission 1 − |β|/Δ, zero at Δ), and a receiver as long as the rays the secondary slit
    /// passes from the specimen reach, sample length + 2R tan Δ₂, so that the stated slits, not a guessed
    /// receiver length, limit the rays.
    public func geometry(radius: Double) -> AxialGeometry {
        let primary = incidentDivergence / 2, secondary = diffractedDivergence / 2
        let receiver = sampleLength + 2 * radius * tan(secondary * .pi / 180)
        return AxialGeometry(radius: radius, sourceLength: sourceLength, sampleLength: sampleLength, receiverLength: receiver,
                             primarySoller: primary, secondarySoller: secondary)
    }
}
