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
        let a = try String(contentsOfFile: full, encoding: .utf8), b = try String(contentsOfFile: partial, encoding: .utf8)
        #expect(a.split(separator: "\n").count == 21)
        #expect(a == b, "resumed CSV differs from the uninterrupted one")
    }
}
