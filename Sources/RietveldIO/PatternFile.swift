import FileSupport
import Foundation
import PowderDiffraction

/// Powder-pattern files: the format is recognized by content, not by extension.
public enum PatternFormat: String, Sendable, CaseIterable {
    case columns = "xy/xye/csv columns"
    case gsas = "GSAS powder file (STD, ESD, FXYE)"
    case pdCIF = "powder CIF"
    case brukerRAW = "Bruker RAW (v1–v4)"
    case brukerUXD = "Bruker UXD"
    case stoeRAW = "STOE WinXPOW RAW"
    case xrdml = "PANalytical XRDML"
    case brml = "Bruker BRML"

    /// Every format read, for help texts: "xy/xye/csv columns, GSAS powder file (…), …".
    public static var readableList: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

public enum PatternFile {
    /// Reads a pattern from any supported file. `block` picks a pdCIF data block by (part of) its name.
    public static func read(_ url: URL, block: String? = nil) throws(FileError) -> Pattern {
        let data = try TextFile.data(url)
        return try read(data, file: url.path, name: url.deletingPathExtension().lastPathComponent, block: block)
    }

    /// The pattern in a file's bytes, `file` naming it in errors. Whatever the format, what comes back has
    /// 2θ, intensities and esds of one length, all finite, 2θ strictly increasing and esds positive.
    static func read(_ data: Data, file: String, name: String, block: String? = nil) throws(FileError) -> Pattern {
        try checked(decode(data, file: file, name: name, block: block), file: file)
    }

    static func decode(_ data: Data, file: String, name: String, block: String?) throws(FileError) -> Pattern {
        if STOERaw.isSTOE(data) { return try STOERaw.read(data, file: file, name: name) }
        if BrukerRAW.isRAW(data) { return try BrukerRAW.read(data, file: file, name: name) }
        if BRML.isZIP(data) { return try BRML.read(data, file: file, name: name) }
        if XRDML.isXRDML(data) { return try XRDML.read(data, file: file, name: name) }
        // Only a clean file of two or three numeric columns passes the fast reader (a GSAS file has its BANK
        // line, a CIF its data_ block): it needs neither detection nor a decoded text.
        if let fast = FastColumns.parse(data) {
            return Pattern(name: name, twoTheta: fast.x, intensity: fast.y, sigma: fast.e)
        }
        let text = TextFile.text(data)
        switch try detect(text, file: file) {
        case .columns: return try readColumns(text, file: file, name: name)
        case .gsas: return try readGSAS(text, file: file, name: name)
        case .pdCIF: return try readPowderCIF(text, file: file, name: name, block: block)
        case .brukerUXD: return try BrukerUXD.read(text, file: file, name: name)
        case .brukerRAW, .stoeRAW, .xrdml, .brml: throw .unknownFormat(file: file, "binary or XML content of an unexpected kind")
        }
    }

    /// The format of a file's text.
    public static func detect(_ text: String, file: String) throws(FileError) -> PatternFormat {
        let head = text.prefix(4000)
        if head.utf8.contains(0) { throw .unknownFormat(file: file, "binary content that is not a supported pattern format") }
        let lines = head.split(whereSeparator: \.isNewline).prefix(40)
        if lines.contains(where: { $0.hasPrefix("BANK") }) { return .gsas }
        if lines.contains(where: { $0.lowercased().hasPrefix("data_") }) && text.contains("_pd_") { return .pdCIF }
        if BrukerUXD.isUXD(lines) { return .brukerUXD }
        if lines.contains(where: { line in
            let f = fields(line)
            return DecimalComma.appears(in: line) || (f.count >= 2 && f.count <= 3 && f.allSatisfy { Double($0) != nil })
        }) { return .columns }
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw .unknownFormat(file: file, "the file is empty") }
        throw .unknownFormat(file: file, "expected 2θ/intensity columns (xy, xye), a GSAS powder file, a powder CIF or a Bruker UXD file")
    }

    static func fields<S: StringProtocol>(_ line: S) -> [Substring] {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," || $0 == ";" }).map { Substring($0) }
    }
}
