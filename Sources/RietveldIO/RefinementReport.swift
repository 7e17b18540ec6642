import Crystallography
import Foundation
import PowderDiffraction
import Refinement

/// What a report of one refinement shows: the result, the phases' files, and the quantitative analysis.
public struct RefinementReportInput: Sendable {
    public let result: RefinementResult
    /// The structure file of each phase, in phase order.
    public let phaseFiles: [String]
    public let quantities: PhaseQuantities?
    /// How the model differs from what the instrument file alone would give (`RefinementSetup.notes`).
    public let notes: [String]

    public init(result: RefinementResult, phaseFiles: [String], quantities: PhaseQuantities?, notes: [String] = []) {
        self.result = result
        self.phaseFiles = phaseFiles
        self.quantities = quantities
        self.notes = notes
    }
}

/// Machine-readable and plain-text reports of a refinement.
public enum RefinementReport {
    static func estimateJSON(_ e: Estimate?) -> Any {
        guard let e else { return NSNull() }
        return ["value": e.value, "esd": e.esd.map { $0 as Any } ?? NSNull()] as [String: Any]
    }

    /// The cell as JSON: the six parameters, volume and (where it applies) c_over_a, each {value, esd}.
    static func cellJSON(_ c: CellEstimates) -> [String: Any] {
        var cell: [String: Any] = [:]
        for p in CellParameter.allCases { cell[p.name] = estimateJSON(c[p]) }
        cell["volume"] = estimateJSON(c.volume)
        if let r = c.axialRatio { cell["c_over_a"] = estimateJSON(r) }
        return cell
    }

    /// The JSON report (see DESIGN.md): converged, termination, iterations, seconds, statistics (R in %), cell
    /// and cation_mixing of the first phase, parameters, stages, correlations, at_bound, cautions, notes, and
    /// `phases[]` in command-line order with name, file, mode, cell, weight_fraction, cation_mixing, RBragg
    /// (with a structure: `cell_contents`, atoms per cell by element; refined alone on a flat specimen: its
    /// `intensity_constant`, or why not); `instrument` holds what an intensity calibration must share with the
    /// mixture (geometry, wavelength, polarization; the Kα2 ratio for information).
    public static func json(_ input: RefinementReportInput) -> String {
        let r = input.result
        var root: [String: Any] = [:]
        root["converged"] = r.converged
        root["termination"] = r.termination.description
        root["iterations"] = r.iterations
        root["seconds"] = r.seconds
        let s = r.statistics
        root["statistics"] = ["Rwp": s.rwp, "Rp": s.rp, "Rexp": s.rexp, "GOF": s.gof, "chi2": s.reducedChiSquared,
                              "RBragg": s.rBragg, "DurbinWatson": s.durbinWatson, "points": s.points, "parameters": s.parameters]
        root["cell"] = cellJSON(r.cell(phase: 0))
        root["cation_mixing"] = estimateJSON(r.cationMixing(phase: 0))
        root["phase"] = r.model.phases[0].name
        root["pattern"] = r.pattern.name
        let instrument = r.model.instrument
        root["instrument"] = ["geometry": instrument.geometry.rawValue, "wavelength": instrument.radiation.wavelength,
                              "second_line_ratio": instrument.radiation.secondLineRatio, "polarization": instrument.polarization] as [String: Any]
        root["phases"] = r.model.phases.indices.map { phaseJSON($0, input) }
        if let q = input.quantities, let amorphous = q.amorphous { root["amorphous"] = estimateJSON(amorphous) }
        root["parameters"] = allParameters(r).map { p -> [String: Any] in
            let e = r.estimate(p)
            return ["name": r.model.name(of: p), "value": e.value, "esd": e.esd.map { $0 as Any } ?? NSNull(),
                    "refined": r.parameters.contains(p), "unit": r.model.unit(of: p)]
        }
        root["stages"] = r.stages.map { ["name": $0.name, "iterations": $0.iterations, "Rwp": $0.rwp, "termination": $0.termination.description,
                                         "points": $0.points, "seconds": $0.seconds] as [String: Any] }
        root["correlations"] = r.correlations.map { ["a": r.model.name(of: $0.0), "b": r.model.name(of: $0.1), "r": $0.2] }
        root["at_bound"] = r.atBound.map { r.model.name(of: $0) }
        root["cautions"] = r.cautions.map(\.description)
        root["notes"] = input.notes
        root["undetected_phases"] = r.undetected.map { ["name": r.model.phases[$0.phase].name, "scale": estimateJSON($0.scale)] }
        root["undetermined"] = r.degeneracies.map { d in d.parameters.map { r.model.name(of: $0) } }
        return serialized(root)
    }

    /// The report as JSON text. JSON has no NaN or infinity: a number that is not finite (the Rwp of a model
    /// that overflowed) is written as null. Before, one such number made the serializer fail and the whole
    /// report came out as `{}`.
    static func serialized(_ root: [String: Any]) -> String {
        let clean = withoutNonFiniteNumbers(root)
        // With every number finite the serializer cannot fail on these types (strings, numbers, booleans,
        // nulls, arrays and dictionaries with string keys); the fallback still says what happened.
        let data = (try? JSONSerialization.data(withJSONObject: clean, options: [.prettyPrinted, .sortedKeys]))
            ?? Data(#"{"converged": false, "termination": "the report could not be serialized"}"#.utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func withoutNonFiniteNumbers(_ value: Any) -> Any {
        switch value {
        case is Bool, is Int: return value
        case let d as Double: return d.isFinite ? d : NSNull()
        case let dict as [String: Any]: return dict.mapValues(withoutNonFiniteNumbers)
        case let list as [Any]: return list.map(withoutNonFiniteNumbers)
        default: return value
        }
    }

    static func phaseJSON(_ p: Int, _ input: RefinementReportInput) -> [String: Any] {
        let r = input.result
        let phase = r.model.phases[p]
        var out: [String: Any] = ["name": phase.name, "file": p < input.phaseFiles.count ? input.phaseFiles[p] : NSNull(),
                                  "mode": phase.mode.rawValue, "space_group": phase.structure.spaceGroup.symbol,
                                  "cell": cellJSON(r.cell(phase: p)), "cation_mixing": estimateJSON(r.cationMixing(phase: p)),
                                  "RBragg": p < r.statistics.rBraggByPhase.count ? r.statistics.rBraggByPhase[p] : NSNull()]
        out["weight_fraction"] = estimateJSON(input.quantities?.weightFractions[p])
        if phase.mode == .leBail { out["note"] = "Le Bail phase: free intensities, no structure, no weight fraction" }
        if let q = input.quantities {
            if let a = q.absoluteWeightFractions[p] { out["weight_fraction_absolute"] = estimateJSON(a) }
            if q.microabsorption[p] != nil || q.intensityCalibrations[p] != nil {
                out["weight_fraction_uncorrected"] = estimateJSON(q.uncorrectedWeightFractions[p])
            }
            if let t = q.microabsorption[p] {
                out["brindley"] = ["tau": t.tau, "mu_per_cm": t.mu, "mean_mu_per_cm": t.meanMu, "radius_um": t.radius]
            }
            if let c = q.intensityCalibrations[p] {
                out["intensity_calibration"] = ["constant": c.constant, "esd": c.esd.map { $0 as Any } ?? NSNull(),
                                                "relative": q.relativeIntensityConstants[p] ?? NSNull(), "source": c.source] as [String: Any]
            }
        }
        if phase.mode == .rietveld { out["cell_contents"] = phase.structure.cellContents }
        // A phase refined alone on a flat specimen: its intensity per unit mass, for calibrating mixtures.
        if r.model.phases.count == 1, r.model.instrument.geometry == .braggBrentano, phase.mode == .rietveld {
            do { out["intensity_constant"] = estimateJSON(try r.intensityConstant(phase: p)) } catch {
                out["intensity_constant_unavailable"] = error.description
            }
        }
        out["size_um"] = estimateJSON(r.estimate(.size(phase: p)))
        out["microstrain"] = estimateJSON(r.estimate(.microstrain(phase: p)))
        return out
    }

    /// The parameters worth reporting: everything refined, plus the fixed instrument and sample terms that act
    /// on the peaks.
    public static func allParameters(_ r: RefinementResult) -> [ModelParameter] {
        var list = r.parameters
        var extra: [ModelParameter] = [.zero] + r.model.instrument.profileTerms.map { .profile($0) }
        for (p, phase) in r.model.phases.enumerated() {
            if phase.mode == .rietveld { extra.append(.scale(phase: p)) }
            var sample: [PhaseParameter] = [.size] + phase.strainParameters
            if phase.isUniaxial { sample += [.axialSize, .axialMicrostrain] }
            extra += sample.filter(r.model.instrument.acts).map { .phase(p, $0) }
            extra += phase.textureHarmonics.indices.map { .phase(p, .harmonic($0)) }
        }
        for p in extra where !list.contains(p) { list.append(p) }
        return list
    }

    /// CSV of 2θ, observed, calculated, background, difference, then each phase's contribution.
    public static func profileCSV(_ r: RefinementResult) -> String {
        let e = r.evaluation
        let n = r.pattern.count
        var perPhase = [[Double]](repeating: [Double](repeating: 0, count: n), count: r.model.phases.count)
        for (k, profile) in e.reflectionProfiles.enumerated() {
            for (i, v) in profile { perPhase[e.reflections[k].phase][i] += v }
        }
        var out = "two_theta,y_obs,y_calc,background,difference"
        for phase in r.model.phases { out += ",\(CSVName.column(phase.name))" }
        out += "\n"
        for i in 0..<n {
            out += String(format: "%.5f,%.4f,%.4f,%.4f,%.4f", r.pattern.twoTheta[i], r.pattern.intensity[i], e.calculated[i],
                          e.background[i], r.pattern.intensity[i] - e.calculated[i])
            for p in perPhase.indices { out += String(format: ",%.4f", perPhase[p][i]) }
            out += "\n"
        }
        return out
    }

    /// The refined structures as CIF with esds, one data block per phase in phase order.
    public static func cif(_ r: RefinementResult) -> String {
        r.model.phases.indices.map { cif(r, phase: $0) }.joined(separator: "\n")
    }

    static func cif(_ r: RefinementResult, phase p: Int) -> String {
        let phase = r.model.phases[p]
        var esds: [String: Double] = [:]
        let cell = r.cell(phase: p)
        for l in CellParameter.allCases { if let e = cell[l].esd { esds[l.name] = e } }
        if let e = cell.volume.esd { esds["volume"] = e }
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
        var structure = phase.structure
        structure.name = phase.name
        return StructureCIF.text(structure, esds: esds, comments: [
            "Refined by rietveld against \(r.pattern.name): Rwp \(String(format: "%.3f", s.rwp)) %, GOF \(String(format: "%.3f", s.gof)), \(r.termination)"
                + (phase.mode == .leBail ? "; Le Bail phase (cell only, no structure)" : ""),
        ])
    }
}

/// Column names derived from phase names (plain words already; kept safe for CSV).
enum CSVName {
    static func column(_ s: String) -> String { s.replacingOccurrences(of: ",", with: "_") }
}
