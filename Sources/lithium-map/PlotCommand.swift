import ArgumentParser
import Foundation
import Lithiation
import FileSupport
import LithiationIO

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plot", abstract: "Plot a reference curve with its band, regions and queried volumes (SVG).")

    @Option(help: "Reference CSV.")
    var reference: String

    @Option(parsing: .upToNextOption, help: "Volumes (Å³) to mark on the curve.")
    var volume: [Double] = []

    @Option(help: "Phase regions NAME:LOW:HIGH,…")
    var regions: String?

    @Option(name: .shortAndLong, help: "Output SVG.")
    var output: String

    func run() throws {
        try fail {
            let curve = try ReferenceCurve(points: try LithiationFiles.readReference(URL(fileURLWithPath: reference)), regions: try parseRegions(regions))
            var marks: [(Double, LookupResult)] = []
            for v in volume { marks.append((v, try curve.lookup(volume: v))) }
            try TextFile.writeAtomically(ReferencePlot.svg(curve, queries: marks), to: URL(fileURLWithPath: output))
        }
    }
}
