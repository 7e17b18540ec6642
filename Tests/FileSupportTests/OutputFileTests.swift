import FileSupport
import Foundation
import Testing

/// The output layer: regular files replaced atomically, links followed, FIFOs written in place, full disks
/// reported, several outputs all or none. (Never tested by writing to a real device node.)
@Suite(.serialized) struct OutputFileTests {
    static func directory(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-out-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    static func leftovers(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".tmp") }
    }

    @Test func regularFileIsReplacedKeepingItsPermissions() throws {
        let dir = try Self.directory("regular")
        let path = dir + "/out.json"
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        try OutputFile.write(Data("new".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new")
        var st = stat()
        stat(path, &st)
        #expect(st.st_mode & 0o777 == 0o600)
        #expect(Self.leftovers(dir).isEmpty)
    }

    @Test func symbolicLinkIsFollowedNotReplaced() throws {
        let dir = try Self.directory("link")
        let target = dir + "/target.csv", link = dir + "/link.csv"
        try Data("old".utf8).write(to: URL(fileURLWithPath: target))
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "target.csv")
        try OutputFile.write(Data("through the link".utf8), to: link)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "target.csv")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "through the link")
    }

    @Test func fifoIsWrittenInPlace() throws {
        signal(SIGPIPE, SIG_IGN)
        let dir = try Self.directory("fifo")
        let fifo = dir + "/pipe"
        #expect(mkfifo(fifo, 0o644) == 0)
        let box = TextBox()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            // A blocking open: it waits for the writer, and reading ends when the writer closes.
            let handle = FileHandle(forReadingAtPath: fifo)
            box.text = String(decoding: handle?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
            done.signal()
        }
        try OutputFile.write(Data("streamed".utf8), to: fifo)
        done.wait()
        #expect(box.text == "streamed")
        var st = stat()
        stat(fifo, &st)
        #expect(st.st_mode & S_IFMT == S_IFIFO, "the FIFO was replaced by a regular file")
    }

    @Test func directoryIsRefused() throws {
        let dir = try Self.directory("dir")
        #expect(throws: FileError.self) { try OutputFile.write(Data("x".utf8), to: dir) }
    }

    /// One output that cannot be written leaves every other output of the group as it was.
    @Test func groupIsAllOrNothing() throws {
        let dir = try Self.directory("group")
        let first = dir + "/a.json"
        try Data("before".utf8).write(to: URL(fileURLWithPath: first))
        var group = OutputGroup()
        try group.add(Data("after".utf8), to: first)
        #expect(throws: FileError.self) { try group.add(Data("x".utf8), to: dir + "/no/such/dir/b.cif") }
        #expect(try String(contentsOfFile: first, encoding: .utf8) == "before")
        #expect(Self.leftovers(dir).isEmpty)
    }

    static let canMountTmpfs: Bool = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/bin/mount")

    /// A full disk: the error names the file and says so; the file that was there is untouched and no
    /// temporary file is left.
    @Test(.enabled(if: canMountTmpfs, "needs root to mount a small tmpfs"))
    func fullDiskIsReportedAndNothingIsLost() throws {
        let dir = try Self.directory("tmpfs")
        guard Self.system("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]) else { Issue.record("mount failed"); return }
        let message = Self.writeTooMuch(to: dir + "/fit.csv")
        let kept = try? String(contentsOfFile: dir + "/fit.csv", encoding: .utf8)
        let left = Self.leftovers(dir)
        _ = Self.system("/bin/umount", [dir])
        #expect(message.contains("no space left") && message.hasPrefix(dir + "/fit.csv"), "\(message)")
        #expect(kept == "kept")
        #expect(left.isEmpty)
    }

    /// Writes a file, then tries to replace it with 256 kB; the error's text.
    static func writeTooMuch(to path: String) -> String {
        guard (try? Data("kept".utf8).write(to: URL(fileURLWithPath: path))) != nil else { return "could not write the first file" }
        do {
            try OutputFile.write(Data(repeating: 65, count: 256 * 1024), to: path)
            return "a 256 kB file fitted on a 64 kB disk"
        } catch {
            return "\(error)"
        }
    }

    static func system(_ tool: String, _ arguments: [String]) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }
}

/// Text filled in by another thread.
final class TextBox: @unchecked Sendable { var text = "" }
