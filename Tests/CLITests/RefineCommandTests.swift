import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

@Suite struct RefineCommandTests {
    static let folder = "patterns/gsas2-sim-linio2"

    /// Progress of long stages: a line per cycle once a stage has run for the threshold (here 0 s): as many
    /// lines as the stage reports cycles, numbered in order, the last one at the stage's Rwp (to the layout
    /// check's few 10⁻³ %). With the default
    /// 1 s this 15 ms refinement prints stage lines only.
    @Test func longStagesPrintEveryCycle() throws {
        let base = ["refine", "\(Self.folder)/LiNiO2_sim.xye", "--phase", "\(Self.folder)/LiNiO2_start.cif",
                    "--instrument", "\(Self.folder)/MoKa1_capillary.instprm"]
        let r = try CLI.run(base + ["--cycle-lines-after", "0"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stderr.split(separator: "\n").map(String.init)
        var cycles: [Int: [(Int, String)]] = [:]
        for line in lines {
            let f = line.trimmingCharacters(in: .whitespaces)
            if f.hasPrefix("stage "), f.contains(": cycle ") {
                let stage = Int(f.dropFirst(6).prefix { $0.isNumber })!
                let cycle = Int(f.components(separatedBy: ": cycle ")[1].prefix { $0.isNumber })!
                let rwp = f.components(separatedBy: "Rwp ")[1].components(separatedBy: " %")[0]
                cycles[stage, default: []].append((cycle, rwp))
            } else if f.hasPrefix("stage "), f.contains(" cycles, Rwp ") {
                let stage = Int(f.dropFirst(6).prefix { $0.isNumber })!
                let count = Int(f.components(separatedBy: " parameters, ")[1].prefix { $0.isNumber })!
                let rwp = f.components(separatedBy: "Rwp ")[1].components(separatedBy: " %")[0]
                let seen = cycles[stage] ?? []
                #expect(seen.map(\.0) == Array(1...count), "stage \(stage): cycles \(seen.map(\.0)) for \(count)")
                // A final stage reports the Rwp of its peaks laid out afresh (see StageRun.minimizeWithCurrentLayout):
                // within a few 10⁻³ % of its last cycle's.
                #expect(abs((Double(seen.last?.1 ?? "") ?? .infinity) - Double(rwp)!) < 0.005, "stage \(stage): last cycle Rwp \(seen.last?.1 ?? "-") vs \(rwp)")
            }
        }
        #expect(cycles.count == 5)
        let quiet = try CLI.run(base)
        #expect(quiet.status == 0 && !quiet.stderr.contains(": cycle "), "\(quiet.stderr)")
    }

    /// A start instrument file without an axial geometry, on a powder CIF that states one: the report says that
    /// the full axial model draws the asymmetry (a `Note:` line, `notes` in the JSON) and its table has the
    /// Soller angle, no SH/L; `--ignore-stated-geometry` keeps the file's SH/L and notes nothing.
    @Test func statedGeometryIsSaidAndCanBeIgnored() throws {
        let base = ["refine", "patterns/nist-srm660c-lab6/nist_srm660c_100a.cif", "--phase", "structures/LaB6.cif",
                    "--instrument", "patterns/nist-srm660c-lab6/start.instprm", "--geometry", "bragg-brentano", "--quiet"]
        let stated = try CLI.run(base)
        #expect(stated.status == 0, "\(stated.stderr)")
        let notes = stated.stdout.split(separator: "\n").filter { $0.hasPrefix("Note: ") }
        #expect(notes.count == 1 && notes[0].contains("full axial model") && notes[0].contains("nist_srm660c_100a.cif"), "\(stated.stdout)")
        #expect(stated.stdout.contains("  Soller /°") && !stated.stdout.contains("  SH/L"), "\(stated.stdout)")
        let json = try CLI.run(base + ["--json", "-"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["notes"] as? [String])?.first?.contains("full axial model") == true, "\(json.stdout.prefix(300))")
        let ignored = try CLI.run(base + ["--ignore-stated-geometry", "--json", "-"])
        let plain = try #require(try JSONSerialization.jsonObject(with: Data(ignored.stdout.utf8)) as? [String: Any])
        #expect(ignored.status == 0 && (plain["notes"] as? [String]) == [], "\(ignored.stderr)")
        let names = (plain["parameters"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        #expect(names.contains("SH/L") && !names.contains("Soller"), "\(names)")
    }

    /// The README's recipe, as written there, on the bundled example: converged, and a, c, O z and the mixing
    /// within 3 esd of the truth GSAS-II simulated the pattern with.
    @Test func readmeRecipeRuns() throws {
        let readme = try String(contentsOf: CLI.root.appendingPathComponent("README.md"), encoding: .utf8)
        let marker = try #require(readme.range(of: "<!-- recipe-example -->\n```toml\n"), "README has no recipe example")
        let end = try #require(readme.range(of: "```", range: marker.upperBound..<readme.endIndex))
        let recipe = FileManager.default.temporaryDirectory.appendingPathComponent("readme-recipe-\(ProcessInfo.processInfo.processIdentifier).toml")
        try String(readme[marker.upperBound..<end.lowerBound]).write(to: recipe, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: recipe) }
        let r = try CLI.run(["refine", "\(Self.folder)/LiNiO2_sim.xye", "--phase", "\(Self.folder)/LiNiO2_start.cif",
                             "--instrument", "\(Self.folder)/MoKa1_capillary.instprm", "--recipe", recipe.path, "--json", "-", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let truth = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: CLI.root.appendingPathComponent("\(Self.folder)/LiNiO2_sim_truth.json"))) as? [String: Any])
        let parameters = (report["parameters"] as? [[String: Any]]) ?? []
        for (name, key) in [("a", "a"), ("c", "c"), ("O1 z", "Oz"), ("cation mixing", "x_mix")] {
            let p = try #require(parameters.first { $0["name"] as? String == name }, "\(name) not in the report")
            let (value, esd, expected) = (p["value"] as? Double ?? .nan, p["esd"] as? Double ?? .nan, truth[key] as? Double ?? .nan)
            #expect(abs(value - expected) <= 3 * esd, "\(name) \(value) ± \(esd) vs GSAS-II's truth \(expected)")
        }
    }

    @Test func reportsParseWithStandardTools() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-cli-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let json = dir.appendingPathComponent("fit.json"), cif = dir.appendingPathComponent("fit.cif")
        let svg = dir.appendingPathComponent("fit.svg"), csv = dir.appendingPathComponent("fit.csv")
        let r = try CLI.run(["refine", "\(Self.folder)/LiNiO2_sim.xye", "--phase", "\(Self.folder)/LiNiO2_start.cif",
                             "--instrument", "\(Self.folder)/MoKa1_capillary.instprm", "--json", json.path, "--cif", cif.path,
                             "--plot", svg.path, "--csv", csv.path, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("cation mixing (Ni on Li)") && r.stdout.contains("V /Å³"))
        // JSON: the keys DESIGN.md promises.
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as! [String: Any]
        for key in ["converged", "iterations", "seconds", "statistics", "cell", "cation_mixing", "parameters"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        let stats = object["statistics"] as! [String: Double]
        for key in ["Rwp", "Rp", "Rexp", "GOF", "chi2", "RBragg"] { #expect(stats[key] != nil, "missing statistics.\(key)") }
        #expect(abs(stats["Rwp"]! - 2.81) < 0.06)
        let cell = object["cell"] as! [String: [String: Any]]
        for key in ["a", "b", "c", "alpha", "beta", "gamma", "volume", "c_over_a"] { #expect(cell[key]?["value"] is Double, "cell.\(key)") }
        #expect(cell["volume"]?["esd"] is Double)
        let mixing = object["cation_mixing"] as! [String: Double]
        #expect(abs(mixing["value"]! - 0.03) < 2 * mixing["esd"]!)
        let parameters = object["parameters"] as! [[String: Any]]
        #expect(parameters.contains { ($0["name"] as? String) == "O1 z" && ($0["refined"] as? Bool) == true })
        // CSV: header and one row per point.
        let rows = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n")
        #expect(rows.first == "two_theta,y_obs,y_calc,background,difference,LiNiO2" && rows.count == 3002)
        // SVG: well-formed XML.
        let parser = XMLParser(data: try Data(contentsOf: svg))
        #expect(parser.parse(), "SVG is not well-formed: \(String(describing: parser.parserError))")
        // CIF: read back by the CIF reader through the reflections command.
        let back = try CLI.run(["reflections", cif.path, "--wavelength", "0.70926", "--two-theta-max", "20", "--csv"])
        #expect(back.status == 0, "\(back.stderr)")
        #expect(try String(contentsOf: cif, encoding: .utf8).contains("_cell_length_a 2.8779"))
    }

    @Test(arguments: [
        (["refine", "no/such.xye", "--phase", "structures/LiNiO2.cif", "--instrument", "\(folder)/MoKa1_capillary.instprm"], "no/such.xye: cannot read"),
        (["refine", "\(folder)/LiNiO2_sim.xye", "--phase", "structures/LiNiO2.cif", "--instrument", "structures/LiNiO2.cif"], "expected key:value"),
        (["refine", "\(folder)/LiNiO2_sim.xye", "--phase", "structures/LiNiO2.cif", "--instrument", "\(folder)/MoKa1_capillary.instprm", "--two-theta-min", "60"], "does not overlap the data"),
        (["refine", "\(folder)/LiNiO2_sim.xye", "--phase", "\(folder)/LiNiO2_sim.xye", "--instrument", "\(folder)/MoKa1_capillary.instprm"], "LiNiO2_sim.xye"),
    ])
    func badInputEndsWithOneLine(arguments: [String], mention: String) throws {
        let r = try CLI.run(arguments)
        #expect(r.status != 0)
        #expect(r.stderr.contains(mention), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }
}
