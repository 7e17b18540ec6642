import Foundation

/// Errors reading or writing files. Each message names the file, the place, and what was expected.
public enum RietveldIOError: Error, Equatable, Sendable, CustomStringConvertible {
    case cannotRead(file: String, reason: String)
    case cannotWrite(file: String, reason: String)
    case malformed(file: String, line: Int, String)
    case missing(file: String, String)
    case unknownFormat(file: String, String)

    public var description: String {
        switch self {
        case let .cannotRead(file, reason): return "\(file): cannot read: \(reason)"
        case let .cannotWrite(file, reason): return "\(file): cannot write: \(reason)"
        case let .malformed(file, line, what): return "\(file):\(line): \(what)"
        case let .missing(file, what): return "\(file): \(what)"
        case let .unknownFormat(file, what): return "\(file): unknown format: \(what)"
        }
    }
}

/// Whole-file text input and atomic output.
public enum TextFile {
    /// The file's text (UTF-8, else Latin-1).
    public static func read(_ url: URL) throws(RietveldIOError) -> String {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            let reason = FileManager.default.fileExists(atPath: url.path) ? "not readable" : "no such file"
            throw .cannotRead(file: url.path, reason: reason)
        }
        if let s = String(validating: data, as: UTF8.self) { return s }
        // Latin-1: every byte is the code point of the same value.
        return String(String.UnicodeScalarView(data.map { Unicode.Scalar($0) }))
    }

    /// Writes `text` to a temporary name beside `url`, then renames it into place, so that a failure never
    /// leaves a half-written file.
    public static func writeAtomically(_ text: String, to url: URL) throws(RietveldIOError) {
        let dir = url.deletingLastPathComponent()
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try Data(text.utf8).write(to: tmp)
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            let dirExists = FileManager.default.fileExists(atPath: dir.path)
            throw .cannotWrite(file: url.path, reason: dirExists ? "cannot create a file in \(dir.path)" : "no such directory \(dir.path)")
        }
        // rename(2) replaces the destination atomically.
        if rename(tmp.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: tmp)
            throw .cannotWrite(file: url.path, reason: reason)
        }
    }
}
