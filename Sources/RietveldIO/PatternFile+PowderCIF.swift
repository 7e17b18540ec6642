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
        return Pattern(name: "\(name):\(chosen.name)", twoTheta: x, intensity: y, sigma: e)
    }
}
