import Foundation

/// Errors reading or writing files. Each message names the file, the place, and what was expected.
public enum FileError: Error, Equatable, Sendable, CustomStringConvertible {
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

/// Whole-file text input.
public enum TextFile {
    /// The file's bytes; a directory, a missing or unreadable file is one clear error.
    public static func data(_ url: URL) throws(FileError) -> Data {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        if exists && isDirectory.boolValue { throw .cannotRead(file: url.path, reason: "is a directory, expected a file") }
        do { return try Data(contentsOf: url) } catch {
            throw .cannotRead(file: url.path, reason: exists ? "not readable" : "no such file")
        }
    }

    /// The file's text (UTF-8, else Latin-1).
    public static func read(_ url: URL) throws(FileError) -> String {
        text(try data(url))
    }

    /// Bytes as text: UTF-8, else Latin-1.
    public static func text(_ data: Data) -> String {
        if let s = String(validating: data, as: UTF8.self) { return s }
        // Latin-1: every byte is the code point of the same value.
        return String(String.UnicodeScalarView(data.map { Unicode.Scalar($0) }))
    }

    /// Compatibility: writes one output (see `OutputFile.write`).
    public static func writeAtomically(_ text: String, to url: URL) throws(FileError) {
        try OutputFile.write(Data(text.utf8), to: url.path)
    }
}
