import FileSupport
import Foundation
import PowderDiffraction
@testable import RietveldIO
import Testing
import _TestSupport

/// The STOE WinXPOW reader on the public Stadi-P file (patterns/stoe-raw/stoe.raw), cross-checked against an
/// independent reader's output, and on damaged and re-encoded copies of it.
@Suite struct STOERawTests {
    static let path = "patterns/stoe-raw/stoe.raw"
    static var url: URL { repositoryRoot.appendingPathComponent(path) }

    @Test func readsTheStadiPScan() throws {
        let p = try PatternFile.read(Self.url)
        // Range header: 5404 points from 10° in steps of 0.015° to 91.045° (which the header also states).
        #expect(p.count == 5404)
        #expect(p.twoTheta[0] == 10 && abs(p.twoTheta[1] - 10.015) < 1e-12)
        #expect(abs(p.twoTheta.last! - 91.045) < 1e-9)
        #expect(p.stated.wavelengths == [1.20793, 1.20839])
        #expect(p.stated.secondLineRatio == nil)
        #expect(abs(p.sigma[0] - max(p.intensity[0], 1).squareRoot()) < 1e-12)
        #expect(PatternFormat.allCases.contains(.stoeRAW))
    }

    /// patterns/stoe-raw/xrdpattern-0.9.9-stoe.csv: what PyPI xrdpattern 0.9.9 (aimat-lab) makes of the same file.
    /// Its counts must equal ours at every point. Its 2θ axis spreads the *planned* range of the file's scan table
    /// (10–91.06°, record 2) over the 5404 points measured, where the range header of the measured data says
    /// 10–91.045° in steps of 0.015°: the axes agree at the start and part by up to one step (0.015°) at the end.
    /// It names the wavelength at byte 326 "primary" and the one at 322 "secondary"; STOE's header (and DASH)
    /// has Kα1 at 322: the same two numbers.
    @Test func agreesWithAnIndependentReader() throws {
        let csv = try String(contentsOf: repositoryRoot.appendingPathComponent("patterns/stoe-raw/xrdpattern-0.9.9-stoe.csv"), encoding: .utf8)
        var x: [Double] = [], y: [Double] = []
        var wavelengths: [Double] = []
        for line in csv.split(separator: "\n") {
            if line.hasPrefix("# wavelengths:") {
                wavelengths = line.dropFirst("# wavelengths:".count).split(separator: " ").compactMap { Double($0) }
            }
            guard !line.hasPrefix("#"), !line.hasPrefix("two_theta") else { continue }
            let f = line.split(separator: ",")
            x.append(Double(f[0])!); y.append(Double(f[1])!)
        }
        let p = try PatternFile.read(Self.url)
        #expect(x.count == 5404 && p.count == x.count)
        guard p.count == x.count else { return }
        #expect(p.intensity == y, "counts differ at \(zip(p.intensity, y).enumerated().filter { $0.1.0 != $0.1.1 }.prefix(3).map(\.offset))")
        let dx = zip(p.twoTheta, x).map { abs($0 - $1) }
        #expect(dx[0] < 1e-12)
        #expect(dx.max()! <= 0.015 + 1e-9, "2θ differs by \(dx.max()!)°")
        #expect(dx.last! > 0.0149, "the planned and measured ends no longer differ: has the reader changed?")
        // It reports the float32 fields as they are (1.2079299688…); ours are their decimals (1.20793).
        #expect(wavelengths.count == 2 && zip(wavelengths.sorted(), p.stated.wavelengths.sorted()).allSatisfy { abs($0 - $1) < 1e-6 },
                "xrdpattern \(wavelengths) vs \(p.stated.wavelengths)")
    }

    /// Cut anywhere — inside the header, the range header or the counts — the file is one line naming it and
    /// what it ends inside.
    @Test(arguments: [0, 7, 100, 511, 2060, 2100, 2600, 24_000])
    func truncatedCopiesAreOneClearLine(length: Int) throws {
        let data = try Data(contentsOf: Self.url).prefix(length)
        do {
            _ = try PatternFile.read(data, file: "cut.raw", name: "cut")
            Issue.record("a copy cut at \(length) bytes was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.hasPrefix("cut.raw") && !message.contains("\n"), "\(message)")
            #expect(length < 8 || message.contains("ends at byte \(length)"), "\(message)")
        }
    }

    /// The same counts written as 16-bit integers (data form 1) and with a count factor of 4 (counts stored ×4):
    /// the reader must give back the original counts.
    @Test func sixteenBitCountsAndCountFactor() throws {
        let original = try PatternFile.read(Self.url)
        var bytes = [UInt8](try Data(contentsOf: Self.url))
        let range = 4 * 512, counts = 5 * 512
        func put16(_ v: Int, at o: Int) { bytes[o] = UInt8(v & 0xFF); bytes[o + 1] = UInt8((v >> 8) & 0xFF) }
        put16(1, at: range + 38)
        for (i, y) in original.intensity.enumerated() { put16(Int(y) * 4, at: counts + 2 * i) }
        withUnsafeBytes(of: Float(4).bitPattern.littleEndian) { for k in 0..<4 { bytes[range + 40 + k] = $0[k] } }
        let p = try PatternFile.read(Data(bytes), file: "short.raw", name: "short")
        #expect(p.intensity == original.intensity)
        #expect(p.twoTheta == original.twoTheta)
    }
}
