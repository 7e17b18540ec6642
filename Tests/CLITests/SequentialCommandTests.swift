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
        // The same rows; numbers equal to floating-point noise (BLAS kernels may sum in an order that depends on
        // memory alignment, so the last bit can differ between two runs of the same binary).
        for (ra, rb) in zip(a, b) {
            let fa = ra.split(separator: ",", omittingEmptySubsequences: false), fb = rb.split(separator: ",", omittingEmptySubsequences: false)
            #expect(fa.count == fb.count, "\(ra) vs \(rb)")
            for (x, y) in zip(fa, fb) where x != y {
                guard let u = Double(x), let v = Double(y) else { Issue.record("field '\(x)' vs '\(y)'"); continue }
                #expect(abs(u - v) <= 1e-8 * max(abs(u), abs(v), 1e-12), "\(x) vs \(y)")
            }
        }
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
