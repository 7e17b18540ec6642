import Crystallography
import Foundation
import PowderDiffraction
import Refinement

/// Machine-readable and plain-text reports of a refinement.
public enum RefinementReport {
    static func estimateJSON(_ e: Estimate) -> [String: Any] {
        ["value": e.value, "esd": e.esd.map { $0 as Any } ?? NSNull()]
    }

    /// The JSON report: converged, iterations, seconds, statistics (R in %), cell, cation_mixing,
    /// parameters, stages, termination, correlations.
    public static func json(_ r: RefinementResult, phase: Int = 0) -> String {
        var root: [String: Any] = [:]
        root["converged"] = r.converged
        root["termination"] = r.termination.description
        root["iterations"] = r.iterations
        root["seconds"] = r.seconds
        let s = r.statistics
        root["statistics"] = ["Rwp": s.rwp, "Rp": s.rp, "Rexp": s.rexp, "GOF": s.gof, "chi2": s.reducedChiSquared,
                              "RBragg": s.rBragg, "DurbinWatson": s.durbinWatson, "points": s.points, "parameters": s.parameters]
        var cell: [String: Any] = [:]
        for (k, v) in r.cell(phase: phase) { cell[k] = estimateJSON(v) }
        root["cell"] = cell
        root["cation_mixing"] = r.cationMixing(phase: phase).map { estimateJSON($0) as Any } ?? NSNull()
        root["phase"] = r.model.phases[phase].structure.name
        root["pattern"] = r.pattern.name
        root["parameters"] = allParameters(r).map { p -> [String: Any] in
            let e = r.estimate(p)
            return ["name": r.model.name(of: p), "value": e.value, "esd": e.esd.map { $0 as Any } ?? NSNull(),
                    "refined": r.parameters.contains(p), "unit": r.model.unit(of: p)]
        }
        root["stages"] = r.stages.map { ["name": $0.name, "iterations": $0.iterations, "Rwp": $0.rwp, "termination": $0.termination.description] }
        root["correlations"] = r.correlations.map { ["a": r.model.name(of: $0.0), "b": r.model.name(of: $0.1), "r": $0.2] }
        root["at_bound"] = r.atBound.map { r.model.name(of: $0) }
        let data = (try? JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// The parameters worth reporting: everything refined, plus the fixed instrument and sample terms.
    public static func allParameters(_ r: RefinementResult) -> [ModelParameter] {
        var list = r.parameters
        var extra: [ModelParameter] = [.zero] + ProfileTerm.allCases.map { .profile($0) }
        for p in r.model.phases.indices { extra += [.scale(phase: p), .size(phase: p), .microstrain(phase: p)] }
        for p in extra where !list.contains(p) { list.append(p) }
        return list
    }

    /// CSV of 2θ, observed, calculated, background, difference.
    public static func profileCSV(_ r: RefinementResult) -> String {
        var out = "two_theta,y_obs,y_calc,background,difference\n"
        let e = r.evaluation
        for i in r.pattern.twoTheta.indices {
            out += String(format: "%.5f,%.4f,%.4f,%.4f,%.4f\n", r.pattern.twoTheta[i], r.pattern.intensity[i], e.calculated[i],
                          e.background[i], r.pattern.intensity[i] - e.calculated[i])
        }
        return out
    }

    /// The refined structure as CIF with esds.
    public static func cif(_ r: RefinementResult, phase p: Int = 0) -> String {
        let phase = r.model.phases[p]
        var esds: [String: Double] = [:]
        for (k, v) in r.cell(phase: p) { if let e = v.esd { esds[k] = e } }
        for (s, atoms) in phase.sites.enumerated() {
            for a in atoms {
                let label = phase.structure.atoms[a].label
                for axis in 0..<3 {
                    if let e = r.esd(of: .position(phase: p, site: s, axis: axis)) { esds[StructureCIF.esdKey(label, ["x", "y", "z"][axis])] = e }
                }
                if let e = r.esd(of: .uIso(phase: p, site: s)) { esds[StructureCIF.esdKey(label, "Uiso")] = e }
                if let e = r.esd(of: .occupancy(phase: p, atom: a)) { esds[StructureCIF.esdKey(label, "occupancy")] = e }
            }
        }
        if let mix = phase.cationMixing, let e = r.esd(of: .cationMixing(phase: p)) {
            for (atom, d) in mix.occupancyDerivatives { esds[StructureCIF.esdKey(phase.structure.atoms[atom].label, "occupancy")] = abs(d) * e }
        }
        let s = r.statistics
        return StructureCIF.text(phase.structure, esds: esds, comments: [
            "Refined by rietveld against \(r.pattern.name): Rwp \(String(format: "%.3f", s.rwp)) %, GOF \(String(format: "%.3f", s.gof)), \(r.termination)",
        ])
    }
}
