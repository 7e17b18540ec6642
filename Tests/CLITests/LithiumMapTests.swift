import Foundation
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

    @Test func buildFromATableAndLookUpWithJSON() throws {
        let ref = dir.appendingPathComponent("nmc811.csv").path
        let b = try LithiumMap.run(["build", "--table", "patterns/nmc811-operando/NMC811_Marker2019_a_c_vs_charge.tsv", "--q-th", "275", "-o", ref])
        #expect(b.status == 0, "\(b.stderr)")
        let header = try String(contentsOfFile: ref, encoding: .utf8).split(separator: "\n").first { !$0.hasPrefix("#") }
        #expect(header == "x_li,a,a_esd,c,c_esd,volume,volume_esd,phase")
        let r = try LithiumMap.run(["lookup", "--reference", ref, "--volume", "99.5", "--volume-esd", "0.02", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        for key in ["x_li", "candidates", "soc", "delta_v_over_v", "phase"] { #expect(object[key] != nil, "missing \(key)") }
        let x = object["x_li"] as! [String: Double]
        #expect(x["value"]! > 0.2 && x["value"]! < 0.5 && x["esd"]! > 0)
    }

    @Test func cyclerRecordWithSequentialCSV() throws {
        // Three patterns at t = 0, 3600, 7200 s; 1 mA on 10 mg of a 275 mAh/g material: x = 1 − t/(3600·2.75).
        let seq = try write("seq.csv", """
            index,file,a,a_esd,c,c_esd,volume,volume_esd,cation_mixing,cation_mixing_esd,Rwp,GOF,converged,flagged,retries
            0,p0.xye,2.878,0.00001,14.19,0.0001,101.787,0.001,,,2.8,1.0,true,false,0
            1,p1.xye,2.870,0.00001,14.22,0.0001,101.45,0.001,,,2.8,1.0,true,false,0
            2,p2.xye,2.862,0.00001,14.24,0.0001,101.05,0.001,,,2.8,1.0,true,false,0
            3,p3.xye,2.855,0.00001,14.26,0.0001,100.66,0.001,,,2.8,1.0,true,false,0
            """)
        let cycler = try write("cycler.csv", "time_s,current_mA\n0,1\n3600,1\n7200,1\n10800,1\n")
        let ref = dir.appendingPathComponent("ref.csv").path
        let r = try LithiumMap.run(["build", "--sequential", seq, "--cycler", cycler, "--interval", "3600", "--mass", "10", "--q-th", "275", "-o", ref])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try String(contentsOfFile: ref, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }.dropFirst()
        let xs = rows.map { Double($0.split(separator: ",")[0])! }.sorted(by: >)
        #expect(abs(xs[1] - (1 - 1 / 2.75)) < 1e-9 && abs(xs[2] - (1 - 2 / 2.75)) < 1e-9)
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
}
