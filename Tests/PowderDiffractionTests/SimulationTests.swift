import Crystallography
import Foundation
import PowderDiffraction
import RietveldIO
import Testing
import _TestSupport

@Suite struct SimulationTests {
    /// A simulation's model takes the peak window and the threads it is given (`simulate --peak-window`,
    /// `--threads`), and keeps the convention's window and one thread otherwise. Fails with either dropped.
    @Test func windowAndThreads() throws {
        let structure = try StructureCIF.read(repositoryRoot.appendingPathComponent("structures/Si.cif"))
        let inst = Instrument(radiation: Radiation(wavelength: 0.70926))
        let x = stride(from: 10.0, through: 30.0, by: 0.01).map { $0 }
        let phase = [SimulatedPhase(structure: structure, scale: 1, size: 1, microstrain: 0)]
        let plain = try Simulation.makeModel(phases: phase, instrument: inst, twoTheta: x, background: [])
        #expect(plain.threads == 1 && (plain.windowLowFWHMs, plain.windowHighFWHMs) == ModelConvention.exact.window)
        let asked = try Simulation.makeModel(phases: phase, instrument: inst, twoTheta: x, background: [], peakWindow: 7, threads: 2)
        #expect(asked.threads == 2 && asked.windowLowFWHMs == 7 && asked.windowHighFWHMs == 7)
    }
}
