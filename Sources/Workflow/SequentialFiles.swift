import FileSupport
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends CSV rows, each handed to the kernel at once (one write per row), under a lock. A killed run keeps
/// every finished row; write errors (a full disk) are thrown with the file's name.
final class RowWriter: @unchecked Sendable {
    private let fd: Int32
    private let path: String
    private let lock = NSLock()

    /// Creates the CSV with its header (atomically), or — appending — cuts it back to the header and the
    /// first `keepRows` rows (a partly written last row, or rows past the state file, are refined again).
    init(path: String, header: String, append: Bool, keepRows: Int) throws(FileError) {
        self.path = path
        if append {
            let data = try TextFile.data(URL(fileURLWithPath: path))
            var keep = 0, lines = 0
            for (i, b) in data.enumerated() where b == UInt8(ascii: "\n") {
                lines += 1
                keep = i + 1
                if lines == keepRows + 1 { break }
            }
            if truncate(path, off_t(keep)) != 0 { throw .cannotWrite(file: path, reason: String(cString: strerror(errno))) }
        } else {
            try OutputFile.write(Data(header.utf8), to: path)
        }
        fd = open(path, O_WRONLY | O_APPEND)
        guard fd >= 0 else { throw .cannotWrite(file: path, reason: String(cString: strerror(errno))) }
    }

    deinit { close(fd) }

    func write(_ line: String) throws(FileError) {
        lock.lock(); defer { lock.unlock() }
        let bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in systemWrite(fd, raw.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = errno == ENOSPC ? "no space left on the device" : String(cString: strerror(errno))
                throw .cannotWrite(file: path, reason: reason + " (the rows before this one are kept)")
            }
            offset += n
        }
    }
}

/// A lock file beside an output, so that two runs never write one CSV: created exclusively with the owner's
/// process id; a lock whose process no longer runs is taken over.
final class RunLock: @unchecked Sendable {
    let path: String
    private var held = false

    init(path: String) throws(FileError) {
        self.path = path
        for _ in 0..<2 {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            if fd >= 0 {
                let text = "\(getpid())\n"
                _ = text.withCString { systemWrite(fd, $0, strlen($0)) }
                close(fd)
                held = true
                return
            }
            guard errno == EEXIST else { throw .cannotWrite(file: path, reason: "cannot create the lock file: \(String(cString: strerror(errno)))") }
            let owner = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if let owner, owner != getpid(), kill(owner, 0) == 0 || errno == EPERM {
                throw .cannotWrite(file: String(path.dropLast(5)), reason: "another run (process \(owner)) is writing it; wait for it or remove \(path) if it is gone")
            }
            unlink(path)  // stale: its process is gone
        }
        throw .cannotWrite(file: path, reason: "cannot take the lock")
    }

    func release() {
        if held { unlink(path); held = false }
    }
}

@inline(__always)
func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, p, n)
    #else
    return Darwin.write(fd, p, n)
    #endif
}
