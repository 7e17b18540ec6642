import FileSupport
import Foundation
import PowderDiffraction
import RietveldIO
import Testing

/// Fine grids as files carry them: 2θ printed to a few decimals must still read as an even grid (the
/// refinement decimates and smooths on it), and what we write must keep it so.
@Suite struct PatternGridTests {
    static func grid(_ start: Double, _ step: Double, _ n: Int, decimals: Int) -> [Double] {
        (0..<n).map { (Double(String(format: "%.\(decimals)f", start + Double($0) * step)))! }
    }

    /// A (1/600)° scan printed to 4 decimals (off by up to 3 % of a step) is even; a grid with one point
    /// displaced by 20 % of a step is not; the median step of either is the step.
    @Test func roundedFineGridsAreEven() throws {
        let a = Pattern(name: "a", twoTheta: Self.grid(3, 1.0 / 600, 5000, decimals: 4), intensity: Array(repeating: 1, count: 5000))
        let step = a.evenStep
        #expect(step != nil && abs((step ?? 0) - 1.0 / 600) < 1e-7, "step \(String(describing: step))")
        var x = Self.grid(3, 0.002, 100, decimals: 6)
        x[50] += 0.2 * 0.002
        let c = Pattern(name: "c", twoTheta: x, intensity: Array(repeating: 1, count: 100))
        #expect(c.evenStep == nil)
        #expect(abs((c.typicalStep ?? 0) - 0.002) < 1e-9)
    }

    /// xye keeps three significant digits of a fine step: a 10⁻⁵-degree grid reads back even, to 10⁻⁸ degrees.
    @Test func writtenFineGridReadsBackEven() throws {
        let step = 0.0000123
        let x = (0..<2000).map { 3 + Double($0) * step }
        let p = Pattern(name: "fine", twoTheta: x, intensity: x.map { 100 + $0 })
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fine-\(ProcessInfo.processInfo.processIdentifier).xye")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(PatternWriter.xye(p).utf8).write(to: url)
        let back = try PatternFile.read(url)
        #expect(zip(back.twoTheta, x).allSatisfy { abs($0 - $1) < 1e-8 })
        #expect(back.evenStep != nil)
        // A 0.015° scan keeps the 5 decimals every earlier file had.
        #expect(PatternWriter.xye(Pattern(name: "s", twoTheta: [5, 5.015], intensity: [1, 2])).hasPrefix("5.00000 "))
    }
}
