import Foundation
import Lithiation

/// Text and JSON of lookup answers.
enum LookupReport {
    static func value(_ m: Measured) -> [String: Double] { ["value": m.value, "esd": m.esd] }
    static func optional(_ v: Any?) -> Any { v ?? NSNull() }

    static func region(_ r: TwoPhaseRegion?) -> Any {
        guard let r else { return NSNull() }
        return ["phases": r.phases, "x_li": [r.range.lowerBound, r.range.upperBound]] as [String: Any]
    }

    static func json(_ lookup: ElectrodeLookup, name: String) -> [String: Any] {
        switch lookup {
        case .single(let r):
            return ["name": name, "method": "curve", "x_li": ["value": r.best.x, "esd": r.best.esd], "soc": r.soc,
                    "delta_v_over_v": optional(r.deltaVOverV), "phase": optional(r.best.phase),
                    "two_phase_region": region(r.twoPhaseRegion), "warnings": r.warnings.map(\.description),
                    "candidates": r.candidates.map { ["x_li": $0.x, "x_li_esd": $0.esd, "phase": optional($0.phase),
                                                      "interval": [$0.interval.lowerBound, $0.interval.upperBound],
                                                      "misfit": $0.misfit, "distance_sigma": $0.misfit] as [String: Any] }]
        case .leverRule(let r):
            let label = r.region?.name ?? r.phases.map(\.name).joined(separator: "+")
            return ["name": name, "method": "lever-rule", "x_li": value(r.x), "soc": r.soc, "delta_v_over_v": r.deltaVOverV,
                    "phase": label, "two_phase_region": region(r.region), "host_formula": r.host.formula,
                    "weight_fraction_sum": value(r.weightFractionSum), "left_out": r.leftOut, "warnings": [String](),
                    "phase_x_from": r.boundaries != nil ? "boundary" : "volume",
                    "boundaries": r.boundaries.map { b in
                        ["phases": b.phases, "x_li": b.x, "x_li_esd": b.phases.indices.map { b.esd($0) }, "correlation": b.correlation,
                         "patterns": b.patterns, "reduced_chi_square": optional(b.reducedChiSquare.isFinite ? b.reducedChiSquare : nil)] as [String: Any]
                    } ?? NSNull(),
                    "candidates": [["x_li": r.x.value, "x_li_esd": r.x.esd, "phase": label] as [String: Any]],
                    "phases": r.phases.map { p in
                        ["name": p.name, "x_li": value(p.x), "weight_fraction": value(p.weightFraction), "molar_fraction": p.molarFraction,
                         "molar_mass": p.molarMass, "volume": value(p.volume), "dx_dvolume": p.dxdVolume,
                         "dx_dweight_fraction": p.dxdWeightFraction] as [String: Any]
                    }]
        }
    }

    static func text(_ lookup: ElectrodeLookup, name: String) -> String {
        switch lookup {
        case .single(let r):
            var s = "\(name): x(Li) = \(String(format: "%.3f ± %.3f", r.best.x, r.best.esd))"
            if let p = r.best.phase { s += " [\(p)]" }
            s += String(format: ", SOC %.2f", r.soc)
            if let d = r.deltaVOverV { s += String(format: ", ΔV/V %+.2f %%", 100 * d) }
            s += "\n"
            if r.candidates.count > 1 {
                s += "  not unique — \(r.candidates.count) candidates:\n"
                for c in r.candidates {
                    s += String(format: "    x = %.3f ± %.3f (consistent over %.3f–%.3f, %.1fσ from the curve)%@\n", c.x, c.esd,
                                c.interval.lowerBound, c.interval.upperBound, c.misfit, c.phase.map { " [\($0)]" } ?? "")
                }
            }
            for w in r.warnings { s += "  warning: \(w)\n" }
            return s
        case .leverRule(let r):
            var s = "\(name): x(Li) = \(String(format: "%.3f ± %.3f", r.x.value, r.x.esd)) by the lever rule"
            if let region = r.region { s += " [\(region.name)]" }
            s += String(format: ", SOC %.2f, ΔV/V %+.2f %% (molar mean)\n", r.soc, 100 * r.deltaVOverV)
            for p in r.phases {
                if let b = r.boundaries {
                    s += String(format: "  %@: x = %.3f ± %.3f at the region's boundary (lever rule over %d patterns); V = %.3f ± %.3f Å³; w = %.3f ± %.3f, molar fraction %.3f\n",
                                p.name, p.x.value, p.x.esd, b.patterns, p.volume.value, p.volume.esd, p.weightFraction.value, p.weightFraction.esd, p.molarFraction)
                } else {
                    s += String(format: "  %@: V = %.3f ± %.3f Å³ → x = %.3f ± %.3f; w = %.3f ± %.3f, molar fraction %.3f\n", p.name,
                                p.volume.value, p.volume.esd, p.x.value, p.x.esd, p.weightFraction.value, p.weightFraction.esd, p.molarFraction)
                }
            }
            s += String(format: "  masses: Li_x%@, M = %.3f + x · %.3f g/mol\n", r.host.formula, r.host.hostMass, r.host.lithiumMass)
            if !r.leftOut.isEmpty { s += "  left out (no branch in the reference): \(r.leftOut.joined(separator: ", "))\n" }
            return s
        }
    }
}
