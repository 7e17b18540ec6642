import FileSupport
import Foundation
import Testing

@Suite(.serialized) struct SequentialCommandTests {
    static let folder = "patterns/gsas2-sim-linio2"

    func arguments(csv: String, resume: Bool = false) -> [String] {
        ["sequential", "\(Self.folder)/series", "--phase", "\(Self.folder)/LiNiO2_start.cif", "--instrument",
         "\(Self.folder)/MoKa1_capillary.instprm", "--convention", "gsas2", "--csv", csv] + (resume ? ["--resume"] : [])
    }

    /// Kill a run after a few rows, resume it, and compare with an uninterrupted run: the same CSV.
    @Test func killedRunResumesToTheSameCSV() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-seq-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let full = dir.appendingPathComponent("full.csv").path, partial = dir.appendingPathComponent("partial.csv").path
        let r = try CLI.run(arguments(csv: full))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("20 patterns refined"))

        // Start the same run and kill it once a few rows are on disk.
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = arguments(csv: partial)
        process.currentDirectoryURL = CLI.root
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var rowsAtKill = 0
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            rowsAtKill = ((try? String(contentsOfFile: partial, encoding: .utf8)) ?? "").split(separator: "\n").count - 1
            if rowsAtKill >= 3 { break }
            usleep(1000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let kept = ((try? String(contentsOfFile: partial, encoding: .utf8)) ?? "").split(separator: "\n", omittingEmptySubsequences: true)
        #expect(kept.count - 1 < 20, "the run finished before it could be killed")

        let resumed = try CLI.run(arguments(csv: partial, resume: true))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let a = try String(contentsOfFile: full, encoding: .utf8).split(separator: "\n")
        let b = try String(contentsOfFile: partial, encoding: .utf8).split(separator: "\n")
        #expect(a.count == 21 && b.count == 21)
        // The same rows to the last digit: the linear algebra is deterministic (no BLAS kernel picks its
        // summation order by memory alignment) and the chain resumes from the state file's exact values.
        for (ra, rb) in zip(a, b) { #expect(ra == rb) }
    }

    /// `--interval` puts time on the plot's x: 3 patterns 10 min apart span 0–0.333 h; the axis is labelled so.
    @Test func plotAgainstTime() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-seq-time-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = (0..<3).map { "\(Self.folder)/series/LNO_seq_0\($0).xye" }
        let svg = dir.appendingPathComponent("t.svg").path
        let r = try CLI.run(["sequential"] + files + ["--phase", "\(Self.folder)/LiNiO2_start.cif", "--instrument", "\(Self.folder)/MoKa1_capillary.instprm",
                             "--convention", "gsas2", "--csv", dir.appendingPathComponent("t.csv").path, "--plot", svg, "--interval", "600", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(text.contains(">time / h<") && !text.contains(">pattern index<"))
        #expect(text.contains(">0.3<") || text.contains(">0.30<"), "no tick near the last pattern's 0.333 h")
        let bad = try CLI.run(["sequential"] + files + ["--phase", "\(Self.folder)/LiNiO2_start.cif", "--instrument", "\(Self.folder)/MoKa1_capillary.instprm",
                               "--csv", dir.appendingPathComponent("u.csv").path, "--interval=-5"])
        #expect(bad.status == 64 && bad.stderr.contains("--interval"), "\(bad.stderr)")
    }

    /// `--keep-phase` names a phase of the run (else one line, exit 1, nothing written); the summary gives a
    /// cubic phase's a only.
    @Test func keptPhaseAndCubicSummary() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-seq-keep-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = ["sequential", "patterns/insitu-linio2-al/001.xy", "patterns/insitu-linio2-al/002.xy", "--phase", "LiNiO2=structures/LiNiO2.cif",
                    "--phase", "Al=structures/Al.cif", "--instrument", "patterns/insitu-linio2-al/cu-generic.instprm", "--geometry", "bragg-brentano", "--quiet"]
        let bad = dir.appendingPathComponent("bad.csv").path
        let r = try CLI.run(base + ["--csv", bad, "--keep-phase", "Cu"])
        #expect(r.status == 1 && r.stderr.contains("--keep-phase Cu") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: bad) && !FileManager.default.fileExists(atPath: bad + ".lock"))
        let ok = try CLI.run(base + ["--csv", dir.appendingPathComponent("ok.csv").path, "--keep-phase", "Al"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let alLine = ok.stdout.split(separator: "\n").first { $0.hasPrefix("Al: ") }.map(String.init) ?? ""
        #expect(alLine.contains("a: ") && !alLine.contains("c: "), "\(alLine)")
        #expect(ok.stdout.contains("LiNiO2: a: ") && ok.stdout.contains(" c: "))
    }

    /// A series of powder CIFs that state their axial geometry, refined with a start instrument file: the summary
    /// says once, with `--quiet` too, that the full axial model of that geometry draws the asymmetry.
    @Test func statedGeometryIsSaidOnce() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-seq-stated-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = CLI.root.appendingPathComponent("patterns/nist-srm660c-lab6/nist_srm660c_100a.cif")
        for k in 1...2 { try FileManager.default.copyItem(at: source, to: dir.appendingPathComponent("scan\(k).cif")) }
        let r = try CLI.run(["sequential", dir.appendingPathComponent("scan1.cif").path, dir.appendingPathComponent("scan2.cif").path,
                             "--phase", "structures/LaB6.cif", "--instrument", "patterns/nist-srm660c-lab6/start.instprm",
                             "--geometry", "bragg-brentano", "--csv", dir.appendingPathComponent("out.csv").path, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let notes = r.stdout.split(separator: "\n").filter { $0.hasPrefix("Note: ") }
        #expect(notes.count == 1 && notes[0].contains("full axial model") && notes[0].contains("scan1.cif"), "\(r.stdout)")
    }

    /// A row cut in half by a kill is dropped and its pattern refined again.
    @Test func partialLastRowIsCutBeforeResuming() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-seq-cut-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let full = dir.appendingPathComponent("full.csv").path, cut = dir.appendingPathComponent("cut.csv").path
        #expect(try CLI.run(arguments(csv: full)).status == 0)
        let lines = try String(contentsOfFile: full, encoding: .utf8).split(separator: "\n")
        // Stopped after 4 rows (as a kill right after the 4th), then half of the 5th written.
        let stopped = try CLI.run(arguments(csv: cut) + ["--stop-after", "4"])
        #expect(stopped.status != 0 && stopped.status != 3, "\(stopped.stderr)")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: cut))
        handle.seekToEndOfFile()
        handle.write(Data(lines[5].prefix(lines[5].count / 2).utf8))
        try handle.close()
        let r = try CLI.run(arguments(csv: cut, resume: true))
        #expect(r.status == 0, "\(r.stderr)")
        let resumed = try String(contentsOfFile: cut, encoding: .utf8).split(separator: "\n")
        #expect(resumed.count == 21)
        let columns = SequentialCSVFields.count(lines[0])
        for line in resumed { #expect(SequentialCSVFields.count(line) == columns, "\(line)") }
    }
}

/// Counts CSV fields, honouring double quotes.
enum SequentialCSVFields {
    static func count(_ line: Substring) -> Int {
        var n = 1, quoted = false
        for c in line { if c == "\"" { quoted.toggle() } else if c == "," && !quoted { n += 1 } }
        return n
    }
}

/// Shards (`--shard K/N`) and `rietveld merge`, and the README's GNU parallel example run as written.
@Suite(.serialized) struct ShardTests {
    static let folder = "patterns/gsas2-sim-linio2"

    static func temporaryDirectory(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-\(name)-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    func arguments(csv: String, shard: String?) -> [String] {
        ["sequential", "\(Self.folder)/series", "--phase", "\(Self.folder)/LiNiO2_start.cif", "--instrument",
         "\(Self.folder)/MoKa1_capillary.instprm", "--convention", "gsas2", "--independent", "--csv", csv]
            + (shard.map { ["--shard", $0] } ?? [])
    }

    /// Runs a program with these variables added to the environment; its exit status and stderr.
    static func runProgram(_ executable: URL, _ arguments: [String], in directory: URL, environment extra: [String: String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    static func rows(_ path: String) throws -> [[String]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { CSVFields.split($0) }
    }

    /// Independent fits do not depend on how the files are cut: three shards merged give the unsharded run's
    /// CSV field for field, but for the shard column. And merge refuses a missing, a repeated and a foreign shard.
    @Test func independentShardsMergeToTheUnshardedRun() throws {
        let dir = try Self.temporaryDirectory("shards")
        defer { try? FileManager.default.removeItem(at: dir) }
        let full = dir.appendingPathComponent("full.csv").path
        let r = try CLI.run(arguments(csv: full, shard: nil))
        #expect(r.status == 0 || r.status == 3, "\(r.stderr)")
        var shards: [String] = []
        for k in 1...3 {
            let path = dir.appendingPathComponent("s\(k).csv").path
            let s = try CLI.run(arguments(csv: path, shard: "\(k)/3"))
            #expect(s.status == 0 || s.status == 3, "\(s.stderr)")
            shards.append(path)
        }
        let merged = dir.appendingPathComponent("merged.csv").path
        let m = try CLI.run(["merge", shards[2], shards[0], shards[1], "-o", merged])
        #expect(m.status == 0, "\(m.stderr)")
        let a = try Self.rows(full), b = try Self.rows(merged)
        #expect(a.count == 21 && b.count == 21)
        let shardColumn = try #require(a.first?.firstIndex(of: "shard"))
        #expect(a.first == b.first)
        for (i, (x, y)) in zip(a, b).enumerated().dropFirst() {
            #expect(x.count == y.count)
            for c in x.indices where c != shardColumn && c < y.count { #expect(x[c] == y[c], "row \(i) column \(a[0][c]): \(x[c]) vs \(y[c])") }
            #expect(x[shardColumn] == "1/1" && y[shardColumn].hasSuffix("/3"))
        }

        let missing = try CLI.run(["merge", shards[0], shards[1], "-o", dir.appendingPathComponent("m1.csv").path])
        #expect(missing.status == 1 && missing.stderr.contains("shard 3/3 is missing"), "\(missing.stderr)")
        let twice = try CLI.run(["merge", shards[0], shards[0], shards[1], shards[2], "-o", dir.appendingPathComponent("m2.csv").path])
        #expect(twice.status == 1 && twice.stderr.contains("given twice"), "\(twice.stderr)")
        let foreign = try CLI.run(["merge", full, shards[0], "-o", dir.appendingPathComponent("m3.csv").path])
        #expect(foreign.status == 1 && foreign.stderr.split(separator: "\n").count == 1, "\(foreign.stderr)")
        for name in ["m1.csv", "m2.csv", "m3.csv"] {
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path), "\(name) written by a refused merge")
        }
    }

    /// Independent fits from the one template (a, c 0.3 % above pattern 0's; the series runs 2.6 % below it in a
    /// and 2.8 % in c): every pattern within 3 esd of the GSAS-II truth, none flagged — the cell search finds the
    /// far ones.
    @Test func independentRunFromTheTemplateReachesEveryTruth() throws {
        let dir = try Self.temporaryDirectory("independent")
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("independent.csv").path
        let r = try CLI.run(arguments(csv: csv, shard: nil))
        #expect(r.status == 0, "\(r.stderr.suffix(400))")
        try Self.expectTruth(try Self.rows(csv))
    }

    struct SeriesTruth: Decodable { let a: Double, c: Double }

    static func expectTruth(_ rows: [[String]]) throws {
        let truth = try JSONDecoder().decode([SeriesTruth].self, from: Data(contentsOf: CLI.root.appendingPathComponent("\(folder)/series_truth.json")))
        try #require(rows.count == 21)
        let h = rows[0]
        let col = { (name: String) in h.firstIndex(of: name)! }
        for (i, row) in rows.dropFirst().enumerated() {
            #expect(row[col("converged")] == "true" && row[col("flagged")] == "false", "pattern \(i): \(row[col("reason")])")
            for (key, value) in [("a", truth[i].a), ("c", truth[i].c)] {
                let v = Double(row[col(key)])!, e = Double(row[col(key + "_esd")])!
                #expect(abs(v - value) <= 3 * e, "pattern \(i) \(key): \(v) ± \(e) vs \(value)")
            }
        }
    }

    /// The README's GNU parallel example, exactly as written there (with this build's binary for `rietveld`):
    /// two chained shards merged; every pattern converged and its a and c within 3 esd of the GSAS-II truth.
    @Test func readmeParallelExampleRuns() throws {
        let readme = try String(contentsOf: CLI.root.appendingPathComponent("README.md"), encoding: .utf8)
        let marker = try #require(readme.range(of: "<!-- parallel-example -->\n```sh\n"), "README has no parallel example")
        let end = try #require(readme.range(of: "\n```", range: marker.upperBound..<readme.endIndex))
        let script = String(readme[marker.upperBound..<end.lowerBound])
        #expect(script.contains("parallel ") && script.contains("rietveld merge"))
        let dir = try Self.temporaryDirectory("parallel")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("patterns"), withDestinationURL: CLI.root.appendingPathComponent("patterns"))
        let bin = dir.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: bin.appendingPathComponent("rietveld"), withDestinationURL: CLI.executable)
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let (status, stderr) = try Self.runProgram(URL(fileURLWithPath: "/bin/bash"), ["-euo", "pipefail", "-c", script], in: dir,
                                                   environment: ["PATH": bin.path + ":" + path])
        #expect(status == 0, "\(stderr.suffix(500))")

        let merged = try Self.rows(dir.appendingPathComponent("series.csv").path)
        try Self.expectTruth(merged)
        // The two chained shards against one unsharded chained run: every a, c, V within 1 esd.
        let whole = dir.appendingPathComponent("whole.csv").path
        let w = try CLI.run(["sequential", "\(Self.folder)/series", "--phase", "\(Self.folder)/LiNiO2_start.cif", "--instrument",
                             "\(Self.folder)/MoKa1_capillary.instprm", "--convention", "gsas2", "--csv", whole])
        #expect(w.status == 0, "\(w.stderr.suffix(300))")
        let unsharded = try Self.rows(whole)
        let h = merged[0]
        for (i, (x, y)) in zip(merged, unsharded).enumerated().dropFirst() {
            for key in ["a", "c", "volume"] {
                let c = h.firstIndex(of: key)!, e = h.firstIndex(of: key + "_esd")!
                #expect(abs(Double(x[c])! - Double(y[c])!) <= Double(y[e])!, "row \(i) \(key): \(x[c]) (shards) vs \(y[c]) ± \(y[e])")
            }
        }
    }
}

extension ShardTests {
    /// A chained run with `--jobs 2` refines the two shards at once and merges them: the CSV of the README's
    /// GNU parallel example byte for byte, every pattern within 3 esd of the GSAS-II truth, no segment file left;
    /// `--resume` of the finished run refines nothing; stopped after 3 rows per segment and resumed, the same
    /// CSV again. With `--shard` a chained `--jobs 2` is refused in one line.
    @Test func chainedJobsMergeTheirSegments() throws {
        let dir = try Self.temporaryDirectory("jobs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = ["sequential", "\(Self.folder)/series", "--phase", "\(Self.folder)/LiNiO2_start.cif", "--instrument",
                    "\(Self.folder)/MoKa1_capillary.instprm", "--convention", "gsas2", "--quiet"]
        var shards: [String] = []
        for k in 1...2 {
            let path = dir.appendingPathComponent("s\(k).csv").path
            #expect(try CLI.run(base + ["--shard", "\(k)/2", "--csv", path]).status == 0)
            shards.append(path)
        }
        let merged = dir.appendingPathComponent("merged.csv").path
        #expect(try CLI.run(["merge"] + shards + ["-o", merged]).status == 0)
        let csv = dir.appendingPathComponent("jobs.csv").path
        let r = try CLI.run(base + ["--jobs", "2", "--csv", csv])
        #expect(r.status == 0 && r.stdout.contains("20 patterns refined (20 converged"), "\(r.stderr)")
        #expect(try String(contentsOfFile: csv, encoding: .utf8) == String(contentsOfFile: merged, encoding: .utf8))
        try Self.expectTruth(try Self.rows(csv))
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("segment") || $0.hasSuffix(".lock") }
        #expect(left.isEmpty, "\(left)")

        let again = try CLI.run(base + ["--jobs", "2", "--csv", csv, "--resume"])
        #expect(again.status == 0 && again.stdout.contains("0 patterns refined") && again.stdout.contains("20 already in"), "\(again.stdout)")
        #expect(try String(contentsOfFile: csv, encoding: .utf8) == String(contentsOfFile: merged, encoding: .utf8))

        let cut = dir.appendingPathComponent("cut.csv").path
        let stopped = try CLI.run(base + ["--jobs", "2", "--csv", cut, "--stop-after", "3"])
        #expect(stopped.status == 130 && stopped.stderr.contains("6 rows kept in 2 segment files"), "\(stopped.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cut))
        let resumed = try CLI.run(base + ["--jobs", "2", "--csv", cut, "--resume"])
        #expect(resumed.status == 0 && resumed.stdout.contains("14 patterns refined"), "\(resumed.stdout) \(resumed.stderr)")
        #expect(try String(contentsOfFile: cut, encoding: .utf8) == String(contentsOfFile: merged, encoding: .utf8))

        let refused = try CLI.run(base + ["--jobs", "2", "--shard", "1/2", "--csv", dir.appendingPathComponent("no.csv").path])
        #expect(refused.status == 1 && refused.stderr.contains("more shards") && refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("no.csv").path))
    }

    /// scripts/slurm-sequential.sh as two array tasks (and task 1 requeued after it finished: it resumes and
    /// leaves its CSV as it was); the shards merge to 20 rows in order.
    @Test func slurmScriptRunsItsShardAndResumes() throws {
        let dir = try Self.temporaryDirectory("slurm")
        defer { try? FileManager.default.removeItem(at: dir) }
        let prefix = dir.appendingPathComponent("run").path
        func task(_ k: Int) throws -> (Int32, String) {
            try Self.runProgram(CLI.root.appendingPathComponent("scripts/slurm-sequential.sh"),
                                [prefix, "\(Self.folder)/series", "--phase", "\(Self.folder)/LiNiO2_start.cif", "--instrument",
                                 "\(Self.folder)/MoKa1_capillary.instprm", "--convention", "gsas2"], in: CLI.root,
                                environment: ["SLURM_ARRAY_TASK_ID": "\(k)", "SLURM_ARRAY_TASK_COUNT": "2", "RIETVELD": CLI.executable.path])
        }
        for k in 1...2 {
            let (status, err) = try task(k)
            #expect(status == 0, "\(err.suffix(300))")
        }
        let first = try String(contentsOfFile: prefix + "-1.csv", encoding: .utf8)
        let (again, err) = try task(1)
        #expect(again == 0, "\(err.suffix(300))")
        #expect(try String(contentsOfFile: prefix + "-1.csv", encoding: .utf8) == first)
        let merged = dir.appendingPathComponent("all.csv").path
        let m = try CLI.run(["merge", prefix + "-2.csv", prefix + "-1.csv", "-o", merged])
        #expect(m.status == 0, "\(m.stderr)")
        let rows = try Self.rows(merged)
        #expect(rows.count == 21 && rows.dropFirst().enumerated().allSatisfy { $0.element[0] == "\($0.offset)" })
    }
}

/// Splits a CSV line, honouring double quotes.
enum CSVFields {
    static func split(_ line: Substring) -> [String] {
        var out: [String] = [], field = "", quoted = false
        for c in line {
            if c == "\"" { quoted.toggle(); field.append(c) } else if c == "," && !quoted { out.append(field); field = "" } else { field.append(c) }
        }
        out.append(field)
        return out
    }
}
