import FileSupport
import Foundation
import LithiationIO
import _TestSupport
import Testing

/// Runs the built `lithium-map` binary.
enum LithiumMap {
    static var executable: URL { CLI.executable.deletingLastPathComponent().appendingPathComponent("lithium-map") }

    static func run(_ arguments: [String]) throws -> CLI.Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = CLI.root
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLI.Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

@Suite struct LithiumMapTests {
    let dir: URL = {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("lithium-map-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }()

    func write(_ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// Built from the NMC811 table (Märker et al. 2019; x = 1 − q/275 is an assumption), the volume of a table
    /// row, computed here from its a and c, looks up to that row's x within 3σ of the answer (plus the curve's
    /// smoothing of single rows) where V(x) is steep enough to be one-to-one.
    @Test func buildFromATableAndLookUpWithJSON() throws {
        let ref = dir.appendingPathComponent("nmc811.csv").path
        let b = try LithiumMap.run(["build", "--table", "patterns/nmc811-operando/NMC811_Marker2019_a_c_vs_charge.tsv", "--q-th", "275", "-o", ref])
        #expect(b.status == 0, "\(b.stderr)")
        let header = try String(contentsOfFile: ref, encoding: .utf8).split(separator: "\n").first { !$0.hasPrefix("#") }
        #expect(header == "x_li,a,a_esd,c,c_esd,volume,volume_esd,phase")
        // Rows of the table (q mAh/g, a, c): V = (√3/2) a² c here, x = 1 − q/275.
        let smoothingTolerance = 0.01
        for (q, a, c) in [(49.72, 2.8576, 14.2499), (99.45, 2.8444, 14.3406), (149.17, 2.8269, 14.4483), (220.65, 2.8134, 14.3159)] {
            let v = 3.0.squareRoot() / 2 * a * a * c
            let r = try LithiumMap.run(["lookup", "--reference", ref, "--volume", "\(v)", "--volume-esd", "0.02", "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            for key in ["x_li", "candidates", "soc", "delta_v_over_v", "phase"] { #expect(object[key] != nil, "missing \(key)") }
            let x = object["x_li"] as! [String: Double]
            let truth = 1 - q / 275
            #expect(x["esd"]! > 0 && x["esd"]! < 0.05)
            #expect(abs(x["value"]! - truth) <= 3 * x["esd"]! + smoothingTolerance, "q \(q): x \(x) vs \(truth)")
            #expect(abs((object["soc"] as! Double) - q / 275 / (1 - 0.1186)) <= 0.05)
        }
    }

    @Test func cyclerRecordWithSequentialCSV() throws {
        // Four patterns at t = 0, 3600, 7200, 10800 s; 0.5 mA on 10 mg of a 275 mAh/g material:
        // x = 1 − 0.5 t/(3600·2.75), which stays within 0–1 (x below 0 is left out as unphysical).
        let seq = try write("seq.csv", """
            index,file,a,a_esd,c,c_esd,volume,volume_esd,cation_mixing,cation_mixing_esd,Rwp,GOF,converged,flagged,retries
            0,p0.xye,2.878,0.00001,14.19,0.0001,101.787,0.001,,,2.8,1.0,true,false,0
            1,p1.xye,2.870,0.00001,14.22,0.0001,101.45,0.001,,,2.8,1.0,true,false,0
            2,p2.xye,2.862,0.00001,14.24,0.0001,101.05,0.001,,,2.8,1.0,true,false,0
            3,p3.xye,2.855,0.00001,14.26,0.0001,100.66,0.001,,,2.8,1.0,true,false,0
            """)
        let cycler = try write("cycler.csv", "time_s,current_mA\n0,0.5\n3600,0.5\n7200,0.5\n10800,0.5\n")
        let ref = dir.appendingPathComponent("ref.csv").path
        let r = try LithiumMap.run(["build", "--sequential", seq, "--cycler", cycler, "--interval", "3600", "--mass", "10", "--q-th", "275", "-o", ref])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try String(contentsOfFile: ref, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }.dropFirst()
        let xs = rows.map { Double($0.split(separator: ",")[0])! }.sorted(by: >)
        #expect(xs.count == 4)
        #expect(abs(xs[1] - (1 - 0.5 / 2.75)) < 1e-9 && abs(xs[2] - (1 - 1 / 2.75)) < 1e-9 && abs(xs[3] - (1 - 1.5 / 2.75)) < 1e-9)
    }

    @Test(arguments: [
        ("time_s,capacity_mAh\n0,0\n10,0.1\n10,0.2\n", "time 10.0 s is repeated"),
        ("time_s,capacity_mAh\n0,0\n20,0.1\n10,0.2\n", "goes backwards"),
        ("t_min,capacity_mAh\n0,0\n", "no time column"),
    ])
    func badCyclerRecords(content: String, mention: String) throws {
        let cycler = try write("bad-cycler-\(abs(content.hashValue)).csv", content)
        let seq = try write("seq2-\(abs(content.hashValue)).csv", "index,file,a,a_esd,c,c_esd,volume,volume_esd\n0,p.xye,2.87,,14.2,,101.3,\n")
        let r = try LithiumMap.run(["build", "--sequential", seq, "--cycler", cycler, "--interval", "10", "--mass", "10", "-o", dir.appendingPathComponent("x-\(abs(content.hashValue)).csv").path])
        #expect(r.status != 0)
        #expect(r.stderr.contains(mention), "\(r.stderr)")
    }

    @Test func capacityInTheWrongUnitWarns() throws {
        // q given in mAh (not mAh/g): it exceeds the theoretical capacity.
        let table = try write("q.tsv", "0 0 2.87 2.87 14.19\n100 0 2.86 2.86 14.22\n400 0 2.85 2.85 14.25\n800 0 2.84 2.84 14.27\n900 0 2.83 2.83 14.28\n")
        let r = try LithiumMap.run(["build", "--table", table, "-o", dir.appendingPathComponent("w.csv").path])
        #expect(r.stderr.contains("more than the theoretical"), "\(r.stderr)")
    }

    @Test func volumeOutsideAndMissingEsds() throws {
        let ref = "patterns/lithiation/LiNiO2-like_reference.csv"
        let out = try LithiumMap.run(["lookup", "--reference", ref, "--volume", "85"])
        #expect(out.status != 0 && out.stderr.contains("outside the reference curve") && out.stderr.contains("not extrapolated"))
        let noEsd = try LithiumMap.run(["lookup", "--reference", try write("noesd.csv", "x_li,volume\n1,101.8\n0.8,101\n0.6,100.4\n0.4,99.9\n0.2,97\n"), "--volume", "100"])
        #expect(noEsd.status == 0)
        #expect(noEsd.stderr.contains("no --volume-esd"))
    }

    // MARK: several phases

    /// The two-phase model of the library tests (H2 for x 0.25–1, H3 for 0.05–0.35), as a sequential CSV.
    static func twoPhaseA(_ p: String, _ x: Double) -> Double { p == "H2" ? 2.815 + 0.063 * pow((x - 0.25) / 0.75, 1.3) : 2.815 + 0.025 * (0.25 - x) }
    static func twoPhaseC(_ p: String, _ x: Double) -> Double {
        p == "H2" ? 14.19 + 0.28 * exp(-pow((x - 0.30) / 0.45, 2)) * (1 - exp(-((1 - x) / 0.15))) : 13.40 + 1.2 * (x - 0.05)
    }
    static func twoPhaseV(_ p: String, _ x: Double) -> Double { 3.0.squareRoot() / 2 * pow(twoPhaseA(p, x), 2) * twoPhaseC(p, x) }

    /// Builds the two-phase reference through the CLI: 96 patterns an hour apart, 0.0275 mA on 10 mg of a
    /// 275 mAh/g material (0.01 Li per hour), pattern 10 flagged; its plot beside it (`.svg` for `.csv`). Each
    /// call writes files of its own: tests run in parallel, and `build` refuses to overwrite a reference that
    /// another test has just written (that made these tests fail now and then).
    static func plot(of reference: String) -> String { String(reference.dropLast(4)) + ".svg" }

    func buildTwoPhase() throws -> String {
        let tag = UUID().uuidString.prefix(8)
        var csv = "index,file,a,a_esd,c,c_esd,volume,volume_esd,cation_mixing,cation_mixing_esd,Rwp,GOF,converged"
        for n in ["H2", "H3"] { csv += ",\(n):a,\(n):a_esd,\(n):c,\(n):c_esd,\(n):volume,\(n):volume_esd,\(n):weight_fraction,\(n):weight_fraction_esd,\(n):present" }
        csv += ",flagged,retries,cycles,reason,scale,scale_esd,run_id,patterns,shard\n"
        for i in 0..<96 {
            let x = 1 - 0.01 * Double(i)
            let present = ["H2": x >= 0.25 - 1e-9, "H3": x <= 0.35 + 1e-9]
            let first = present["H2"]! ? "H2" : "H3"
            var f = ["\(i)", "p\(i).xye", "\(Self.twoPhaseA(first, x))", "0.0002", "\(Self.twoPhaseC(first, x))", "0.001", "\(Self.twoPhaseV(first, x))", "0.01", "", "", "3.1", "1.1", "true"]
            for n in ["H2", "H3"] {
                f += present[n]! ? ["\(Self.twoPhaseA(n, x))", "0.0002", "\(Self.twoPhaseC(n, x))", "0.001", "\(Self.twoPhaseV(n, x))", "0.01", "0.5", "0.01", "true"]
                                 : ["", "", "", "", "", "", "0", "", "false"]
            }
            f += [i == 10 ? "true" : "false", "0", "5", i == 10 ? "Rwp jumped" : "", "1.0", "0.01", "run1", "96", "1/1"]
            csv += f.joined(separator: ",") + "\n"
        }
        let seq = try write("two-phase-seq-\(tag).csv", csv)
        let cycler = try write("two-phase-cycler-\(tag).csv", "time_s,current_mA\n" + (0...100).map { "\(Double($0) * 3600),0.0275" }.joined(separator: "\n") + "\n")
        let ref = dir.appendingPathComponent("two-phase-ref-\(tag).csv").path
        let b = try LithiumMap.run(["build", "--sequential", seq, "--cycler", cycler, "--interval", "3600", "--mass", "10", "--q-th", "275", "-o", ref,
                                    "--plot", Self.plot(of: ref)])
        #expect(b.status == 0, "\(b.stderr)")
        #expect(b.stdout.contains("two-phase region H2+H3: x(Li) 0.250–0.350"), "\(b.stdout)")
        return ref
    }

    @Test func multiPhaseBuildWritesBranchesAndTheTwoPhaseRegion() throws {
        let ref = try buildTwoPhase()
        let text = try String(contentsOfFile: ref, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.first { !$0.hasPrefix("#") } == "x_li,a,a_esd,c,c_esd,volume,volume_esd,phase")
        #expect(text.contains("# two-phase region: H2+H3 x_li 0.2500–0.3500"))
        let rows = lines.filter { !$0.hasPrefix("#") }.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(rows.filter { $0[7] == "H2" }.count == 75 && rows.filter { $0[7] == "H3" }.count == 31)
        // At x = 0.30 both phases are there, each with its own volume.
        let at030 = rows.filter { abs(Double($0[0])! - 0.30) < 1e-9 }
        #expect(Set(at030.map { String($0[7]) }) == ["H2", "H3"])
        for r in at030 { #expect(abs(Double(r[5])! - Self.twoPhaseV(String(r[7]), 0.30)) < 1e-9) }
        let svg = try String(contentsOfFile: Self.plot(of: ref), encoding: .utf8)
        for label in ["H2+H3 two-phase", ">H2<", ">H3<", "±2σ band of the curve", "a / Å", "c / Å", "V / Å³"] { #expect(svg.contains(label), "plot lacks \(label)") }
    }

    /// Lever rule through the CLI: H2 at x = 0.32 and H3 at x = 0.27 in molar amounts 0.4 : 0.6 (weight fractions
    /// from Li_xNiO2 masses with IUPAC weights typed here) give x = 0.29.
    @Test func leverRuleLookupAndOnePhaseWarning() throws {
        let ref = try buildTwoPhase()
        func mass(_ x: Double) -> Double { 58.6934 + 2 * 15.999 + 6.94 * x }
        let w2 = 0.4 * mass(0.32) / (0.4 * mass(0.32) + 0.6 * mass(0.27))
        let r = try LithiumMap.run(["lookup", "--reference", ref, "--host", "NiO2", "--json",
                                    "--phase-volume", "H2:\(Self.twoPhaseV("H2", 0.32)):0.01:\(w2):0.005",
                                    "--phase-volume", "H3:\(Self.twoPhaseV("H3", 0.27)):0.01:\(1 - w2):0.005"])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let x = o["x_li"] as! [String: Double]
        #expect(abs(x["value"]! - 0.29) <= 0.003 && x["esd"]! > 0, "\(x)")
        #expect(o["phase"] as? String == "H2+H3")
        let phases = o["phases"] as! [[String: Any]]
        #expect(phases.map { $0["name"] as! String } == ["H2", "H3"])
        #expect(abs((phases[0]["molar_fraction"] as! Double) - 0.4) <= 0.002)
        #expect(abs(((phases[1]["x_li"] as! [String: Double])["value"]!) - 0.27) <= 0.002)
        #expect((o["candidates"] as! [Any]).count == 1 && o["soc"] != nil)

        let one = try LithiumMap.run(["lookup", "--reference", ref, "--volume", "\(Self.twoPhaseV("H3", 0.30))", "--volume-esd", "0.01"])
        #expect(one.status == 0 && one.stdout.contains("two-phase region"), "\(one.stdout)")
        let oneJSON = try LithiumMap.run(["lookup", "--reference", ref, "--volume", "\(Self.twoPhaseV("H3", 0.30))", "--volume-esd", "0.01", "--json"])
        let j = try JSONSerialization.jsonObject(with: Data(oneJSON.stdout.utf8)) as! [String: Any]
        #expect(((j["two_phase_region"] as? [String: Any])?["phases"] as? [String]) == ["H2", "H3"])
        #expect((j["warnings"] as! [String]).contains { $0.contains("two-phase region") })
    }

    /// End to end on the GSAS-II-simulated H2 → H3 series with its stated x (`H2H3Statement`): `rietveld
    /// sequential` from the two start CIFs; `lithium-map build` from the even patterns and a cycler record that
    /// passes each pattern's charge, which fits the region's boundary compositions 0.30 / 0.10 within 3 esd;
    /// `lookup` of each odd pattern of the two-phase region from its two phases returns its stated x within
    /// 2 esd (esd < 0.002); H3's volume alone says the electrode is in a two-phase region.
    @Test func roundTripThroughTheTwoPhaseRegion() throws {
        let folder = H2H3Statement.folder
        let csv = dir.appendingPathComponent("h2h3.csv").path
        let files = (0..<24).map { "\(folder)/op_\(String(format: "%02d", $0)).xye" }
        let seq = try CLI.run(["sequential"] + files + ["--phase", "H2=\(folder)/H2_start.cif", "--phase", "H3=\(folder)/H3_start.cif",
                                                       "--instrument", "\(folder)/instrument.instprm", "--convention", "gsas2", "--mu-r", "0.5", "--csv", csv])
        #expect(seq.status == 0, "\(seq.stderr)")
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = CSV.fields(Substring(lines[0]))
        let rows = lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, CSV.fields(Substring($0)))) }
        let even = try write("h2h3-even.csv", ([lines[0]] + lines.dropFirst().enumerated().filter { $0.offset % 2 == 0 }.map(\.element)).joined(separator: "\n") + "\n")
        let xs = try H2H3Statement.statedX()
        let cycler = try write("h2h3-cycler.csv", H2H3Statement.cyclerCSV(xs, interval: 600, massMilligrams: 10, capacity: 275))
        let ref = dir.appendingPathComponent("h2h3-ref.csv").path
        let b = try LithiumMap.run(["build", "--sequential", even, "--cycler", cycler, "--interval", "600", "--mass", "10", "--q-th", "275", "-o", ref])
        #expect(b.status == 0, "\(b.stderr)")
        let file = try LithiationFiles.readReferenceFile(URL(fileURLWithPath: ref))
        let bounds = try #require(file.boundaries.first, "\(b.stdout)")
        #expect(abs(bounds.x[0] - H2H3Statement.boundaries.h2) <= 3 * bounds.esd(0) && abs(bounds.x[1] - H2H3Statement.boundaries.h3) <= 3 * bounds.esd(1), "\(bounds)")
        for i in stride(from: 11, through: 17, by: 2) {
            let r = rows[i]
            let phases = ["H2", "H3"].flatMap { n in ["--phase-volume", ([n] + ["volume", "volume_esd", "weight_fraction", "weight_fraction_esd"].map { r["\(n):\($0)"]! }).joined(separator: ":")] }
            let l = try LithiumMap.run(["lookup", "--reference", ref, "--json"] + phases)
            #expect(l.status == 0, "\(l.stderr)")
            let o = try JSONSerialization.jsonObject(with: Data(l.stdout.utf8)) as! [String: Any]
            let x = o["x_li"] as! [String: Double]
            #expect(o["phase_x_from"] as? String == "boundary")
            #expect(abs(x["value"]! - xs[i]) <= 2 * x["esd"]! && x["esd"]! < 0.002, "pattern \(i): \(x) vs stated \(xs[i])")
        }
        let one = try LithiumMap.run(["lookup", "--reference", ref, "--volume", rows[13]["H3:volume"]!, "--volume-esd", rows[13]["H3:volume_esd"]!])
        #expect(one.status == 0 && one.stdout.contains("two-phase region"), "\(one.stdout)")
    }

    /// A refine JSON with phases[] (and an electrolyte the reference lacks) goes through the lever rule.
    @Test func refinedJSONWithPhases() throws {
        let ref = try buildTwoPhase()
        func phase(_ name: String, _ v: Double, _ w: Double?) -> String {
            "{\"name\": \"\(name)\", \"mode\": \"rietveld\", \"cell\": {\"volume\": {\"value\": \(v), \"esd\": 0.01}}, \"weight_fraction\": " +
                (w.map { "{\"value\": \($0), \"esd\": 0.005}" } ?? "null") + ", \"cation_mixing\": null}"
        }
        let v2 = Self.twoPhaseV("H2", 0.31), v3 = Self.twoPhaseV("H3", 0.29)
        let json = try write("refined.json", "{\"cell\": {\"volume\": {\"value\": \(v2), \"esd\": 0.01}}, \"phases\": [" +
                             [phase("H2", v2, 0.4), phase("H3", v3, 0.4), phase("Li6PS5Cl", 1020.0, 0.2)].joined(separator: ",") + "]}")
        let r = try LithiumMap.run(["lookup", "--reference", ref, "--refined", json, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let list = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [[String: Any]]
        let x = list[0]["x_li"] as! [String: Double]
        #expect(abs(x["value"]! - 0.30) <= 0.003, "\(list[0])")
        #expect(list[0]["left_out"] as? [String] == ["Li6PS5Cl"])
    }

    // MARK: bad input: one line, non-zero exit

    @Test func badInputEndsWithOneClearLine() throws {
        let liNiO2 = "patterns/lithiation/LiNiO2-like_reference.csv"
        let twoPhase = try buildTwoPhase()
        let good = "x_li,volume,volume_esd\n1,101.8,0.02\n0.8,101,0.02\n0.6,100.4,0.02\n0.4,99.9,0.02\n0.2,97,0.02\n"
        let cases: [([String], String)] = [
            (["lookup", "--reference", liNiO2, "--volume", "100", "--bandwidth", "0"], "--bandwidth must be a positive width"),
            (["lookup", "--reference", liNiO2, "--volume", "100", "--bandwidth", "-0.05"], "--bandwidth must be a positive width"),
            (["lookup", "--reference", try write("x15.csv", good.replacingOccurrences(of: "\n1,101.8", with: "\n1.5,101.8")), "--volume", "100"],
             "x15.csv:2: x_li 1.5 is outside 0–1"),
            (["lookup", "--reference", try write("negesd.csv", good.replacingOccurrences(of: "0.6,100.4,0.02", with: "0.6,100.4,-0.02")), "--volume", "100"],
             "negesd.csv:4: volume_esd -0.02 is negative"),
            (["lookup", "--reference", try write("dup.csv", "# a comment line\n# another\n" + good + "0.6,100.3,0.02\n"), "--volume", "100"],
             "dup.csv:9: x_li 0.6 repeats line 6"),
            (["build", "--table", "patterns/nmc811-operando/NMC811_Marker2019_a_c_vs_charge.tsv", "--q-th", "-275", "-o", dir.appendingPathComponent("neg.csv").path],
             "--q-th must be a positive capacity"),
            (["lookup", "--reference", twoPhase, "--phase-volume", "H2:99.5:0.01:0.5:0.01", "--phase-volume", "H4:94:0.01:0.5:0.01"],
             "phase 'H4' is not a branch of the reference (it has: H2, H3)"),
            (["lookup", "--reference", twoPhase, "--phase-volume", "H2:99.5:0.01:0.7:0.01", "--phase-volume", "H3:94:0.01:0.2:0.01"],
             "the weight fractions sum to 0.9000 ± 0.0141, not 1 within their esds"),
            (["lookup", "--reference", liNiO2, "--volume", "100", "--volume-esd", "-0.1"], "--volume-esd must not be negative"),
            (["lookup", "--reference", twoPhase, "--phase-volume", "H2:99.5:0.01:0.5:0.01", "--phase-volume", "H3:94:0.01:0.5:0.01", "--host", "Xq2"],
             "lithium-map: --host: formula Xq2: unknown element Xq"),
            (["build", "--table", "patterns/nmc811-operando/NMC811_Marker2019_a_c_vs_charge.tsv", "--host", "Xq2", "-o", dir.appendingPathComponent("host.csv").path],
             "lithium-map: --host: formula Xq2: unknown element Xq"),
        ]
        for (arguments, message) in cases {
            let r = try LithiumMap.run(arguments)
            #expect(r.status != 0, "\(arguments)")
            let lines = r.stderr.split(separator: "\n").filter { !$0.contains("warning:") }
            #expect(lines.count == 1, "\(arguments): \(r.stderr)")
            #expect(r.stderr.contains(message), "\(arguments): \(r.stderr)")
            #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Usage"))
        }
    }

    /// Joint (a, c): a point off the path gets its nearest candidates and a warning, not an error; a point
    /// beyond the curve's a range is refused with a and c in Å.
    @Test func jointLookupOffPathAndOutside() throws {
        let ref = "patterns/lithiation/LiNiO2-like_reference.csv"
        // x = 0.6 on the script's functions: a = 2.815 + 0.063·(0.35/0.75)^1.3, c raised 0.05 Å off the path.
        let a = 2.815 + 0.063 * pow(0.35 / 0.75, 1.3)
        let off = try LithiumMap.run(["lookup", "--reference", ref, "--a", "\(a)", "--a-esd", "0.0003", "--c", "14.40", "--c-esd", "0.002", "--json"])
        #expect(off.status == 0, "\(off.stderr)")
        let o = try JSONSerialization.jsonObject(with: Data(off.stdout.utf8)) as! [String: Any]
        #expect((o["warnings"] as! [String]).contains { $0.contains("from the reference path") })
        #expect(((o["candidates"] as! [[String: Any]])[0]["distance_sigma"] as! Double) > 3)
        let out = try LithiumMap.run(["lookup", "--reference", ref, "--a", "2.95", "--c", "14.2", "--a-esd", "0.0003", "--c-esd", "0.002"])
        #expect(out.status == 1)
        #expect(out.stderr.contains("a = 2.95000 Å is above") && out.stderr.contains("c = 14.2000 Å is within"), "\(out.stderr)")
    }

    @Test func plotHasLegendPanelsAndErrorBars() throws {
        let svgPath = dir.appendingPathComponent("plot.svg").path
        let r = try LithiumMap.run(["plot", "--reference", "patterns/lithiation/LiNiO2-like_reference.csv", "--volume", "99.0", "--volume-esd", "0.05", "-o", svgPath])
        #expect(r.status == 0, "\(r.stderr)")
        let svg = try String(contentsOfFile: svgPath, encoding: .utf8)
        for label in ["reference curve", "±2σ band of the curve", "refined points", "lookup ± esd", "a / Å", "c / Å", ">H3<"] {
            #expect(svg.contains(label), "plot lacks \(label)")
        }
    }
}
