import ArgumentParser
import Foundation
import Lithiation
import FileSupport
import LithiationIO

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plot", abstract: "Plot a reference curve (V, a, c) with its bands, branches, regions and looked-up volumes (SVG).")

    @Option(help: "Reference CSV.")
    var reference: String

    @Option(parsing: .upToNextOption, help: "Volumes (Å³) to look up and mark on the curve, with error bars.")
    var volume: [Double] = []

    @Option(name: .customLong("volume-esd"), parsing: .unconditional, help: "esd of the marked volumes in Å³.")
    var volumeEsd: Double = 0

    @Option(help: "Phase regions NAME:LOW:HIGH,…")
    var regions: String?

    @Option(name: .shortAndLong, help: "Output SVG.")
    var output: String

    func validate() throws {
        guard volumeEsd.isFinite, volumeEsd >= 0 else { throw ValidationError("--volume-esd must not be negative (\(volumeEsd))") }
    }

    func run() throws {
        try fail {
            let file = try LithiationFiles.readReferenceFile(URL(fileURLWithPath: reference))
            let ref: LithiumReference
            do { ref = try LithiumReference(points: file.points, branched: file.branched, regions: try parseRegions(regions), boundaries: file.boundaries) }
            catch let e as LithiationError { throw Failure("\(reference): \(e)") }
            var marks: [ReferencePlot.Mark] = []
            for v in volume {
                let m = Measured(v, esd: volumeEsd)
                marks += ReferencePlot.marks(try ref.lookup(volume: m), volume: m, label: String(format: "V = %.3f Å³", v))
            }
            try TextFile.writeAtomically(ReferencePlot.svg(ref, marks: marks), to: URL(fileURLWithPath: output))
        }
    }
}
