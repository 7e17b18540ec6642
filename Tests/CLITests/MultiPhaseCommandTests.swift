import Foundation
import Testing

/// `rietveld refine` with several phases: reports per phase, and one clear line for each bad input.
@Suite struct MultiPhaseCommandTests {
    static let folder = "patterns/gsas2-sim-multiphase/composite-lno-lpscl"
    static let base = ["refine", "\(folder)/pattern.xye", "--instrument", "\(folder)/instrument.instprm", "--mu-r", "0.6", "--convention", "gsas2"]
    static let phases = ["--phase", "LNO=\(folder)/LNO_start.cif", "--phase", "LPSCl=\(folder)/LPSCl_start.cif"]

    static func temporary(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-mp-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name)
    }

    /// `bench --json` on the two-phase composite: the keys DESIGN.md names (`refinement_seconds`,
    /// `model_seconds`, `jacobian_seconds` as median/min/max, `repeat`, `phases`), each median within its
    /// spread, and the instruction set the engine was compiled for (Package.swift).
    @Test func benchJSONContract() throws {
        let args = ["bench", "\(Self.folder)/pattern.xye", "--instrument", "\(Self.folder)/instrument.instprm", "--mu-r", "0.6",
                    "--convention", "gsas2", "--repeat", "3", "--json"] + Self.phases
        let r = try CLI.run(args)
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        for key in ["refinement_seconds", "model_seconds", "jacobian_seconds"] {
            let t = try #require(object[key] as? [String: Double], "\(key)")
            let (median, low, high) = (t["median"] ?? -1, t["min"] ?? -1, t["max"] ?? -1)
            #expect(low > 0 && low <= median && median <= high, "\(key): \(t)")
        }
        #expect(object["repeat"] as? Int == 3 && object["phases"] as? Int == 2)
        #expect(["haswell", "portable"].contains(object["instruction_set"] as? String ?? ""), "\(object["instruction_set"] ?? "none")")
    }

    /// JSON `phases[]` in command-line order with name, file, mode, cell, weight_fraction, cation_mixing and
    /// RBragg; the top-level cell is the first phase's; the CIF has one block per phase; the plot has a tick
    /// row and a legend entry per phase with its weight fraction.
    @Test func reportsEveryPhase() throws {
        let json = try Self.temporary("composite.json"), cif = try Self.temporary("composite.cif"), svg = try Self.temporary("composite.svg")
        let r = try CLI.run(Self.base + Self.phases + ["--json", json.path, "--cif", cif.path, "--plot", svg.path, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Phase LNO:") && r.stdout.contains("Phase LPSCl:") && r.stdout.contains("weight fraction"))
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as! [String: Any]
        let phases = object["phases"] as! [[String: Any]]
        #expect(phases.map { $0["name"] as! String } == ["LNO", "LPSCl"])
        for p in phases {
            for key in ["name", "file", "mode", "cell", "weight_fraction", "cation_mixing", "RBragg"] { #expect(p[key] != nil, "phases[].\(key)") }
            #expect(p["mode"] as? String == "rietveld")
        }
        let w = phases.map { (($0["weight_fraction"] as! [String: Any])["value"] as! Double) }
        #expect(abs(w.reduce(0, +) - 1) < 1e-9 && abs(w[0] - 0.8) < 0.01)
        #expect(((object["cell"] as! [String: Any])["a"] as! [String: Any])["value"] as! Double == ((phases[0]["cell"] as! [String: Any])["a"] as! [String: Any])["value"] as! Double)
        #expect((phases[1]["cell"] as! [String: Any])["c_over_a"] == nil, "a cubic phase has no c/a")
        #expect(phases[1]["cation_mixing"] is NSNull)
        let blocks = try String(contentsOf: cif, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("data_") }
        #expect(blocks == ["data_LNO", "data_LPSCl"])
        let plot = try String(contentsOf: svg, encoding: .utf8)
        #expect(plot.contains("LNO reflections (") && plot.contains("LPSCl reflections ("))
    }

    /// A Le Bail phase is reported as such, without a weight fraction.
    @Test func leBailPhaseHasNoWeightFraction() throws {
        let json = try Self.temporary("lebail.json")
        let r = try CLI.run(Self.base + Self.phases + ["--le-bail", "LPSCl", "--json", json.path, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("weight fraction: none (Le Bail phase"))
        let phases = (try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as! [String: Any])["phases"] as! [[String: Any]]
        #expect(phases[1]["mode"] as? String == "le-bail" && phases[1]["weight_fraction"] is NSNull)
    }

    @Test(arguments: [
        (phases + ["--phase", "LNO=structures/LiNiO2.cif"], "two phases are named 'LNO'"),
        (["--phase", "L N O=\(folder)/LNO_start.cif"], "is not a plain word"),
        (phases + ["--phase", "structures/HfO2.cif", "--two-theta-max", "6"], "has no reflection in the fitted range"),
        (phases + ["--recipe", "Tests/CLITests/Fixtures/scoped-unknown-phase.toml"], "no phase is named 'NCM85'"),
        (phases + ["--internal-standard", "Si:0.1"], "--internal-standard: no phase is named 'Si'"),
        (phases + ["--internal-standard", "LNO:1.2"], "0 < FRACTION < 1"),
        (phases + ["--le-bail", "Al"], "--le-bail: no phase is named 'Al'"),
        (phases + ["--uniaxial", "Al"], "--uniaxial: no phase is named 'Al'"),
        (phases + ["--stephens", "LPSCl"], "--stephens LPSCl: the generalized microstrain is built for hexagonal axes"),
        (phases + ["--texture-harmonics", "Al:6"], "--texture-harmonics: no phase is named 'Al'"),
        (phases + ["--texture-harmonics", "LNO:5"], "--texture-harmonics LNO:5: the order must be 2, 4, 6 or 8"),
        (phases + ["--stephens", "LNO", "--uniaxial", "LNO"], "either uniaxial or generalized microstrain, not both"),
        (phases + ["--phase", "HfO2=structures/HfO2.cif", "--uniaxial", "HfO2"], "--uniaxial HfO2: uniaxial broadening is along c and needs α = β = 90°"),
        (["--phase", "X=Tests/CLITests/Fixtures/no-cell.cif"], "no data block with a unit cell"),
        (phases + ["--recipe", "Tests/CLITests/Fixtures/ambiguous-label.toml"], "the label is in phases"),
    ])
    func badInputEndsWithOneLine(arguments: [String], mention: String) throws {
        let r = try CLI.run(Self.base + arguments)
        #expect(r.status != 0 && r.status != 3, "status \(r.status)")
        #expect(r.stderr.contains(mention), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }
}
