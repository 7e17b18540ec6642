import Foundation
import Testing

/// Interrupted and resumed sequential runs give the uninterrupted CSV; a foreign CSV is refused; two writers
/// are not allowed; an interrupt says what was kept.
@Suite(.serialized) struct ResumeTests {
    static let folder = "patterns/gsas2-sim-linio2"

    /// A series that jumps at its end: patterns 00–06, then 19 (a 7 % jump in the cell), which the
    /// chain must retry from the template — the state an interrupted run has to restore.
    static func listFile() throws -> String {
        let list = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-jump-\(ProcessInfo.processInfo.processIdentifier).lst")
        let names = (0...6).map { String(format: "LNO_seq_%02d.xye", $0) } + ["LNO_seq_19.xye"]
        try Data(names.map { CLI.root.appendingPathComponent("\(folder)/series/\($0)").path + "\n" }.joined().utf8).write(to: list)
        return list.path
    }

    static func arguments(_ list: String, csv: String) -> [String] {
        ["sequential", list, "--phase", "\(folder)/LiNiO2_start.cif", "--instrument", "\(folder)/MoKa1_capillary.instprm",
         "--convention", "gsas2", "--csv", csv, "--quiet"]
    }

    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-resume-\(ProcessInfo.processInfo.processIdentifier)-\(name)").path
    }

    static func clean(_ csv: String) {
        for suffix in ["", ".state", ".lock"] { try? FileManager.default.removeItem(atPath: csv + suffix) }
    }

    /// Stopped after every pattern boundary in turn and resumed: the same CSV as the uninterrupted run, to the
    /// last digit the writer prints (or 1e-8 relative where BLAS summation order differs).
    @Test func resumeAtEveryBoundaryGivesTheUninterruptedCSV() throws {
        let list = try Self.listFile()
        let full = Self.temporary("full.csv")
        Self.clean(full)
        let r = try CLI.run(Self.arguments(list, csv: full))
        #expect(r.status == 0, "\(r.stderr)")
        let expected = try String(contentsOfFile: full, encoding: .utf8).split(separator: "\n")
        #expect(expected.count == 9)
        let retries = expected[0].split(separator: ",").firstIndex(of: "retries")!
        #expect(Int(expected[8].split(separator: ",")[retries])! > 0, "the jump back should be retried: \(expected[8].prefix(200))")
        for k in 1...7 {
            let csv = Self.temporary("stop\(k).csv")
            Self.clean(csv)
            let stopped = try CLI.run(Self.arguments(list, csv: csv) + ["--stop-after", "\(k)"])
            #expect(stopped.status == 130, "stop after \(k): \(stopped.stderr)")
            let resumed = try CLI.run(Self.arguments(list, csv: csv) + ["--resume"])
            #expect(resumed.status == 0, "resume after \(k): \(resumed.stderr)")
            let got = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
            #expect(got.count == expected.count, "resume after \(k)")
            for (a, b) in zip(expected, got) where a != b {
                for (x, y) in zip(a.split(separator: ",", omittingEmptySubsequences: false), b.split(separator: ",", omittingEmptySubsequences: false)) where x != y {
                    guard let u = Double(x), let v = Double(y) else { Issue.record("resume after \(k): '\(x)' vs '\(y)'"); continue }
                    #expect(abs(u - v) <= 1e-8 * max(abs(u), abs(v), 1e-12), "resume after \(k): \(x) vs \(y)")
                }
            }
            Self.clean(csv)
        }
        Self.clean(full)
    }

    /// `--resume` into the CSV of another file list is refused; so is a second writer while a lock is held.
    @Test func foreignCSVAndSecondWriterAreRefused() throws {
        let list = try Self.listFile()
        let csv = Self.temporary("foreign.csv")
        Self.clean(csv)
        #expect(try CLI.run(Self.arguments(list, csv: csv) + ["--stop-after", "2"]).status == 130)
        let other = try CLI.run(["sequential", "\(Self.folder)/series/LNO_seq_10.xye", "\(Self.folder)/series/LNO_seq_11.xye", "--phase", "\(Self.folder)/LiNiO2_start.cif",
                                 "--instrument", "\(Self.folder)/MoKa1_capillary.instprm", "--convention", "gsas2", "--csv", csv, "--resume", "--quiet"])
        #expect(other.status == 1 && other.stderr.contains("written by another run"), "\(other.stderr)")
        // The same files with a second phase: the CSV's phase columns are not this run's.
        let twoPhases = try CLI.run(Self.arguments(list, csv: csv) + ["--phase", "Al=structures/Al.cif", "--resume", "--quiet"])
        #expect(twoPhases.status == 1 && twoPhases.stderr.contains("its columns are not those of these phases and recipe"), "\(twoPhases.stderr)")
        #expect(twoPhases.stderr.split(separator: "\n").count == 1, "one line: \(twoPhases.stderr)")
        // A lock held by a live process (this test's).
        try Data("\(ProcessInfo.processInfo.processIdentifier)\n".utf8).write(to: URL(fileURLWithPath: csv + ".lock"))
        let second = try CLI.run(Self.arguments(list, csv: csv) + ["--resume"])
        #expect(second.status == 1 && second.stderr.contains("another run (process \(ProcessInfo.processInfo.processIdentifier)) is writing it"), "\(second.stderr)")
        // A stale lock (no such process) is taken over.
        try Data("999999999\n".utf8).write(to: URL(fileURLWithPath: csv + ".lock"))
        let third = try CLI.run(Self.arguments(list, csv: csv) + ["--resume"])
        #expect(third.status == 0, "\(third.stderr)")
        #expect(!FileManager.default.fileExists(atPath: csv + ".lock"), "the lock was left behind")
        Self.clean(csv)
    }

    /// SIGINT: one line with the rows kept and how to resume; the CSV holds exactly those rows.
    @Test func interruptSaysWhatWasKept() throws {
        let csv = Self.temporary("interrupt.csv")
        Self.clean(csv)
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = ["sequential", "\(Self.folder)/series", "--phase", "\(Self.folder)/LiNiO2_start.cif", "--instrument",
                             "\(Self.folder)/MoKa1_capillary.instprm", "--convention", "gsas2", "--csv", csv, "--quiet"]
        process.currentDirectoryURL = CLI.root
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, (((try? String(contentsOfFile: csv, encoding: .utf8)) ?? "").split(separator: "\n").count < 3) { usleep(2000) }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").count - 1
        if process.terminationStatus == 0 { return }  // finished before the signal arrived: nothing to check
        #expect(process.terminationStatus == 130)
        #expect(message.contains("interrupted: ") && message.contains("kept in \(csv); run the same command with --resume"), "\(message)")
        let kept = message.split(separator: ":").dropFirst(2).first.flatMap { Int($0.trimmingCharacters(in: .whitespaces).split(separator: " ")[0]) }
        // Exactly: no row reaches the CSV after the notice has counted them (a fast chain wrote two more in the
        // moment before the process exited, until `RowCounter.deliver` stopped that).
        #expect(kept == rows, "said \(kept ?? -1), CSV has \(rows)")
        Self.clean(csv)
    }
}
