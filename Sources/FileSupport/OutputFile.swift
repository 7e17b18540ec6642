import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where command outputs go, and how they get there without destroying anything:
///
/// - `-` is standard output;
/// - a symbolic link is followed: its target is written, the link stays;
/// - a regular file (or a new name) is written to a temporary file beside it, flushed, and renamed over it, so
///   that a failure never leaves it half-written;
/// - anything else that exists (a FIFO, a character device, a socket) is opened and written in place, never
///   replaced by a regular file; a directory is refused;
/// - write and close errors (a full disk) are reported with the file's name.
///
/// `OutputGroup` stages several outputs and commits them only when all could be written.
public enum OutputFile {
    /// Writes `data` to `path` as described above.
    public static func write(_ data: Data, to path: String) throws(FileError) {
        var group = OutputGroup()
        try group.add(data, to: path)
        try group.commit()
    }

    /// The real destination of a path: symbolic links resolved (a dangling link names its target).
    static func destination(_ path: String) -> String {
        var current = path
        for _ in 0..<40 {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: current) else { return current }
            current = target.hasPrefix("/") ? target : ((current as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
        }
        return current
    }

    /// What is at a path now.
    enum Kind { case absent, regular, directory, special }

    static func kind(_ path: String) -> Kind {
        var st = stat()
        guard stat(path, &st) == 0 else { return .absent }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        default: return .special
        }
    }

    static func reason(_ code: Int32) -> String {
        switch code {
        case ENOSPC: return "no space left on the device"
        case EDQUOT: return "disk quota exceeded"
        case EACCES, EPERM: return "permission denied"
        case ENOENT: return "no such directory"
        case EROFS: return "read-only file system"
        case EISDIR: return "is a directory"
        case EPIPE: return "the reading end of the pipe was closed"
        default: return String(cString: strerror(code))
        }
    }

    /// Writes all of `data` to a descriptor, then closes it; errors (ENOSPC on write or close) are thrown.
    static func writeAll(_ data: Data, to fd: Int32, name: String) throws(FileError) {
        var failure: Int32 = 0
        data.withUnsafeBytes { raw in
            guard var p = raw.baseAddress else { return }
            var left = raw.count
            while left > 0 {
                let n = systemWrite(fd, p, left)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                p += n
                left -= n
            }
        }
        if failure == 0, fsync(fd) != 0, errno != EINVAL, errno != EROFS { failure = errno }
        if close(fd) != 0 && failure == 0 { failure = errno }
        if failure != 0 { throw .cannotWrite(file: name, reason: reason(failure)) }
    }
}

/// Outputs of one command, produced only when all can be: each regular file is first written in full to a
/// temporary name beside it; `commit` renames them all into place (and writes the streams), `discard`
/// removes the temporaries. Nothing that was not the command's to overwrite is touched.
public struct OutputGroup {
    struct Staged {
        let path: String
        let destination: String
        let temporary: String?
        let data: Data
    }
    private var staged: [Staged] = []

    public init() {}

    /// Stages `data` for `path`; throws (and leaves nothing behind) when it cannot be written.
    public mutating func add(_ data: Data, to path: String) throws(FileError) {
        if path == "-" {
            staged.append(Staged(path: path, destination: path, temporary: nil, data: data))
            return
        }
        let destination = OutputFile.destination(path)
        switch OutputFile.kind(destination) {
        case .directory:
            throw .cannotWrite(file: path, reason: "is a directory, expected a file name")
        case .special:
            // A FIFO or device is written in place at commit (never replaced by a regular file).
            staged.append(Staged(path: path, destination: destination, temporary: nil, data: data))
        case .regular, .absent:
            let dir = (destination as NSString).deletingLastPathComponent
            let name = (destination as NSString).lastPathComponent
            let temporary = ((dir.isEmpty ? "." : dir) as NSString).appendingPathComponent(".\(name).\(getpid()).\(staged.count).tmp")
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            guard fd >= 0 else {
                let code = errno
                var isDir: ObjCBool = false
                let dirExists = FileManager.default.fileExists(atPath: dir.isEmpty ? "." : dir, isDirectory: &isDir) && isDir.boolValue
                discard()
                throw .cannotWrite(file: path, reason: dirExists ? OutputFile.reason(code) : "no such directory \(dir)")
            }
            do { try OutputFile.writeAll(data, to: fd, name: path) } catch {
                unlink(temporary)
                discard()
                throw error
            }
            staged.append(Staged(path: path, destination: destination, temporary: temporary, data: data))
        }
    }

    /// Puts every staged output in place: renames (atomic per file), then streams and devices.
    public mutating func commit() throws(FileError) {
        for (k, s) in staged.enumerated() {
            if let t = s.temporary {
                // Keep the permissions of a file being replaced.
                var st = stat()
                if stat(s.destination, &st) == 0 { chmod(t, st.st_mode & 0o7777) }
                if rename(t, s.destination) != 0 {
                    let code = errno
                    for rest in staged[k...] { if let r = rest.temporary { unlink(r) } }
                    staged = []
                    throw .cannotWrite(file: s.path, reason: OutputFile.reason(code))
                }
            }
        }
        let streams = staged.filter { $0.temporary == nil }
        staged = []
        for s in streams {
            if s.path == "-" {
                StandardStreams.out(s.data)
                continue
            }
            let fd = open(s.destination, O_WRONLY)
            guard fd >= 0 else { throw .cannotWrite(file: s.path, reason: OutputFile.reason(errno)) }
            try OutputFile.writeAll(s.data, to: fd, name: s.path)
        }
    }

    /// Removes every staged temporary file.
    public mutating func discard() {
        for s in staged { if let t = s.temporary { unlink(t) } }
        staged = []
    }
}

/// write(2) under the platform's module name.
@inline(__always)
private func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, p, n)
    #else
    return Darwin.write(fd, p, n)
    #endif
}
