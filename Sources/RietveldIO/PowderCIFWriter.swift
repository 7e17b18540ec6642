import Crystallography
import Foundation
import PowderDiffraction
import Refinement

/// A Rietveld result as CIF_pd (the IUCr powder CIF dictionary, version 2.0.1 names) for a journal or another
/// program: a global block with the refinement's statistics and the links between blocks, one block per phase
/// (cell, symmetry operators, atoms, weight fraction, all with esds), and one block with the diffractogram
/// (2θ, observed, its weight, background and calculated intensity per point).
public enum PowderCIFWriter {
    public static func text(_ input: RefinementReportInput) -> String {
        let r = input.result
        let id = blockID(r.pattern.name)
        var out = ["#\\#CIF_1.1", "# Written by rietveld: Rietveld refinement of \(r.pattern.name)", ""]
        out += globalBlock(input, id: id)
        for p in r.model.phases.indices { out += [""] + phaseBlock(input, phase: p, id: id) }
        out += [""] + profileBlock(input, id: id)
        return out.joined(separator: "\n") + "\n"
    }

    /// A block identifier: letters, digits and `_` only.
    static func blockID(_ s: String) -> String {
        let cleaned = String(s.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) ? Character($0) : "_" })
        return cleaned.isEmpty ? "pattern" : cleaned
    }

    /// A CIF 1.1 text value: bare when it can be, else in single quotes (or a text field when it holds a quote).
    static func value(_ s: String) -> String {
        let reservedStart: Set<Character> = ["_", "#", "$", "'", "\"", "[", "]", ";"]
        if let first = s.first, !reservedStart.contains(first), !s.contains(where: { $0.isWhitespace }),
           !["data_", "loop_", "save_", "global_", "stop_"].contains(where: { s.lowercased().hasPrefix($0) }) {
            return s
        }
        if !s.contains("'") { return "'\(s)'" }
        return "\n;\(s)\n;"
    }

    static func number(_ v: Double, esd: Double? = nil) -> String { EsdFormat.string(v, esd: esd, plainDigits: 10) }

    static func globalBlock(_ input: RefinementReportInput, id: String) -> [String] {
        let r = input.result, s = r.statistics
        var out = ["data_\(id)_global",
                   "_pd_block_id \(value("\(id)|global"))",
                   "_audit_creation_method \(value("rietveld (Swift Rietveld engine)"))",
                   "_computing_structure_refinement \(value("rietveld"))",
                   "_refine_ls_structure_factor_coef Fsqd",
                   "_refine_ls_matrix_type full",
                   "_refine_ls_weighting_scheme sigma",
                   "_refine_ls_number_parameters \(s.parameters)",
                   "_refine_ls_goodness_of_fit_all \(String(format: "%.4f", s.gof))",
                   "_pd_proc_ls_prof_R_factor \(String(format: "%.5f", s.rp / 100))",
                   "_pd_proc_ls_prof_wR_factor \(String(format: "%.5f", s.rwp / 100))",
                   "_pd_proc_ls_prof_wR_expected \(String(format: "%.5f", s.rexp / 100))",
                   "_pd_proc_ls_background_function \(value("Chebyshev polynomials of the first kind, \(r.model.background.coefficients.count) terms"))",
                   "_pd_proc_ls_profile_function \(value("Thompson-Cox-Hastings pseudo-Voigt with Finger-Cox-Jephcoat axial divergence"))",
                   "_pd_proc_ls_special_details",
                   ";",
                   "\(RefinementText.status(r)) after \(r.iterations) cycles in \(r.stages.count) stages; esds are sqrt(C_ii chi2_red).",
                   ";",
                   "loop_", "_pd_phase_block_id"]
        out += r.model.phases.map { "  " + value("\(id)|\(blockID($0.name))") }
        out += ["loop_", "_pd_block_diffractogram_id", "  " + value("\(id)|profile")]
        return out
    }

    static func phaseBlock(_ input: RefinementReportInput, phase p: Int, id: String) -> [String] {
        let r = input.result
        let phase = r.model.phases[p]
        let cell = r.cell(phase: p)
        let name = blockID(phase.name)
        var out = ["data_\(id)_\(name)",
                   "_pd_block_id \(value("\(id)|\(name)"))",
                   "_pd_phase_name \(value(phase.name))"]
        for l in CellParameter.allCases {
            let tag = l.isLength ? "_cell_length_\(l.name)" : "_cell_angle_\(l.name)"
            out.append("\(tag) \(number(cell[l].value, esd: cell[l].esd))")
        }
        out.append("_cell_volume \(number(cell.volume.value, esd: cell.volume.esd))")
        out.append("_space_group_name_H-M_alt \(value(phase.structure.spaceGroup.symbol))")
        if let n = phase.structure.spaceGroup.number { out.append("_space_group_IT_number \(n)") }
        out += ["loop_", "_space_group_symop_operation_xyz"] + phase.structure.spaceGroup.operations.map { "  '\($0)'" }
        if let w = input.quantities?.weightFractions[p] {
            out.append("_pd_phase_mass_% \(number(100 * w.value, esd: w.esd.map { 100 * $0 }))")
        }
        if p < r.statistics.rBraggByPhase.count { out.append("_refine_ls_R_I_factor \(String(format: "%.5f", r.statistics.rBraggByPhase[p] / 100))") }
        guard phase.mode == .rietveld, !phase.structure.atoms.isEmpty else {
            out.append("_pd_phase_special_details \(value("Le Bail extraction: cell and profile only"))")
            return out
        }
        out += ["loop_", "_atom_site_label", "_atom_site_type_symbol", "_atom_site_fract_x", "_atom_site_fract_y", "_atom_site_fract_z",
                "_atom_site_occupancy", "_atom_site_U_iso_or_equiv", "_atom_site_adp_type"]
        for (s, atoms) in phase.sites.enumerated() {
            for a in atoms {
                let atom = phase.structure.atoms[a]
                let xyz = (0..<3).map { axis in number(atom.position[axis], esd: r.esd(of: .position(phase: p, site: s, axis: axis))) }
                var occupancyEsd = r.esd(of: .occupancy(phase: p, atom: a))
                if let mix = phase.cationMixing, let e = r.esd(of: .cationMixing(phase: p)),
                   let d = mix.occupancyDerivatives.first(where: { $0.atom == a }) { occupancyEsd = abs(d.derivative) * e }
                out.append("  \(value(atom.label)) \(value(atom.typeSymbol)) \(xyz.joined(separator: " ")) \(number(atom.occupancy, esd: occupancyEsd)) \(number(atom.uIso, esd: r.esd(of: .uIso(phase: p, site: s)))) Uiso")
            }
        }
        return out
    }

    static func profileBlock(_ input: RefinementReportInput, id: String) -> [String] {
        let r = input.result
        let pattern = r.pattern
        let inst = r.model.instrument
        var out = ["data_\(id)_profile", "_pd_block_id \(value("\(id)|profile"))",
                   "_diffrn_radiation_probe x-ray",
                   "_diffrn_radiation_wavelength \(number(inst.radiation.wavelength))"]
        if let l2 = inst.radiation.secondWavelength {
            out += ["loop_", "_diffrn_radiation_wavelength_id", "_diffrn_radiation_wavelength", "_diffrn_radiation_wavelength_wt",
                    "  1 \(number(inst.radiation.wavelength)) 1.0", "  2 \(number(l2)) \(number(inst.radiation.secondLineRatio))"]
        }
        out += ["_pd_meas_number_of_points \(pattern.count)",
                "_pd_meas_2theta_range_min \(number(pattern.twoTheta.first ?? 0))",
                "_pd_meas_2theta_range_max \(number(pattern.twoTheta.last ?? 0))",
                "_pd_proc_ls_prof_wR_factor \(String(format: "%.5f", r.statistics.rwp / 100))",
                "loop_", "_pd_meas_2theta_scan", "_pd_proc_intensity_total", "_pd_proc_ls_weight", "_pd_proc_intensity_bkg_calc",
                "_pd_calc_intensity_total"]
        for i in 0..<pattern.count {
            out.append(String(format: "  %.5f %.4f %.6g %.4f %.4f", pattern.twoTheta[i], pattern.intensity[i], r.weights[i],
                              r.evaluation.background[i], r.evaluation.calculated[i]))
        }
        return out
    }
}
