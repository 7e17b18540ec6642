import FileSupport
import Foundation
import PowderDiffraction
import RietveldIO
import Testing
import _TestSupport

/// `rietveld convert` on the STOE and UXD files, read back; bad input; and `refine --help` naming every format.
@Suite struct ConvertCommandTests {
    static let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-convert-\(ProcessInfo.processInfo.processIdentifier)")

    @Test(arguments: ["patterns/stoe-raw/stoe.raw", "patterns/licoo2-powbase/LiCoO2.UXD"])
    func convertsToXyeThatReadsBack(path: String) throws {
        try FileManager.default.createDirectory(at: Self.dir, withIntermediateDirectories: true)
        let out = Self.dir.appendingPathComponent(((path as NSString).lastPathComponent as NSString).deletingPathExtension + ".xye")
        let r = try CLI.run(["convert", path, "-o", out.path])
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r.stderr)")
        let original = try PatternFile.read(repositoryRoot.appendingPathComponent(path))
        let back = try PatternFile.read(out)
        #expect(back.count == original.count && original.count > 4000)
        guard back.count == original.count else { return }
        // xye: 2θ to 5 decimals, y and esd to 4.
        #expect(zip(back.twoTheta, original.twoTheta).allSatisfy { abs($0 - $1) <= 5e-6 })
        #expect(zip(back.intensity, original.intensity).allSatisfy { abs($0 - $1) <= 5e-5 })
        #expect(zip(back.sigma, original.sigma).allSatisfy { abs($0 - $1) <= 5e-5 })
    }

    /// A directory and a decimal-comma file: exit 1, one line naming the file, no output left behind.
    @Test func badInputIsOneLineAndNoOutput() throws {
        try FileManager.default.createDirectory(at: Self.dir.appendingPathComponent("scan.raw"), withIntermediateDirectories: true)
        let comma = Self.dir.appendingPathComponent("comma.xy")
        try Data("12,5 100\n12,6 110\n".utf8).write(to: comma)
        for (input, mention) in [(Self.dir.appendingPathComponent("scan.raw").path, "is a directory"), (comma.path, "comma.xy:1: '12,5' has a decimal comma")] {
            let out = Self.dir.appendingPathComponent("bad-out.xye")
            let r = try CLI.run(["convert", input, "-o", out.path])
            #expect(r.status == 1, "\(input): exit \(r.status)")
            #expect(r.stderr.contains(mention) && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out.path))
        }
    }

    /// The pattern argument's help names every format the readers recognize.
    @Test func refineHelpListsEveryFormatRead() throws {
        let r = try CLI.run(["refine", "--help"])
        let help = (r.stdout + r.stderr).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for format in PatternFormat.allCases { #expect(help.contains(format.rawValue), "refine --help does not name \(format.rawValue)") }
        for name in ["xy", "GSAS", "powder CIF", "Bruker RAW", "Bruker UXD", "STOE", "XRDML", "BRML"] {
            #expect(help.contains(name), "refine --help does not name \(name)")
        }
    }
}
