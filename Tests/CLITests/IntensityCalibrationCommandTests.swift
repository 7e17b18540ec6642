import Foundation
import Testing

/// `rietveld refine --intensity-calibration`: the IUCr CPD round robin's mixture 1g, each phase calibrated on
/// its own pure-phase scan of the same instrument, as a user runs it — and one clear line for each misuse.
@Suite(.serialized) struct IntensityCalibrationCommandTests {
    static let names = ["corundum", "fluorite", "zincite"]
    /// Weighed (the CPD's "Weighed and Measured Values", 8 November 1999; Madsen et al. 2001), wt %.
    static let weighed = ["corundum": 31.37, "fluorite": 34.42, "zincite": 34.21]

    static let directory: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-k-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }()

    /// The instrument calibrated on the fluorite scan, and each pure phase refined with it (`--json`).
    static let prepared: Result<(instrument: String, reports: [String]), Error> = Result {
        let instrument = directory.appendingPathComponent("fluorite.instprm").path
        let c = try CLI.run(["calibrate", "patterns/qpa-roundrobin/fluorite.prn", "--standard", "structures/fluorite.cif",
                             "--instrument", "patterns/qpa-roundrobin/start.instprm", "--geometry", "bragg-brentano", "-o", instrument, "--quiet"])
        guard c.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: ["calibrate": c.stderr]) }
        var reports: [String] = []
        for name in names {
            let json = directory.appendingPathComponent("\(name).json").path
            let r = try CLI.run(["refine", "patterns/qpa-roundrobin/\(name).prn", "--phase", "structures/\(name).cif", "--instrument", instrument,
                                 "--geometry", "bragg-brentano", "--json", json, "--quiet"])
            guard r.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [name: r.stderr]) }
            reports.append(json)
        }
        return (instrument, reports)
    }

    static func mixture(_ instrument: String) -> [String] {
        ["refine", "patterns/qpa-roundrobin/cpd-1g.prn"] + names.flatMap { ["--phase", "structures/\($0).cif"] }
            + ["--instrument", instrument, "--geometry", "bragg-brentano", "--quiet"]
    }

    @Test func everyPhaseWithinOneWeightPercent() throws {
        let (instrument, reports) = try Self.prepared.get()
        let json = Self.directory.appendingPathComponent("mixture.json")
        let r = try CLI.run(Self.mixture(instrument) + reports.flatMap { ["--intensity-calibration", $0] } + ["--json", json.path])
        #expect(r.status == 0, "\(r.stderr)")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        let phases = try #require(root["phases"] as? [[String: Any]])
        for phase in phases {
            let name = phase["name"] as! String
            let w = 100 * ((phase["weight_fraction"] as! [String: Any])["value"] as! Double)
            #expect(abs(w - Self.weighed[name]!) < 1, "\(name): \(w) wt % vs \(Self.weighed[name]!)")
            let k = try #require(phase["intensity_calibration"] as? [String: Any], "\(name)")
            #expect((k["relative"] as? Double).map { abs($0 - 1) < 0.05 } == true, "\(name): \(k)")
            #expect(phase["weight_fraction_uncorrected"] is [String: Any])
        }
        #expect(r.stdout.contains("calibrated: K") && r.stdout.contains("intensity per mass K"), "\(r.stdout)")
    }

    @Test func misuseEndsWithOneLine() throws {
        let (instrument, reports) = try Self.prepared.get()
        let mixtureReport = Self.directory.appendingPathComponent("plain-mixture.json").path
        let plain = try CLI.run(Self.mixture(instrument) + ["--json", mixtureReport])
        #expect(plain.status == 0, "\(plain.stderr)")
        let cases: [([String], String)] = [
            (["--intensity-calibration", mixtureReport], "this report has 3 phases with a structure"),
            (["--intensity-calibration", reports[0], "--intensity-calibration", reports[1]], "phase zincite has none"),
            (["--intensity-calibration", reports[0], "--intensity-calibration", reports[0]], "two calibrations for corundum"),
            (["--intensity-calibration", "patterns/qpa-roundrobin/start.instprm"], "not JSON"),
            (["--intensity-calibration", "no-such-report.json"], "no such file"),
            (reports.flatMap { ["--intensity-calibration", $0] } + ["--geometry", "debye-scherrer"], "not the mixture's instrument (measured in bragg-brentano"),
        ]
        for (extra, mention) in cases {
            let r = try CLI.run(Self.mixture(instrument) + extra)
            #expect(r.status == 1, "\(extra): status \(r.status)")
            #expect(r.stderr.contains(mention) && r.stderr.split(separator: "\n").count == 1, "\(extra): \(r.stderr)")
        }
    }
}
