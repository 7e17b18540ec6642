import FileSupport
import Foundation

/// A value as written in a CIF, with the line it came from.
public struct CIFValue: Sendable, Equatable {
    public let text: String
    public let line: Int

    public init(text: String, line: Int) {
        self.text = text
        self.line = line
    }

    /// True for the CIF placeholders `?` (unknown) and `.` (inapplicable).
    public var isPlaceholder: Bool { text == "?" || text == "." }

    /// The number and its standard uncertainty: `2.8781(2)` → (2.8781, 0.0002); nil if not numeric.
    public var number: (value: Double, esd: Double?)? { CIFValue.parseNumber(text) }

    static func parseNumber(_ text: String) -> (value: Double, esd: Double?)? {
        guard let open = text.firstIndex(of: "(") else {
            guard let v = Double(text), v.isFinite else { return nil }
            return (v, nil)
        }
        guard text.hasSuffix(")") else { return nil }
        let mantissa = String(text[..<open])
        let esdDigits = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
        guard let v = Double(mantissa), v.isFinite, let e = Int(esdDigits) else { return nil }
        // The esd applies to the last digit of the mantissa (before any exponent).
        let base = mantissa.split(whereSeparator: { $0 == "e" || $0 == "E" })
        var decimals = 0
        if let dot = base[0].firstIndex(of: ".") { decimals = base[0].distance(from: dot, to: base[0].endIndex) - 1 }
        var exponent = 0
        if base.count > 1, let x = Int(base[1]) { exponent = x }
        return (v, Double(e) * pow(10, Double(exponent - decimals)))
    }
}

/// One `loop_`: tag names in order and rows of values.
public struct CIFLoop: Sendable {
    public let tags: [String]
    public let rows: [[CIFValue]]
    public let line: Int

    /// The column for a tag (case-insensitive), or nil.
    public func column(_ tag: String) -> [CIFValue]? {
        guard let i = tags.firstIndex(where: { $0.caseInsensitiveCompare(tag) == .orderedSame }) else { return nil }
        return rows.map { $0[i] }
    }
}

/// One `data_` block: single-valued items and loops.
public struct CIFBlock: Sendable {
    public let name: String
    public let line: Int
    public internal(set) var items: [String: CIFValue] = [:]
    public internal(set) var loops: [CIFLoop] = []

    /// A single item (tags compared case-insensitively), also found as a one-row loop.
    public func value(_ tag: String) -> CIFValue? {
        if let v = items[tag.lowercased()] { return v }
        for loop in loops { if let c = loop.column(tag), c.count == 1 { return c[0] } }
        return nil
    }

    /// The loop holding `tag`, if any.
    public func loop(containing tag: String) -> CIFLoop? {
        loops.first { $0.column(tag) != nil }
    }
}

/// A parsed CIF (1.1 syntax): data blocks in file order.
public struct CIFDocument: Sendable {
    public let blocks: [CIFBlock]
    /// The file name used in error messages.
    public let source: String

    /// Parses CIF text; `source` names the file in errors.
    public init(text: String, source: String) throws(FileError) {
        self.source = source
        var tokens = try CIFTokenizer.tokenize(text, source: source)[...]
        var blocks: [CIFBlock] = []
        func fail(_ line: Int, _ what: String) -> FileError { .malformed(file: source, line: line, what) }
        while let token = tokens.first {
            tokens.removeFirst()
            let lower = token.text.lowercased()
            if token.isBare && lower.hasPrefix("data_") {
                blocks.append(CIFBlock(name: String(token.text.dropFirst(5)), line: token.line))
                continue
            }
            if token.isBare && (lower.hasPrefix("save_") || lower == "global_") { continue }
            guard !blocks.isEmpty else { throw fail(token.line, "expected 'data_' before '\(token.text)'") }
            if token.isBare && lower == "loop_" {
                var tags: [String] = []
                while let t = tokens.first, t.isBare, t.text.hasPrefix("_") {
                    tags.append(t.text.lowercased())
                    tokens.removeFirst()
                }
                guard !tags.isEmpty else { throw fail(token.line, "loop_ without tags") }
                var values: [CIFValue] = []
                while let t = tokens.first, !(t.isBare && (t.text.hasPrefix("_") || t.text.lowercased() == "loop_" || t.text.lowercased().hasPrefix("data_"))) {
                    values.append(CIFValue(text: t.text, line: t.line))
                    tokens.removeFirst()
                }
                guard values.count % tags.count == 0 else {
                    throw fail(token.line, "loop of \(tags.count) tags (\(tags[0]) …) holds \(values.count) values, not a multiple of \(tags.count)")
                }
                let rows = stride(from: 0, to: values.count, by: tags.count).map { Array(values[$0..<$0 + tags.count]) }
                blocks[blocks.count - 1].loops.append(CIFLoop(tags: tags, rows: rows, line: token.line))
                continue
            }
            guard token.isBare && token.text.hasPrefix("_") else {
                throw fail(token.line, "expected a tag (_name) or loop_, found '\(token.text)'")
            }
            guard let v = tokens.first, !(v.isBare && (v.text.hasPrefix("_") || v.text.lowercased() == "loop_")) else {
                throw fail(token.line, "tag \(token.text) has no value")
            }
            tokens.removeFirst()
            blocks[blocks.count - 1].items[token.text.lowercased()] = CIFValue(text: v.text, line: v.line)
        }
        guard !blocks.isEmpty else { throw .malformed(file: source, line: 1, "no 'data_' block") }
        self.blocks = blocks
    }

    /// Reads and parses a CIF file.
    public init(contentsOf url: URL) throws(FileError) {
        let text = try TextFile.read(url)
        try self.init(text: text, source: url.path)
    }
}

/// Splits CIF text into tokens: bare words, quoted strings, semicolon text fields; comments dropped.
enum CIFTokenizer {
    struct Token {
        let text: String
        let line: Int
        /// False for quoted strings and text fields, which are never tags or keywords.
        let isBare: Bool
    }

    static func tokenize(_ text: String, source: String) throws(FileError) -> [Token] {
        var tokens: [Token] = []
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        var i = 0
        // The part of a line still to tokenize (after a closing ';' the line goes on with more values).
        var pending: Substring?
        while i < lines.count {
            let whole = lines[i].hasSuffix("\r") ? lines[i].dropLast() : lines[i]
            let number = i + 1
            if pending == nil && whole.hasPrefix(";") {
                // Text field: runs until a line that starts with ';'.
                var body = [String(whole.dropFirst())]
                var j = i + 1
                while j < lines.count && !lines[j].hasPrefix(";") { body.append(String(lines[j])); j += 1 }
                guard j < lines.count else { throw .malformed(file: source, line: number, "text field opened with ';' is never closed") }
                tokens.append(Token(text: body.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines), line: number, isBare: false))
                i = j
                pending = lines[j].dropFirst()
                continue
            }
            let line = pending ?? whole
            pending = nil
            let chars = Array(line)
            var p = 0
            while p < chars.count {
                let c = chars[p]
                if c == " " || c == "\t" || c == "\r" { p += 1; continue }
                if c == "#" { break }
                if c == "'" || c == "\"" {
                    // A quote closes only when followed by whitespace or the end of the line.
                    var q = p + 1
                    while q < chars.count && !(chars[q] == c && (q + 1 == chars.count || chars[q + 1] == " " || chars[q + 1] == "\t" || chars[q + 1] == "\r")) { q += 1 }
                    guard q < chars.count else {
                        throw .malformed(file: source, line: number, "quoted string \(String(chars[p...])) is not closed")
                    }
                    tokens.append(Token(text: String(chars[(p + 1)..<q]), line: number, isBare: false))
                    p = q + 1
                    continue
                }
                var q = p
                while q < chars.count && chars[q] != " " && chars[q] != "\t" && chars[q] != "\r" { q += 1 }
                tokens.append(Token(text: String(chars[p..<q]), line: number, isBare: true))
                p = q
            }
            i += 1
        }
        return tokens
    }
}
