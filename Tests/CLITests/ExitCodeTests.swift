import Foundation
import Testing

/// Exit codes scripts can trust (DESIGN.md): 0 converged, 3 ran but did not converge (results written and
/// marked), 1 bad input, 64 usage — each bad input one line on stderr, nothing written.
@Suite struct ExitCodeTests {
    static let sim = "patterns/gsas2-sim-linio2"
    static let fixtures = "Tests/CLITests/Fixtures"
    static let refine = ["refine", "\(sim)/LiNiO2_sim.xye", "--phase", "\(sim)/LiNiO2_start.cif", "--instrument", "\(sim)/MoKa1_capillary.instprm"]

    /// Cases that used to end with exit 0 and a written JSON.
    @Test(arguments: [
        (["refine", "\(fixtures)/two-points.xy", "--phase", "structures/Si.cif", "--instrument", "\(sim)/MoKa1_capillary.instprm"], "no reflection in the fitted range"),
        (["refine", "\(fixtures)/four-points.xy", "--phase", "structures/Si.cif", "--instrument", "\(sim)/MoKa1_capillary.instprm"], "4 points to fit"),
        (["refine", "\(fixtures)/no-signal.xy", "--phase", "structures/Si.cif", "--instrument", "\(sim)/MoKa1_capillary.instprm"], "has no signal"),
        (["refine", "\(fixtures)/beyond-180.xy", "--phase", "structures/Si.cif", "--instrument", "\(sim)/MoKa1_capillary.instprm"], "expected values between 0 and 180"),
        (refine + ["--recipe", "\(fixtures)/exclude-everything.toml"], "0 points to fit"),
        (refine + ["--recipe", "\(fixtures)/negative-two-theta.toml"], "two_theta_max"),
        (refine + ["--recipe", "\(fixtures)/mixing-five.toml"], "outside its bounds"),
        (refine + ["--recipe", "\(fixtures)/start-outside-bounds.toml"], "outside its bounds"),
        (refine + ["--recipe", "\(fixtures)/cycles-negative.toml"], "max_cycles: expected a whole number"),
        (refine + ["--recipe", "\(fixtures)/cycles-zero.toml"], "max_cycles: expected a whole number"),
        (refine + ["--recipe", "\(fixtures)/cycles-text.toml"], "max_cycles: expected a whole number"),
        (refine + ["--recipe", "\(fixtures)/broaden-text.toml"], "broaden: expected true or false"),
        (refine + ["--recipe", "\(fixtures)/refine-number.toml"], "every entry must be a quoted parameter name"),
        (["refine", "\(sim)/LiNiO2_sim.xye", "--phase", "\(sim)/LiNiO2_start.cif", "--instrument", "\(fixtures)/two-lambdas.instprm"], "Lam is given twice"),
        (["refine", "\(sim)/LiNiO2_sim.xye", "--phase", "\(fixtures)/occupancy-above-one.cif", "--instrument", "\(sim)/MoKa1_capillary.instprm"], "occupancy 1.5 lies outside 0–1"),
        (["refine", "\(sim)/LiNiO2_sim.xye", "--phase", "\(fixtures)/contradicting-symbol.cif", "--instrument", "\(sim)/MoKa1_capillary.instprm"], "form a triclinic group, but the space-group number 166 is trigonal"),
        (refine + ["--threads", "0"], "--threads must lie between 1 and 64"),
        (refine + ["--threads", "1000"], "--threads must lie between 1 and 64"),
        (["simulate", "structures/Si.cif", "--instrument", "\(sim)/MoKa1_capillary.instprm", "--two-theta", "5:50:0.0000001"], "at most 5000000 are simulated"),
    ])
    func badInputIsOneLineAndNoOutput(arguments: [String], mention: String) throws {
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-exit-\(ProcessInfo.processInfo.processIdentifier)-\(abs(mention.hashValue)).json")
        try? FileManager.default.removeItem(at: json)
        let r = try CLI.run(arguments + (arguments[0] == "refine" ? ["--json", json.path] : []))
        #expect(r.status == 1 || r.status == 64, "exit \(r.status): \(r.stderr)")
        #expect(r.stderr.contains(mention), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: json.path), "a JSON was written for bad input")
    }

    /// A fit that stops at its iteration limit: results written and marked, exit 3.
    @Test func notConvergedIsExitThreeWithResults() throws {
        let recipe = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-limit-\(ProcessInfo.processInfo.processIdentifier).toml")
        try Data("[[stage]]\nrefine = [\"scale\", \"background\", \"cell\", \"size\", \"microstrain\"]\nmax_cycles = 1\n".utf8).write(to: recipe)
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-limit-\(ProcessInfo.processInfo.processIdentifier).json")
        let r = try CLI.run(Self.refine + ["--recipe", recipe.path, "--json", json.path, "--quiet"])
        #expect(r.status == 3, "exit \(r.status): \(r.stderr)")
        #expect(r.stderr.contains("did not converge") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as! [String: Any]
        #expect(object["converged"] as? Bool == false)
        #expect((object["termination"] as? String)?.contains("iteration limit") == true)
    }

    /// A start value that makes the model overflow (scale 1e308): exit 3, one line saying the model is not
    /// finite, and a JSON report that is whole, with null for the numbers JSON cannot hold. Before, the run
    /// "stopped: phase LiNiO2 not detected (scale 1000…0)" with 309 digits, and the JSON report was `{}`: its
    /// serializer refused the infinite Rwp.
    @Test func aModelThatOverflowsSaysSoAndItsReportIsWhole() throws {
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-overflow-\(ProcessInfo.processInfo.processIdentifier).json")
        defer { try? FileManager.default.removeItem(at: json) }
        let r = try CLI.run(Self.refine + ["--recipe", "\(Self.fixtures)/scale-overflows.toml", "--json", json.path, "--quiet"])
        #expect(r.status == 3, "exit \(r.status): \(r.stderr)")
        #expect(r.stderr.contains("not finite") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stdout.contains("1e+308") && !r.stdout.contains("not detected"), "\(r.stdout.prefix(600))")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as! [String: Any]
        #expect(object["converged"] as? Bool == false)
        #expect((object["termination"] as? String)?.contains("not finite") == true)
        let statistics = try #require(object["statistics"] as? [String: Any])
        #expect(statistics["Rwp"] is NSNull && (statistics["points"] as? Int) == 3001)
    }

    /// Calibrating on the wrong material (Si named as the standard of a LaB6 pattern) writes no instrument file.
    @Test func calibrationOnTheWrongMaterialWritesNothing() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-wrong-\(ProcessInfo.processInfo.processIdentifier).instprm")
        try? FileManager.default.removeItem(at: out)
        let r = try CLI.run(["calibrate", "patterns/nist-srm660c-lab6/nist_srm660c_100a.cif", "--standard", "Si:640f", "--instrument",
                             "patterns/nist-srm660c-lab6/start.instprm", "--geometry", "bragg-brentano", "-o", out.path, "--quiet"])
        #expect(r.status == 3, "exit \(r.status): \(r.stderr)")
        #expect(r.stderr.contains("not written"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    /// `-` is standard output; an output path in a missing directory fails before anything is written.
    @Test func dashIsStandardOutputAndAFailedOutputWritesNone() throws {
        let r = try CLI.run(Self.refine + ["--json", "-", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(object?["converged"] as? Bool == true)
        #expect(!FileManager.default.fileExists(atPath: CLI.root.appendingPathComponent("-").path))
        let cif = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-partial-\(ProcessInfo.processInfo.processIdentifier).cif")
        try? FileManager.default.removeItem(at: cif)
        let bad = try CLI.run(Self.refine + ["--cif", cif.path, "--json", "/no/such/dir/fit.json", "--quiet"])
        #expect(bad.status == 1 && bad.stderr.contains("/no/such/dir/fit.json"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cif.path), "one output was written although another failed")
    }

    /// Negative numbers are values, not options.
    @Test func negativeNumbersAreValues() throws {
        let r = try CLI.run(["simulate", "structures/Si.cif", "--instrument", "\(Self.sim)/MoKa1_capillary.instprm", "--two-theta", "10:12:0.01", "--zero", "-0.01"])
        #expect(r.status == 0, "\(r.stderr)")
        let bad = try CLI.run(Self.refine + ["--mu-r", "-1"])
        #expect(bad.status == 64 && bad.stderr.contains("--mu-r must lie between 0 and 50"), "\(bad.stderr)")
    }
}
