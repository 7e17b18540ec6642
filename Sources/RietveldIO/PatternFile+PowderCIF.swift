import FileSupport
import Foundation
import PowderDiffraction

extension PatternFile {
    static let angleTags = ["_pd_proc_2theta_corrected", "_pd_meas_2theta_scan", "_pd_meas_angle_2theta", "_pd_proc_2theta"]
    static let intensityTags = ["_pd_proc_intensity_total", "_pd_meas_intensity_total", "_pd_meas_counts_total", "_pd_proc_intensity_net"]

    /// pdCIF: the loop with a 2θ column and an intensity column; esds from parentheses or `_pd_proc_ls_weight`
    /// (σ = 1/√w; points of zero weight are dropped). With several pattern blocks, `block` chooses.
    static func readPowderCIF(_ text: String, file: String, name: String, block wanted: String?) throws(FileError) -> Pattern {
        let doc = try CIFDocument(text: text, source: file)
        let candidates = doc.blocks.filter { b in b.loops.contains { l in angleTags.contains { l.column($0) != nil } } }
        guard !candidates.isEmpty else { throw .missing(file: file, "no data block with a 2θ loop (\(angleTags[0]) …)") }
        var chosen = candidates[0]
        if let wanted {
            guard let b = candidates.first(where: { $0.name.localizedCaseInsensitiveContains(wanted) }) else {
                throw .missing(file: file, "no pattern block named like '\(wanted)' (blocks: \(candidates.map(\.name).joined(separator: ", ")))")
            }
            chosen = b
        } else if candidates.count > 1, let meas = candidates.first(where: { $0.name.hasSuffix("_meas") }) {
            chosen = meas
        }
        let loop = chosen.loops.first { l in angleTags.contains { l.column($0) != nil } }!
        let angle = angleTags.lazy.compactMap { loop.column($0) }.first!
        guard let intensity = intensityTags.lazy.compactMap({ loop.column($0) }).first else {
            throw .malformed(file: file, line: loop.line, "the 2θ loop has no intensity column (\(intensityTags.joined(separator: ", ")))")
        }
        let weights = loop.column("_pd_proc_ls_weight")
        var x: [Double] = [], y: [Double] = [], e: [Double] = []
        for i in angle.indices {
            guard let a = angle[i].number, let v = intensity[i].number else {
                throw .malformed(file: file, line: angle[i].line, "'\(angle[i].text)' or '\(intensity[i].text)' is not a number")
            }
            var sigma = v.esd
            if let w = weights?[i].number?.value {
                if w <= 0 { continue }
                sigma = 1 / w.squareRoot()
            }
            x.append(a.value); y.append(v.value); e.append(sigma ?? max(v.value, 1).squareRoot())
        }
        var pattern = Pattern(name: "\(name):\(chosen.name)", twoTheta: x, intensity: y, sigma: e)
        let radii = doc.blocks.compactMap { $0.value("_pd_instr_dist_spec/detc")?.number?.value }.filter { $0 > 0 && $0.isFinite }
        if let r = chosen.value("_pd_instr_dist_spec/detc")?.number?.value, r > 0, r.isFinite {
            pattern.stated.radius = r
        } else if radii.count == 1 {
            pattern.stated.radius = radii[0]
        }
        // The pattern's own block first, else the file's one block that states the whole geometry.
        let stating = doc.blocks.filter { b in axialTags.allSatisfy { b.value($0).map { !$0.isPlaceholder } ?? false } }
        if let block = stating.contains(where: { $0.name == chosen.name }) ? chosen : (stating.count == 1 ? stating[0] : nil) {
            switch statedAxialGeometry(block, file: file) {
            case .success(let geometry): pattern.stated.axial = geometry
            case .failure(let problem): pattern.stated.axialProblem = problem.description
            }
        }
        return pattern
    }

    /// The axial lengths of source and beam and the axial divergences before and after the specimen, in the
    /// order `StatedAxialGeometry` takes them.
    static let axialTags = ["_pd_instr_source_size_ax", "_pd_instr_beam_size_ax", "_pd_instr_divg_ax_src/spec", "_pd_instr_divg_ax_spec/detc"]

    /// The axial geometry a block states with all four items, or why it cannot be used: an item that is not a
    /// positive length, or an angle in (0°, 90°) (one line naming file, line and item). The pattern is read
    /// either way; the problem matters only to a model that would take the geometry (`RefinementSetup`).
    static func statedAxialGeometry(_ block: CIFBlock, file: String) -> Result<StatedAxialGeometry, FileError> {
        var values: [Double] = []
        for (i, tag) in axialTags.enumerated() {
            guard let v = block.value(tag) else { continue }
            let limit = i < 2 ? Double.infinity : 90
            guard let n = v.number?.value, n > 0, n < limit else {
                return .failure(.malformed(file: file, line: v.line, "\(tag) '\(v.text)' is not a positive \(i < 2 ? "length (mm)" : "angle below 90°")"))
            }
            values.append(n)
        }
        return .success(StatedAxialGeometry(sourceLength: values[0], sampleLength: values[1], incidentDivergence: values[2], diffractedDivergence: values[3]))
    }
}
