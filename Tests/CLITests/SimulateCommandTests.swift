import Foundation
import Testing

@Suite struct SimulateCommandTests {
    static let sim = "patterns/gsas2-sim-linio2"

    /// The intensities of a simulated .xye on standard output.
    func intensities(_ extra: [String], range: String = "5:50:0.005") throws -> [Double] {
        let r = try CLI.run(["simulate", "\(Self.sim)/LiNiO2_start.cif", "--instrument", "\(Self.sim)/MoKa1_capillary.instprm", "--two-theta", range] + extra)
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
            let f = line.split(separator: " ")
            guard f.count >= 2 else { Issue.record("simulate printed '\(line)': expected 2θ and intensity"); return nil }
            return Double(f[1])
        }
    }

    /// `--peak-window` acts on a simulation as on a refinement (it was accepted and ignored): peaks cut at 3
    /// FWHMs each side lose their far tails (less intensity in all, none gained anywhere). `--threads 2` gives
    /// the one-thread pattern to the last digit on a grid large enough to be shared out (that the model takes
    /// the threads is `SimulationTests.windowAndThreads`).
    @Test func peakWindowAndThreadsAreUsed() throws {
        let full = try intensities([])
        let cut = try intensities(["--peak-window", "3"])
        #expect(full.count == cut.count && cut.reduce(0, +) < 0.999 * full.reduce(0, +))
        #expect(zip(cut, full).allSatisfy { $0 <= $1 + 1e-9 })
        let one = try intensities(["--threads", "1"], range: "5:50:0.001")
        let two = try intensities(["--threads", "2"], range: "5:50:0.001")
        #expect(one.count == 45001 && one == two)
    }
}
