import Crystallography
import Foundation

/// Every adjustable value of a model, by the parameters' machine names (`phase1.a`, `background3`), plus the
/// Le Bail phases' intensities: enough to put a model built from the same files back into exactly the state
/// it had (a resumed sequential run continues from it). Doubles are kept as they are (JSON writes them in
/// their shortest round-tripping form).
public struct ModelSnapshot: Codable, Sendable, Equatable {
    public var values: [String: Double]
    /// Le Bail intensities per phase index, keyed "h k l".
    public var leBail: [String: [String: Double]]

    public init(values: [String: Double] = [:], leBail: [String: [String: Double]] = [:]) {
        self.values = values
        self.leBail = leBail
    }
}

extension PatternModel {
    /// Every parameter the model has, in a fixed order: the pattern's, then each phase's.
    public var allParameters: [ModelParameter] {
        var out: [ModelParameter] = background.coefficients.indices.map { .background(term: $0) }
        out += [.zero, .displacementPerpendicular, .displacementParallel, .specimenDisplacement, .transparency, .muR]
        out += instrument.profileTerms.map { .profile($0) }
        if instrument.radiation.secondWavelength != nil { out.append(.secondLineRatio) }
        for (p, phase) in phases.enumerated() {
            out.append(.scale(phase: p))
            out += phase.independentLattice.map { .lattice(phase: p, $0) }
            for s in phase.sites.indices {
                out += phase.siteSymmetries[s].coordinates.freeComponents.map { .position(phase: p, site: s, axis: $0) }
                out.append(.uIso(phase: p, site: s))
            }
            out += phase.structure.atoms.indices.map { .occupancy(phase: p, atom: $0) }
            out += [.size(phase: p), .microstrain(phase: p), .texture(phase: p)]
            if phase.isUniaxial { out += [.phase(p, .axialSize), .phase(p, .axialMicrostrain)] }
            out += phase.stephensTerms.indices.map { .phase(p, .stephens($0)) }
            out += phase.textureHarmonics.indices.map { .phase(p, .harmonic($0)) }
        }
        return out
    }

    public func snapshot() -> ModelSnapshot {
        var s = ModelSnapshot()
        for p in allParameters { s.values[p.description] = value(of: p) }
        for (i, phase) in phases.enumerated() where phase.mode == .leBail {
            var table: [String: Double] = [:]
            for (k, v) in phase.extractedIntensities { table["\(k.h) \(k.k) \(k.l)"] = v }
            s.leBail["\(i)"] = table
        }
        return s
    }

    /// Sets every value the snapshot holds (in `allParameters` order, so the cell is set before positions);
    /// throws when a value makes a cell impossible.
    public mutating func restore(_ s: ModelSnapshot) throws(CrystallographyError) {
        for p in allParameters { if let v = s.values[p.description] { try setValue(v, for: p) } }
        for (key, table) in s.leBail {
            guard let i = Int(key), phases.indices.contains(i), phases[i].mode == .leBail else { continue }
            var values: [MillerIndex: Double] = [:]
            for (hkl, v) in table {
                let f = hkl.split(separator: " ").compactMap { Int($0) }
                if f.count == 3 { values[MillerIndex(f[0], f[1], f[2])] = v }
            }
            phases[i].setExtractedIntensities(values)
        }
        releasePeakLayout()
    }
}
