import FileSupport
import Foundation
import PowderDiffraction

extension PatternFile {
    /// Two or three numeric columns (2θ, intensity[, esd]); `#`, `!`, `;` and `%` start comments; text lines
    /// are allowed only before the first data line.
    static func readColumns(_ text: String, file: String, name: String) throws(FileError) -> Pattern {
        var x: [Double] = [], y: [Double] = [], e: [Double] = []
        x.reserveCapacity(4096); y.reserveCapacity(4096)
        var columns = 0
        var n = 0
        var numbers: [Double?] = []
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            n += 1
            let line = raw.drop { $0 == " " || $0 == "\t" }
            guard let first = line.first, !"#!;%".contains(first) else { continue }
            let f = fields(line)
            if f.isEmpty { continue }
            if let token = DecimalComma.token(in: line) {
                throw .malformed(file: file, line: n, "'\(token)' has a decimal comma; decimal commas are not supported (write \(token.replacingOccurrences(of: ",", with: ".")))")
            }
            numbers.removeAll(keepingCapacity: true)
            for field in f { numbers.append(Double(field)) }
            if x.isEmpty && numbers.contains(where: { $0 == nil }) { continue }  // a header
            guard f.count == 2 || f.count == 3 else {
                throw .malformed(file: file, line: n, "expected 2 or 3 columns (2θ, intensity[, esd]), found \(f.count)")
            }
            if columns == 0 { columns = f.count }
            guard f.count == columns else {
                throw .malformed(file: file, line: n, "expected \(columns) columns like the lines before, found \(f.count)")
            }
            for (i, v) in numbers.enumerated() {
                guard let v else { throw .malformed(file: file, line: n, "column \(i + 1): '\(f[i])' is not a number") }
                guard v.isFinite else { throw .malformed(file: file, line: n, "column \(i + 1) is \(f[i]), expected a finite number") }
            }
            if let last = x.last, numbers[0]! <= last {
                throw .malformed(file: file, line: n, "2θ = \(f[0]) does not increase (previous \(last))")
            }
            if columns == 3 && numbers[2]! <= 0 {
                throw .malformed(file: file, line: n, "esd \(f[2]) must be positive")
            }
            x.append(numbers[0]!); y.append(numbers[1]!)
            if columns == 3 { e.append(numbers[2]!) }
        }
        guard x.count >= 2 else { throw .malformed(file: file, line: 1, "no data: expected lines of 2θ and intensity") }
        return Pattern(name: name, twoTheta: x, intensity: y, sigma: columns == 3 ? e : nil)
    }
}

/// Numbers written with a decimal comma ("12,5 100", "12,5;100"), which a comma-separated reading would
/// silently take for more columns.
enum DecimalComma {
    /// The first decimal-comma number of a line whose blank- or semicolon-separated fields are all numbers once
    /// their comma is read as a point; nil for any other line (CSV "12.5,100" included). A line of one field
    /// ("12,5") is comma-separated values, not a decimal comma.
    static func token<S: StringProtocol>(in line: S) -> Substring? {
        let tokens = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ";" || $0 == "\r" })
        guard tokens.count >= 2 else { return nil }
        var found: Substring?
        for t in tokens {
            if Double(t) != nil { continue }
            guard isDecimalComma(t) else { return nil }
            if found == nil { found = Substring(t) }
        }
        return found
    }

    static func appears<S: StringProtocol>(in line: S) -> Bool { token(in: line) != nil }

    /// Digits, one comma, digits (an optional sign and exponent), and no point: "12,5", "-0,25E3".
    static func isDecimalComma<S: StringProtocol>(_ t: S) -> Bool {
        guard let comma = t.firstIndex(of: ","), t.filter({ $0 == "," }).count == 1, !t.contains(".") else { return false }
        let before = t[..<comma], after = t[t.index(after: comma)...]
        guard let b = before.last, b.isASCII, b.isNumber, let a = after.first, a.isASCII, a.isNumber else { return false }
        return Double(String(before) + "." + String(after)) != nil
    }
}
