import FileSupport
import Foundation
import PowderDiffraction
import RietveldIO
import Testing
import _TestSupport

/// XRDML, BRML and Bruker RAW v1/v4 readers on files that hold the measured CPD corundum scan
/// (patterns/qpa-roundrobin/corundum.prn), written in each layout by scripts/make_vendor_format_fixtures.py
/// (no such file from outside the project is available). Each must give back the .prn points.
@Suite struct VendorFormatTests {
    static let folder = repositoryRoot.appendingPathComponent("patterns/vendor-formats")

    /// The first 2000 points of the measured .prn.
    static func reference() throws -> Pattern {
        let p = try PatternFile.read(repositoryRoot.appendingPathComponent("patterns/qpa-roundrobin/corundum.prn"))
        return Pattern(name: p.name, twoTheta: Array(p.twoTheta.prefix(2000)), intensity: Array(p.intensity.prefix(2000)))
    }

    func expectSame(_ p: Pattern, _ r: Pattern, xTolerance: Double, _ what: String) {
        #expect(p.count == r.count, "\(what): \(p.count) points")
        guard p.count == r.count else { return }
        let dx = zip(p.twoTheta, r.twoTheta).map { abs($0 - $1) }.max()!
        let dy = zip(p.intensity, r.intensity).map { abs($0 - $1) / max(1, abs($1)) }.max()!
        #expect(dx < xTolerance, "\(what): 2θ differs by \(dx)°")
        #expect(dy < 1e-6, "\(what): intensity differs by \(dy) relative")
    }

    @Test func xrdmlWithCountsAndAttenuation() throws {
        let r = try Self.reference()
        let p = try PatternFile.read(Self.folder.appendingPathComponent("corundum-1.5.xrdml"))
        expectSame(p, r, xTolerance: 1e-9, "XRDML 1.5")
        // Points 500–519 were counted behind a 10× attenuator: σ = 10 √(y/10), not √y.
        #expect(abs(p.sigma[505] - 10 * (r.intensity[505] / 10).squareRoot()) < 1e-9)
        #expect(abs(p.sigma[10] - r.intensity[10].squareRoot()) < 1e-9)
    }

    @Test func xrdmlWithCountRatesAndListedPositions() throws {
        let r = try Self.reference()
        let p = try PatternFile.read(Self.folder.appendingPathComponent("corundum-1.0.xrdml"))
        expectSame(p, r, xTolerance: 1e-9, "XRDML 1.0")
        // counts/s over 2 s come back as counts, with σ = √counts.
        #expect(abs(p.sigma[10] - r.intensity[10].squareRoot()) < 1e-6)
    }

    @Test func brml() throws {
        let p = try PatternFile.read(Self.folder.appendingPathComponent("corundum.brml"))
        expectSame(p, try Self.reference(), xTolerance: 1e-9, "BRML")
    }

    @Test func brukerRawVersions1And4() throws {
        let r = try Self.reference()
        // Start and step are float32 in v1: 2θ to ~1e-5° after 2000 steps.
        expectSame(try PatternFile.read(Self.folder.appendingPathComponent("corundum-v1.raw")), r, xTolerance: 2e-5, "RAW v1")
        expectSame(try PatternFile.read(Self.folder.appendingPathComponent("corundum-v4.raw")), r, xTolerance: 1e-9, "RAW v4")
    }

    /// Damaged copies: one line naming the file, never a crash.
    @Test(arguments: ["corundum-1.5.xrdml", "corundum.brml", "corundum-v1.raw", "corundum-v4.raw"])
    func truncatedCopiesAreRefused(name: String) throws {
        let original = try Data(contentsOf: Self.folder.appendingPathComponent(name))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cut-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
        try original.prefix(original.count / 2).write(to: url)
        do {
            _ = try PatternFile.read(url)
            Issue.record("\(name) cut in half was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains(url.lastPathComponent) && !message.contains("\n"), "\(message)")
        }
    }

    @Test func textInACountIsNamed() throws {
        var text = try String(contentsOf: Self.folder.appendingPathComponent("corundum-1.0.xrdml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "<intensities unit=\"counts/s\">", with: "<intensities unit=\"counts/s\">abc ")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("text-\(ProcessInfo.processInfo.processIdentifier).xrdml")
        try Data(text.utf8).write(to: url)
        #expect(throws: FileError.self) { _ = try PatternFile.read(url) }
        do { _ = try PatternFile.read(url) } catch { #expect("\(error)".contains("'abc' is not a finite number"), "\(error)") }
    }
}
