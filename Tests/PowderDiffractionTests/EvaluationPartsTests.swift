import Crystallography
import Foundation
@testable import PowderDiffraction
import RietveldIO
import Testing
import _TestSupport

/// How an evaluation shares its points out among threads.
struct EvaluationPartsTests {
    /// The parts' boundaries share the peaks' work evenly: each point weighs one plus the lines whose windows
    /// cover it (counted here directly from the layout), and every part's weight is within one point's weight
    /// of an equal share. On LiNiO2 (Mo Kα1, 3–60°) the reflections crowd at high angles, so equal numbers of
    /// points are far from equal work: the first half of the points holds about a third of it.
    @Test func partsShareThePeaksWorkEvenly() throws {
        let folder = repositoryRoot.appendingPathComponent("patterns/gsas2-sim-linio2")
        let truth = try StructureCIF.read(folder.appendingPathComponent("LiNiO2_true.cif"))
        let inst = try InstrumentFile.read(folder.appendingPathComponent("MoKa1_capillary.instprm"), geometry: .debyeScherrer)
        let x = stride(from: 3.0, through: 60.0, by: 0.01).map { $0 }
        var model = try Simulation.makeModel(structure: truth, instrument: inst, twoTheta: x, scale: 62, background: [900, -300, 100],
                                             size: 0.12, microstrain: 1500)
        model.freezePeakLayout()
        var weight = [Int](repeating: 1, count: x.count)
        for phase in model.peakLayout {
            for layout in phase {
                for line in 0..<layout.lines { for i in layout.range(line: line) ?? 0..<0 { weight[i] += 1 } }
            }
        }
        let total = weight.reduce(0, +), heaviest = weight.max()!
        let firstHalf = weight[0..<(x.count / 2)].reduce(0, +)
        #expect(Double(firstHalf) < 0.4 * Double(total), "the test pattern must be uneven (first half \(firstHalf) of \(total))")
        for parts in [2, 3, 5] {
            let bounds = model.balancedParts(parts)
            #expect(bounds.count == parts + 1 && bounds.first == 0 && bounds.last == x.count)
            for k in 0..<parts {
                #expect(bounds[k] <= bounds[k + 1])
                let share = weight[bounds[k]..<bounds[k + 1]].reduce(0, +)
                #expect(abs(share - total / parts) <= heaviest + parts, "part \(k) of \(parts): \(share) against \(total / parts)")
            }
        }
    }
}
