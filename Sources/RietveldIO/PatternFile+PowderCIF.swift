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
        pattern.stated.radius = stated(in: doc, for: chosen) { b -> Double? in
            guard let r = b.value("_pd_instr_dist_spec/detc")?.number?.value, r > 0, r.isFinite else { return nil }
            return r
        }
        switch stated(in: doc, for: chosen, { statedAxialGeometry($0, file: file) }) {
        case .success(let geometry)?: pattern.stated.axial = geometry
        case .failure(let problem)?: pattern.stated.axialProblem = problem.description
        case nil: break
        }
        return pattern
    }

    /// The axial lengths of source and beam and the axial divergences before and after the specimen, in the
    /// order `StatedAxialGeometry` takes them.
    static let axialTags = ["_pd_instr_source_size_ax", "_pd_instr_beam_size_ax", "_pd_instr_divg_ax_src/spec", "_pd_instr_divg_ax_spec/detc"]

    /// What the pattern's own block states, else what the file's one block that states it does: a pdCIF's
    /// pattern blocks refer to an instrument block (with several, which one a pattern refers to is not read:
    /// nil).
    static func stated<T>(in doc: CIFDocument, for chosen: CIFBlock, _ read: (CIFBlock) -> T?) -> T? {
        if let own = read(chosen) { return own }
        let all = doc.blocks.compactMap(read)
        return all.count == 1 ? all[0] : nil
    }

    /// The axial geometry a block states, nil unless it states all four items (a placeholder states nothing),
    /// or why it cannot be used: an item that is not a positive length, or an angle in (0°, 90°) (one line
    /// naming file, line and item). The pattern is read either way; the problem matters only to a model that
    /// would take the geometry (`RefinementSetup`).
    static func statedAxialGeometry(_ block: CIFBlock, file: String) -> Result<StatedAxialGeometry, FileError>? {
        let items = axialTags.compactMap { tag in block.value(tag).flatMap { $0.isPlaceholder ? nil : (tag, $0) } }
        guard items.count == axialTags.count else { return nil }
        var values: [Double] = []
        for (i, (tag, v)) in items.enumerated() {
            let limit = i < 2 ? Double.infinity : 90
            guard let n = v.number?.value, n > 0, n < limit else {
                return .failure(.malformed(file: file, line: v.line, "\(tag) '\(v.text)' is not a positive \(i < 2 ? "length (mm)" : "angle below 90°")"))
            }
            values.append(n)
        }
        return .success(StatedAxialGeometry(sourceLength: values[0], sampleLength: values[1], incidentDivergence: values[2], diffractedDivergence: values[3]))
    }
}
