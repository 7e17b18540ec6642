import FileSupport
import Foundation

/// A value of the TOML subset recipes use.
public indirect enum TOMLValue: Sendable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case array([TOMLValue])
    case table(TOMLTable)

    public var number: Double? { if case .number(let v) = self { return v } else { return nil } }
    public var string: String? { if case .string(let v) = self { return v } else { return nil } }
    public var bool: Bool? { if case .bool(let v) = self { return v } else { return nil } }
    public var array: [TOMLValue]? { if case .array(let v) = self { return v } else { return nil } }
}

/// A TOML table with the line each key came from (for error messages).
public struct TOMLTable: Sendable, Equatable {
    public var entries: [String: TOMLValue] = [:]
    public var lines: [String: Int] = [:]
    public var order: [String] = []
    public var line = 0

    public subscript(key: String) -> TOMLValue? { entries[key] }

    mutating func set(_ key: String, _ value: TOMLValue, line: Int) {
        if entries[key] == nil { order.append(key) }
        entries[key] = value
        lines[key] = line
    }
}

/// The subset of TOML (v1.0) that recipe files need: `key = value` with bare or quoted keys, strings in
/// double or single quotes, numbers, booleans, (nested) arrays, `[table]` and `[[array of tables]]`
/// headers, `#` comments. Not supported (and reported as such): dotted keys, inline tables, multi-line
/// strings, dates.
public enum TOMLSubset {
    public static func parse(_ text: String, file: String) throws(FileError) -> TOMLTable {
        var root = TOMLTable()
        // Path of the current table: ("name", index into an array of tables or nil).
        var current: (name: String, arrayIndex: Int?)?
        func fail(_ n: Int, _ what: String) -> FileError { .malformed(file: file, line: n, what) }
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let n = i + 1
            let line = stripComment(String(raw)).trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("[[") {
                guard line.hasSuffix("]]") else { throw fail(n, "table-array header must end with ']]'") }
                let name = unquote(String(line.dropFirst(2).dropLast(2)).trimmingCharacters(in: .whitespaces))
                var list = root[name]?.array ?? []
                if root[name] != nil && root[name]?.array == nil { throw fail(n, "'\(name)' is already a value, not an array of tables") }
                var t = TOMLTable()
                t.line = n
                list.append(.table(t))
                root.set(name, .array(list), line: n)
                current = (name, list.count - 1)
                continue
            }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { throw fail(n, "table header must end with ']'") }
                let name = unquote(String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces))
                if root[name] != nil { throw fail(n, "table [\(name)] is defined twice") }
                var t = TOMLTable()
                t.line = n
                root.set(name, .table(t), line: n)
                current = (name, nil)
                continue
            }
            guard let eq = keyValueSeparator(line) else { throw fail(n, "expected 'key = value', found '\(line)'") }
            let key = unquote(String(line[..<eq]).trimmingCharacters(in: .whitespaces))
            guard !key.isEmpty else { throw fail(n, "empty key") }
            var rest = Substring(line[line.index(after: eq)...]).drop { $0 == " " || $0 == "\t" }
            let value = try parseValue(&rest, line: n, file: file)
            guard rest.allSatisfy({ $0 == " " || $0 == "\t" }) else { throw fail(n, "unexpected text after the value of '\(key)': '\(rest)'") }
            if let c = current {
                guard case .table(var t)? = c.arrayIndex.map({ root[c.name]!.array![$0] }) ?? root[c.name] else { throw fail(n, "internal table error") }
                if t[key] != nil { throw fail(n, "key '\(key)' is given twice") }
                t.set(key, value, line: n)
                if let idx = c.arrayIndex {
                    var list = root[c.name]!.array!
                    list[idx] = .table(t)
                    root.entries[c.name] = .array(list)
                } else {
                    root.entries[c.name] = .table(t)
                }
            } else {
                if root[key] != nil { throw fail(n, "key '\(key)' is given twice") }
                root.set(key, value, line: n)
            }
        }
        return root
    }

    static func stripComment(_ s: String) -> String {
        var inQuote: Character?
        for (i, c) in s.enumerated() {
            if let q = inQuote { if c == q { inQuote = nil } } else if c == "\"" || c == "'" { inQuote = c } else if c == "#" {
                return String(s.prefix(i))
            }
        }
        return s
    }

    static func keyValueSeparator(_ s: String) -> String.Index? {
        var inQuote: Character?
        for i in s.indices {
            let c = s[i]
            if let q = inQuote { if c == q { inQuote = nil } } else if c == "\"" || c == "'" { inQuote = c } else if c == "=" { return i }
        }
        return nil
    }

    static func unquote(_ s: String) -> String {
        if s.count >= 2, let f = s.first, f == "\"" || f == "'", s.last == f { return String(s.dropFirst().dropLast()) }
        return s
    }

    static func parseValue(_ s: inout Substring, line: Int, file: String) throws(FileError) -> TOMLValue {
        s = s.drop { $0 == " " || $0 == "\t" }
        guard let c = s.first else { throw .malformed(file: file, line: line, "missing value") }
        if c == "\"" || c == "'" {
            s = s.dropFirst()
            guard let end = s.firstIndex(of: c) else { throw .malformed(file: file, line: line, "string is not closed") }
            let v = String(s[..<end])
            s = s[s.index(after: end)...]
            return .string(v)
        }
        if c == "[" {
            s = s.dropFirst()
            var items: [TOMLValue] = []
            while true {
                s = s.drop { $0 == " " || $0 == "\t" }
                if s.first == "]" { s = s.dropFirst(); break }
                items.append(try parseValue(&s, line: line, file: file))
                s = s.drop { $0 == " " || $0 == "\t" }
                if s.first == "," { s = s.dropFirst(); continue }
                if s.first == "]" { s = s.dropFirst(); break }
                throw .malformed(file: file, line: line, "array items must be separated by ',' and the array closed with ']' (multi-line arrays are not supported)")
            }
            return .array(items)
        }
        if c == "{" { throw .malformed(file: file, line: line, "inline tables are not supported; use a [table]") }
        let token = s.prefix { $0 != "," && $0 != "]" && $0 != " " && $0 != "\t" }
        s = s.dropFirst(token.count)
        if token == "true" { return .bool(true) }
        if token == "false" { return .bool(false) }
        guard let v = Double(token.replacingOccurrences(of: "_", with: "")), v.isFinite else {
            throw .malformed(file: file, line: line, "'\(token)' is not a number, string, boolean or array")
        }
        return .number(v)
    }
}
