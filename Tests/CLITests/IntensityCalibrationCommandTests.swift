import Foundation
import Testing

/// `rietveld refine --intensity-calibration`: the IUCr CPD round robin's mixture 1g, each phase calibrated on
/// its own pure-phase scan of the same instrument, as a user runs it — and one clear line for each misuse.
@Suite final class IntensityCalibrationCommandTests {
    static let names = ["corundum", "fluorite", "zincite"]
    /// Weighed (the CPD's "Weighed and Measured Values", 8 November 1999; Madsen et al. 2001), wt %.
    static let weighed = ["corundum": 31.37, "fluorite": 34.42, "zincite": 34.21]

    let directory: URL
    /// The instrument calibrated on the fluorite scan, and each pure phase refined with it (`--json`).
    let instrument: String
    let reports: [String]

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-k-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        instrument = directory.appendingPathComponent("fluorite.instprm").path
        let c = try CLI.run(["calibrate", "patterns/qpa-roundrobin/fluorite.prn", "--standard", "structures/fluorite.cif",
                             "--instrument", "patterns/qpa-roundrobin/start.instprm", "--geometry", "bragg-brentano", "-o", instrument, "--quiet"])
        #expect(c.status == 0, "\(c.stderr)")
        var reports: [String] = []
        for name in Self.names {
            let json = directory.appendingPathComponent("\(name).json").path
            let r = try CLI.run(["refine", "patterns/qpa-roundrobin/\(name).prn", "--phase", "structures/\(name).cif", "--instrument", instrument,
                                 "--geometry", "bragg-brentano", "--json", json, "--quiet"])
            #expect(r.status == 0, "\(name): \(r.stderr)")
            reports.append(json)
        }
        self.reports = reports
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    static func mixture(_ instrument: String) -> [String] {
        ["refine", "patterns/qpa-roundrobin/cpd-1g.prn"] + names.flatMap { ["--phase", "structures/\($0).cif"] }
            + ["--instrument", instrument, "--geometry", "bragg-brentano", "--quiet"]
    }

    @Test func everyPhaseWithinOneWeightPercent() throws {
        let json = directory.appendingPathComponent("mixture.json")
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

    /// `sequential` takes the same corrections: its CSV's weight fractions are refine's, and a run resumed with
    /// other corrections is refused (they are part of the run's fingerprint).
    @Test func sequentialTakesTheCalibrations() throws {
        let json = directory.appendingPathComponent("mixture.json"), csv = directory.appendingPathComponent("series.csv")
        let calibrations = reports.flatMap { ["--intensity-calibration", $0] }
        let refined = try CLI.run(Self.mixture(instrument) + calibrations + ["--json", json.path])
        #expect(refined.status == 0, "\(refined.stderr)")
        let phases = try #require((try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])?["phases"] as? [[String: Any]])
        let series = Array(Self.mixture(instrument).dropFirst(2).dropLast()) + calibrations
        let r = try CLI.run(["sequential", "patterns/qpa-roundrobin/cpd-1g.prn"] + series + ["--csv", csv.path])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = lines[0], row = lines[1]
        for phase in phases {
            let name = phase["name"] as! String
            let expected = (phase["weight_fraction"] as! [String: Any])["value"] as! Double
            let column = try #require(header.firstIndex(of: "\(name):weight_fraction"))
            #expect(abs(Double(row[column])! - expected) < 2e-4, "\(name): \(row[column]) vs \(expected)")
        }
        let resumed = try CLI.run(["sequential", "patterns/qpa-roundrobin/cpd-1g.prn"] + series + ["--brindley", "corundum:1", "--csv", csv.path, "--resume"])
        #expect(resumed.status == 1 && resumed.stderr.contains("was written by another run"), "\(resumed.status) \(resumed.stderr)")
    }

    @Test func misuseEndsWithOneLine() throws {
        let mixtureReport = directory.appendingPathComponent("plain-mixture.json").path
        let plain = try CLI.run(Self.mixture(instrument) + ["--json", mixtureReport])
        #expect(plain.status == 0, "\(plain.stderr)")
        // A report of fluorite's scan named corundum; one with a Le Bail impurity; and the corundum report edited:
        // another polarization, no esd, not converged.
        let impostor = directory.appendingPathComponent("impostor.json").path
        let fake = try CLI.run(["refine", "patterns/qpa-roundrobin/fluorite.prn", "--phase", "corundum=structures/fluorite.cif", "--instrument", instrument,
                                "--geometry", "bragg-brentano", "--json", impostor, "--quiet"])
        let withImpurity = directory.appendingPathComponent("impurity.json").path
        let lb = try CLI.run(["refine", "patterns/qpa-roundrobin/corundum.prn", "--phase", "structures/corundum.cif", "--phase", "structures/fluorite.cif",
                              "--le-bail", "fluorite", "--instrument", instrument, "--geometry", "bragg-brentano", "--json", withImpurity, "--quiet"])
        #expect(fake.status == 0 && lb.status == 0, "\(fake.stderr) \(lb.stderr)")
        func edited(_ name: String, _ change: (inout [String: Any]) -> Void) throws -> String {
            var root = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reports[0]))) as! [String: Any]
            change(&root)
            let url = directory.appendingPathComponent(name)
            try JSONSerialization.data(withJSONObject: root).write(to: url)
            return url.path
        }
        let polarization = try edited("polarization.json") { $0["instrument"] = ($0["instrument"] as! [String: Any]).merging(["polarization": 0.5]) { $1 } }
        let noEsd = try edited("no-esd.json") { root in
            var phases = root["phases"] as! [[String: Any]]
            phases[0]["intensity_constant"] = ["value": 1.0, "esd": NSNull()]
            root["phases"] = phases
        }
        let notConverged = try edited("not-converged.json") { $0["converged"] = false }
        let others = Array(reports[1...]).flatMap { ["--intensity-calibration", $0] }
        let cases: [([String], String)] = [
            (["--intensity-calibration", mixtureReport], "this report has 3 phases"),
            (["--intensity-calibration", withImpurity], "this report has 2 phases"),
            (["--intensity-calibration", impostor] + others, "corundum there is in F m -3 m, here in R -3 c"),
            (["--intensity-calibration", polarization] + others, "polarization 0.5, the mixture's 0.556"),
            (["--intensity-calibration", noEsd] + others, "intensity_constant.esd is not a non-negative number"),
            (["--intensity-calibration", notConverged] + others, "did not converge"),
            (["--intensity-calibration", reports[0], "--intensity-calibration", reports[1]], "phase zincite has none"),
            (["--intensity-calibration", reports[0], "--intensity-calibration", reports[0]], "two calibrations for corundum"),
            (["--intensity-calibration", "patterns/qpa-roundrobin/start.instprm"], "not JSON"),
            (["--intensity-calibration", "no-such-report.json"], "no such file"),
            (reports.flatMap { ["--intensity-calibration", $0] } + ["--geometry", "debye-scherrer"], "(measured in bragg-brentano, the mixture in debye-scherrer)"),
        ]
        for (extra, mention) in cases {
            let r = try CLI.run(Self.mixture(instrument) + extra)
            #expect(r.status == 1, "\(extra): status \(r.status)")
            #expect(r.stderr.contains(mention) && r.stderr.split(separator: "\n").count == 1, "\(extra): \(r.stderr)")
        }
    }
}
