import FileSupport
import Foundation
import PowderDiffraction
@testable import RietveldIO
import Testing
import _TestSupport

/// The UXD reader on PowBase's LiCoO2 scan, checked point by point against the same scan's Bruker RAW (v1)
/// file, and on small UXD texts of the other layouts.
@Suite struct BrukerUXDTests {
    static let folder = repositoryRoot.appendingPathComponent("patterns/licoo2-powbase")

    @Test func uxdAndItsRawTwinAgreePointByPoint() throws {
        let uxd = try PatternFile.read(Self.folder.appendingPathComponent("LiCoO2.UXD"))
        let raw = try PatternFile.read(Self.folder.appendingPathComponent("LiCoO2.RAW"))
        #expect(uxd.count == 4001 && raw.count == 4001)
        guard uxd.count == raw.count else { return }
        // _START=15.985, _STEPSIZE=0.03: 15.985 … 135.985°.
        #expect(uxd.twoTheta[0] == 15.985 && abs(uxd.twoTheta.last! - 135.985) < 1e-9)
        #expect(zip(uxd.twoTheta, raw.twoTheta).allSatisfy { abs($0 - $1) < 1e-9 })
        #expect(uxd.intensity == raw.intensity)
        #expect(uxd.sigma == raw.sigma)
        #expect(uxd.intensity.prefix(3) == [649, 609, 622] && uxd.intensity.last == 401)
        // _WL1, _WL2, _WLRATIO; the RAW v1 range header states the two wavelengths (to float32) and no ratio.
        #expect(uxd.stated.wavelengths == [1.5406, 1.54443] && uxd.stated.secondLineRatio == 0.514)
        #expect(raw.stated.wavelengths.count == 2 && zip(raw.stated.wavelengths, uxd.stated.wavelengths).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    func read(_ text: String) throws(FileError) -> Pattern {
        try PatternFile.read(Data(text.utf8), file: "t.uxd", name: "t")
    }

    @Test func countRatesAndAnglePairs() throws {
        let cps = try read("_FILEVERSION=1\n_WL1=0.70930\n_STEPTIME=2.0\n_STEPSIZE=0.5\n_START=10\n_CPS\n  5.0  6.5\n 7.0\n")
        #expect(cps.twoTheta == [10, 10.5, 11] && cps.intensity == [10, 13, 14])
        #expect(cps.stated.wavelengths == [0.7093] && cps.stated.secondLineRatio == nil)
        let pairs = try read("_FILEVERSION=1\n_2THETACOUNTS\n 20.0 100\n 20.1 120\n 20.2 90\n; (Data for Range number 2)\n_2THETACOUNTS\n 30 1\n")
        #expect(pairs.twoTheta == [20, 20.1, 20.2] && pairs.intensity == [100, 120, 90])
    }

    static let bad: [(text: String, mention: String)] = [
        ("_FILEVERSION=1\n_START=10\n_COUNTS\n 1 2 3\n", "_START (or _2THETA) and _STEPSIZE"),
        ("_FILEVERSION=1\n_START=10\n_STEPSIZE=0.1\n_STEPCOUNT=4\n_COUNTS\n 1 2 3\n", "3 values after _COUNTS; _STEPCOUNT says 4"),
        ("_FILEVERSION=1\n_START=10\n_STEPSIZE=0,1\n_COUNTS\n 1 2 3\n", "t.uxd:3: _STEPSIZE = '0,1' is not a number"),
        ("_FILEVERSION=1\n_START=10\n_STEPSIZE=0.1\n_COUNTS\n 1 2,5 3\n", "t.uxd:5: '2,5' has a decimal comma"),
        ("_FILEVERSION=1\n_START=10\n_STEPSIZE=0.1\n_CPS\n 1 2 3\n", "positive _STEPTIME"),
        ("_FILEVERSION=1\n_START=10\n_STEPSIZE=0.1\n", "no data block"),
    ]

    @Test(arguments: bad.indices)
    func damagedHeadersAreOneClearLine(index: Int) {
        do {
            _ = try read(Self.bad[index].text)
            Issue.record("accepted")
        } catch {
            #expect("\(error)".contains(Self.bad[index].mention) && !"\(error)".contains("\n"), "\(error)")
        }
    }
}
