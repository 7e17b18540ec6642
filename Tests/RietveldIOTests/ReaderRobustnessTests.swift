import FileSupport
import Foundation
import PowderDiffraction
@testable import RietveldIO
import Testing
import _TestSupport

/// Inputs that used to be misread or misreported: decimal commas, unknown GSAS data types, directories.
@Suite struct ReaderRobustnessTests {
    func read(_ text: String, name: String) throws(FileError) -> Pattern {
        try PatternFile.read(Data(text.utf8), file: name, name: name)
    }

    static let refused: [(name: String, content: String, mention: String)] = [
        ("comma.xy", "12,5 100\n12,6 110\n12,7 120\n", "comma.xy:1: '12,5' has a decimal comma; decimal commas are not supported"),
        ("comma-header.xy", "# 2theta counts\n12,50 100\n12,55 110\n", "comma-header.xy:2: '12,50' has a decimal comma"),
        ("comma-semicolon.csv", "2theta;counts\n12,5;100\n12,6;110\n", "comma-semicolon.csv:2: '12,5' has a decimal comma"),
        ("comma-tab.xy", "12,5\t100,5\t3,1\n12,6\t110,0\t3,2\n", "comma-tab.xy:1: '12,5' has a decimal comma"),
        ("comma-four.xy", "12,5 100,5 3,1 1,0\n", "comma-four.xy:1: '12,5' has a decimal comma"),
        ("xyz.gsa", "title\nBANK 1 4 1 CONST 1000 2 0 0 XYZ\n      10      11      12      13\n", "xyz.gsa:2: BANK data type XYZ is not supported (expected STD, ESD, FXYE)"),
        ("alt.gsa", "title\nBANK 1 4 1 CONST 1000 2 0 0 ALT\n      10      11      12      13\n", "BANK data type ALT is not supported"),
        ("negative.gsa", "title\nBANK 1 -5 1 CONST 1000 2 0 0 STD\n      10      11      12      13\n", "announces -5 points"),
    ]

    @Test(arguments: refused.indices)
    func refusedWithOneClearLine(index: Int) {
        let (name, content, mention) = Self.refused[index]
        do {
            let p = try read(content, name: name)
            Issue.record("\(name) was read: \(p.twoTheta) \(p.intensity)")
        } catch {
            #expect("\(error)".contains(mention), "\(error)")
            #expect(!"\(error)".contains("\n") && !"\(error)".contains("unknown format"))
        }
    }

    /// What must still read: comma-separated values with decimal points, a GSAS BANK line without a type (STD).
    @Test func commaSeparatedValuesStillRead() throws {
        let csv = try read("two_theta,counts\n12.5,100\n12.6,110\n", name: "ok.csv")
        #expect(csv.twoTheta == [12.5, 12.6] && csv.intensity == [100, 110])
        let spaced = try read("12.5, 100\n12.6, 110\n", name: "spaced.csv")
        #expect(spaced.twoTheta == [12.5, 12.6] && spaced.intensity == [100, 110])
        let std = try read("title\nBANK 1 4 1 CONST 1000 2 0 0\n      10      11      12      13\n", name: "notype.gsa")
        #expect(std.twoTheta == [10, 10.02, 10.04, 10.06] && std.intensity == [10, 11, 12, 13])
    }

    /// A directory given as a pattern, whatever its name says: one line, never a crash or "unknown format".
    @Test(arguments: ["scan.raw", "scan.xy", "scan.brml"])
    func directoryIsRefused(name: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-dir-\(ProcessInfo.processInfo.processIdentifier)/\(name)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        #expect(throws: FileError.cannotRead(file: dir.path, reason: "is a directory, expected a file")) { _ = try PatternFile.read(dir) }
    }

    /// The ESD and FXYE layouts of the first 500 points of FAP.XRA (scripts/make_gsas_layout_fixtures.py) read
    /// as the STD original does.
    @Test(arguments: ["FAP-500-esd.gsa", "FAP-500-fxye.gsa"])
    func gsasLayoutsReadAsTheStdOriginal(file: String) throws {
        let std = try PatternFile.read(repositoryRoot.appendingPathComponent("patterns/fluorapatite/FAP.XRA"))
        let p = try PatternFile.read(repositoryRoot.appendingPathComponent("patterns/gsas-layouts/\(file)"))
        #expect(p.count == 500)
        guard p.count == 500 else { return }
        #expect(zip(p.twoTheta, std.twoTheta).allSatisfy { abs($0 - $1) < 1e-9 })
        #expect(Array(std.intensity.prefix(500)) == p.intensity)
        #expect(zip(p.sigma, std.sigma).allSatisfy { abs($0 - $1) < 1e-2 })
    }
}
