import FileSupport
import Foundation
import PowderDiffraction
import RietveldIO
import Testing
import _TestSupport

/// The wavelengths and Kα2/Kα1 ratio each vendor format states, as read into `Pattern`.
@Suite struct StatedRadiationTests {
    func read(_ path: String) throws -> Pattern { try PatternFile.read(repositoryRoot.appendingPathComponent(path)) }

    @Test func vendorHeaders() throws {
        // XRDML usedWavelength (scripts/make_vendor_format_fixtures.py writes 1.5405980, 1.5444260, 0.5).
        let xrdml = try read("patterns/vendor-formats/corundum-1.5.xrdml")
        #expect(xrdml.stated.wavelengths == [1.540598, 1.544426] && xrdml.stated.secondLineRatio == 0.5)
        // XRDML 1.0 fixture has no usedWavelength.
        #expect(try read("patterns/vendor-formats/corundum-1.0.xrdml").stated.wavelengths.isEmpty)
        let brml = try read("patterns/vendor-formats/corundum.brml")
        #expect(brml.stated.wavelengths == [1.5406, 1.54439] && brml.stated.secondLineRatio == 0.5)
        // RAW v1: float32 Kα1, Kα2 in the range header (1.54056, 1.54439), no ratio.
        let v1 = try read("patterns/vendor-formats/corundum-v1.raw")
        #expect(v1.stated.wavelengths == [1.54056, 1.54439] && v1.stated.secondLineRatio == nil)
        // RAW v4 without an X-ray source segment: the range's used wavelength.
        #expect(try read("patterns/vendor-formats/corundum-v4.raw").stated.wavelengths == [1.5406])
        // RAW1.01 (v3) measured file: float64 Kα1, Kα2, ratio at 624, 632, 648.
        let v3 = try read("patterns/lab6-lab/LaB6_Jan2018.raw")
        #expect(v3.stated.wavelengths == [1.5406, 1.54439] && v3.stated.secondLineRatio == 0.5)
        // Column files state nothing.
        #expect(try read("patterns/qpa-roundrobin/corundum.prn").stated.wavelengths.isEmpty)
    }

    @Test func restrictingKeepsTheStatement() throws {
        let p = try read("patterns/lab6-lab/LaB6_Jan2018.raw")
        let part = p.restricted(to: 30, 40)
        #expect(part.stated.wavelengths == p.stated.wavelengths && part.stated.secondLineRatio == 0.5)
    }
}
